//! What a hit on a tracking link is, from its method and headers alone (no I/O, no state): the
//! first rule that matches decides, most specific first.
//!
//! 1. `HEAD`, or a browser's prefetch or preview header → [`HitClass::Prefetch`]. X/Twitter
//!    alone sends three `HEAD`s per share; a browser that prefetches a link the reader only
//!    hovered has not been followed.
//! 2. No user agent → [`HitClass::Bot`]: every browser sends one.
//! 3. A chat or social app drawing the link's card ([`PREVIEWERS`]) → [`HitClass::Preview`],
//!    the app's name as the reason. Before the crawler list, which names most of these apps
//!    as crawlers: the organizer should read "WhatsApp preview", not "crawler".
//! 4. A mail security scanner ([`SCANNERS`]) → [`HitClass::Scanner`]: these open every link
//!    of a mail before (or instead of) the reader.
//! 5. A crawler on the maintained Crawlerdex list (the `iscrawl` crate) →
//!    [`HitClass::Bot`] with the pattern that matched; then `iscrawl`'s heuristic (a crawler
//!    word, or no browser engine at all: `curl`, `python-requests`) as a last net.
//! 6. Anything else → [`HitClass::Human`]. Whether a human hit is a [`HitClass::Duplicate`]
//!    needs the hits before it, so the recorder decides that.
//!
//! The two lists are ours because no crate keeps them: crawler lists either leave chat apps
//! and mail scanners out or call them all "bot", and the point here is the reason.

use axum::http::{HeaderMap, Method};

use crate::model::HitClass;

/// The most of a user agent the rules read: real browsers' fit in 300 bytes; a longer one is
/// judged by its start (and stored cut to [`super::MAX_STORED_CHARS`]).
const MAX_READ: usize = 512;

/// Chat and social apps that fetch a shared link to draw its card: (lower-case fragment of
/// the user agent, the app's name). Sources: each app's documentation of its fetcher, and
/// user agents seen in access logs (the unit tests hold one real string per entry).
pub const PREVIEWERS: &[(&str, &str)] = &[
    // Apps that borrow another's name come before it: Telegram says "like TwitterBot", LINE
    // sends "facebookexternalhit/1.1;line-poker/1.0".
    ("telegrambot", "Telegram"),
    ("line-poker", "LINE"),
    ("kakaotalk-scrap", "KakaoTalk"),
    ("slackbot-linkexpanding", "Slack"),
    ("slack-imgproxy", "Slack"),
    ("slackbot", "Slack"),
    ("discordbot", "Discord"),
    ("linkedinbot", "LinkedIn"),
    ("mastodon/", "Mastodon"),
    ("pleroma", "Pleroma"),
    ("misskey", "Misskey"),
    ("bluesky cardyb", "Bluesky"),
    ("skypeuripreview", "Microsoft Teams / Skype"),
    ("microsoftpreview", "Microsoft Teams / Skype"),
    ("pinterest", "Pinterest"),
    ("applebot", "Apple"),
    ("viber", "Viber"),
    ("snapchat", "Snapchat"),
    ("redditbot", "Reddit"),
    ("vkshare", "VK"),
    ("google-pagerenderer", "Google Chat"),
    ("embedly", "Embedly"),
    ("iframely", "Iframely"),
    // Signal fetches previews on the phone with WhatsApp's user agent: it reads as WhatsApp.
    ("whatsapp", "WhatsApp"),
    ("facebookexternalhit", "Facebook"),
    ("facebot", "Facebook"),
    ("facebookcatalog", "Facebook"),
    ("twitterbot", "X (Twitter)"),
];

/// Mail security scanners and mail proxies that open links in mails on the reader's behalf:
/// (lower-case fragment of the user agent, the scanner's name).
pub const SCANNERS: &[(&str, &str)] = &[
    ("bingpreview", "Microsoft Defender Safe Links"),
    (
        "microsoft office existence discovery",
        "Microsoft Office link check",
    ),
    ("ms-office; msoffice", "Microsoft Office link check"),
    ("googleimageproxy", "Gmail proxy"),
    ("google-safety", "Google Safe Browsing"),
    ("yahoomailproxy", "Yahoo Mail proxy"),
    ("proofpoint", "Proofpoint"),
    ("mimecast", "Mimecast"),
    ("barracuda", "Barracuda"),
    ("messagelabs", "Symantec / Broadcom"),
    ("symantec", "Symantec / Broadcom"),
    ("ironport", "Cisco IronPort"),
    ("cisco secure email", "Cisco Secure Email"),
    ("trend micro", "Trend Micro"),
    ("trendmicro", "Trend Micro"),
    ("fortiguard", "Fortinet"),
    ("fortimail", "Fortinet"),
    ("sophos", "Sophos"),
    ("avanan", "Check Point"),
    ("check point", "Check Point"),
    ("zscaler", "Zscaler"),
    ("forcepoint", "Forcepoint"),
    ("paloalto", "Palo Alto Networks"),
    ("hornetsecurity", "Hornetsecurity"),
    ("spamtitan", "SpamTitan"),
];

