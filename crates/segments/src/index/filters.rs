//! Each dashboard filter, compiled against the index for one query: categorical facts become a
//! bitmap to intersect with; numeric facts become a test over a column that can fill a word of
//! 64 customers at a time (a loop the compiler vectorizes) or answer for one customer. Date-
//! relative filters read `today` at query time, so nothing ages overnight.

use std::borrow::Cow;

use chrono::NaiveDate;
use roaring::RoaringBitmap;

use super::columns::{
    Around, DistanceCut, RevenueCut, Revenues, SmallCounts, COUNT_OVERFLOW, REVENUE_OVERFLOW,
};
use super::{OrgIndex, BIRTH_EPOCH, NO_BIRTH, NO_IMPULSE};
use crate::model::*;

/// A filter as one query evaluates it.
pub enum Compiled<'a> {
    /// Lets every customer through.
    All,
    /// Lets nobody through (the distance from a venue the index does not know).
    Nothing,
    /// The customers in the bitmap.
    Keep(Cow<'a, RoaringBitmap>),
    /// The customers not in the bitmap.
    Drop(&'a RoaringBitmap),
    Numeric(Numeric<'a>),
}

/// A test over a column. Every variant answers exactly: where a column is narrower than the
/// fact, the values it cannot tell apart are looked up in full.
pub enum Numeric<'a> {
    /// Known birth codes in `lo..=lo + width`, or unknown.
    Birth {
        column: &'a [u16],
        lo: u16,
        width: u16,
    },
    /// Only customers of unknown birth (the age range holds no birth date the column can hold).
    BirthUnknown { column: &'a [u16] },
    Count {
        column: &'a SmallCounts,
        wanted: u32,
        mode: CountMode,
    },
    Revenue {
        column: &'a Revenues,
        cut: RevenueCut,
        wanted: u64,
        mode: CountMode,
    },
    /// Impulse days at most `max` (the "none" code is above any `max`).
    Impulse { column: &'a [i16], max: i16 },
    /// Last purchase codes in `lo..=lo + width` (code 0, never bought, is below any day).
    Purchase {
        column: &'a [u16],
        lo: u16,
        width: u16,
    },
    /// Within `limit` km² of a venue that has a distance column.
    Distance {
        codes: &'a [u16],
        cut: DistanceCut,
        coordinates: &'a [(f64, f64)],
        around: Around,
        limit: f64,
    },
    /// Within `limit` km² of a venue without a distance column: every coordinate is tested.
    DistanceExact {
        coordinates: &'a [(f64, f64)],
        around: Around,
        limit: f64,
    },
}

/// What a filter is evaluated against.
pub struct Context<'a> {
    pub index: &'a OrgIndex,
    pub today: NaiveDate,
}

/// Compiles `filter` for one query.
pub fn compile<'a>(filter: &Filter, cx: &Context<'a>) -> Compiled<'a> {
    let index = cx.index;
    match filter {
        Filter::Age {
            min: None,
            max: None,
        } => Compiled::All,
        Filter::Age { min, max } => {
            let (earliest, latest) = birth_range(*min, *max, cx.today);
            // Code c holds the day c - 1 + epoch.
            let code = |day: NaiveDate| i64::from(day_number(day)) - i64::from(BIRTH_EPOCH) + 1;
            let lo = code(earliest).max(1);
            let hi = code(latest).min(i64::from(u16::MAX));
            let column = &index.birth;
            if lo > hi {
                return Compiled::Numeric(Numeric::BirthUnknown { column });
            }
            Compiled::Numeric(Numeric::Birth {
                column,
                lo: lo as u16,
                width: (hi - lo) as u16,
            })
        }
        Filter::Gender { gender } => match gender {
            GenderChoice::Women => Compiled::Keep(Cow::Borrowed(&index.female)),
            GenderChoice::Men => Compiled::Keep(Cow::Borrowed(&index.male)),
            GenderChoice::Both => Compiled::Keep(Cow::Owned(&index.female | &index.male)),
            GenderChoice::All => Compiled::All,
        },
        Filter::Impulsive { max_days } => Compiled::Numeric(Numeric::Impulse {
            column: &index.impulse,
            max: i16::try_from(*max_days)
                .unwrap_or(i16::MAX)
                .min(NO_IMPULSE - 1),
        }),
        Filter::Channel { channel } => match channel {
            ChannelChoice::Online => Compiled::Keep(Cow::Borrowed(&index.online)),
            ChannelChoice::BoxOffice => Compiled::Keep(Cow::Borrowed(&index.box_office)),
            ChannelChoice::Both => Compiled::Keep(Cow::Owned(&index.online & &index.box_office)),
            ChannelChoice::All => Compiled::All,
        },
        Filter::Subscriber { subscriber: true } => Compiled::Keep(Cow::Borrowed(&index.subscriber)),
        Filter::Subscriber { subscriber: false } => Compiled::Drop(&index.subscriber),
        Filter::Tickets { count, mode } => count_filter(&index.tickets, *count, *mode),
        Filter::Events { count, mode } => count_filter(&index.events, *count, *mode),
        Filter::Orders { count, mode } => count_filter(&index.orders, *count, *mode),
        Filter::Revenue { minor, mode } => Compiled::Numeric(Numeric::Revenue {
            column: &index.revenue,
            cut: RevenueCut::new(*minor, *mode == CountMode::AtLeast),
            wanted: *minor,
            mode: *mode,
        }),
        Filter::LatestPurchase { days, mode } => {
            let edge = i64::from(day_number(cx.today)) - i64::from(*days);
            // Code p holds the day p - 1.
            let edge = edge + 1;
            let (lo, hi) = match mode {
                RecencyMode::Within => (edge.max(1), i64::from(u16::MAX)),
                RecencyMode::Exactly => (edge.max(1), edge),
                // Never bought (code 0) or before the edge.
                RecencyMode::NotWithin => (0, (edge - 1).max(0)),
            };
            let hi = hi.min(i64::from(u16::MAX));
            if lo > hi {
                return Compiled::Nothing;
            }
            Compiled::Numeric(Numeric::Purchase {
                column: &index.last_purchase,
                lo: lo as u16,
                width: (hi - lo) as u16,
            })
        }
        Filter::Permission { permission, mode } => keyed(index.permissions.get(permission), *mode),
        Filter::Tag { tag, mode } => keyed(index.tags.get(tag), *mode),
        Filter::Distance { venue_id, max_km } => {
            let Some(&at) = index.catalog.venues.get(venue_id.as_str()) else {
                return Compiled::Nothing;
            };
            let around = Around::new(at);
            let limit = max_km * max_km;
            let coordinates = &index.coordinates;
            match index.venue_distances.get(venue_id.as_str()) {
                // A column computed for where the venue is now (the catalog may have moved it
                // since, until the index takes the new catalog).
                Some(column) if column.at == at && column.codes.len() == coordinates.len() => {
                    Compiled::Numeric(Numeric::Distance {
                        codes: &column.codes,
                        cut: DistanceCut::new(limit),
                        coordinates,
                        around,
                        limit,
                    })
                }
                _ => Compiled::Numeric(Numeric::DistanceExact {
                    coordinates,
                    around,
                    limit,
                }),
            }
        }
    }
}

