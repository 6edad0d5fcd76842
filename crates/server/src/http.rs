//! The axum router: `/api/v1` from every module, the OpenAPI document, pages, health, metrics,
//! and the layers every request passes through (tracing, limits, timeouts, panic catching).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::OptionalFromRequestParts;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fullhouse_core::auth::AccountThrottle;
use fullhouse_core::error::Error;
use fullhouse_core::http::{AppState, JSON_BODY_LIMIT};
use fullhouse_core::jobs::JobRegistry;
use fullhouse_core::module::{self, BackgroundTask};
use fullhouse_core::rate_limit::KeyedLimit;
use fullhouse_core::tenancy::api::login_rate_limited;
use fullhouse_core::Caller;
use fullhouse_web::{Lang, Navigation};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of every module (and the server's own health and metrics), before they are
/// split into a router and a document.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(fullhouse_core::openapi::base_document())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(metrics))
        .nest("/api/v1", module::api_of(&crate::modules()))
}

/// The whole application with every module of [`crate::modules`] mounted, the background
/// tasks the modules asked for (not started), and the job registry.
pub fn assemble(state: AppState) -> (Router, Vec<BackgroundTask>, JobRegistry) {
    let modules = crate::modules();
    for m in &modules {
        if let Err(problem) = fullhouse_web::i18n::install(m.locales()) {
            tracing::error!(module = m.name(), %problem, "locale files refused");
        }
    }
    let navigation = Navigation::new(modules.iter().flat_map(|m| m.nav()).collect());
    let mut mounted = module::mount_all(&modules, state.clone());
    let (api, document) = api_routes().split_for_parts();
    let document = fullhouse_core::openapi::finish(document);
    let app = Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(document.clone()) }),
        )
        .merge(module::pages_of(&modules));
    let app = mounted
        .apply_services(app)
        .layer(axum::Extension(navigation));
    let tasks = std::mem::take(&mut mounted.tasks);
    (with_layers(app, state), tasks, mounted.jobs)
}

/// The whole application; its background tasks (the segment index refresher among them) are
/// not started: [`crate::start`] starts them.
pub fn router(state: AppState) -> Router {
    assemble(state).0
}

/// The layers every request passes through.
fn with_layers(app: Router<AppState>, state: AppState) -> Router {
    app
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(LoginLimiter::new(), limit_login_attempts))
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn_with_state(
            state.settings.secure_cookies,
            secure_cookies,
        ))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(300),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Headers every answer carries, errors and 404s included (these layers are outermost):
        // no MIME sniffing, no framing (clickjacking of the settings pages), no full URLs in
        // `Referer`, and a Content-Security-Policy chosen by the answer's content type.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // A page whose address holds a secret (a sign-in link, a progress token, a tracking
        // redirect) asks for `no-referrer` itself; this layer must not weaken it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // A page that needs a policy of its own (the mail preview) sets it; every other answer
        // gets one here.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy,
        ))
        .with_state(state)
}

/// The Content-Security-Policy of HTML pages: only this site's own scripts, styles and images
/// (and `data:` images), no inline script or style, no plugins, forms post only here, and no
/// framing.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";
/// The Content-Security-Policy of every other answer (JSON, CSV, CSS, scripts): nothing may
/// run or load from it, should a browser ever render one as a document.
pub const OTHER_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

fn content_security_policy(response: &Response) -> Option<HeaderValue> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    Some(HeaderValue::from_static(if is_html {
        PAGE_CSP
    } else {
        OTHER_CSP
    }))
}

/// Liveness and readiness: answers 200 when the database does, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "the server and its database answer"), (status = 503, description = "the database does not answer")))]
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}

/// The process-wide Prometheus recorder (installed once, even when tests start many servers).
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(err) => {
                tracing::warn!(error = %err, "metrics recorder not installed");
                None
            }
        })
        .as_ref()
}

/// Prometheus metrics: request counts and latencies per route, error counts per code. With
/// `--metrics-token` set, only `Authorization: Bearer <that token>` gets them; without it, only
/// clients on loopback (a scraper on the same host) do, and everyone else a 404.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, description = "the metrics token is missing or wrong"),
        (status = 404, description = "no metrics token is set and the client is not on loopback")))]
