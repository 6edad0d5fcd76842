//! Mail settings, templates (with preview) and the outbox.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::delivery::check_transport;
use super::model::{MailSettings, MailTemplate, OutboxMessage, Rendered};
use super::service::MailService;
use super::templates::{documented_variables, sample_variables};
use crate::error::{Error, ErrorBody, Result};
use crate::http::{ApiJson, ApiPath, ApiQuery, AppState, Page, PageParams};
use crate::tenancy::model::{Caller, Permission};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_mail_settings, put_mail_settings))
        .routes(routes!(test_mail_settings))
        .routes(routes!(list_templates))
        .routes(routes!(get_template, put_template))
        .routes(routes!(preview_template))
        .routes(routes!(list_outbox))
}

fn mail(state: &AppState) -> MailService {
    MailService::new(state.db.clone())
}

/// Who the organization's mail comes from and how it is sent (the SMTP password is never shown).
#[utoipa::path(get, path = "/settings/mail", tag = "mail",
    responses((status = 200, body = MailSettings), (status = 403, body = ErrorBody)))]
async fn get_mail_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MailSettings>> {
    caller.require(Permission::Administer)?;
    Ok(Json(mail(&state).settings(&caller.org).await?))
}

/// Change the sender and transport. Leave `password` out to keep the stored one.
#[utoipa::path(put, path = "/settings/mail", tag = "mail", request_body = MailSettings,
    responses((status = 200, body = MailSettings), (status = 422, body = ErrorBody)))]
async fn put_mail_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(settings): ApiJson<MailSettings>,
) -> Result<Json<MailSettings>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        mail(&state).put_settings(&caller.org, settings).await?,
    ))
}

/// Connect to the configured SMTP server to check the settings.
#[utoipa::path(post, path = "/settings/mail/test", tag = "mail",
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn test_mail_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::http::StatusCode> {
    caller.require(Permission::Administer)?;
    check_transport(&mail(&state).settings(&caller.org).await?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Every template in every language: the organization's version, or the built-in one.
#[utoipa::path(get, path = "/mail/templates", tag = "mail",
    responses((status = 200, body = Vec<MailTemplate>)))]
async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<MailTemplate>>> {
    caller.require(Permission::Read)?;
    Ok(Json(mail(&state).templates(&caller.org).await?))
}

/// One template in one language, with the variables it can use.
#[utoipa::path(get, path = "/mail/templates/{key}/{language}", tag = "mail",
    params(("key" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((key, language)): ApiPath<(String, String)>,
) -> Result<Json<Value>> {
    caller.require(Permission::Read)?;
    let template = mail(&state).template(&caller.org, &key, &language).await?;
    let variables: Vec<Value> = documented_variables(&key)
        .iter()
        .map(|(name, meaning)| serde_json::json!({"name": name, "meaning": meaning}))
        .collect();
    Ok(Json(
        serde_json::json!({"template": template, "variables": variables}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub subject: String,
    pub html: String,
    #[serde(default)]
    pub text: String,
}

/// Save the organization's version of a template (checked to compile first).
#[utoipa::path(put, path = "/mail/templates/{key}/{language}", tag = "mail",
    params(("key" = String, Path), ("language" = String, Path)), request_body = TemplateBody,
    responses((status = 200, body = MailTemplate), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((key, language)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<Json<MailTemplate>> {
    caller.require(Permission::Market)?;
    let template = MailTemplate {
        key,
        language,
        subject: body.subject,
        html: body.html,
        text: body.text,
        built_in: false,
    };
    Ok(Json(
        mail(&state).put_template(&caller.org, template).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The source to preview; the saved template when absent.
    pub template: Option<TemplateBody>,
    /// Values for the variables; sample values when absent.
    #[schema(value_type = Option<Object>)]
    pub variables: Option<Value>,
}

/// Render a template (saved or being edited) with sample or given variables. Rendering the
/// saved template needs only read access; rendering a source sent with the request needs the
/// role that may save templates (marketer or above), since it runs arbitrary template code.
/// Every render runs in a sandbox process with a memory and time budget; a template that breaks
/// it is a validation error.
#[utoipa::path(post, path = "/mail/templates/{key}/{language}/preview", tag = "mail",
    params(("key" = String, Path), ("language" = String, Path)), request_body = PreviewBody,
    responses((status = 200, body = Rendered), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((key, language)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PreviewBody>,
) -> Result<Json<Rendered>> {
    caller.require(if body.template.is_some() {
        Permission::Market
    } else {
        Permission::Read
    })?;
    let service = mail(&state);
    let saved = service.template(&caller.org, &key, &language).await?;
    let template = match body.template {
        Some(t) => MailTemplate {
            subject: t.subject,
            html: t.html,
            text: t.text,
            built_in: false,
            ..saved
        },
        None => saved,
    };
    let variables = body
        .variables
        .unwrap_or_else(|| sample_variables(&key, &language));
    if !variables.is_object() {
        return Err(Error::invalid("variables", "must be a JSON object"));
    }
    Ok(Json(service.preview(&template, &variables).await?))
}

/// Messages the organization sent or will send, newest first.
#[utoipa::path(get, path = "/mail/outbox", tag = "mail", params(PageParams),
    responses((status = 200, body = Page<OutboxMessage>)))]
async fn list_outbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<OutboxMessage>>> {
    caller.require(Permission::Read)?;
    Ok(Json(mail(&state).outbox(&caller.org, &params).await?))
}
