//! What every module's HTTP layer shares: the application state, extractors whose rejections use
//! the one error shape, the authenticated caller, and cursor pagination.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::Db;
use crate::error::{Error, FieldError};
use crate::files::FileStore;
use crate::tenancy::model::{Caller, Credential};
use crate::tenancy::service::TenancyService;

/// The name of the login-session cookie.
pub const SESSION_COOKIE: &str = "fullhouse_session";
/// The header that carries the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// JSON bodies up to this size; upload routes raise their own limit with
/// `.layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))`.
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// The largest bulk JSON batch (`/customers/bulk`, `/orders/bulk`, seat maps as JSON); files to
/// import are held to the configured upload limit instead ([`UploadBody`]).
pub const UPLOAD_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Settings the HTTP layer needs at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// The address people reach this server at, for links in mail and pages.
    pub public_url: String,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// The largest file `POST /uploads` and the CSV import routes take, in bytes.
    pub upload_limit_bytes: u64,
    /// The bearer token `GET /metrics` asks for; without one, only loopback clients get metrics.
    pub metrics_token: Option<String>,
}

/// The state every handler receives.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub files: FileStore,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn tenancy(&self) -> TenancyService {
        TenancyService::new(self.db.clone())
    }
}

/// JSON body extractor whose rejections are [`Error`]s naming the field that failed. The body
/// must be a JSON object: serde would otherwise read an array as a struct's fields in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(Error::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Error::from(JsonRejection::from(rejection)))?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(Error::MalformedBody(
                "expected a JSON object as the body".into(),
            ));
        }
        let problems = bounds::problems(&bytes);
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(ApiJson(value))
    }
}

/// Bounds every JSON body keeps, whatever route it goes to, checked while walking the body once
/// (no copy of it is built): dates and date-times in the years 1900 to 9999 (the API's date-time
/// format has four-digit years; a year 0 or -1 would be stored and then break every answer that
/// shows it), and `name` fields of at most 200 characters.
pub mod bounds {
    use std::fmt;

    use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
    use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

    use crate::error::FieldError;

    /// The years a date in a body may fall in.
    pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;
    /// The longest `name` (of a campaign, an audience, a venue, a user…).
    pub const MAX_NAME_LENGTH: usize = 200;

    /// Every value of `body` out of bounds, by its field path (`items[2].starts_at`). A body that
    /// is not JSON has none here; the JSON reader names its fault.
    pub fn problems(body: &[u8]) -> Vec<FieldError> {
        let mut path = String::new();
        let mut problems = Vec::new();
        let mut reader = serde_json::Deserializer::from_slice(body);
        let _ = Scan {
            path: &mut path,
            key: None,
            problems: &mut problems,
        }
        .deserialize(&mut reader);
        problems
    }

    /// The year of a value that reads as a date or date-time (as the API's own types read them).
    fn year_of(value: &str) -> Option<i32> {
        if !(10..=40).contains(&value.len()) {
            return None;
        }
        value
            .parse::<DateTime<FixedOffset>>()
            .map(|d| d.year())
            .or_else(|_| value.parse::<NaiveDate>().map(|d| d.year()))
            .ok()
    }