fn count_filter(column: &SmallCounts, wanted: u32, mode: CountMode) -> Compiled<'_> {
    if wanted == 0 && mode == CountMode::AtLeast {
        return Compiled::All;
    }
    Compiled::Numeric(Numeric::Count {
        column,
        wanted,
        mode,
    })
}

fn keyed(bitmap: Option<&RoaringBitmap>, mode: Inclusion) -> Compiled<'_> {
    match (mode, bitmap) {
        (Inclusion::Include, Some(b)) => Compiled::Keep(Cow::Borrowed(b)),
        (Inclusion::Include, None) => Compiled::Nothing,
        (Inclusion::Exclude, Some(b)) => Compiled::Drop(b),
        (Inclusion::Exclude, None) => Compiled::All,
    }
}

impl Numeric<'_> {
    /// Does customer `n` pass?
    pub fn test(&self, n: u32) -> bool {
        let i = n as usize;
        match self {
            Numeric::Birth { column, lo, width } => {
                column.get(i).is_some_and(|&b| birth_passes(b, *lo, *width))
            }
            Numeric::BirthUnknown { column } => column.get(i) == Some(&NO_BIRTH),
            Numeric::Count {
                column,
                wanted,
                mode,
            } => i < column.codes.len() && mode.accepts(column.get(n).into(), (*wanted).into()),
            Numeric::Revenue {
                column,
                wanted,
                mode,
                ..
            } => i < column.codes.len() && mode.accepts(column.get(n), *wanted),
            Numeric::Impulse { column, max } => column.get(i).is_some_and(|d| d <= max),
            Numeric::Purchase { column, lo, width } => column
                .get(i)
                .is_some_and(|&p| p.wrapping_sub(*lo) <= *width),
            Numeric::Distance {
                coordinates,
                around,
                limit,
                ..
            }
            | Numeric::DistanceExact {
                coordinates,
                around,
                limit,
            } => coordinates
                .get(i)
                .is_some_and(|&c| around.within(c, *limit)),
        }
    }

    /// Fills `out[j]` with the mask of word `first_word + j` (customers 64·w to 64·w + 63),
    /// exact where `base` (the same words of the segment) has bits; bits outside `base` may be
    /// anything, callers mask them off.
    pub fn fill(&self, first_word: usize, base: &[u64], out: &mut [u64]) {
        match self {
            Numeric::Birth { column, lo, width } => {
                let (lo, width) = (*lo, *width);
                fill_column(column, first_word, out, |b| birth_passes(b, lo, width));
            }
            Numeric::BirthUnknown { column } => {
                fill_column(column, first_word, out, |b| b == NO_BIRTH);
            }
            Numeric::Count {
                column,
                wanted,
                mode,
            } => {
                let codes = column.codes.as_slice();
                match (u8::try_from(*wanted), mode) {
                    (Ok(k), CountMode::AtLeast) if k < COUNT_OVERFLOW => {
                        fill_column(codes, first_word, out, |c| c >= k);
                    }
                    (Ok(k), CountMode::Exactly) if k < COUNT_OVERFLOW => {
                        fill_column(codes, first_word, out, |c| c == k);
                    }
                    // Only overflowing counts can pass: test those exactly.
                    _ => {
                        fill_column(codes, first_word, out, |c| c == COUNT_OVERFLOW);
                        for (j, (word, b)) in out.iter_mut().zip(base).enumerate() {
                            *word = exact_bits(first_word + j, *word & b, |n| self.test(n));
                        }
                    }
                }
            }
            Numeric::Revenue { column, cut, .. } => match *cut {
                RevenueCut::CodesFrom { from } => {
                    fill_column(&column.codes, first_word, out, |c| c >= from);
                }
                RevenueCut::AtLeastWithin { code, leftover } => {
                    let cut = LeftoverCut {
                        sure: |c: u16| c > code,
                        code,
                        leftover_passes: |l: u8| l >= leftover,
                    };
                    fill_with_leftover(column, &cut, first_word, base, out);
                }
                RevenueCut::ExactlyWithin { code, leftover } => {
                    let cut = LeftoverCut {
                        sure: |_: u16| false,
                        code,
                        leftover_passes: |l: u8| l == leftover,
                    };
                    fill_with_leftover(column, &cut, first_word, base, out);
                }
                // Only overflowing revenues can pass: test those exactly.
                RevenueCut::Overflow => {
                    fill_column(&column.codes, first_word, out, |c| c == REVENUE_OVERFLOW);
                    for (j, (word, b)) in out.iter_mut().zip(base).enumerate() {
                        *word = exact_bits(first_word + j, *word & b, |n| self.test(n));
                    }
                }
            },
            Numeric::Impulse { column, max } => {
                let max = *max;
                fill_column(column, first_word, out, |d| d <= max);
            }
            Numeric::Purchase { column, lo, width } => {
                let (lo, width) = (*lo, *width);
                fill_column(column, first_word, out, |p| p.wrapping_sub(lo) <= width);
            }
            Numeric::Distance {
                codes,
                cut,
                coordinates,
                around,
                limit,
            } => {
                let DistanceCut {
                    inside_below,
                    outside_from,
                } = *cut;
                // One pass: each word's codes surely inside as its bits, and whether any code
                // is one the circle's edge runs through (a few words in a thousand); only then
                // are that word's candidates gathered and tested exactly.
                let sure = |c: u16| c < inside_below;
                let edge = |c: u16| (c >= inside_below) & (c < outside_from);
                let start = first_word.saturating_mul(64).min(codes.len());
                let end = start
                    .saturating_add(out.len().saturating_mul(64))
                    .min(codes.len());
                let (chunks, rest) = codes.get(start..end).unwrap_or(&[]).as_chunks::<64>();
                let exact = |n: u32| {
                    coordinates
                        .get(n as usize)
                        .is_some_and(|&c| around.within(c, *limit))
                };
                let (whole, after) = split_whole_words(out, chunks.len());
                let words = whole.iter_mut().zip(base);
                for (j, (chunk, (word, b))) in chunks.iter().zip(words).enumerate() {
                    let w = first_word + j;
                    prefetch_chunk(codes, w * 64 + PREFETCH_AHEAD);
                    let (inside, any_edge) = mask64_flagged(chunk, sure, edge);
                    *word = inside;
                    if any_edge && *b != 0 {
                        *word |= exact_bits(w, mask64(chunk, edge) & b, exact);
                    }
                }
                let tail_word = first_word + chunks.len();
                let tail_base = base.get(chunks.len()).copied().unwrap_or(0);
                finish_words(after, || {
                    tail_mask(rest, sure)
                        | exact_bits(tail_word, tail_mask(rest, edge) & tail_base, exact)
                });
            }
            Numeric::DistanceExact {
                coordinates,
                around,
                limit,
            } => {
                let limit = *limit;
                fill_column(coordinates, first_word, out, |c| around.within(c, limit));
            }
        }
    }
}

