//! The tracking link: `GET /r/{code}` (and `HEAD`) answers at once with a redirect to the
//! event's storefront page, the code in its address and in a first-party cookie
//! ([`fullhouse_checkout::api::REFERRAL_COOKIE`], read by the storefront when the order is
//! placed, which then records the code on the order itself), and hands the hit to the
//! [`Recorder`] without waiting for the database.
//!
//! Every hit is kept with its class and reason ([`classify`]; duplicates are the recorder's
//! call), so the organizer sees why a hit did not count; reports count unique human clicks.
//! Addresses are stored only truncated and hashed with the organization's salt ([`visitor`]).
//!
//! **What a crash can lose**: the hits queued in the recorder's channel and the batch being
//! written — at most [`recorder::CHANNEL_CAPACITY`] + [`recorder::MAX_BATCH`] hits, in practice
//! the last [`recorder::LINGER`] plus one insert's time of traffic (`fullhouse bench redirect`
//! prints the hits in flight when its load stops and how long they took to be stored). A clean
//! shutdown loses none: the drain writes everything queued before it returns, and the server
//! waits for it. The redirect and the order's record of the code do not depend on the hit:
//! a lost hit costs a click in the report, never an attribution.
//!
//! The hot path reads no database: a code's target (organization, promotion, landing page) is
//! cached for [`TARGET_TTL`] (a production's landing page follows its next event, so the cache
//! is short), and the redirect answers from memory.

pub mod classify;
pub mod recorder;
pub mod visitor;

pub use classify::classify;
pub use recorder::{Drain, Hit, Recorder, RecorderStats};

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Path};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Result};
use fullhouse_web::layout::PageError;
use fullhouse_web::Lang;

use crate::model::HitClass;
use crate::service::CodeTarget;
use crate::Referrals;

/// How long a code's target is served from memory.
pub const TARGET_TTL: Duration = Duration::from_secs(60);
/// Codes held in memory; when full, the expired go, and if that is not enough, all.
const MAX_CACHED: usize = 100_000;
/// User agents whose class is remembered; when full, all are forgotten.
const MAX_AGENTS: usize = 10_000;
/// The most of a user agent or referer stored.
pub const MAX_STORED_CHARS: usize = 512;

/// Codes' targets with when each was read.
type TargetCache = RwLock<HashMap<String, (Arc<CodeTarget>, Instant)>>;

/// User agents' classes, as [`classify::classify_agent`] gave them.
type AgentCache = Mutex<HashMap<String, (HitClass, String)>>;

/// The redirect's shared parts: the service, the target cache, the agents' classes and the
/// recorder. Provided to handlers as an `Extension` by the module's mount, so cloned for every
/// request: one reference count.
#[derive(Clone)]
pub struct Tracker(Arc<Parts>);

struct Parts {
    referrals: Referrals,
    recorder: Recorder,
    targets: TargetCache,
    agents: AgentCache,
}

impl Tracker {
    pub fn new(referrals: Referrals, recorder: Recorder) -> Self {
        Self(Arc::new(Parts {
            referrals,
            recorder,
            targets: TargetCache::default(),
            agents: AgentCache::default(),
        }))
    }

    pub fn recorder(&self) -> &Recorder {
        &self.0.recorder
    }

    /// The class of a hit: [`classify`], the user agent's part remembered (the crawler list
    /// costs tens of microseconds for a browser, which matches none of it; a link shared in a
    /// group chat is opened by the same few phone models again and again).
    pub fn classify(&self, method: &Method, headers: &HeaderMap) -> (HitClass, String) {
        if let Some(prefetch) = classify::prefetch(method, headers) {
            return prefetch;
        }
        let agent = headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .unwrap_or_default();
        let agent = classify::cut(&agent, MAX_STORED_CHARS);
        if let Some(known) = self
            .0
            .agents
            .lock()
            .ok()
            .and_then(|a| a.get(agent).cloned())
        {
            return known;
        }
        let class = classify::classify_agent(agent);
        if let Ok(mut agents) = self.0.agents.lock() {
            if agents.len() >= MAX_AGENTS {
                agents.clear();
            }
            agents.insert(agent.to_string(), class.clone());
        }
        class
    }

