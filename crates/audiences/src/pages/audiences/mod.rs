//! Promote → Audiences: the list (search, create blank), an audience's page (members with search,
//! add, edit, delete; export as CSV or XLSX), the upload screen (file → a drop-down per column,
//! the header-rows choice and a live preview of the first rows → import as a job) and the
//! generator (random codes from a pattern, or past events' barcodes or ticket holders).

mod detail;
mod generate;
mod list;
mod upload;

use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::Error;
use fullhouse_web::{FormErrors, PageError, Ui};
use serde::Deserialize;

use crate::{AudienceId, AudienceService};

const PAGE_SIZE: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audiences", get(list::list).post(list::create))
        .route(
            "/audiences/upload",
            get(upload::upload_form).post(upload::upload),
        )
        .route(
            "/audiences/upload/{upload}",
            get(upload::mapping).post(upload::start),
        )
        .route("/audiences/upload/{upload}/preview", post(upload::preview))
        .route(
            "/audiences/generate",
            get(generate::generate_form).post(generate::generate),
        )
        .route("/audiences/{id}", get(detail::detail).post(detail::rename))
        .route("/audiences/{id}/delete", post(detail::delete))
        .route("/audiences/{id}/export", get(detail::export))
        .route("/audiences/{id}/members", post(detail::add_member))
        .route(
            "/audiences/{id}/members/{member}",
            get(detail::edit_member).post(detail::save_member),
        )
        .route(
            "/audiences/{id}/members/{member}/delete",
            post(detail::delete_member),
        )
}

fn service(state: &AppState) -> AudienceService {
    AudienceService::new(state.db.clone())
}

fn audience_id(ui: &Ui, raw: &str) -> Result<AudienceId, PageError> {
    AudienceId::parse(raw).map_err(|_| ui.error(Error::NotFound("audience")))
}

/// A form's refusal to show beside its fields, or the error page for anything else.
fn refused(ui: &Ui, err: Error) -> Result<FormErrors, PageError> {
    match err {
        err @ (Error::Validation { .. } | Error::Conflict { .. }) => {
            Ok(FormErrors::from_error(ui.lang, &err))
        }
        err => Err(ui.error(err)),
    }
}

/// A list's search box and the page it is on.
#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

impl SearchQuery {
    /// The trimmed search and the page to read.
    fn params(&self) -> (String, PageParams) {
        let params = PageParams {
            cursor: Some(self.cursor.clone()).filter(|c| !c.is_empty()),
            limit: Some(PAGE_SIZE),
        };
        (self.q.trim().to_string(), params)
    }
}

/// A form with no fields of its own (a delete button): only its CSRF token is read.
#[derive(Debug, Default, Deserialize)]
struct NoFields {}