// Tests combine with `&` and `|`, not `&&` and `||`: no branch, so the column loops stay vector
// compares.

fn birth_passes(code: u16, lo: u16, width: u16) -> bool {
    (code == NO_BIRTH) | (code.wrapping_sub(lo) <= width)
}

/// The candidates of word `w` that pass the exact test.
fn exact_bits(w: usize, mut candidates: u64, exact: impl Fn(u32) -> bool) -> u64 {
    let mut passed = 0;
    while candidates != 0 {
        let bit = candidates.trailing_zeros();
        candidates &= candidates - 1;
        let n = u32::try_from(w * 64 + bit as usize).unwrap_or(u32::MAX);
        if exact(n) {
            passed |= 1 << bit;
        }
    }
    passed
}

/// A revenue test that reads the leftover minor units of one code: codes `sure` passes pass,
/// customers of `code` pass when `leftover_passes` their leftover.
struct LeftoverCut<S, L> {
    sure: S,
    code: u16,
    leftover_passes: L,
}

/// [`fill_column`] over the revenue codes, reading the leftover byte only for the words where
/// some customer of the segment has the cut's code (the leftover of 64 customers is one cache
/// line, read when needed).
fn fill_with_leftover<S: Fn(u16) -> bool, L: Fn(u8) -> bool>(
    column: &Revenues,
    cut: &LeftoverCut<S, L>,
    first_word: usize,
    base: &[u64],
    out: &mut [u64],
) {
    let in_code = |c: u16| c == cut.code;
    let len = column.codes.len().min(column.leftover.len());
    let start = first_word.saturating_mul(64).min(len);
    let end = start.saturating_add(out.len().saturating_mul(64)).min(len);
    let codes = column.codes.get(start..end).unwrap_or(&[]);
    let leftovers = column.leftover.get(start..end).unwrap_or(&[]);
    let (code_chunks, code_rest) = codes.as_chunks::<64>();
    let (leftover_chunks, leftover_rest) = leftovers.as_chunks::<64>();
    let (whole, after) = split_whole_words(out, code_chunks.len().min(leftover_chunks.len()));
    let chunks = code_chunks.iter().zip(leftover_chunks);
    for (k, ((codes, leftovers), (word, b))) in chunks.zip(whole.iter_mut().zip(base)).enumerate() {
        prefetch_chunk(&column.codes, start + k * 64 + PREFETCH_AHEAD);
        let (sure, any_in_code) = mask64_flagged(codes, &cut.sure, in_code);
        *word = sure;
        if any_in_code && *b != 0 {
            *word |= mask64(codes, in_code) & mask64(leftovers, &cut.leftover_passes);
        }
    }
    // The tail's leftovers are read whatever the segment holds there: one word's worth.
    finish_words(after, || {
        tail_mask(code_rest, &cut.sure)
            | (tail_mask(code_rest, in_code) & tail_mask(leftover_rest, &cut.leftover_passes))
    });
}

