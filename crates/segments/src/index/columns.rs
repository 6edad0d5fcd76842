//! Column encodings narrower than the facts they hold, each with an exact path for what does not
//! fit, so the filters read fewer bytes per customer and still count exactly.

use std::collections::HashMap;

use crate::model::distance_squared;

/// Code of a small count that does not fit in a byte: look the value up in the overflow.
pub const COUNT_OVERFLOW: u8 = u8::MAX;

/// A count (tickets, events, orders) per customer in one byte: almost every customer holds fewer
/// than 255, and a filter reads a byte per customer where it would read four; the few larger
/// counts are kept exactly beside it.
#[derive(Debug, Clone, Default)]
pub struct SmallCounts {
    pub codes: Vec<u8>,
    /// Customer number → the count, for counts of 255 and more (code [`COUNT_OVERFLOW`]).
    pub overflow: HashMap<u32, u32>,
}

impl SmallCounts {
    pub fn push(&mut self) {
        self.codes.push(0);
    }

    pub fn set(&mut self, n: u32, value: u32) {
        let Some(slot) = self.codes.get_mut(n as usize) else {
            return;
        };
        match u8::try_from(value) {
            Ok(code) if code < COUNT_OVERFLOW => {
                *slot = code;
                self.overflow.remove(&n);
            }
            _ => {
                *slot = COUNT_OVERFLOW;
                self.overflow.insert(n, value);
            }
        }
    }

    /// The exact count of customer `n`.
    pub fn get(&self, n: u32) -> u32 {
        match self.codes.get(n as usize) {
            Some(&COUNT_OVERFLOW) => self.overflow.get(&n).copied().unwrap_or(0),
            Some(&code) => u32::from(code),
            None => 0,
        }
    }

    /// Bytes as the index counts them: a byte per customer, and number and value per overflow.
    pub fn size(&self) -> usize {
        self.codes.len() + self.overflow.len() * 8
    }
}

/// Minor units per revenue code: a code is a whole krone, euro or dollar.
pub const REVENUE_CODE_UNIT: u64 = 100;
/// Code of a revenue too large for the codes (65,535 or more whole units): look the value up in
/// the overflow.
pub const REVENUE_OVERFLOW: u16 = u16::MAX;

/// Revenue per customer in two bytes: the whole currency units as the code, the minor units left
/// over (0 to 99) in a byte beside it. The revenue slider moves in whole units, and for a whole
/// value "at least" is a test of the code alone, so the scan reads two bytes per customer where a
/// full value took four; a value with minor units left over (or "exactly") reads the leftover
/// byte only in the words where some customer has the one code the value falls in. The few
/// revenues past the codes are kept exactly beside them, as [`SmallCounts`] keeps its counts.
#[derive(Debug, Clone, Default)]
pub struct Revenues {
    pub codes: Vec<u16>,
    /// Minor units above the code's whole units; 0 for an overflowing revenue.
    pub leftover: Vec<u8>,
    /// Customer number → revenue in minor units, for revenues of code [`REVENUE_OVERFLOW`].
    pub overflow: HashMap<u32, u64>,
}

impl Revenues {
    pub fn push(&mut self) {
        self.codes.push(0);
        self.leftover.push(0);
    }

    pub fn set(&mut self, n: u32, minor: u64) {
        let i = n as usize;
        let (Some(code), Some(leftover)) = (self.codes.get_mut(i), self.leftover.get_mut(i)) else {
            return;
        };
        match u16::try_from(minor / REVENUE_CODE_UNIT) {
            Ok(whole) if whole < REVENUE_OVERFLOW => {
                *code = whole;
                // Below the unit, so it fits.
                *leftover = (minor % REVENUE_CODE_UNIT) as u8;
                self.overflow.remove(&n);
            }
            _ => {
                *code = REVENUE_OVERFLOW;
                *leftover = 0;
                self.overflow.insert(n, minor);
            }
        }
    }

    /// The exact revenue of customer `n`, in minor units.
    pub fn get(&self, n: u32) -> u64 {
        let i = n as usize;
        match (self.codes.get(i), self.leftover.get(i)) {
            (Some(&REVENUE_OVERFLOW), _) => self.overflow.get(&n).copied().unwrap_or(0),
            (Some(&code), Some(&leftover)) => {
                u64::from(code) * REVENUE_CODE_UNIT + u64::from(leftover)
            }
            _ => 0,
        }
    }

    /// Bytes as the index counts them: three per customer, and number and value per overflow.
    pub fn size(&self) -> usize {
        self.codes.len() * 2 + self.leftover.len() + self.overflow.len() * 12
    }
}

