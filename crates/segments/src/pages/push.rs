//! Actions → Push to Meta or a mail tool: pick a connector, then a dry run (what would be added
//! and removed against the last push, as a job with its CSV) or the push itself. Both start a
//! job and go to the Jobs page.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::actions::{chosen, Chosen};
use crate::connectors::model::{Connector, ConnectorId};
use crate::connectors::service::{ConnectorService, ConnectorSetup};
use crate::index::Registry;
use crate::jobs::push;

/// The form as typed: the connector, and which button (`dry_run` set for the dry run).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PushForm {
    pub connector_id: String,
    pub dry_run: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/push.html")]
struct PushPage {
    ui: Ui,
    chosen: Chosen,
    connectors: Vec<Connector>,
    form: PushForm,
    errors: FormErrors,
}

pub(super) async fn push_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Extension(setup): Extension<ConnectorSetup>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    render(
        &state,
        &setup,
        ui,
        chosen,
        PushForm::default(),
        FormErrors::default(),
    )
    .await
}

pub(super) async fn start_push(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Extension(setup): Extension<ConnectorSetup>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm { ui, form }: CsrfForm<PushForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let started = match ConnectorId::parse(form.connector_id.trim()) {
        Ok(connector) => {
            push::start(
                &state.db,
                &registry,
                &setup,
                &ui.caller,
                chosen.selection.clone(),
                &connector,
                !form.dry_run.is_empty(),
            )
            .await
        }
        Err(_) => Err(Error::invalid("connector_id", "choose a connector")),
    };
    match started {
        Ok(_) => Ok(Redirect::to("/jobs").into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. } | Error::NotFound(_))) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            render(&state, &setup, ui, chosen, form, errors).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

async fn render(
    state: &AppState,
    setup: &ConnectorSetup,
    ui: Ui,
    chosen: Chosen,
    form: PushForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let connectors = ConnectorService::new(state.db.clone(), setup.clone())
        .list(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(with_status(
        &errors.clone(),
        PushPage {
            ui,
            chosen,
            connectors,
            form,
            errors,
        },
    ))
}
