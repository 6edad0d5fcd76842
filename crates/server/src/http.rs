//! The axum router: `/api/v1` from every module, the OpenAPI document, pages, health, metrics,
//! and the layers every request passes through (tracing, limits, timeouts, panic catching).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, State};
use axum::http::{header, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fullhouse_core::auth::AccountThrottle;
use fullhouse_core::error::Error;
use fullhouse_core::http::{AppState, JSON_BODY_LIMIT};
use fullhouse_core::tenancy::api::login_rate_limited;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::openapi;

/// The API routes of every module, before they are split into a router and a document.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base_document())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(metrics))
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(fullhouse_core::tenancy::api::router())
                .merge(fullhouse_core::jobs::api::router())
                .merge(fullhouse_core::uploads::router())
                .merge(fullhouse_core::mail::api::router())
                .merge(crate::jobs::router())
                .merge(fullhouse_ticketing::api::router())
                .merge(fullhouse_checkout::api::router())
                .merge(fullhouse_audiences::api::router())
                .merge(fullhouse_audiences::campaigns::api::router())
                .merge(fullhouse_segments::api::router()),
        )
}

/// The whole application, with a segment registry of its own (whose indexes are refreshed only
/// when something runs [`fullhouse_segments::index::Registry::run_refresher`]; `start` does).
pub fn router(state: AppState) -> Router {
    let segments = fullhouse_segments::index::Registry::new(state.db.clone());
    router_with_segments(state, segments)
}

/// The whole application, counting segments with `segments`.
pub fn router_with_segments(
    state: AppState,
    segments: Arc<fullhouse_segments::index::Registry>,
) -> Router {
    let (api, document) = api_routes().split_for_parts();
    let document = openapi::finish(document);
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(document.clone()) }),
        )
        .merge(crate::pages::router())
        .layer(axum::Extension(segments))
        .layer(axum::Extension(crate::checkout_service(&state.db)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(LoginLimiter::new(), limit_login_attempts))
        .layer(middleware::from_fn(record_metrics))
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
        .with_state(state)
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

/// Prometheus metrics: request counts and latencies per route, error counts per code.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics() -> Response {
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
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: AccountThrottle,
}

impl LoginLimiter {
    fn new() -> Self {
        let per_minute = NonZeroU32::new(LOGIN_ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Self {
            per_address: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
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
            if let Err(not_until) = limiter.per_address.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return login_rate_limited("too many login attempts from your address", wait);
            }
        }
        request.extensions_mut().insert(limiter.per_account.clone());
    }
    next.run(request).await
}

async fn not_found(request: Request<Body>) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/api/") {
        Error::NotFound("route").into_response()
    } else {
        crate::pages::not_found_page().into_response()
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
