//! Actions → Make an audience: the view's customers as an audience for a loyalty campaign,
//! refreshed on demand or daily (see [`crate::view_audiences`]). The page lists the audiences
//! this segment already feeds, each with Refresh and its last refresh's figures.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_audiences::service::AudienceService;
use fullhouse_core::http::AppState;
use fullhouse_core::Permission;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::actions::{chosen, Chosen};
use crate::api_audiences::{self, NewViewAudience};
use crate::index::Registry;
use crate::selection::SelectionBody;
use crate::view_audiences::{AudienceSync, ViewAudience, ViewAudiences};

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AudienceForm {
    pub name: String,
    pub description: String,
    pub quantity: String,
    pub sync: String,
}

/// An audience this segment feeds, with its name.
pub struct FedAudience {
    pub link: ViewAudience,
    pub name: String,
    pub members: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/audience.html")]
struct AudiencePage {
    ui: Ui,
    chosen: Chosen,
    form: AudienceForm,
    errors: FormErrors,
    fed: Vec<FedAudience>,
}

pub(super) async fn audience_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let form = AudienceForm {
        name: match &chosen.view {
            Some(view) => format!("{} – {}", chosen.segment.name, view.name),
            None => chosen.segment.name.clone(),
        },
        quantity: "1".into(),
        sync: "daily".into(),
        ..AudienceForm::default()
    };
    render(&state, ui, chosen, form, FormErrors::default()).await
}

pub(super) async fn make_audience(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm { ui, form }: CsrfForm<AudienceForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let quantity = match form.quantity.trim().parse::<i64>() {
        Ok(quantity) => quantity,
        Err(_) => {
            let errors = FormErrors::field_only(ui.lang, "quantity", "error-number");
            return render(&state, ui, chosen, form, errors).await;
        }
    };
    let body = NewViewAudience {
        selection: SelectionBody {
            view_id: chosen.selection.view_id.clone(),
            filters: chosen.selection.filters.clone(),
            view_for: chosen.selection.view_for.clone(),
        },
        name: form.name.clone(),
        description: Some(form.description.trim().to_string()).filter(|d| !d.is_empty()),
        quantity,
        sync: if form.sync == "daily" {
            AudienceSync::Daily
        } else {
            AudienceSync::Manual
        },
    };
    let started = api_audiences::start(
        &state,
        &registry,
        &ui.caller,
        ui.lang,
        chosen.segment.id.clone(),
        body,
    )
    .await;
    match started {
        Ok(_) => Ok(Redirect::to("/jobs").into_response()),
        Err(
            err @ (fullhouse_core::Error::Validation { .. }
            | fullhouse_core::Error::Conflict { .. }),
        ) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            render(&state, ui, chosen, form, errors).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// Refresh now (the list's button), back to the Jobs page.
pub(super) async fn refresh(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(audience): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<super::list::Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    api_audiences::refresh(&state, &registry, &ui.caller, ui.lang, &audience)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/jobs").into_response())
}

async fn render(
    state: &AppState,
    ui: Ui,
    chosen: Chosen,
    form: AudienceForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let links = ViewAudiences::new(state.db.clone())
        .list(&ui.caller.org, Some(&chosen.segment.id))
        .await
        .map_err(|e| ui.error(e))?;
    let audiences = AudienceService::new(state.db.clone());
    let mut fed = Vec::with_capacity(links.len());
    for link in links {
        // An audience deleted since is simply no longer listed.
        if let Ok(audience) = audiences.get(&ui.caller.org, &link.audience_id).await {
            fed.push(FedAudience {
                name: audience.name,
                members: audience.member_count,
                link,
            });
        }
    }
    Ok(with_status(
        &errors.clone(),
        AudiencePage {
            ui,
            chosen,
            form,
            errors,
            fed,
        },
    ))
}
