//! Counting a segment and its filters in one pass.
//!
//! The numeric filters run fused over the segment in blocks of 32,768 customers: each fills the
//! block's mask words from its column (asking for its lines a little ahead, see
//! [`super::filters`]), and every word is ANDed with the segment's word, counted
//! (the filter's count) and ANDed into the running total, so each column is read once, front to
//! back, and no bitmap is built per filter. Spans of the customers run on two threads.
//! The categorical filters are bitmaps already: their counts are intersection sizes, and they
//! meet the numeric total at the end.

use std::sync::{Mutex, OnceLock};

use roaring::RoaringBitmap;

use super::filters::{Compiled, Numeric};
use crate::model::FIRST_CUSTOMERS;

/// A segment's customers, as a bitmap and as plain words (bit n of word n / 64 is customer n).
pub struct Base {
    pub bitmap: RoaringBitmap,
    pub words: Vec<u64>,
}

impl Base {
    /// The words span `customers` (every number the index has given).
    pub fn new(bitmap: RoaringBitmap, customers: usize) -> Self {
        let mut words = vec![0u64; customers.div_ceil(64)];
        for n in &bitmap {
            if let Some(word) = words.get_mut(n as usize / 64) {
                *word |= 1 << (n % 64);
            }
        }
        Self { bitmap, words }
    }
}

/// The counts of one query.
pub struct Counted {
    pub total: u64,
    /// Per filter, in the query's order.
    pub filters: Vec<u64>,
    /// The first matching customers' numbers.
    pub first: Vec<u32>,
}

/// Words per block: 32,768 customers. A block's masks (4 KiB) stay in the first-level cache,
/// and each column is read in runs of 32 KiB and more: at ten million customers the scan waits
/// on memory, and longer runs keep the memory streams going where blocks of 4,096 customers
/// started each column anew every page or two.
const BLOCK: usize = 512;
/// Below one customer in this many in the segment, testing the segment's customers one by one
/// reads less than scanning the columns.
const SPARSE_FACTOR: u64 = 64;
/// Fewer words than this are not worth a second thread (starting one costs tens of µs).
const PARALLEL_MIN_WORDS: usize = 4_096;
/// Spans of the columns per thread, handed out as threads come for more.
const SPANS_PER_THREAD: usize = 8;
/// Threads one count uses at most: the scan is bound by memory bandwidth soon after.
const MAX_THREADS: usize = 4;

/// What survives the numeric filters.
enum NumericTotal {
    None,
    Words(Vec<u64>),
    Bitmap(RoaringBitmap),
}

