//! What the organization's time zone and currency are picked from: the IANA zones chrono-tz
//! knows, and the ISO 4217 currencies in use, the ones organizers here pick most often first.

use chrono_tz::TZ_VARIANTS;

/// Time zones people pick most often here.
pub const COMMON_TIMEZONES: [&str; 8] = [
    "Europe/Copenhagen",
    "Europe/Paris",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Stockholm",
    "Europe/Oslo",
    "America/New_York",
    "UTC",
];

/// Every IANA zone of a place (`Europe/Copenhagen`), sorted; the old aliases (`US/Eastern`,
/// `Etc/GMT+1`, `CET`) are left out, `UTC` is kept.
pub fn all_timezones() -> Vec<&'static str> {
    let mut zones: Vec<&'static str> = TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|name| {
            let area = name.split('/').next().unwrap_or_default();
            *name == "UTC"
                || (name.contains('/')
                    && matches!(
                        area,
                        "Africa"
                            | "America"
                            | "Antarctica"
                            | "Asia"
                            | "Atlantic"
                            | "Australia"
                            | "Europe"
                            | "Indian"
                            | "Pacific"
                    ))
        })
        .collect();
    zones.sort_unstable();
    zones
}

/// Currencies organizers here use most.
pub const COMMON_CURRENCIES: [&str; 7] = ["DKK", "EUR", "SEK", "NOK", "GBP", "USD", "CHF"];

/// The ISO 4217 currencies in use (no funds, metals or testing codes).
pub const CURRENCIES: [&str; 154] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pickers_offer_the_common_choices_and_only_real_codes() {
        let zones = all_timezones();
        for zone in COMMON_TIMEZONES {
            assert!(zones.contains(&zone), "{zone}");
        }
        assert!(!zones.contains(&"US/Eastern"));
        for currency in COMMON_CURRENCIES {
            assert!(CURRENCIES.contains(&currency), "{currency}");
        }
        let mut sorted = CURRENCIES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), CURRENCIES.len());
    }
}
