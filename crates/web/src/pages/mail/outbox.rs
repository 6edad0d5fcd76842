//! The outbox: every message and its state, and each message opened: who it went to, what it
//! is, its attempts and last error, and its HTML (in a sandboxed frame) and text.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::mail::{OutboxMessage, OutboxMessageDetail, TEST_KIND};
use fullhouse_core::Permission;
use serde::Deserialize;

use super::{mail, with_preview_policy};
use crate::layout::{next_link, PageError, Ui};

const PAGE_SIZE: u64 = 50;

#[derive(Debug, Deserialize)]
pub(super) struct CursorQuery {
    #[serde(default)]
    cursor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/outbox.html")]
struct OutboxPage {
    ui: Ui,
    messages: Vec<OutboxMessage>,
    next: Option<String>,
}

impl OutboxPage {
    fn is_test(&self, message: &OutboxMessage) -> bool {
        message.kind == TEST_KIND
    }
}

pub(super) async fn outbox(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<CursorQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let page = mail(&state)
        .outbox(
            &ui.caller.org,
            &PageParams {
                cursor: Some(query.cursor).filter(|c| !c.is_empty()),
                limit: Some(PAGE_SIZE),
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    Ok(OutboxPage {
        next: page.next_cursor.map(|c| next_link("/outbox", &[], &c)),
        messages: page.items,
        ui,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/message.html")]
struct MessagePage {
    ui: Ui,
    detail: OutboxMessageDetail,
    is_test: bool,
}

/// One message of the organization's outbox; another organization's id is not found.
pub(super) async fn message(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let detail = mail(&state)
        .message(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let page = MessagePage {
        is_test: detail.message.kind == TEST_KIND,
        detail,
        ui,
    };
    // The mail's HTML is styled inline, like the template editor's preview.
    Ok(with_preview_policy(page.into_response()))
}
