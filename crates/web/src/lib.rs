//! What every module's pages share, below the modules: the layout and navigation ([`layout`]),
//! the languages ([`i18n`]), static assets ([`assets`]), the CSRF-checked form extractor and
//! the page-or-htmx-partial helper ([`form`]), and server-rendered SVG charts ([`chart`]).
//!
//! Pages are server-rendered askama templates with htmx for the small live parts. Each module
//! crate owns its pages, templates and locale strings; its `askama.toml` lists this crate's
//! `templates` directory after its own, so its templates extend `pages/layout.html` (behind
//! the login) or `base.html` (public pages).
//!
//! Each view is one full page and, where htmx updates part of it, one partial template the full
//! page includes: [`form::page_or_partial`] answers the partial to htmx and the whole page
//! otherwise, so every page also works without JavaScript. Refused input comes back as the same
//! form with the reason beside each field, in the user's language ([`layout::FormErrors`]).

pub mod assets;
pub mod chart;
pub mod form;
pub mod i18n;
pub mod layout;
pub mod pages;
pub mod platform;

pub use form::{page_or_partial, vary_on_htmx, CsrfForm};
pub use i18n::Lang;
pub use layout::{FormErrors, Navigation, PageError, Ui};
pub use platform::Platform;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    lang: Lang,
}

/// The page for an address nothing answers at (the router's fallback has no user, so English).
pub fn not_found_page() -> Response {
    (StatusCode::NOT_FOUND, NotFoundPage { lang: Lang::En }).into_response()
}
