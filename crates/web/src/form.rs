//! Posted forms and htmx partials: the two things every page handler does the same way.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::Error;
use serde::de::DeserializeOwned;

use crate::layout::Ui;

/// The field every form of a login session carries (see [`Ui::check_csrf`]).
pub const CSRF_FIELD: &str = "csrf_token";

/// A form posted by a logged-in person, with who they are: the session's CSRF token is checked
/// (from the `csrf_token` field, or the `X-CSRF-Token` header htmx sends) before the fields are
/// read, so no handler can forget it and no form struct carries the token.
///
/// The fields are read with `serde_html_form` (repeated names fill a `Vec`). A form struct
/// keeps fields a person types as `String` and parses them in the module's model, so a value
/// that is not a number comes back beside its field rather than as a page-wide error.
pub struct CsrfForm<T> {
    pub ui: Ui,
    pub form: T,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let ui = Ui::from_request_parts(&mut parts, state).await?;
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                ui.error(Error::invalid("form", rejection.body_text()))
                    .into_response()
            })?;
        let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&bytes).map_err(|e| {
            ui.error(Error::invalid("form", e.to_string()))
                .into_response()
        })?;
        let sent = pairs
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.clone())
            .or(header_token)
            .unwrap_or_default();
        ui.check_csrf(&sent).map_err(IntoResponse::into_response)?;
        let form = serde_html_form::from_bytes(&bytes).map_err(|e| {
            ui.error(Error::invalid("form", e.to_string()))
                .into_response()
        })?;
        Ok(CsrfForm { ui, form })
    }
}

/// Answers a view as its htmx partial when htmx asked for part of the page, else as the whole
/// page, marking the answer as varying on `HX-Request` so caches keep the two apart.
pub fn page_or_partial<V, P, F>(
    ui: Ui,
    view: V,
    partial: impl FnOnce(Ui, V) -> P,
    page: impl FnOnce(Ui, V) -> F,
) -> Response
where
    P: IntoResponse,
    F: IntoResponse,
{
    let response = if ui.htmx {
        partial(ui, view).into_response()
    } else {
        page(ui, view).into_response()
    };
    vary_on_htmx(response)
}

/// A view answered either as a whole page or as its htmx partial at the same address: caches
/// must keep the two apart.
pub fn vary_on_htmx(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::VARY,
        HeaderValue::from_static("HX-Request"),
    );
    response
}