    /// What `code` leads to: from memory when fetched less than [`TARGET_TTL`] ago.
    pub async fn target(&self, code: &str) -> Result<Arc<CodeTarget>> {
        if let Ok(cache) = self.0.targets.read() {
            if let Some((target, at)) = cache.get(code) {
                if at.elapsed() < TARGET_TTL {
                    return Ok(target.clone());
                }
            }
        }
        let target = Arc::new(self.0.referrals.target(code).await?);
        if let Ok(mut cache) = self.0.targets.write() {
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, (_, at)| at.elapsed() < TARGET_TTL);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(code.to_string(), (target.clone(), Instant::now()));
        }
        Ok(target)
    }
}

/// `GET /r/{code}` (axum answers `HEAD` with the same handler, without a body).
pub fn router() -> Router<AppState> {
    Router::new().route("/r/{code}", get(follow))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/link_not_found.html")]
struct LinkNotFound {
    lang: Lang,
}

async fn follow(
    Extension(tracker): Extension<Tracker>,
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(code): Path<String>,
    method: Method,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    // Codes are lower case; one retyped from a poster in capitals is the same code.
    let code = code.to_ascii_lowercase();
    let target = match tracker.target(&code).await {
        Ok(target) => target,
        Err(Error::NotFound(_)) => {
            let page = LinkNotFound {
                lang: Lang::of_visitor(&headers),
            };
            return (StatusCode::NOT_FOUND, page).into_response();
        }
        Err(err) => return PageError::new(Lang::of_visitor(&headers), err).into_response(),
    };
    let (class, reason) = tracker.classify(&method, &headers);
    // No connect info only when the router is served without it (never by `fullhouse serve`):
    // the hits then share one unspecified network.
    let address = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0 .0.ip());
    tracker.0.recorder.record(Hit {
        org: target.org.clone(),
        promotion_id: target.promotion_id.clone(),
        participant_id: target.participant_id.clone(),
        at: tracker.0.referrals.now(),
        method: method.as_str().to_string(),
        class,
        reason,
        network: visitor::truncate(address),
        user_agent: text_header(&headers, header::USER_AGENT),
        referer: text_header(&headers, header::REFERER).map(|r| origin_of(&r)),
    });
    redirect(&target, state.settings.secure_cookies)
}

/// The 302 to the landing page, with the code's cookie.
fn redirect(target: &CodeTarget, secure: bool) -> Response {
    let max_age = u64::from(target.attribution_days) * 86_400;
    let cookie = format!(
        "{}={}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{}",
        fullhouse_checkout::api::REFERRAL_COOKIE,
        target.code,
        if secure { "; Secure" } else { "" }
    );
    let (Ok(location), Ok(cookie)) = (
        HeaderValue::from_str(&target.landing),
        HeaderValue::from_str(&cookie),
    ) else {
        return PageError::new(
            Lang::En,
            Error::internal(format!("landing page of {} is not a header", target.code)),
        )
        .into_response();
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::SET_COOKIE, cookie),
            // Every hit must reach us: a cached redirect would be a click never counted.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            // The page the link was shared on (a private chat's web address) is not passed on
            // to the storefront: the code says all the shop needs. (The server's outermost
            // layer sets its policy only on answers that have none.)
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
    )
        .into_response()
}

/// A header as text, cut to [`MAX_STORED_CHARS`]; `None` when absent or blank.
fn text_header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = classify::cut(text.trim(), MAX_STORED_CHARS);
    (!text.is_empty()).then(|| text.to_string())
}

/// The origin of a referer (`https://l.facebook.com`): where the click came from, without the
/// path and query that may name a person or a private conversation.
pub fn origin_of(referer: &str) -> String {
    match referer.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            // Credentials in a URL (`user:pass@host`) are not the site.
            let host = host.rsplit('@').next().unwrap_or_default();
            format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            )
        }
        None => String::from("(not a URL)"),
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn a_referer_is_kept_as_its_origin_only() {
        assert_eq!(
            origin_of("https://l.facebook.com/l.php?u=https%3A%2F%2Fx&h=AT0"),
            "https://l.facebook.com"
        );
        assert_eq!(
            origin_of("HTTPS://Mail.Example.org:8443/inbox/42#x"),
            "https://mail.example.org:8443"
        );
        assert_eq!(
            origin_of("https://ana:secret@example.org/p"),
            "https://example.org"
        );
        assert_eq!(
            origin_of("android-app://com.google.android.gm/"),
            "android-app://com.google.android.gm"
        );
        assert_eq!(origin_of("garbage"), "(not a URL)");
    }
}
