//! Promote → Audiences: the list (search, create blank), an audience's page (members with search,
//! add, edit, delete; export as CSV or XLSX), the upload screen (file → a drop-down per column,
//! the header-rows choice and a live preview of the first rows → import as a job) and the
//! generator (random codes from a pattern, or past events' barcodes or ticket holders).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fullhouse_audiences::import::{self, ReadChoices};
use fullhouse_audiences::jobs::{start_import, ImportRequest};
use fullhouse_audiences::model::{
    AudiencePatch, Generate, MemberPatch, NewAudience, NewGeneratedAudience, NewMember,
    MEMBER_FIELDS,
};
use fullhouse_audiences::{Audience, AudienceId, AudienceService, Member, MemberId};
use fullhouse_core::http::{attachment, AppState, PageParams};
use fullhouse_core::tabular::{ExportFormat, Format, HeaderRows, Preview};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Error, Permission};
use futures::StreamExt;
use serde::Deserialize;

use super::layout::{next_link, vary_on_htmx, with_status, FormErrors, PageError, Ui};

const PAGE_SIZE: u64 = 50;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/audiences", get(list).post(create))
        .route("/audiences/upload", get(upload_form).post(upload))
        .route("/audiences/upload/{upload}", get(mapping).post(start))
        .route("/audiences/upload/{upload}/preview", post(preview))
        .route("/audiences/generate", get(generate_form).post(generate))
        .route("/audiences/{id}", get(detail).post(rename))
        .route("/audiences/{id}/delete", post(delete))
        .route("/audiences/{id}/export", get(export))
        .route("/audiences/{id}/members", post(add_member))
        .route(
            "/audiences/{id}/members/{member}",
            get(edit_member).post(save_member),
        )
        .route(
            "/audiences/{id}/members/{member}/delete",
            post(delete_member),
        )
}