/// Counts `filters` within `base` (over an index of `customers` numbers).
pub fn count(base: &Base, filters: &[Compiled<'_>], customers: usize) -> Counted {
    let segment = base.bitmap.len();
    let mut counts = vec![0u64; filters.len()];
    let numeric: Vec<(usize, &Numeric<'_>)> = filters
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Compiled::Numeric(n) => Some((i, n)),
            _ => None,
        })
        .collect();
    let tests: Vec<&Numeric<'_>> = numeric.iter().map(|(_, n)| *n).collect();
    let numeric_total = if tests.is_empty() {
        NumericTotal::None
    } else if segment.saturating_mul(SPARSE_FACTOR) < customers as u64 {
        let (per_test, total) = one_by_one(&base.bitmap, &tests);
        for ((i, _), c) in numeric.iter().zip(per_test) {
            counts[*i] = c;
        }
        NumericTotal::Bitmap(total)
    } else {
        let (per_test, total) = fused(&base.words, &tests);
        for ((i, _), c) in numeric.iter().zip(per_test) {
            counts[*i] = c;
        }
        NumericTotal::Words(total)
    };

    let mut keep: Vec<&RoaringBitmap> = Vec::new();
    let mut drop: Vec<&RoaringBitmap> = Vec::new();
    let mut nothing = false;
    for (filter, count) in filters.iter().zip(counts.iter_mut()) {
        match filter {
            Compiled::All => *count = segment,
            Compiled::Nothing => {
                *count = 0;
                nothing = true;
            }
            Compiled::Keep(b) => {
                *count = base.bitmap.intersection_len(b);
                keep.push(b);
            }
            Compiled::Drop(b) => {
                *count = segment - base.bitmap.intersection_len(b);
                drop.push(b);
            }
            Compiled::Numeric(_) => {}
        }
    }
    if nothing {
        return Counted {
            total: 0,
            filters: counts,
            first: Vec::new(),
        };
    }
    let categorical = categorical_total(&base.bitmap, keep, &drop);
    let (total, first) = match (categorical, numeric_total) {
        (None, NumericTotal::None) => summary(&base.bitmap),
        (Some(c), NumericTotal::None) => summary(&c),
        (None, NumericTotal::Bitmap(t)) => summary(&t),
        (Some(c), NumericTotal::Bitmap(t)) => summary(&(c & t)),
        (None, NumericTotal::Words(t)) => words_summary(&t),
        (Some(c), NumericTotal::Words(t)) => {
            if c.len().saturating_mul(SPARSE_FACTOR) < customers as u64 {
                let mut total = 0;
                let mut first = Vec::new();
                for n in &c {
                    let set = t
                        .get(n as usize / 64)
                        .is_some_and(|w| w >> (n % 64) & 1 == 1);
                    if set {
                        total += 1;
                        if first.len() < FIRST_CUSTOMERS {
                            first.push(n);
                        }
                    }
                }
                (total, first)
            } else {
                summary(&(c & bitmap_of(&t)))
            }
        }
    };
    Counted {
        total,
        filters: counts,
        first,
    }
}

