//! The organizer's web UI: server-rendered pages (askama templates compiled into the binary)
//! with htmx for the small live parts, in English, Danish and French.
//!
//! Each view is one full page and, where htmx updates part of it (search results, a job's
//! progress, a template preview), one partial template the full page includes: the handler
//! answers the partial when the request comes from htmx (`HX-Request`), the whole page
//! otherwise, so every page also works without JavaScript.
//!
//! Every form posts the session's CSRF token and is checked by [`layout::Ui::check_csrf`];
//! refused input comes back as the same form with the reason beside each field, in the
//! user's language ([`layout::FormErrors`]).

mod assets;
mod audiences;
mod auth;
mod boxoffice;
mod campaigns;
mod customers;
mod events;
pub mod i18n;
mod jobs;
pub mod layout;
mod mail;
mod segments;
mod settings;
mod storefront;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use fullhouse_core::http::AppState;

use i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(assets::router())
        .merge(auth::router())
        .merge(audiences::router())
        .merge(campaigns::router())
        .merge(events::router())
        .merge(customers::router())
        .merge(jobs::router())
        .merge(mail::router())
        .merge(segments::router())
        .merge(settings::router())
        .merge(storefront::router())
        .merge(boxoffice::router())
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    lang: Lang,
}

/// The page for an address nothing answers at (the router's fallback has no user, so English).
pub fn not_found_page() -> Response {
    (StatusCode::NOT_FOUND, NotFoundPage { lang: Lang::En }).into_response()
}