fn service(state: &AppState) -> AudienceService {
    AudienceService::new(state.db.clone())
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Debug, Default, Deserialize)]
struct NewAudienceForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

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
    form: NewAudienceForm,
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
    let q = query.q.trim().to_string();
    let params = PageParams {
        cursor: Some(query.cursor.clone()).filter(|c| !c.is_empty()),
        limit: Some(PAGE_SIZE),
    };
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

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let view = audience_list(&state, &ui, &query).await?;
    let response = if ui.htmx {
        ListPartial { ui, view }.into_response()
    } else {
        ListPage {
            ui,
            view,
            form: NewAudienceForm::default(),
            errors: FormErrors::default(),
        }
        .into_response()
    };
    Ok(vary_on_htmx(response))
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<NewAudienceForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let new = NewAudience {
        name: form.name.clone(),
        description: Some(form.description.clone()),
        ..NewAudience::default()
    };
    let errors = match service(&state).create(&ui.caller.org, new).await {
        Ok(audience) => {
            return Ok(Redirect::to(&format!("/audiences/{}", audience.id)).into_response())
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
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

// ---------------------------------------------------------------------------------------------
// One audience and its members

#[derive(Debug, Default, Deserialize)]
struct MemberForm {
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    seat_label: String,
    #[serde(default)]
    customer: String,
}

impl MemberForm {
    fn quantity(&self) -> Result<i64, Error> {
        self.quantity
            .trim()
            .parse()
            .map_err(|_| Error::invalid("quantity", "must be a whole number of 1 or more"))
    }
}

pub struct MemberList {
    pub q: String,
    pub members: Vec<Member>,
    pub next: Option<String>,
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
    let q = query.q.trim().to_string();
    let params = PageParams {
        cursor: Some(query.cursor.clone()).filter(|c| !c.is_empty()),
        limit: Some(PAGE_SIZE),
    };
    let page = service(state)
        .members(&ui.caller.org, &audience.id, Some(&q), &params)
        .await
        .map_err(|e| ui.error(e))?;
    let path = format!("/audiences/{}", audience.id);
    Ok(MemberList {
        next: page.next_cursor.map(|c| next_link(&path, &[("q", &q)], &c)),
        q,
        members: page.items,
    })
}

fn audience_id(ui: &Ui, raw: &str) -> Result<AudienceId, PageError> {
    AudienceId::parse(raw).map_err(|_| ui.error(Error::NotFound("audience")))
}

async fn detail(
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
    let response = if ui.htmx {
        MembersPartial { ui, audience, view }.into_response()
    } else {
        DetailPage {
            ui,
            audience,
            view,
            form: MemberForm {
                quantity: "1".into(),
                ..MemberForm::default()
            },
            errors: FormErrors::default(),
        }
        .into_response()
    };
    Ok(vary_on_htmx(response))
}

async fn add_member(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let added = match form.quantity() {
        Ok(quantity) => {
            let new = NewMember {
                code: form.code.clone(),
                quantity,
                category: Some(form.category.clone()),
                seat_label: Some(form.seat_label.clone()),
                customer: Some(form.customer.clone()).filter(|c| !c.trim().is_empty()),
            };
            service(&state).add_member(&ui.caller.org, &id, new).await
        }
        Err(err) => Err(err),
    };
    let errors = match added {
        Ok(_) => return Ok(Redirect::to(&format!("/audiences/{id}")).into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
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

#[derive(Debug, Default, Deserialize)]
struct RenameForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn rename(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let patch = AudiencePatch {
        name: Some(form.name),
        description: Some(form.description),
        ..AudiencePatch::default()
    };
    service(&state)
        .update(&ui.caller.org, &id, patch)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/audiences/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

async fn delete(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    service(&state)
        .delete(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/audiences").into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
}

async fn export(
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
    let (name, bytes) = service(&state)
        .export_file(&ui.caller.org, &id, format)
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

async fn edit_member(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, member)): Path<(String, String)>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = audience_id(&ui, &id)?;
    let member_id = MemberId::parse(&member).map_err(|_| ui.error(Error::NotFound("member")))?;
    let service = service(&state);
    let audience = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let member = service
        .member(&ui.caller.org, &id, &member_id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = MemberForm {
        csrf_token: String::new(),
        code: member.code.clone(),
        quantity: member.quantity.to_string(),
        category: member.category.clone().unwrap_or_default(),
        seat_label: member.seat_label.clone().unwrap_or_default(),
        customer: member
            .customer_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
    };
    Ok(MemberPage {
        ui,
        audience,
        member,
        form,
        errors: FormErrors::default(),
    }
    .into_response())
}

async fn save_member(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, member)): Path<(String, String)>,
    Form(form): Form<MemberForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let member_id = MemberId::parse(&member).map_err(|_| ui.error(Error::NotFound("member")))?;
    let service = service(&state);
    let saved = match form.quantity() {
        Ok(quantity) => {
            let patch = MemberPatch {
                code: Some(form.code.clone()),
                quantity: Some(quantity),
                category: Some(form.category.clone()),
                seat_label: Some(form.seat_label.clone()),
                customer: Some(form.customer.clone()),
            };
            service
                .update_member(&ui.caller.org, &id, &member_id, patch)
                .await
        }
        Err(err) => Err(err),
    };
    let errors = match saved {
        Ok(_) => return Ok(Redirect::to(&format!("/audiences/{id}")).into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
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

async fn delete_member(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, member)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = audience_id(&ui, &id)?;
    let member_id = MemberId::parse(&member).map_err(|_| ui.error(Error::NotFound("member")))?;
    service(&state)
        .delete_member(&ui.caller.org, &id, &member_id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/audiences/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Upload: file → mapping and preview → import job

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/upload.html")]
struct UploadPage {
    ui: Ui,
    errors: FormErrors,
}

async fn upload_form(ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    Ok(UploadPage {
        ui,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// The file field streams straight to the file store; the form's CSRF token comes first.
async fn upload(
    State(state): State<AppState>,
    ui: Ui,
    mut form: Multipart,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let mut csrf_checked = false;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Error::invalid("file", format!("the form cannot be read: {e}"))
    };
    let mut stored = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ui.error(unreadable(e)))?
    {
        match field.name() {
            Some("csrf_token") => {
                let token = field.text().await.map_err(|e| ui.error(unreadable(e)))?;
                ui.check_csrf(&token)?;
                csrf_checked = true;
            }
            Some("file") if csrf_checked => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let chunks = field.map(|c| c.map_err(|e| e.to_string()));
                stored = Some(uploads::store_upload(&state, &ui.caller, &name, chunks).await);
            }
            _ => {}
        }
    }
    let errors = match stored {
        Some(Ok(upload)) => {
            return Ok(Redirect::to(&format!("/audiences/upload/{}", upload.id)).into_response())
        }
        Some(Err(err @ Error::Validation { .. })) => FormErrors::from_error(ui.lang, &err),
        Some(Err(err)) => return Err(ui.error(err)),
        None if !csrf_checked => {
            return Err(ui.error(Error::Forbidden("the form has expired; reload the page")))
        }
        None => FormErrors::field_only(ui.lang, "file", "audiences-choose-file"),
    };
    Ok(with_status(
        &errors,
        UploadPage {
            ui,
            errors: errors.clone(),
        },
    ))
}

/// The mapping form's fields: the new audience's name, the header rows and a field per column.
#[derive(Debug, Default, Deserialize)]
struct MappingForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    /// `auto`, or how many rows are headers.
    #[serde(default)]
    header_rows: String,
    /// `column_0`, `column_1`, …: the field each column feeds.
    #[serde(flatten)]
    columns: std::collections::BTreeMap<String, String>,
}

impl MappingForm {
    fn choices(&self) -> ReadChoices {
        let header_rows = match self.header_rows.trim().parse::<u32>() {
            Ok(n) => HeaderRows::Count(n),
            Err(_) => HeaderRows::Auto,
        };
        let mut columns: Vec<(usize, String)> = self
            .columns
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("column_")?.parse().ok()?, v.clone())))
            .collect();
        columns.sort();
        let columns = (!columns.is_empty()).then(|| columns.into_iter().map(|(_, v)| v).collect());
        ReadChoices {
            header_rows,
            columns,
        }
    }
}

pub struct MappingView {
    pub upload_id: String,
    pub file_name: String,
    pub name: String,
    pub header_rows: String,
    pub fields: Vec<&'static str>,
    pub preview: Option<Preview>,
    pub problem: Option<String>,
}

impl MappingView {
    /// Whether column `column` feeds `field` in the preview.
    pub fn chosen(&self, column: &usize, field: &str) -> bool {
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_some_and(|c| c.as_deref() == Some(field))
    }

    /// The Fluent key naming the detected file format.
    pub fn format_key(&self) -> &'static str {
        match self.preview.as_ref().map(|p| p.format) {
            Some(Format::Xlsx) => "audiences-format-xlsx",
            Some(Format::Ods) => "audiences-format-ods",
            Some(Format::Xls) => "audiences-format-xls",
            _ => "audiences-format-delimited",
        }
    }

    /// The detected separator as people name it (a tab is invisible).
    pub fn separator(&self) -> Option<String> {
        let separator = self.preview.as_ref()?.delimiter.clone()?;
        Some(if separator == "\t" {
            "TAB".to_string()
        } else {
            separator
        })
    }

    pub fn ignored(&self, column: &usize) -> bool {
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_none_or(|c| c.is_none())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/mapping.html")]
struct MappingPage {
    ui: Ui,
    view: MappingView,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/_preview.html")]
struct PreviewPartial {
    ui: Ui,
    view: MappingView,
}

async fn mapping_view(
    state: &AppState,
    ui: &Ui,
    upload: &str,
    form: &MappingForm,
) -> Result<MappingView, PageError> {
    let upload_id = UploadId::parse(upload).map_err(|_| ui.error(Error::NotFound("upload")))?;
    let (upload, key) = uploads::file_key(&state.db, &ui.caller.org, &upload_id)
        .await
        .map_err(|e| ui.error(e))?;
    let file = state
        .files
        .download_to_temp(&key)
        .await
        .map_err(|e| ui.error(e))?;
    let (preview, problem) = match import::preview(file.path().to_path_buf(), form.choices()).await
    {
        Ok(preview) => (Some(preview), None),
        Err(err @ Error::Validation { .. }) => {
            (None, Some(super::i18n::error_message(ui.lang, &err)))
        }
        Err(err) => return Err(ui.error(err)),
    };
    let default_name = upload
        .name
        .rsplit_once('.')
        .map_or(upload.name.as_str(), |(stem, _)| stem)
        .to_string();
    Ok(MappingView {
        upload_id: upload_id.to_string(),
        file_name: upload.name.clone(),
        name: if form.name.trim().is_empty() {
            default_name
        } else {
            form.name.clone()
        },
        header_rows: if form.header_rows.is_empty() {
            "auto".into()
        } else {
            form.header_rows.clone()
        },
        fields: MEMBER_FIELDS.iter().map(|f| f.name).collect(),
        preview,
        problem,
    })
}

async fn mapping(
    State(state): State<AppState>,
    ui: Ui,
    Path(upload): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let view = mapping_view(&state, &ui, &upload, &MappingForm::default()).await?;
    Ok(MappingPage {
        ui,
        view,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// The preview again with the form's choices (htmx, on every change).
async fn preview(
    State(state): State<AppState>,
    ui: Ui,
    Path(upload): Path<String>,
    Form(form): Form<MappingForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    Ok(PreviewPartial { ui, view }.into_response())
}

async fn start(
    State(state): State<AppState>,
    ui: Ui,
    Path(upload): Path<String>,
    Form(form): Form<MappingForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let upload_id = UploadId::parse(&upload).map_err(|_| ui.error(Error::NotFound("upload")))?;
    let choices = form.choices();
    let request = ImportRequest {
        upload_id,
        name: Some(form.name.clone()),
        description: None,
        venue_id: None,
        event_ids: Vec::new(),
        audience_id: None,
        header_rows: choices.header_rows,
        columns: choices.columns,
    };
    let errors = match start_import(&state, &ui.caller, request).await {
        Ok(job) => return Ok(Redirect::to(&format!("/jobs?started={job}")).into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
    };
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    Ok(with_status(
        &errors,
        MappingPage {
            ui,
            view,
            errors: errors.clone(),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Generated audiences

#[derive(Debug, Default, Deserialize)]
struct GenerateForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    quantity: String,
    /// Event ids, separated by spaces, commas or lines.
    #[serde(default)]
    events: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/generate.html")]
struct GeneratePage {
    ui: Ui,
    form: GenerateForm,
    errors: FormErrors,
}

async fn generate_form(ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let form = GenerateForm {
        kind: "codes".into(),
        pattern: "VIP-XXXX-XXXX".into(),
        count: "1000".into(),
        quantity: "1".into(),
        ..GenerateForm::default()
    };
    Ok(GeneratePage {
        ui,
        form,
        errors: FormErrors::default(),
    }
    .into_response())
}

fn generate_request(form: &GenerateForm) -> Result<NewGeneratedAudience, Error> {
    let quantity = form
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| Error::invalid("quantity", "must be a whole number of 1 or more"))?;
    let event_ids = || -> Result<Vec<fullhouse_ticketing::EventId>, Error> {
        form.events
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .map(|e| {
                fullhouse_ticketing::EventId::parse(e)
                    .map_err(|_| Error::invalid("events", format!("`{e}` is not an event id")))
            })
            .collect()
    };
    let generate = match form.kind.as_str() {
        "ticket_barcodes" => Generate::TicketBarcodes {
            event_ids: event_ids()?,
            quantity,
        },
        "ticket_holders" => Generate::TicketHolders {
            event_ids: event_ids()?,
            quantity,
        },
        _ => Generate::Codes {
            pattern: form.pattern.clone(),
            count: form
                .count
                .trim()
                .parse()
                .map_err(|_| Error::invalid("count", "must be a whole number"))?,
            quantity,
        },
    };
    Ok(NewGeneratedAudience {
        name: form.name.clone(),
        description: None,
        generate,
    })
}

async fn generate(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<GenerateForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let made = match generate_request(&form) {
        Ok(request) => service(&state).generate(&ui.caller.org, request).await,
        Err(err) => Err(err),
    };
    let errors = match made {
        Ok(audience) => {
            return Ok(Redirect::to(&format!("/audiences/{}", audience.id)).into_response())
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
    };
    Ok(with_status(
        &errors,
        GeneratePage {
            ui,
            form,
            errors: errors.clone(),
        },
    ))
}