/// How a revenue filter reads [`Revenues`]: which codes pass for sure, which one code needs its
/// leftover minor units tested, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RevenueCut {
    /// Codes from `from` on pass; nothing is left to test (a value in whole units).
    CodesFrom { from: u16 },
    /// Codes above `code` pass; customers of `code` pass when their leftover is at least
    /// `leftover`.
    AtLeastWithin { code: u16, leftover: u8 },
    /// Customers of `code` whose leftover is exactly `leftover`.
    ExactlyWithin { code: u16, leftover: u8 },
    /// Past the codes: only the overflowing revenues are candidates, each tested exactly.
    Overflow,
}

impl RevenueCut {
    /// The cut for `wanted` minor units; `at_least` for "at least", else "exactly".
    pub fn new(wanted: u64, at_least: bool) -> Self {
        let whole = u16::try_from(wanted / REVENUE_CODE_UNIT).unwrap_or(REVENUE_OVERFLOW);
        if whole == REVENUE_OVERFLOW {
            return Self::Overflow;
        }
        // Below the unit, so it fits.
        let leftover = (wanted % REVENUE_CODE_UNIT) as u8;
        match (at_least, leftover) {
            (true, 0) => Self::CodesFrom { from: whole },
            (true, _) => Self::AtLeastWithin {
                code: whole,
                leftover,
            },
            (false, _) => Self::ExactlyWithin {
                code: whole,
                leftover,
            },
        }
    }
}

/// Distance codes per customer from one venue: `floor(256 · √km)` (below [`DISTANCE_FAR`],
/// which holds 65,000 km and more, so never a point on Earth), [`DISTANCE_UNKNOWN`] without
/// coordinates. The square root spends the resolution where "lives near the theatre" sliders
/// move: a code spans 8 m at 1 km and 80 m at 100 km, so a query passes the codes surely inside
/// the circle, drops those surely outside, and tests exactly only the few customers of the one
/// or two codes the edge runs through (reading their coordinates is a cache miss each, which
/// coarser codes made the larger part of the filter's time).
#[derive(Debug, Clone)]
pub struct VenueDistances {
    pub at: (f64, f64),
    pub codes: Vec<u16>,
}

/// Codes per square root of a kilometre.
pub const DISTANCE_SCALE: f64 = 256.0;
/// About 65,000 km or farther.
pub const DISTANCE_FAR: u16 = u16::MAX - 1;
/// No coordinates: never within any distance.
pub const DISTANCE_UNKNOWN: u16 = u16::MAX;
/// Venues given a distance column; the columns cost two bytes per customer each, so an
/// organization with more venues answers the rest by testing every customer's coordinates.
pub const MAX_VENUE_COLUMNS: usize = 8;

/// The exact test of the distance filter, shared by every path: known coordinates within
/// `limit` km².
#[derive(Debug, Clone, Copy)]
pub struct Around {
    pub lat0: f64,
    pub lon0: f64,
    pub cos0: f64,
}

impl Around {
    pub fn new((lat0, lon0): (f64, f64)) -> Self {
        Self {
            lat0,
            lon0,
            cos0: lat0.to_radians().cos(),
        }
    }

    pub fn within(&self, (lat, lon): (f64, f64), limit: f64) -> bool {
        !lat.is_nan() && distance_squared(self.lat0, self.lon0, self.cos0, lat, lon) <= limit
    }

    pub fn code(&self, (lat, lon): (f64, f64)) -> u16 {
        if lat.is_nan() {
            return DISTANCE_UNKNOWN;
        }
        let squared = distance_squared(self.lat0, self.lon0, self.cos0, lat, lon);
        let q = squared.sqrt().sqrt() * DISTANCE_SCALE;
        if q.is_nan() {
            DISTANCE_UNKNOWN
        } else if q >= f64::from(DISTANCE_FAR) {
            DISTANCE_FAR
        } else {
            // 0 ≤ q < DISTANCE_FAR: the cast floors.
            q as u16
        }
    }
}

/// How a distance query reads the codes: codes below `inside_below` are within for sure, codes
/// from `outside_from` on are not, the codes between are tested exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceCut {
    pub inside_below: u16,
    pub outside_from: u16,
}