/// The class of a hit and why, in English for the organizer's hit list (the reason names an
/// app or a rule; the page translates the class).
pub fn classify(method: &Method, headers: &HeaderMap) -> (HitClass, String) {
    if let Some(prefetch) = prefetch(method, headers) {
        return prefetch;
    }
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default();
    classify_agent(&agent)
}

/// Rule 1 alone: a `HEAD` or a prefetch, whatever the user agent.
pub fn prefetch(method: &Method, headers: &HeaderMap) -> Option<(HitClass, String)> {
    if *method == Method::HEAD {
        return Some((HitClass::Prefetch, "HEAD request".into()));
    }
    prefetch_header(headers).map(|reason| (HitClass::Prefetch, reason.into()))
}

/// Rules 2 to 6: what the user agent alone says. It depends on nothing else, so the redirect
/// may keep its answers for the agents it sees again.
pub fn classify_agent(agent: &str) -> (HitClass, String) {
    let agent = agent.trim();
    if agent.is_empty() {
        return (HitClass::Bot, "no user agent".into());
    }
    let agent = cut(agent, MAX_READ);
    let lower = agent.to_ascii_lowercase();
    // iMessage sends all three tokens at once, in a Safari user agent.
    if lower.contains("facebookexternalhit")
        && lower.contains("facebot")
        && lower.contains("twitterbot")
    {
        return (HitClass::Preview, "iMessage".into());
    }
    if let Some((_, app)) = PREVIEWERS.iter().find(|(token, _)| lower.contains(token)) {
        return (HitClass::Preview, (*app).into());
    }
    if let Some((_, scanner)) = SCANNERS.iter().find(|(token, _)| lower.contains(token)) {
        return (HitClass::Scanner, (*scanner).into());
    }
    if let Some(crawler) = iscrawl::crawler_info(agent) {
        return (
            HitClass::Bot,
            format!("crawler: {}", crawler.pattern.replace('\\', "")),
        );
    }
    if iscrawl::is_crawler(agent) {
        return (HitClass::Bot, "crawler: not a browser".into());
    }
    (HitClass::Human, "browser".into())
}

/// The prefetch or preview header a browser sends when no one has clicked yet.
fn prefetch_header(headers: &HeaderMap) -> Option<&'static str> {
    let has = |name: &str, word: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains(word))
    };
    if has("sec-purpose", "prefetch") || has("sec-purpose", "prerender") {
        Some("browser prefetch (Sec-Purpose)")
    } else if has("purpose", "prefetch") {
        Some("browser prefetch (Purpose)")
    } else if has("x-moz", "prefetch") {
        Some("browser prefetch (X-Moz)")
    } else if has("x-purpose", "preview") {
        Some("browser preview (X-Purpose)")
    } else {
        None
    }
}

