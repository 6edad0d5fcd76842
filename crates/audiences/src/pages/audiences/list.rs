//! The audiences list: search (an htmx partial), and the form to create a blank audience.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::Permission;
use fullhouse_web::layout::{next_link, with_status};
use fullhouse_web::{page_or_partial, CsrfForm, FormErrors, PageError, Ui};

use super::{refused, service, SearchQuery};
use crate::model::AudienceForm;
use crate::Audience;

pub struct AudienceList {
    pub q: String,
    pub audiences: Vec<Audience>,
    pub next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/list.html")]
struct ListPage {
    ui: Ui,
    view: AudienceList,
    form: AudienceForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/_list.html")]
struct ListPartial {
    ui: Ui,
    view: AudienceList,
}

async fn audience_list(
    state: &AppState,
    ui: &Ui,
    query: &SearchQuery,
) -> Result<AudienceList, PageError> {
    let (q, params) = query.params();
    let page = service(state)
        .list(&ui.caller.org, Some(&q), &params)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(AudienceList {
        next: page
            .next_cursor
            .map(|c| next_link("/audiences", &[("q", &q)], &c)),
        q,
        audiences: page.items,
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let view = audience_list(&state, &ui, &query).await?;
    Ok(page_or_partial(
        ui,
        view,
        |ui, view| ListPartial { ui, view },
        |ui, view| ListPage {
            ui,
            view,
            form: AudienceForm::default(),
            errors: FormErrors::default(),
        },
    ))
}

pub(super) async fn create(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<AudienceForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let errors = match service(&state)
        .create(&ui.caller.org, form.new_audience())
        .await
    {
        Ok(audience) => {
            return Ok(Redirect::to(&format!("/audiences/{}", audience.id)).into_response())
        }
        Err(err) => refused(&ui, err)?,
    };
    let view = audience_list(&state, &ui, &SearchQuery::default()).await?;
    Ok(with_status(
        &errors,
        ListPage {
            ui,
            view,
            form,
            errors: errors.clone(),
        },
    ))
}
