//! Settings → Audit log: every export, push, tag action, campaign-link send, audience made from
//! a segment, customer export and erasure, newest first — who (by name), when (in the
//! organization's time zone), what, on which segment and view, how many customers, which file.
//! Owners and admins only.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::tenancy::audit::{AuditEntry, AuditLog};
use fullhouse_core::Permission;
use serde::Deserialize;

use crate::layout::{PageError, Ui};

pub fn router() -> Router<AppState> {
    Router::new().route("/settings/audit", get(audit_page))
}

/// The action families the filter offers: (prefix, locale key).
const FAMILIES: &[(&str, &str)] = &[
    ("segment.", "audit-family-segment"),
    ("customer.", "audit-family-customer"),
];

#[derive(Debug, Default, Deserialize)]
struct AuditPageQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    cursor: Option<String>,
}

/// One row as shown.
struct Row {
    entry: AuditEntry,
    actor: String,
}

impl Row {
    /// A detail of the entry as text ("" when absent).
    fn detail(&self, key: &str) -> String {
        match self.entry.details.get(key) {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    /// How many customers the action reached, when it says.
    fn customers(&self) -> Option<i64> {
        self.entry.details.get("customers").and_then(|v| v.as_i64())
    }

    /// How many filters narrowed the segment.
    fn filters(&self) -> usize {
        self.entry
            .details
            .get("filters")
            .and_then(|f| f.as_array())
            .map_or(0, Vec::len)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/audit.html")]
struct AuditPage {
    ui: Ui,
    rows: Vec<Row>,
    action: String,
    next: Option<String>,
    families: &'static [(&'static str, &'static str)],
}

async fn audit_page(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<AuditPageQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let action = FAMILIES
        .iter()
        .find(|(prefix, _)| *prefix == query.action)
        .map(|(prefix, _)| prefix.to_string())
        .unwrap_or_default();
    let page = AuditLog::new(state.db.clone())
        .list(
            &ui.caller.org,
            Some(action.as_str()).filter(|a| !a.is_empty()),
            &PageParams {
                cursor: query.cursor,
                limit: Some(PageParams::DEFAULT_LIMIT),
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    let names: HashMap<String, String> = state
        .tenancy()
        .list_users(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?
        .into_iter()
        .map(|u| {
            let shown = if u.name.trim().is_empty() {
                u.email.clone()
            } else {
                format!("{} ({})", u.name, u.email)
            };
            (u.id.to_string(), shown)
        })
        .collect();
    let rows = page
        .items
        .into_iter()
        .map(|entry| Row {
            actor: names
                .get(&entry.actor)
                .cloned()
                .unwrap_or_else(|| entry.actor.clone()),
            entry,
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        if action.is_empty() {
            format!("/settings/audit?cursor={cursor}")
        } else {
            format!("/settings/audit?action={action}&cursor={cursor}")
        }
    });
    Ok(AuditPage {
        ui,
        rows,
        action,
        next,
        families: FAMILIES,
    }
    .into_response())
}
