//! Static files compiled into the binary: our stylesheet and script, Pico CSS and htmx (both vendored from
//! npm, see `static/VENDORED.md`). They are served with a day of caching; a new binary may
//! change them, so the cache is not forever.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::AppState;

const APP_CSS: &str = include_str!("../static/app.css");
const PICO_CSS: &str = include_str!("../static/pico.min.css");
const HTMX_JS: &str = include_str!("../static/htmx.min.js");
const APP_JS: &str = include_str!("../static/app.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(|| async { css(APP_CSS) }))
        .route("/static/pico.min.css", get(|| async { css(PICO_CSS) }))
        .route("/static/htmx.min.js", get(|| async { javascript(HTMX_JS) }))
        .route("/static/app.js", get(|| async { javascript(APP_JS) }))
}

fn css(body: &'static str) -> Response {
    asset("text/css; charset=utf-8", body)
}

fn javascript(body: &'static str) -> Response {
    asset("text/javascript; charset=utf-8", body)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