/// Every customer of `base` that all `filters` let through: what an export, a push, a tag or a
/// send acts on. Counting stops at the totals; acting needs the whole set, so the numeric tests
/// are run customer by customer over what the categorical filters left (the same tests
/// [`count`] runs, so an action reaches exactly the customers the dashboard counted).
pub fn members(base: &Base, filters: &[Compiled<'_>]) -> RoaringBitmap {
    let mut keep: Vec<&RoaringBitmap> = Vec::new();
    let mut drop: Vec<&RoaringBitmap> = Vec::new();
    let mut tests: Vec<&Numeric<'_>> = Vec::new();
    for filter in filters {
        match filter {
            Compiled::All => {}
            Compiled::Nothing => return RoaringBitmap::new(),
            Compiled::Keep(b) => keep.push(b),
            Compiled::Drop(b) => drop.push(b),
            Compiled::Numeric(n) => tests.push(n),
        }
    }
    let categorical =
        categorical_total(&base.bitmap, keep, &drop).unwrap_or_else(|| base.bitmap.clone());
    if tests.is_empty() {
        return categorical;
    }
    one_by_one(&categorical, &tests).1
}

/// The segment's customers every categorical filter lets through, smallest bitmap first,
/// stopping once nothing is left; `None` when there is no categorical filter.
fn categorical_total(
    base: &RoaringBitmap,
    mut keep: Vec<&RoaringBitmap>,
    drop: &[&RoaringBitmap],
) -> Option<RoaringBitmap> {
    if keep.is_empty() && drop.is_empty() {
        return None;
    }
    keep.sort_by_key(|b| b.len());
    let mut result = match keep.first() {
        Some(first) => base & *first,
        None => base.clone(),
    };
    for bitmap in keep.iter().skip(1) {
        if result.is_empty() {
            return Some(result);
        }
        result &= *bitmap;
    }
    for bitmap in drop {
        if result.is_empty() {
            break;
        }
        result -= *bitmap;
    }
    Some(result)
}

fn summary(bitmap: &RoaringBitmap) -> (u64, Vec<u32>) {
    (bitmap.len(), bitmap.iter().take(FIRST_CUSTOMERS).collect())
}

fn words_summary(words: &[u64]) -> (u64, Vec<u32>) {
    let total = words.iter().map(|w| u64::from(w.count_ones())).sum();
    let mut first = Vec::new();
    for (i, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 && first.len() < FIRST_CUSTOMERS {
            let n = i * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            first.push(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if first.len() == FIRST_CUSTOMERS {
            break;
        }
    }
    (total, first)
}

fn bitmap_of(words: &[u64]) -> RoaringBitmap {
    let mut bytes = Vec::with_capacity(words.len() * 8);
    for word in words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    RoaringBitmap::from_lsb0_bytes(0, &bytes)
}

/// The sparse path: each customer of the segment tested by each filter.
fn one_by_one(base: &RoaringBitmap, tests: &[&Numeric<'_>]) -> (Vec<u64>, RoaringBitmap) {
    let mut counts = vec![0u64; tests.len()];
    let mut total = RoaringBitmap::new();
    for n in base {
        let mut all = true;
        for (test, count) in tests.iter().zip(counts.iter_mut()) {
            if test.test(n) {
                *count += 1;
            } else {
                all = false;
            }
        }
        if all {
            // The segment is walked in order, so appending never fails.
            let _ = total.try_push(n);
        }
    }
    (counts, total)
}

/// The dense path: per-test counts within `base`, and the words of the customers every test
/// lets through.
/// A span of the work: its number, the segment's words and the total's words.
type Span<'a> = (usize, (&'a [u64], &'a mut [u64]));

fn fused(base: &[u64], tests: &[&Numeric<'_>]) -> (Vec<u64>, Vec<u64>) {
    let mut total = vec![0u64; base.len()];
    let threads = threads();
    if threads < 2 || base.len() < PARALLEL_MIN_WORDS {
        let counts = fused_part(base, 0, tests, &mut total);
        return (counts, total);
    }
    // Spans taken from a shared queue rather than one half per thread: on a machine busy with
    // other work, the thread that runs more does more, and the answer waits less for the other.
    let span = base
        .len()
        .div_ceil(threads * SPANS_PER_THREAD)
        .next_multiple_of(BLOCK);
    let queue: Mutex<Vec<Span<'_>>> = Mutex::new(
        base.chunks(span)
            .zip(total.chunks_mut(span))
            .enumerate()
            .rev()
            .collect(),
    );
    let work = || {
        let mut counts = vec![0u64; tests.len()];
        loop {
            let next = match queue.lock() {
                Ok(mut queue) => queue.pop(),
                Err(_) => None,
            };
            let Some((i, (b, t))) = next else {
                return counts;
            };
            for (c, p) in counts.iter_mut().zip(fused_part(b, i * span, tests, t)) {
                *c += p;
            }
        }
    };
    let mut counts = vec![0u64; tests.len()];
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut parts = vec![work()];
        for handle in others {
            match handle.join() {
                Ok(part) => parts.push(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for part in parts {
            for (c, p) in counts.iter_mut().zip(part) {
                *c += p;
            }
        }
    });
    (counts, total)
}

fn fused_part(
    base: &[u64],
    first_word: usize,
    tests: &[&Numeric<'_>],
    total: &mut [u64],
) -> Vec<u64> {
    let mut counts = vec![0u64; tests.len()];
    let mut mask = [0u64; BLOCK];
    for (b, (base_block, total_block)) in
        base.chunks(BLOCK).zip(total.chunks_mut(BLOCK)).enumerate()
    {
        total_block.copy_from_slice(base_block);
        if base_block.iter().all(|&w| w == 0) {
            continue;
        }
        let first = first_word + b * BLOCK;
        let mask = &mut mask[..base_block.len()];
        for (test, count) in tests.iter().zip(counts.iter_mut()) {
            test.fill(first, base_block, mask);
            let mut passed = 0u64;
            for ((m, b), t) in mask.iter().zip(base_block).zip(total_block.iter_mut()) {
                let m = m & b;
                passed += u64::from(m.count_ones());
                *t &= m;
            }
            *count += passed;
        }
    }
    counts
}

fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .min(MAX_THREADS)
    })
}
