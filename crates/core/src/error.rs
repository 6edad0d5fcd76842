//! The one table of errors a caller can see.
//!
//! Every crate returns [`Error`]; the HTTP layer turns it into
//! `{"error": {"code", "message", "details"}}` with the status of its [`ErrorCode`]. Internal
//! errors are logged with their chain and shown to the caller only as "internal".

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::i18n::Msg;

/// Every error a caller can see: its HTTP status and its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body, a query parameter or a field is malformed or breaks a rule.
    Validation,
    /// The request body is not valid JSON, or not the expected shape.
    MalformedBody,
    /// The body is larger than this route accepts.
    PayloadTooLarge,
    /// An id in the path does not have the shape of that kind of id.
    InvalidId,
    /// The resource does not exist in the caller's organization.
    NotFound,
    /// The change conflicts with existing data (a duplicate name, a taken seat).
    Conflict,
    /// No valid session or token.
    Unauthorized,
    /// The caller's role does not allow this.
    Forbidden,
    /// The CSRF token is missing or wrong.
    CsrfFailed,
    /// Too many requests; try again later.
    RateLimited,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The media type of the body is not accepted.
    UnsupportedMediaType,
    /// Something went wrong on our side; the log has the details.
    Internal,
}

impl ErrorCode {
    /// All codes, for the documentation table.
    pub const ALL: [ErrorCode; 13] = [
        Self::Validation,
        Self::MalformedBody,
        Self::PayloadTooLarge,
        Self::InvalidId,
        Self::NotFound,
        Self::Conflict,
        Self::Unauthorized,
        Self::Forbidden,
        Self::CsrfFailed,
        Self::RateLimited,
        Self::MethodNotAllowed,
        Self::UnsupportedMediaType,
        Self::Internal,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedBody | Self::InvalidId => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::MalformedBody => "malformed_body",
            Self::PayloadTooLarge => "payload_too_large",
            Self::InvalidId => "invalid_id",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::CsrfFailed => "csrf_failed",
            Self::RateLimited => "rate_limited",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Internal => "internal",
        }
    }
}

/// What is wrong with a field, as a word a program can act on: pages show it in the user's
/// language by this kind, never by reading the English reason, and API callers may do the same.
/// Reasons without a kind are explained by their English sentence alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Nothing was given where something must be.
    Required,
    /// Not an email address.
    NotAnEmail,
    /// A password shorter than the minimum.
    PasswordTooShort,
    /// Not a three-letter ISO 4217 currency code.
    NotACurrency,
    /// Not a whole number, or one outside the allowed range.
    NotAWholeNumber,
    /// Already used by another record (a unique name, slug or email).
    Taken,
    /// A mail template that takes too long or too much memory to render.
    TooExpensive,
    /// A server (SMTP) that could not be reached; the reason names it.
    Unreachable,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::NotAnEmail => "not_an_email",
            Problem::PasswordTooShort => "password_too_short",
            Problem::NotACurrency => "not_a_currency",
            Problem::NotAWholeNumber => "not_a_whole_number",
            Problem::Taken => "taken",
            Problem::TooExpensive => "too_expensive",
            Problem::Unreachable => "unreachable",
        }
    }
}

/// Why something is wrong: an English sentence, or an engine message ([`Msg`]) a page renders in
/// its reader's language. Every constructor of a [`FieldError`] or a validation [`Error`] takes
/// either (`"cannot be empty"`, `format!(…)`, `Msg::new("engine-…")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Text(String),
    Msg(Msg),
}

impl Reason {
    /// The reason in `lang`: a message rendered, an English sentence as it is.
    pub fn render(&self, lang: crate::i18n::Lang) -> String {
        match self {
            Reason::Text(text) => text.clone(),
            Reason::Msg(msg) => msg.render(lang),
        }
    }

    /// The English sentence and the message, if there is one.
    fn split(self) -> (String, Option<Msg>) {
        match self {
            Reason::Text(text) => (text, None),
            Reason::Msg(msg) => (msg.to_string(), Some(msg)),
        }
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason::Text(text)
    }
}

impl From<&String> for Reason {
    fn from(text: &String) -> Self {
        Reason::Text(text.clone())
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason::Text(text.to_string())
    }
}

impl From<Cow<'_, str>> for Reason {
    fn from(text: Cow<'_, str>) -> Self {
        Reason::Text(text.into_owned())
    }
}

impl From<Msg> for Reason {
    fn from(msg: Msg) -> Self {
        Reason::Msg(msg)
    }
}

