//! The pages every organization has, whatever modules run: logging in and out, the language
//! picker, unsubscribing, settings (organization, users, API tokens, mail), the Jobs page, the
//! mail outbox and the mail templates.

mod audit;
mod auth;
mod branding;
mod jobs;
mod mail;
mod pickers;
mod settings;
mod users;

pub use mail::{variable_meaning, MAIL_PREVIEW_PAGE_CSP};

use axum::Router;
use fullhouse_core::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(audit::router())
        .merge(jobs::router())
        .merge(mail::router())
        .merge(settings::router())
        .merge(users::router())
        .merge(branding::router())
}
