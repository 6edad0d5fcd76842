//! Each dashboard filter as a bitmap within the segment: categorical facts are one bitmap
//! operation; numeric facts scan their column over the segment's customers only. Date-relative
//! filters read `today` at query time, so nothing ages overnight.

use chrono::NaiveDate;
use roaring::RoaringBitmap;

use super::{decode_birth, decode_purchase, OrgIndex, NO_IMPULSE};
use crate::model::*;

/// What a filter is evaluated against.
pub struct Context<'a> {
    pub index: &'a OrgIndex,
    pub today: NaiveDate,
}

/// The customers of `universe` that `filter` lets through.
pub fn matches(filter: &Filter, cx: &Context<'_>, universe: &RoaringBitmap) -> RoaringBitmap {
    let index = cx.index;
    match filter {
        Filter::Age {
            min: None,
            max: None,
        } => universe.clone(),
        Filter::Age { min, max } => {
            let (earliest, latest) = birth_range(*min, *max, cx.today);
            let (earliest, latest) = (day_number(earliest), day_number(latest));
            scan(universe, &index.birth, |b| match decode_birth(b) {
                None => true,
                Some(day) => earliest <= day && day <= latest,
            })
        }
        Filter::Gender { gender } => match gender {
            GenderChoice::Women => universe & &index.female,
            GenderChoice::Men => universe & &index.male,
            GenderChoice::Both => universe & (&index.female | &index.male),
            GenderChoice::All => universe.clone(),
        },
        Filter::Impulsive { max_days } => {
            let max = i64::from(*max_days);
            scan(universe, &index.impulse, |d| {
                d != NO_IMPULSE && i64::from(d) <= max
            })
        }
        Filter::Channel { channel } => match channel {
            ChannelChoice::Online => universe & &index.online,
            ChannelChoice::BoxOffice => universe & &index.box_office,
            ChannelChoice::Both => universe & (&index.online & &index.box_office),
            ChannelChoice::All => universe.clone(),
        },
        Filter::Subscriber { subscriber: true } => universe & &index.subscriber,
        Filter::Subscriber { subscriber: false } => universe - &index.subscriber,
        Filter::Tickets { count, mode } => count_filter(universe, &index.tickets, *count, *mode),
        Filter::Events { count, mode } => count_filter(universe, &index.events, *count, *mode),
        Filter::Orders { count, mode } => count_filter(universe, &index.orders, *count, *mode),
        Filter::Revenue { minor, mode } => {
            let (wanted, mode) = (*minor, *mode);
            scan(universe, &index.revenue, |r| {
                mode.accepts(u64::from(r), wanted)
            })
        }
        Filter::LatestPurchase { days, mode } => {
            let edge = i64::from(day_number(cx.today)) - i64::from(*days);
            let mode = *mode;
            scan(universe, &index.last_purchase, |p| {
                let last = decode_purchase(p).map(i64::from);
                match mode {
                    RecencyMode::Within => last.is_some_and(|d| d >= edge),
                    RecencyMode::Exactly => last == Some(edge),
                    RecencyMode::NotWithin => last.is_none_or(|d| d < edge),
                }
            })
        }
        Filter::Permission { permission, mode } => {
            keyed(universe, index.permissions.get(permission), *mode)
        }
        Filter::Tag { tag, mode } => keyed(universe, index.tags.get(tag), *mode),
        Filter::Distance { venue_id, max_km } => {
            let Some(&(lat0, lon0)) = index.catalog.venues.get(venue_id.as_str()) else {
                return RoaringBitmap::new();
            };
            let cos0 = lat0.to_radians().cos();
            let limit = max_km * max_km;
            scan(universe, &index.coordinates, |(lat, lon)| {
                !lat.is_nan()
                    && distance_squared(lat0, lon0, cos0, f64::from(lat), f64::from(lon)) <= limit
            })
        }
    }
}

fn count_filter(
    universe: &RoaringBitmap,
    column: &[u16],
    count: u32,
    mode: CountMode,
) -> RoaringBitmap {
    scan(universe, column, |v| {
        mode.accepts(u64::from(v), u64::from(count))
    })
}

fn keyed(
    universe: &RoaringBitmap,
    bitmap: Option<&RoaringBitmap>,
    mode: Inclusion,
) -> RoaringBitmap {
    match (mode, bitmap) {
        (Inclusion::Include, Some(b)) => universe & b,
        (Inclusion::Include, None) => RoaringBitmap::new(),
        (Inclusion::Exclude, Some(b)) => universe - b,
        (Inclusion::Exclude, None) => universe.clone(),
    }
}

/// The numbers of `universe` whose value in `column` passes `keep`. A small universe is walked
/// number by number; a large one is answered by testing the whole column front to back into a
/// dense bitset (a loop the compiler vectorizes) that becomes roaring bitmap containers directly.
fn scan<T: Copy>(
    universe: &RoaringBitmap,
    column: &[T],
    keep: impl Fn(T) -> bool,
) -> RoaringBitmap {
    if universe.len().saturating_mul(SPARSE_FACTOR) < column.len() as u64 {
        let mut out = RoaringBitmap::new();
        for n in universe {
            if let Some(&value) = column.get(n as usize) {
                if keep(value) {
                    // The universe is sorted, so appending never fails.
                    let _ = out.try_push(n);
                }
            }
        }
        return out;
    }
    let mut bytes = vec![0u8; column.len().div_ceil(8)];
    for (chunk, byte) in column.chunks(8).zip(bytes.iter_mut()) {
        let mut bits = 0u8;
        for (k, &value) in chunk.iter().enumerate() {
            bits |= u8::from(keep(value)) << k;
        }
        *byte = bits;
    }
    let mut out = RoaringBitmap::from_lsb0_bytes(0, &bytes);
    out &= universe;
    out
}

/// Below one customer in this many, walking the universe beats scanning the column.
const SPARSE_FACTOR: u64 = 16;
