//! Customers → Segmentation → Connectors: the organization's connectors, and the form that adds
//! or changes one. Owners and admins change them; marketers see the list (never a credential,
//! only its last four characters) and push to them from a segment's actions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use crate::connectors::model::*;
use crate::connectors::service::{ConnectorService, ConnectorSetup};

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorForm {
    pub kind: String,
    pub name: String,
    pub ad_account_id: String,
    pub audience_id: String,
    pub api_version: String,
    pub base_url: String,
    pub list_id: String,
    pub url: String,
    pub credential: String,
}

impl ConnectorForm {
    fn of(c: &Connector) -> Self {
        let s = &c.settings;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            kind: c.kind.as_str().into(),
            name: c.name.clone(),
            ad_account_id: text(&s.ad_account_id),
            audience_id: text(&s.audience_id),
            api_version: text(&s.api_version),
            base_url: text(&s.base_url),
            list_id: text(&s.list_id),
            url: text(&s.url),
            credential: String::new(),
        }
    }

    fn settings(&self) -> ConnectorSettings {
        let given = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        ConnectorSettings {
            ad_account_id: given(&self.ad_account_id),
            audience_id: given(&self.audience_id),
            api_version: given(&self.api_version),
            base_url: given(&self.base_url),
            list_id: given(&self.list_id),
            url: given(&self.url),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/connectors.html")]
struct ListPage {
    ui: Ui,
    connectors: Vec<Connector>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/connector_form.html")]
struct FormPage {
    ui: Ui,
    connector: Option<Connector>,
    form: ConnectorForm,
    errors: FormErrors,
    kinds: [ConnectorKind; 5],
}

fn service(state: &AppState, setup: &ConnectorSetup) -> ConnectorService {
    ConnectorService::new(state.db.clone(), setup.clone())
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    ui: Ui,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let connectors = service(&state, &setup)
        .list(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(ListPage { ui, connectors }.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NewQuery {
    #[serde(default)]
    kind: String,
}

pub(super) async fn new_form(ui: Ui, Query(query): Query<NewQuery>) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let kind = ConnectorKind::parse(&query.kind).unwrap_or(ConnectorKind::Meta);
    let form = ConnectorForm {
        kind: kind.as_str().into(),
        ..ConnectorForm::default()
    };
    Ok(render(ui, None, form, FormErrors::default()))
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    CsrfForm { ui, form }: CsrfForm<ConnectorForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let created = match ConnectorKind::parse(&form.kind) {
        Ok(kind) => {
            let new = NewConnector {
                kind,
                name: form.name.clone(),
                settings: form.settings(),
                credential: Some(form.credential.clone()),
            };
            service(&state, &setup).create(&ui.caller.org, new).await
        }
        Err(err) => Err(err),
    };
    finish(ui, None, form, created)
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let id = ConnectorId::parse(&id).map_err(|e| ui.error(e))?;
    let connector = service(&state, &setup)
        .connector(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = ConnectorForm::of(&connector);
    Ok(render(ui, Some(connector), form, FormErrors::default()))
}

pub(super) async fn edit(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<ConnectorForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let id = ConnectorId::parse(&id).map_err(|e| ui.error(e))?;
    let connectors = service(&state, &setup);
    let connector = connectors
        .connector(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let patch = ConnectorPatch {
        name: Some(form.name.clone()),
        settings: Some(form.settings()),
        credential: Some(form.credential.clone()),
    };
    let updated = connectors.update(&ui.caller.org, &id, patch).await;
    finish(ui, Some(connector), form, updated)
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    Path(id): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<super::list::Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let id = ConnectorId::parse(&id).map_err(|e| ui.error(e))?;
    service(&state, &setup)
        .delete(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/segments/connectors").into_response())
}

/// Back to the list when saved; the form again with each refused field's reason otherwise.
fn finish(
    ui: Ui,
    connector: Option<Connector>,
    mut form: ConnectorForm,
    saved: Result<Connector, Error>,
) -> Result<Response, PageError> {
    // The credential is never written back into the page.
    form.credential.clear();
    match saved {
        Ok(_) => Ok(Redirect::to("/segments/connectors").into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            Ok(render(ui, connector, form, errors))
        }
        Err(err) => Err(ui.error(err)),
    }
}

fn render(
    ui: Ui,
    connector: Option<Connector>,
    form: ConnectorForm,
    errors: FormErrors,
) -> Response {
    with_status(
        &errors.clone(),
        FormPage {
            ui,
            connector,
            form,
            errors,
            kinds: ConnectorKind::ALL,
        },
    )
}
