//! One audience: its members (search as an htmx partial, add, edit, delete), rename, delete and
//! export.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::{attachment, AppState};
use fullhouse_core::tabular::{csv_separator, ExportFormat};
use fullhouse_core::{Error, Permission};
use fullhouse_web::layout::{next_link, with_status};
use fullhouse_web::{page_or_partial, CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::{audience_id, refused, service, NoFields, SearchQuery};
use crate::member_uses::MemberUses;
use crate::model::{AudienceForm, MemberForm};
use crate::service::ExportLayout;
use crate::{Audience, AudienceId, Member, MemberId};

pub struct MemberList {
    pub q: String,
    pub members: Vec<Member>,
    pub next: Option<String>,
    /// How much of each listed code's quantity is taken.
    pub uses: MemberUses,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/detail.html")]
struct DetailPage {
    ui: Ui,
    audience: Audience,
    view: MemberList,
    form: MemberForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/_members.html")]
struct MembersPartial {
    ui: Ui,
    audience: Audience,
    view: MemberList,
}

async fn member_list(
    state: &AppState,
    ui: &Ui,
    audience: &Audience,
    query: &SearchQuery,
) -> Result<MemberList, PageError> {
    let (q, params) = query.params();
    let page = service(state)
        .members(&ui.caller.org, &audience.id, Some(&q), &params)
        .await
        .map_err(|e| ui.error(e))?;
    let path = format!("/audiences/{}", audience.id);
    let uses = MemberUses::of(&state.db, &ui.caller.org, &page.items)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(MemberList {
        next: page.next_cursor.map(|c| next_link(&path, &[("q", &q)], &c)),
        q,
        members: page.items,
        uses,
    })
}

fn member_id(ui: &Ui, raw: &str) -> Result<MemberId, PageError> {
    MemberId::parse(raw).map_err(|_| ui.error(Error::NotFound("member")))
}

fn back_to(id: &AudienceId) -> Response {
    Redirect::to(&format!("/audiences/{id}")).into_response()
}

pub(super) async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = audience_id(&ui, &id)?;
    let audience = service(&state)
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let view = member_list(&state, &ui, &audience, &query).await?;
    Ok(page_or_partial(
        ui,
        (audience, view),
        |ui, (audience, view)| MembersPartial { ui, audience, view },
        |ui, (audience, view)| DetailPage {
            ui,
            audience,
            view,
            form: MemberForm::blank(),
            errors: FormErrors::default(),
        },
    ))
}

pub(super) async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<MemberForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let added = match form.new_member() {
        Ok(new) => service(&state).add_member(&ui.caller.org, &id, new).await,
        Err(err) => Err(err),
    };
    let errors = match added {
        Ok(_) => return Ok(back_to(&id)),
        Err(err) => refused(&ui, err)?,
    };
    let audience = service(&state)
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let view = member_list(&state, &ui, &audience, &SearchQuery::default()).await?;
    Ok(with_status(
        &errors,
        DetailPage {
            ui,
            audience,
            view,
            form,
            errors: errors.clone(),
        },
    ))
}

pub(super) async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<AudienceForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    service(&state)
        .update(&ui.caller.org, &id, form.patch())
        .await
        .map_err(|e| ui.error(e))?;
    Ok(back_to(&id))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    service(&state)
        .delete(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/audiences").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportQuery {
    #[serde(default)]
    format: String,
}

pub(super) async fn export(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = audience_id(&ui, &id)?;
    let format = if query.format == "xlsx" {
        ExportFormat::Xlsx
    } else {
        ExportFormat::Csv
    };
    // The reader's spreadsheet conventions: a Danish or French program reads `;` (the comma is
    // their decimal mark), and the headers are in their language (names the import reads back).
    let layout = ExportLayout {
        headers: [
            "audiences-export-col-code",
            "audiences-export-col-quantity",
            "audiences-export-col-category",
            "audiences-export-col-seat",
            "audiences-export-col-customer",
        ]
        .map(|key| ui.lang.t(key)),
        delimiter: csv_separator(ui.lang.code()),
    };
    let (name, bytes) = service(&state)
        .export_file(&ui.caller.org, &id, format, &layout)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(attachment(&name, format.content_type(), bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/member.html")]
struct MemberPage {
    ui: Ui,
    audience: Audience,
    member: Member,
    form: MemberForm,
    errors: FormErrors,
}

pub(super) async fn edit_member(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, member)): Path<(String, String)>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = audience_id(&ui, &id)?;
    let member_id = member_id(&ui, &member)?;
    let service = service(&state);
    let audience = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let member = service
        .member(&ui.caller.org, &id, &member_id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = MemberForm::from_member(&member);
    Ok(MemberPage {
        ui,
        audience,
        member,
        form,
        errors: FormErrors::default(),
    }
    .into_response())
}

pub(super) async fn save_member(
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<MemberForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let member_id = member_id(&ui, &member)?;
    let service = service(&state);
    let saved = match form.patch() {
        Ok(patch) => {
            service
                .update_member(&ui.caller.org, &id, &member_id, patch)
                .await
        }
        Err(err) => Err(err),
    };
    let errors = match saved {
        Ok(_) => return Ok(back_to(&id)),
        Err(err) => refused(&ui, err)?,
    };
    let audience = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let member = service
        .member(&ui.caller.org, &id, &member_id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(with_status(
        &errors,
        MemberPage {
            ui,
            audience,
            member,
            form,
            errors: errors.clone(),
        },
    ))
}

pub(super) async fn delete_member(
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    CsrfForm { ui, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let member_id = member_id(&ui, &member)?;
    service(&state)
        .delete_member(&ui.caller.org, &id, &member_id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(back_to(&id))
}