/// One problem with one field of the input, or one cell of an uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as the caller named it (`email`, `tickets[2].seat`), or the column of a file.
    pub field: String,
    /// 1-based row of an uploaded file, counting the header row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The offending value as the caller sent it (a file's cell), when it helps to see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The English reason.
    pub reason: String,
    /// The kind of problem, when it is one of the common ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// The reason as a message key and its arguments, when the engine gave one: the same reason
    /// as `reason`, for a caller that shows it in another language. Boxed: most errors have
    /// none, and a `Result` carrying a `FieldError` stays small.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Msg>)]
    pub msg: Option<Box<Msg>>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<Reason>) -> Self {
        let (reason, msg) = reason.into().split();
        Self {
            field: field.into(),
            row: None,
            value: None,
            reason,
            problem: None,
            msg: msg.map(Box::new),
        }
    }

    pub fn at_row(row: u64, field: impl Into<String>, reason: impl Into<Reason>) -> Self {
        Self {
            row: Some(row),
            ..Self::new(field, reason)
        }
    }

    /// The same error, with its kind.
    pub fn because(mut self, problem: Problem) -> Self {
        self.problem = Some(problem);
        self
    }

    /// The same error, showing the value that caused it.
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
}

/// The error every Fullhouse operation returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Validation {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("{0}")]
    MalformedBody(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("`{value}` is not a valid {kind} id: {reason}")]
    InvalidId {
        kind: Cow<'static, str>,
        value: String,
        reason: Cow<'static, str>,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the CSRF token is missing or does not match; reload the page and try again")]
    CsrfFailed,
    #[error("too many requests; try again in a moment")]
    RateLimited,
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One field is wrong.
    pub fn invalid(field: impl Into<String>, reason: impl Into<Reason>) -> Self {
        let field = FieldError::new(field, reason);
        Self::Validation {
            message: format!("{}: {}", field.field, field.reason),
            fields: vec![field],
        }
    }

    /// One field is wrong in one of the common ways (see [`Problem`]).
    pub fn invalid_because(
        field: impl Into<String>,
        problem: Problem,
        reason: impl Into<Reason>,
    ) -> Self {
        let field = FieldError::new(field, reason).because(problem);
        Self::Validation {
            message: format!("{}: {}", field.field, field.reason),
            fields: vec![field],
        }
    }

    /// A field that must not be empty is.
    pub fn required(field: impl Into<String>) -> Self {
        Self::invalid_because(field, Problem::Required, "cannot be empty")
    }

    /// Several fields (or rows) are wrong; the message names the first and how many more.
    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let message = match fields.first() {
            None => "the input is not valid".to_string(),
            Some(first) => {
                let place = match first.row {
                    Some(row) => format!("row {row}, {}", first.field),
                    None => first.field.clone(),
                };
                let more = fields.len() - 1;
                if more == 0 {
                    format!("{place}: {}", first.reason)
                } else {
                    format!("{place}: {} (and {more} more)", first.reason)
                }
            }
        };
        Self::Validation { message, fields }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{message}"))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::Validation,
            Self::MalformedBody(_) => ErrorCode::MalformedBody,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::InvalidId { .. } => ErrorCode::InvalidId,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::CsrfFailed => ErrorCode::CsrfFailed,
            Self::RateLimited => ErrorCode::RateLimited,
            Self::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::Database(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Machine-readable details: the failing fields, the conflicting field, or the malformed id;
    /// an empty object otherwise (never `null`: the document says `details` is an object).
    pub fn details(&self) -> Value {
        match self {
            Self::Validation { fields, .. } => json!({ "fields": fields }),
            Self::Conflict {
                field: Some(field), ..
            } => json!({ "field": field }),
            Self::InvalidId { kind, value, .. } => json!({ "kind": kind, "value": value }),
            _ => json!({}),
        }
    }

    /// The message a caller sees. Internal errors never leak their cause.
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => {
                "internal error; the server log has the details".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    pub code: ErrorCode,
    pub message: String,
    /// `{}`, or `fields` (validation), `field` (conflict), `kind` and `value` (invalid id); the
    /// OpenAPI document spells the shape out (`ErrorDetails`).
    #[schema(value_type = Object)]
    pub details: Value,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = ?self, "internal error");
        }
        metrics::counter!("fullhouse_errors_total", "code" => code.as_str()).increment(1);
        let body = ErrorBody {
            error: ErrorObject {
                code,
                message: self.public_message(),
                details: self.details(),
            },
        };
        (code.status(), axum::Json(body)).into_response()
    }
}

/// Unique-constraint violations are conflicts a caller can fix, never a 500.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn details_are_an_object_even_when_there_are_none() {
        for err in [
            Error::NotFound("audience"),
            Error::Unauthorized("log in first"),
            Error::RateLimited,
            Error::UnsupportedMediaType("json".into()),
            Error::internal("boom"),
        ] {
            assert_eq!(err.details(), json!({}), "{err}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = Error::internal("password=hunter2");
        assert!(!err.public_message().contains("hunter2"));
    }

    #[test]
    fn a_row_error_message_names_row_and_column() {
        let err = Error::invalid_fields(vec![
            FieldError::at_row(3, "email", "not an email address"),
            FieldError::at_row(7, "birth_date", "not a date"),
        ]);
        assert_eq!(
            err.to_string(),
            "row 3, email: not an email address (and 1 more)"
        );
    }
}