    struct Scan<'a> {
        path: &'a mut String,
        /// The key this value sits under, when it sits in an object.
        key: Option<&'a str>,
        problems: &'a mut Vec<FieldError>,
    }

    impl Scan<'_> {
        fn field(&self) -> String {
            if self.path.is_empty() {
                "body".to_string()
            } else {
                self.path.clone()
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Scan<'_> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Scan<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_str<E>(self, value: &str) -> Result<(), E> {
            if let Some(year) = year_of(value).filter(|y| !YEARS.contains(y)) {
                self.problems.push(
                    FieldError::new(
                        self.field(),
                        format!(
                            "the year {year} is out of range; use a date in the years {} to {}",
                            YEARS.start(),
                            YEARS.end()
                        ),
                    )
                    .with_value(value),
                );
            }
            if self.key == Some("name") && value.chars().count() > MAX_NAME_LENGTH {
                self.problems.push(FieldError::new(
                    self.field(),
                    format!("is too long; use at most {MAX_NAME_LENGTH} characters"),
                ));
            }
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let Scan { path, problems, .. } = self;
            let mut index = 0usize;
            loop {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                let more = seq.next_element_seed(Scan {
                    path: &mut *path,
                    key: None,
                    problems: &mut *problems,
                })?;
                path.truncate(len);
                if more.is_none() {
                    return Ok(());
                }
                index += 1;
            }
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let Scan { path, problems, .. } = self;
            while let Some(key) = map.next_key::<String>()? {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                map.next_value_seed(Scan {
                    path: &mut *path,
                    key: Some(&key),
                    problems: &mut *problems,
                })?;
                path.truncate(len);
            }
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::problems;

        #[test]
        fn dates_outside_the_years_1900_to_9999_and_long_names_are_named_by_their_path() {
            let body = br#"{"name": "ok", "valid_from": "0000-01-01T00:00:00Z",
                "items": [{"starts_at": "2031-01-01T19:30:00Z"}, {"day": "-0001-12-31"}],
                "note": "0000-01-01 is not a date here", "list": [{"name": "NAME"}]}"#;
            let found = problems(body);
            let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
            assert_eq!(fields, ["valid_from", "items[1].day"], "{found:?}");
            let long = format!(r#"{{"name": "{}"}}"#, "x".repeat(201));
            assert_eq!(problems(long.as_bytes())[0].field, "name");
            let nested = format!(r#"{{"sections": [{{"name": "{}"}}]}}"#, "x".repeat(201));
            assert_eq!(problems(nested.as_bytes())[0].field, "sections[0].name");
            assert!(problems(br#"{"name": "Hamlet", "starts_at": "1999-12-31"}"#).is_empty());
        }
    }
}

/// `application/json` or any `application/*+json`, as axum's own `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A raw request body (a file to import; a CSV file comes through [`CsvBody`]) held to the
/// server's upload limit (`--upload-limit-mb`): a declared length over it is refused before
/// anything is read, and the body is read only until it passes it. Its routes disable the 2 MB default with
/// `.layer(DefaultBodyLimit::disable())`.
#[derive(Debug, Clone)]
pub struct UploadBody(pub Bytes);

impl FromRequest<AppState> for UploadBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.settings.upload_limit_bytes;
        let too_large = || {
            Error::PayloadTooLarge(format!(
                "the file is larger than the upload limit of {} MB ({limit} bytes)",
                limit / 1024 / 1024
            ))
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut chunks = request.into_body().into_data_stream();
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk
                .map_err(|e| Error::MalformedBody(format!("the body could not be read: {e}")))?;
            if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(UploadBody(body.freeze()))
    }
}

/// The labels a CSV file arrives with: spreadsheet programs, browsers and tools label the same
/// file `text/csv`, `application/vnd.ms-excel`, plain text or bytes. A body without a label is
/// read too (the reader decides what the bytes are).
pub const CSV_CONTENT_TYPES: &[&str] = &[
    "text/csv",
    "text/x-csv",
    "application/csv",
    "application/x-csv",
    "text/comma-separated-values",
    "text/tab-separated-values",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
];

/// Refuses a body labelled as something other than a CSV file, naming what was sent: a form
/// upload or JSON on a file route is a client mistake worth a precise answer (415).
pub fn require_csv_body(headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if CSV_CONTENT_TYPES.contains(&essence.as_str()) {
        return Ok(());
    }
    let sent = if essence.starts_with("multipart/") {
        "a form upload (`multipart/form-data`) is not read here".to_string()
    } else if essence.is_empty() {
        "the `Content-Type` header is empty or unreadable".to_string()
    } else {
        format!(
            "`Content-Type: {}` is not a CSV file",
            crate::tabular::truncate_chars(&essence, 100)
        )
    };
    Err(Error::UnsupportedMediaType(format!(
        "{sent}; send the CSV file itself as the body, with `Content-Type: text/csv`"
    )))
}

/// A CSV file sent as the raw request body (the customer, order and seat-map imports): the one
/// reader of such bodies. Its label is checked first ([`require_csv_body`], 415), then the body
/// is read to the upload limit as [`UploadBody`] reads it (413), and an empty or blank body is
/// refused (`file: is empty`). Its routes disable the 2 MB default with
/// `.layer(DefaultBodyLimit::disable())`.
#[derive(Debug, Clone)]
pub struct CsvBody(pub Bytes);

impl FromRequest<AppState> for CsvBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        require_csv_body(request.headers())?;
        let UploadBody(bytes) = UploadBody::from_request(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid("file", "is empty"));
        }
        Ok(CsvBody(bytes))
    }
}

/// Path extractor: a malformed id is `invalid_id`, never a bare 400 text.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

/// Query-string extractor with the one error shape.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => {
                // axum reports "Failed to deserialize …: <path>: <reason> at line L column C".
                let text = err.body_text();
                let detail = text
                    .split_once("target type: ")
                    .map(|(_, d)| d)
                    .unwrap_or(&text);
                match detail.split_once(": ") {
                    Some((path, reason)) if !path.contains(' ') => {
                        Error::invalid_fields(vec![FieldError::new(path, reason)])
                    }
                    _ => Error::invalid_fields(vec![FieldError::new("body", detail)]),
                }
            }
            JsonRejection::JsonSyntaxError(err) => {
                Error::MalformedBody(format!("the body is not valid JSON: {}", err.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => Error::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Error::PayloadTooLarge("the body is larger than this route accepts".into())
            }
            other => Error::MalformedBody(other.body_text()),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        use axum::extract::path::ErrorKind;
        let unparsed = |key: &str, value: &str| Error::InvalidId {
            kind: key.to_string().into(),
            value: value.chars().take(64).collect(),
            reason: "it does not have the shape this route expects".into(),
        };
        let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
            return Error::internal(rejection.body_text());
        };
        match failed.into_kind() {
            // An id type refused the value: its message is ours, so the answer keeps the kind and
            // reason instead of axum's wording. (`Message` when the route has one parameter.)
            ErrorKind::DeserializeError {
                key,
                value,
                message,
            } => id_error(&message).unwrap_or_else(|| unparsed(&key, &value)),
            ErrorKind::Message(message) => {
                id_error(&message).unwrap_or_else(|| unparsed("path", &message))
            }
            ErrorKind::ParseErrorAtKey { key, value, .. } => unparsed(&key, &value),
            ErrorKind::InvalidUtf8InPathParam { key } => unparsed(&key, ""),
            ErrorKind::ParseError { value, .. } | ErrorKind::ParseErrorAtIndex { value, .. } => {
                unparsed("path", &value)
            }
            other => unparsed("path", &other.to_string()),
        }
    }
}