/// `value` cut to at most `max` bytes, on a character boundary.
pub(crate) fn cut(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ua(agent: &str) -> (HitClass, String) {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::USER_AGENT,
            HeaderValue::from_bytes(agent.as_bytes()).expect("header"),
        );
        classify(&Method::GET, &headers)
    }

    /// Real user agents, one or more per rule, with the class and reason each must get.
    const CASES: &[(&str, HitClass, &str)] = &[
        // People.
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", HitClass::Human, "browser"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", HitClass::Human, "browser"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", HitClass::Human, "browser"),
        ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36", HitClass::Human, "browser"),
        // Facebook's and Instagram's in-app browsers are people reading the post.
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.35.110;FBBV/556370416;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBID/phone;FBLC/da_DK;FBOP/5]", HitClass::Human, "browser"),
        ("Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 Instagram 301.0.0.29.124 Android", HitClass::Human, "browser"),
        // Link previews.
        ("WhatsApp/2.23.20.0 A", HitClass::Preview, "WhatsApp"),
        ("WhatsApp/2.2343.3 i", HitClass::Preview, "WhatsApp"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0", HitClass::Preview, "iMessage"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", HitClass::Preview, "Facebook"),
        ("Twitterbot/1.0", HitClass::Preview, "X (Twitter)"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", HitClass::Preview, "Slack"),
        ("Slack-ImgProxy (+https://api.slack.com/robots)", HitClass::Preview, "Slack"),
        ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", HitClass::Preview, "Discord"),
        ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", HitClass::Preview, "LinkedIn"),
        ("TelegramBot (like TwitterBot)", HitClass::Preview, "Telegram"),
        ("facebookexternalhit/1.1;line-poker/1.0", HitClass::Preview, "LINE"),
        ("Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/)", HitClass::Preview, "Mastodon"),
        ("Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com", HitClass::Preview, "Microsoft Teams / Skype"),
        ("Pinterest/0.2 (+https://www.pinterest.com/bot.html)", HitClass::Preview, "Pinterest"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", HitClass::Preview, "Apple"),
        ("Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)", HitClass::Preview, "Bluesky"),
        // Mail security scanners.
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b", HitClass::Scanner, "Microsoft Defender Safe Links"),
        ("Mozilla/4.0 (compatible; ms-office; MSOffice 16)", HitClass::Scanner, "Microsoft Office link check"),
        ("Microsoft Office Existence Discovery", HitClass::Scanner, "Microsoft Office link check"),
        ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", HitClass::Scanner, "Gmail proxy"),
        ("Proofpoint URL Defense", HitClass::Scanner, "Proofpoint"),
        ("Mimecast URL Protect", HitClass::Scanner, "Mimecast"),
        ("Barracuda Sentinel (EE)", HitClass::Scanner, "Barracuda"),
        ("Trend Micro Email Security", HitClass::Scanner, "Trend Micro"),
        // Crawlers and scripts.
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", HitClass::Bot, "crawler: Googlebot/"),
        ("curl/8.5.0", HitClass::Bot, "crawler: curl"),
        ("python-requests/2.31.0", HitClass::Bot, "crawler: python-requests"),
    ];

    #[test]
    fn every_real_user_agent_gets_its_class_and_reason() {
        for (agent, class, reason) in CASES {
            let (got, why) = ua(agent);
            assert_eq!(got, *class, "{agent}: {why}");
            if class == &HitClass::Bot {
                assert!(why.starts_with("crawler: "), "{agent}: {why}");
                assert!(
                    why.to_lowercase()
                        .contains(&reason["crawler: ".len()..].to_lowercase())
                        || why == "crawler: not a browser",
                    "{agent}: {why}"
                );
            } else {
                assert_eq!(why, *reason, "{agent}");
            }
        }
    }

    #[test]
    fn head_and_prefetch_requests_are_prefetch_whatever_the_agent() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::USER_AGENT,
            HeaderValue::from_static(chrome),
        );
        assert_eq!(
            classify(&Method::HEAD, &headers),
            (HitClass::Prefetch, "HEAD request".into())
        );
        for (name, value, reason) in [
            ("sec-purpose", "prefetch", "browser prefetch (Sec-Purpose)"),
            (
                "sec-purpose",
                "prefetch;prerender",
                "browser prefetch (Sec-Purpose)",
            ),
            ("purpose", "prefetch", "browser prefetch (Purpose)"),
            ("x-moz", "prefetch", "browser prefetch (X-Moz)"),
            ("x-purpose", "preview", "browser preview (X-Purpose)"),
        ] {
            let mut with = headers.clone();
            with.insert(name, HeaderValue::from_static(value));
            assert_eq!(
                classify(&Method::GET, &with),
                (HitClass::Prefetch, reason.to_string()),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn a_missing_or_blank_user_agent_is_a_bot() {
        assert_eq!(
            classify(&Method::GET, &HeaderMap::new()),
            (HitClass::Bot, "no user agent".into())
        );
        assert_eq!(ua("   "), (HitClass::Bot, "no user agent".into()));
    }

    #[test]
    fn a_huge_user_agent_is_read_by_its_start_without_panicking() {
        let long = format!("Mozilla/5.0 (X11; Linux x86_64) {}", "é".repeat(2_000));
        let (class, _) = ua(&long);
        assert_ne!(class, HitClass::Duplicate);
        assert_eq!(cut("abcé", 4), "abc");
    }
}
