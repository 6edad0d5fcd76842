//! Time for the demo: Copenhagen wall-clock times without a time-zone database, and the ULIDs
//! of generated rows.
//!
//! The demo schedules performances "at 19:30 in Copenhagen", so it needs the Danish offset.
//! Denmark follows the EU rule (summer time from the last Sunday of March to the last Sunday of
//! October), which is all a generator of evening performances needs; no tz crate is pulled in
//! for it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// The last `weekday` of `month` in `year`.
fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(NaiveDate::MIN);
    let mut day = first_of_next - Duration::days(1);
    while day.weekday() != weekday {
        day -= Duration::days(1);
    }
    day
}

/// Copenhagen's offset from UTC in hours during the daytime and evening of `date` (the clock
/// changes at night, so a whole afternoon and evening share one offset).
pub fn copenhagen_offset_hours(date: NaiveDate) -> i64 {
    let summer_starts = last_weekday_of_month(date.year(), 3, Weekday::Sun);
    let summer_ends = last_weekday_of_month(date.year(), 10, Weekday::Sun);
    if date >= summer_starts && date < summer_ends {
        2
    } else {
        1
    }
}

/// The UTC instant of `hour:minute` Copenhagen time on `date` (a daytime or evening time).
pub fn copenhagen(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN));
    Utc.from_utc_datetime(&local) - Duration::hours(copenhagen_offset_hours(date))
}

/// The Copenhagen calendar date of `instant`.
pub fn copenhagen_date(instant: DateTime<Utc>) -> NaiveDate {
    let guess = instant.date_naive();
    (instant + Duration::hours(copenhagen_offset_hours(guess))).date_naive()
}

/// A ULID whose time part is `at`: ids of generated rows sort like their creation times, as
/// ids made by the services do, and the same seed gives the same ids.
pub fn ulid_id(prefix: &str, at: DateTime<Utc>, randomness: u128) -> String {
    const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = u128::from(at.timestamp_millis().max(0) as u64 & 0xFFFF_FFFF_FFFF);
    let value = (millis << 80) | (randomness & ((1u128 << 80) - 1));
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    for position in 0..26 {
        let shift = 125 - 5 * position;
        let digit = ((value >> shift) & 31) as usize;
        id.push(char::from(CROCKFORD[digit]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::CustomerId;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn copenhagen_is_utc_plus_two_in_summer_and_plus_one_in_winter() {
        assert_eq!(
            copenhagen(date(2025, 7, 1), 19, 30).to_rfc3339(),
            "2025-07-01T17:30:00+00:00"
        );
        assert_eq!(
            copenhagen(date(2025, 1, 15), 19, 30).to_rfc3339(),
            "2025-01-15T18:30:00+00:00"
        );
        // 2025's summer time ran from 30 March to 26 October.
        assert_eq!(copenhagen_offset_hours(date(2025, 3, 29)), 1);
        assert_eq!(copenhagen_offset_hours(date(2025, 3, 30)), 2);
        assert_eq!(copenhagen_offset_hours(date(2025, 10, 25)), 2);
        assert_eq!(copenhagen_offset_hours(date(2025, 10, 26)), 1);
    }

    #[test]
    fn generated_ulids_parse_as_ids_and_sort_by_time() {
        let early = Utc
            .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
            .single()
            .expect("time");
        let later = early + Duration::milliseconds(1);
        let a = ulid_id("cus", early, u128::MAX);
        let b = ulid_id("cus", later, 0);
        assert!(a < b);
        assert_eq!(
            CustomerId::parse(&a).map(|id| id.into_string()).ok(),
            Some(a)
        );
    }
}