/// Fills `out` with the masks of the words from `first_word` on.
fn fill_column<T: Copy>(
    column: &[T],
    first_word: usize,
    out: &mut [u64],
    keep: impl Fn(T) -> bool,
) {
    let start = first_word.saturating_mul(64).min(column.len());
    let end = start
        .saturating_add(out.len().saturating_mul(64))
        .min(column.len());
    let values = column.get(start..end).unwrap_or(&[]);
    let (chunks, rest) = values.as_chunks::<64>();
    let (whole, after) = split_whole_words(out, chunks.len());
    for (k, (chunk, word)) in chunks.iter().zip(whole).enumerate() {
        prefetch_chunk(column, start + k * 64 + PREFETCH_AHEAD);
        *word = mask64(chunk, &keep);
    }
    finish_words(after, || tail_mask(rest, &keep));
}

/// `out` split after the words that have a whole chunk of 64 values (`chunks` of them at most).
/// The loops over whole words then zip two slices, which the compiler turns into one counted
/// loop, where a shared iterator taken `by_ref` kept a check per word.
fn split_whole_words(out: &mut [u64], chunks: usize) -> (&mut [u64], &mut [u64]) {
    out.split_at_mut(chunks.min(out.len()))
}

/// The words after the whole ones: the first has the column's last values (`tail` computes its
/// mask), the others are past the column's end.
fn finish_words(after: &mut [u64], tail: impl FnOnce() -> u64) {
    if let Some((first, beyond)) = after.split_first_mut() {
        *first = tail();
        beyond.fill(0);
    }
}