/// Reads back the message of [`Error::InvalidId`]: "`<value>` is not a valid <kind> id: <reason>".
fn id_error(message: &str) -> Option<Error> {
    let (quoted, rest) = message.rsplit_once(" is not a valid ")?;
    let value = quoted.strip_prefix('`')?.strip_suffix('`')?;
    let (kind, reason) = rest.split_once(" id: ")?;
    Some(Error::InvalidId {
        kind: kind.to_string().into(),
        value: value.chars().take(64).collect(),
        reason: reason.to_string().into(),
    })
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn an_id_of_another_kind_in_the_path_keeps_its_kind_value_and_reason() {
        let parsed = crate::ids::UserId::parse("org_01JD8Q3W6M4Z1T0R5Y7X2B9C4E");
        let message = parsed.err().map(|e| e.to_string()).unwrap_or_default();
        let err = id_error(&message).map(|e| (e.to_string(), e.details()));
        assert_eq!(
            err,
            Some((
                "`org_01JD8Q3W6M4Z1T0R5Y7X2B9C4E` is not a valid user id: it belongs to another kind of resource"
                    .to_string(),
                serde_json::json!({"kind": "user", "value": "org_01JD8Q3W6M4Z1T0R5Y7X2B9C4E"})
            ))
        );
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        let text = rejection.body_text();
        let detail = text
            .split_once("string: ")
            .map(|(_, d)| d.to_string())
            .unwrap_or(text);
        Error::invalid_fields(vec![FieldError::new("query", detail)])
    }
}

/// The caller of an API request: from `Authorization: Bearer …` (a session or API token) or the
/// session cookie. Writes authenticated by cookie must also send the CSRF token header.
impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let (token, via_cookie) = credential_of(parts).ok_or(Error::Unauthorized(
            "log in first: send `Authorization: Bearer <token>` or the session cookie",
        ))?;
        let caller = state.tenancy().authenticate(&token, via_cookie).await?;
        if let Credential::Session {
            csrf_token,
            via_cookie: true,
        } = &caller.credential
        {
            if !is_safe(&parts.method) {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent != Some(csrf_token.as_str()) {
                    return Err(Error::CsrfFailed);
                }
            }
        }
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// For routes that work with or without a login (pages that redirect to the login form).
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let Some((token, via_cookie)) = credential_of(parts) else {
            return Ok(None);
        };
        match state.tenancy().authenticate(&token, via_cookie).await {
            Ok(caller) => Ok(Some(caller)),
            Err(Error::Unauthorized(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

fn credential_of(parts: &Parts) -> Option<(String, bool)> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string());
    if let Some(token) = bearer {
        return Some((token, false));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    jar.get(SESSION_COOKIE)
        .map(|c| (c.value().to_string(), true))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `?cursor=…&limit=…` on every list route.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

impl PageParams {
    pub const DEFAULT_LIMIT: u64 = 50;
    pub const MAX_LIMIT: u64 = 500;

    pub fn limit(&self) -> Result<u64, Error> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(Error::invalid(
                "limit",
                format!("{n} is out of range; use 1 to {}", Self::MAX_LIMIT),
            )),
        }
    }

    /// The cursor is the id of the last item of the previous page; ids sort by creation time.
    pub fn after(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// One page of a list, with the cursor of the next page when there is one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, id_of: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(&id_of) } else { None };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// A list short enough to answer whole, in the shape of every other list.
    pub fn whole(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// `201 Created` with a JSON body.
pub fn created<T: Serialize>(body: T) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

/// A file download: `Content-Disposition: attachment` with the name made safe for the header
/// (an ASCII fallback, and the real name in RFC 5987 `filename*` so "Målgruppe.csv" survives).
pub fn attachment(name: &str, content_type: &str, bytes: impl Into<axum::body::Body>) -> Response {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}");
    let mut response = Response::new(bytes.into());
    let headers = response.headers_mut();
    if let Ok(value) = axum::http::HeaderValue::from_str(content_type) {
        headers.insert(axum::http::header::CONTENT_TYPE, value);
    }
    if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}