impl DistanceCut {
    /// The cut for `limit` km². The margins of one part in a billion keep rounding in the code
    /// (a few parts in 10¹⁶) on the tested side: a code is only passed or dropped wholesale when
    /// every customer in it is certainly on that side.
    pub fn new(limit: f64) -> Self {
        let edge = limit.sqrt().sqrt() * DISTANCE_SCALE;
        // `as` saturates (and takes NaN to 0, where every code is tested and fails exactly).
        let below = (edge * (1.0 - 1e-9)).floor() as i64;
        let from = ((edge * (1.0 + 1e-9)).floor() as i64).saturating_add(1);
        Self {
            inside_below: below.clamp(0, i64::from(DISTANCE_FAR)) as u16,
            outside_from: from.clamp(0, i64::from(DISTANCE_UNKNOWN)) as u16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_255_or_more_is_kept_exactly_beside_the_byte() {
        let mut counts = SmallCounts::default();
        for _ in 0..3 {
            counts.push();
        }
        counts.set(0, 254);
        counts.set(1, 255);
        counts.set(2, 70_000);
        assert_eq!(counts.codes, vec![254, COUNT_OVERFLOW, COUNT_OVERFLOW]);
        assert_eq!(
            (counts.get(0), counts.get(1), counts.get(2)),
            (254, 255, 70_000)
        );
        counts.set(2, 3);
        assert_eq!((counts.get(2), counts.overflow.len()), (3, 1));
    }

    #[test]
    fn a_revenue_is_kept_exactly_in_two_bytes_and_a_leftover_or_beside_them() {
        let values = [
            0,
            99,
            100,
            6_553_399,
            6_553_400,
            6_553_499,
            6_553_500,
            5_000_000_000,
            u64::MAX,
        ];
        let mut revenues = Revenues::default();
        for (n, &value) in values.iter().enumerate() {
            revenues.push();
            revenues.set(n as u32, value);
        }
        assert_eq!(
            revenues.codes,
            vec![
                0,
                0,
                1,
                65_533,
                65_534,
                65_534,
                REVENUE_OVERFLOW,
                REVENUE_OVERFLOW,
                REVENUE_OVERFLOW
            ]
        );
        assert_eq!(revenues.leftover, vec![0, 99, 0, 99, 0, 99, 0, 0, 0]);
        let read: Vec<u64> = (0..values.len() as u32).map(|n| revenues.get(n)).collect();
        assert_eq!(read, values);
        assert_eq!(revenues.overflow.len(), 3);
        revenues.set(7, 250);
        assert_eq!((revenues.get(7), revenues.overflow.len()), (250, 2));
        assert_eq!(revenues.get(99), 0);
    }

    #[test]
    fn a_revenue_cut_tests_leftovers_only_for_a_value_between_whole_units() {
        assert_eq!(
            RevenueCut::new(50_000, true),
            RevenueCut::CodesFrom { from: 500 }
        );
        assert_eq!(
            RevenueCut::new(50_001, true),
            RevenueCut::AtLeastWithin {
                code: 500,
                leftover: 1
            }
        );
        assert_eq!(
            RevenueCut::new(50_000, false),
            RevenueCut::ExactlyWithin {
                code: 500,
                leftover: 0
            }
        );
        assert_eq!(
            RevenueCut::new(6_553_499, true),
            RevenueCut::AtLeastWithin {
                code: 65_534,
                leftover: 99
            }
        );
        assert_eq!(RevenueCut::new(6_553_500, true), RevenueCut::Overflow);
        assert_eq!(RevenueCut::new(6_553_500, false), RevenueCut::Overflow);
        assert_eq!(RevenueCut::new(u64::MAX, true), RevenueCut::Overflow);
    }

    #[test]
    fn a_distance_cut_never_passes_or_drops_a_code_it_is_unsure_of() {
        let around = Around::new((55.68, 12.57));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1_000_000) as f64 / 1_000_000.0
        };
        for _ in 0..20_000 {
            let at = (
                54.0 + 4.0 * next(),
                7.0 + 8.0 * next() + if next() < 0.01 { 160.0 } else { 0.0 },
            );
            let code = around.code(at);
            for km in [
                0.0, 0.3, 1.0, 7.5, 50.0, 99.9, 100.0, 250.0, 1_500.0, 20_000.0, 70_000.0,
            ] {
                let limit = km * km;
                let cut = DistanceCut::new(limit);
                let exact = around.within(at, limit);
                if code < cut.inside_below {
                    assert!(exact, "{at:?} code {code} passed at {km} km");
                }
                if code >= cut.outside_from {
                    assert!(!exact, "{at:?} code {code} dropped at {km} km");
                }
            }
        }
        assert_eq!(around.code((f64::NAN, 1.0)), DISTANCE_UNKNOWN);
        assert_eq!(DistanceCut::new(f64::NAN).outside_from, 1);
        assert_eq!(DistanceCut::new(f64::INFINITY).inside_below, DISTANCE_FAR);
    }
}