/// How far ahead of the scan its columns are asked for, in customers: far enough that a line
/// asked for arrives before the scan reaches it (the scan is bound by memory at ten million
/// customers; asking ahead took the headline query from about 10 ms to about 6), near enough
/// that it is still in the first-level cache then.
const PREFETCH_AHEAD: usize = 4_096;
/// Bytes of a cache line.
const CACHE_LINE: usize = 64;

/// Asks for the cache lines of the 64 values of `column` from `first` on (those past the end
/// are not asked for): as many lines as a value has bytes.
#[inline(always)]
fn prefetch_chunk<T>(column: &[T], first: usize) {
    let size = std::mem::size_of::<T>();
    let per_line = CACHE_LINE / size.clamp(1, CACHE_LINE);
    for line in 0..size {
        prefetch(column, first + line * per_line);
    }
}

/// Asks for the cache line of `column[i]`, if there is one, without waiting for it.
#[inline(always)]
fn prefetch<T>(column: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(value) = column.get(i) {
        // SAFETY: SSE (which has the prefetch) is part of every x86-64 processor, and a
        // prefetch only hints the cache: it reads nothing the program sees and cannot fault.
        // The address is of a value in the slice besides.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(value).cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (column, i);
}

fn tail_mask<T: Copy>(values: &[T], keep: impl Fn(T) -> bool) -> u64 {
    values
        .iter()
        .take(64)
        .enumerate()
        .fold(0, |mask, (k, &v)| mask | (u64::from(keep(v)) << k))
}

/// The 64 tests of one word as its bits. The tests go to bytes first (a loop the compiler turns
/// into vector compares), then each eight bytes' high bits gather into one byte with a multiply:
/// byte j's bit 7 lands on bit 56 + j, and no two products share a bit, so nothing carries.
#[inline(always)]
pub fn mask64<T: Copy>(values: &[T; 64], keep: impl Fn(T) -> bool) -> u64 {
    let mut high = [0u8; 64];
    for (h, &v) in high.iter_mut().zip(values) {
        *h = u8::from(keep(v)) << 7;
    }
    let (groups, _) = high.as_chunks::<8>();
    groups.iter().enumerate().fold(0, |mask, (j, group)| {
        let bits = u64::from_le_bytes(*group).wrapping_mul(0x0002_0408_1020_4081) >> 56;
        mask | (bits << (8 * j))
    })
}

/// [`mask64`] of `keep`, and whether `flag` holds for any of the values, from the same bytes:
/// bit 7 of each byte is `keep`, bit 0 is `flag`.
#[inline(always)]
fn mask64_flagged<T: Copy>(
    values: &[T; 64],
    keep: impl Fn(T) -> bool,
    flag: impl Fn(T) -> bool,
) -> (u64, bool) {
    let mut bytes = [0u8; 64];
    for (h, &v) in bytes.iter_mut().zip(values) {
        *h = (u8::from(keep(v)) << 7) | u8::from(flag(v));
    }
    let (groups, _) = bytes.as_chunks::<8>();
    groups
        .iter()
        .enumerate()
        .fold((0, false), |(mask, any), (j, group)| {
            let g = u64::from_le_bytes(*group);
            let bits = (g & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
            (
                mask | (bits << (8 * j)),
                any | (g & 0x0101_0101_0101_0101 != 0),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask64_sets_bit_k_for_value_k() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let values: [u8; 64] = std::array::from_fn(|k| u8::from(state >> k & 1 == 1));
            assert_eq!(mask64(&values, |v| v == 1), state);
        }
    }

    #[test]
    fn mask64_flagged_reports_the_flag_of_any_value() {
        let values: [u16; 64] = std::array::from_fn(|k| k as u16);
        assert_eq!(
            mask64_flagged(&values, |v| v < 3, |v| v == 63),
            (0b111, true)
        );
        assert_eq!(
            mask64_flagged(&values, |v| v >= 62, |v| v > 63),
            (0b11 << 62, false)
        );
    }

    #[test]
    fn a_revenue_fill_agrees_with_the_exact_revenue_of_every_customer() {
        let around = |minor: u64| [minor.saturating_sub(1), minor, minor.saturating_add(1)];
        let edges = [
            0,
            100,
            50_000,
            6_553_400,
            6_553_499,
            6_553_500,
            5_000_000_000,
        ];
        let values: Vec<u64> = edges.iter().flat_map(|&e| around(e)).collect();
        let mut revenues = Revenues::default();
        // A column of five words and a part: the tail is filled too.
        let customers = 64 * 5 + 17;
        for n in 0..customers {
            revenues.push();
            revenues.set(n, values[(n as usize * 7) % values.len()]);
        }
        let base = [u64::MAX; 6];
        for wanted in values.iter().copied().chain([u64::MAX]) {
            for mode in [CountMode::AtLeast, CountMode::Exactly] {
                let test = Numeric::Revenue {
                    column: &revenues,
                    cut: RevenueCut::new(wanted, mode == CountMode::AtLeast),
                    wanted,
                    mode,
                };
                let mut out = [0u64; 6];
                test.fill(0, &base, &mut out);
                for n in 0..customers {
                    let bit = out[n as usize / 64] >> (n % 64) & 1 == 1;
                    let exact = mode.accepts(revenues.get(n), wanted);
                    assert_eq!((bit, test.test(n)), (exact, exact), "{n} {wanted} {mode:?}");
                }
            }
        }
    }

    #[test]
    fn a_short_column_fills_its_last_word_in_part_and_the_rest_with_nothing() {
        let column: Vec<u16> = (0..100).collect();
        let mut out = [u64::MAX; 3];
        fill_column(&column, 0, &mut out, |v| v % 2 == 0);
        assert_eq!(out[0], 0x5555_5555_5555_5555);
        assert_eq!(out[1], 0x5_5555_5555);
        assert_eq!(out[2], 0);
        let mut out = [u64::MAX; 2];
        fill_column(&column, 1, &mut out, |v| v >= 98);
        assert_eq!(out, [0b11 << 34, 0]);
    }
}
