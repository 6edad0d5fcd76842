//! The rules of buyer sign-in, without I/O: how long a link and a session live, the cookie, and
//! which addresses a buyer may be sent back to after signing in.

use chrono::Duration;

/// A mailed link works this long, once.
pub const LINK_MINUTES: i64 = 15;
/// A buyer stays signed in to a shop this long (or until they sign out).
pub const SESSION_DAYS: i64 = 30;
/// The buyer's session cookie: its own name, so no organizer extractor ever reads it, and a
/// token prefix no organizer credential has.
pub const BUYER_COOKIE: &str = "fullhouse_buyer";
/// Prefix of buyer-session tokens (organizer sessions are `fhs_`, API tokens `fht_`).
pub const SESSION_PREFIX: &str = "fhb_";
/// Prefix of sign-in link tokens.
pub const LINK_PREFIX: &str = "fhl_";
/// Sign-in links asked for one address per hour: enough for a lost mail or two, too few to
/// flood someone's inbox.
pub const LINKS_PER_ADDRESS_PER_HOUR: u32 = 5;
/// Sign-in links asked for from one client address per hour (a venue's shared Wi-Fi is one).
pub const LINKS_PER_CLIENT_PER_HOUR: u32 = 30;
/// The longest `return_to` kept (a basket of seats fits many times over).
pub const RETURN_TO_MAX: usize = 4000;

pub fn link_lifetime() -> Duration {
    Duration::minutes(LINK_MINUTES)
}

pub fn session_lifetime() -> Duration {
    Duration::days(SESSION_DAYS)
}

/// Where a buyer may be sent back to after signing in to `shop`: a path of that shop only
/// (`/shop/{shop}` or below it, with a query), never another site, another shop or a path that
/// a browser could read as another host (`//evil`, `/\evil`). `None` when `wanted` is not one.
pub fn safe_return_to(shop: &str, wanted: &str) -> Option<String> {
    let wanted = wanted.trim();
    if wanted.is_empty()
        || wanted.len() > RETURN_TO_MAX
        || wanted.chars().any(|c| c.is_control() || c == '\\')
    {
        return None;
    }
    let base = format!("/shop/{shop}");
    let rest = wanted.strip_prefix(&base)?;
    let (path, _query) = rest.split_once('?').unwrap_or((rest, ""));
    let path_ok = path.is_empty()
        || (path.starts_with('/')
            && !path.contains("//")
            && !path
                .split('/')
                .any(|segment| segment == ".." || segment == "."));
    if !path_ok || rest.starts_with('#') || path.contains('#') {
        return None;
    }
    Some(wanted.to_string())
}

/// An address as links and customers are matched on it: trimmed, lower case.
pub fn normalized_email(typed: &str) -> String {
    typed.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_the_same_shop_are_kept_with_their_query() {
        for ok in [
            "/shop/royal",
            "/shop/royal/",
            "/shop/royal/events/evt_1?seat=a:b&codes=X",
            "/shop/royal?lang=da",
            "/shop/royal/my-tickets",
        ] {
            assert_eq!(safe_return_to("royal", ok).as_deref(), Some(ok), "{ok}");
        }
    }

    #[test]
    fn other_sites_other_shops_and_tricky_paths_are_refused() {
        for bad in [
            "",
            "https://evil.example/shop/royal",
            "//evil.example/shop/royal",
            "/\\evil.example",
            "/shop/royalty/events/1",
            "/shop/other/events/1",
            "/shop/royal//evil.example",
            "/shop/royal/../../admin",
            "/shop/royal/./x",
            "/shop/royal\\@evil.example",
            "/shop/royal/events\n/x",
            "javascript:alert(1)",
            "/dashboard",
        ] {
            assert_eq!(safe_return_to("royal", bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_return_address_longer_than_the_limit_is_refused() {
        let long = format!("/shop/royal/events/e?codes={}", "A".repeat(RETURN_TO_MAX));
        assert_eq!(safe_return_to("royal", &long), None);
    }
}