async fn metrics(State(state): State<AppState>, request: Request<Body>) -> Response {
    match &state.settings.metrics_token {
        Some(expected) => {
            let sent = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or_default();
            if !same_secret(sent.as_bytes(), expected.as_bytes()) {
                return Error::Unauthorized("send `Authorization: Bearer <metrics token>`")
                    .into_response();
            }
        }
        None => {
            let loopback = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
            if !loopback {
                return not_found_for("/metrics");
            }
        }
    }
    match prometheus() {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => Error::internal("metrics are not available").into_response(),
    }
}

/// Counts requests and their latency per route template (never per raw path: ids would explode
/// the label set).
async fn record_metrics(request: Request<Body>, next: Next) -> Response {
    let _ = prometheus();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("fullhouse_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("fullhouse_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Login attempts allowed per client address and minute before answers turn to 429.
const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 10;

/// Password guessing is slowed twice: per client address here (every login request counts), and
/// per account by the [`AccountThrottle`] this layer hands to the login handlers (failed logins
/// of one email, from any address: guesses spread over many addresses stop too). Each router
/// has its own limiters, so test servers in one process do not share a budget.
#[derive(Clone)]
struct LoginLimiter {
    per_address: Arc<KeyedLimit<IpAddr>>,
    per_account: AccountThrottle,
}

impl LoginLimiter {
    fn new() -> Self {
        Self {
            per_address: KeyedLimit::per_minute(LOGIN_ATTEMPTS_PER_MINUTE),
            per_account: AccountThrottle::new(),
        }
    }
}

async fn limit_login_attempts(
    State(limiter): State<LoginLimiter>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let is_login = request.method() == axum::http::Method::POST
        && matches!(request.uri().path(), "/api/v1/auth/login" | "/login");
    if is_login {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = client {
            if let Err(wait) = limiter.per_address.spend_one(&ip) {
                return login_rate_limited("too many login attempts from your address", wait);
            }
        }
        request.extensions_mut().insert(limiter.per_account.clone());
    }
    next.run(request).await
}

/// Compares two secrets in time that depends on their lengths only, not on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// With `--secure-cookies`, every cookie any handler sets is marked `Secure`, so no cookie (the
/// shop session, the login form's CSRF token, the language) can leak over plain HTTP.
async fn secure_cookies(
    State(secure): State<bool>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if secure {
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        if !cookies.is_empty() {
            headers.remove(header::SET_COOKIE);
            for cookie in cookies {
                headers.append(header::SET_COOKIE, marked_secure(cookie));
            }
        }
    }
    response
}

fn marked_secure(cookie: HeaderValue) -> HeaderValue {
    let already = cookie.to_str().map_or(true, |v| {
        v.split(';')
            .skip(1)
            .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"))
    });
    if already {
        return cookie;
    }
    let mut value = cookie.as_bytes().to_vec();
    value.extend_from_slice(b"; Secure");
    HeaderValue::from_bytes(&value).unwrap_or(cookie)
}

/// A 404: JSON for the API; for a page, the page in the language of whoever asks (the logged-in
/// user's, else the one the visitor chose or their browser asks for).
async fn not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/api/") || path == "/metrics" {
        return not_found_for(&path);
    }
    let (mut parts, _) = request.into_parts();
    let caller =
        <Caller as OptionalFromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
            .await
            .ok()
            .flatten();
    let lang = match caller {
        Some(caller) => Lang::from_stored(&caller.language),
        None => Lang::of_visitor(&parts.headers),
    };
    fullhouse_web::not_found_page_in(lang)
}

fn not_found_for(path: &str) -> Response {
    if path.starts_with("/api/") || path == "/metrics" {
        Error::NotFound("route").into_response()
    } else {
        fullhouse_web::not_found_page().into_response()
    }
}

async fn method_not_allowed(request: Request<Body>) -> Response {
    Error::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    ))
    .into_response()
}

/// A panic is a bug; the caller still gets the one error shape, never a dropped connection.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Error::internal("handler panicked").into_response()
}
