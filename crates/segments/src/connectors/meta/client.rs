//! Meta's Marketing API for customer-file custom audiences: add users, remove users and replace
//! the whole audience, in sessions of batches of at most [`MAX_BATCH`] rows.
//!
//! Every call is `{base}/{version}/{audience_id}/users` (POST adds, DELETE removes) or
//! `…/usersreplace` (POST), with the form fields Meta documents: `payload` (`schema` and `data`
//! as JSON), `session` (`session_id`, `batch_seq` from 1, `last_batch_flag` on the last batch
//! only, `estimated_num_total`) and `access_token`. One session id ties a push's batches
//! together, which is what lets a replace span many requests: Meta swaps the audience when the
//! last batch arrives.

use std::future::Future;

use fullhouse_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Meta takes at most this many rows per request.
pub const MAX_BATCH: usize = 10_000;
/// How many of Meta's invalid-entry samples a push keeps.
const MAX_SAMPLES: usize = 100;

/// What a push does to the audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Add,
    Remove,
    /// The audience becomes exactly the rows sent (a saved view's audience kept in sync).
    Replace,
}

/// One customer-file audience's client.
pub struct MetaClient {
    http: reqwest::Client,
    base: String,
    version: String,
    token: String,
}

/// Meta's answer to one batch.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchResponse {
    #[serde(default)]
    pub num_received: u64,
    #[serde(default)]
    pub num_invalid_entries: u64,
    #[serde(default)]
    pub invalid_entry_samples: Value,
}

/// A whole upload: Meta's counts summed over its batches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UploadReport {
    pub batches: usize,
    pub num_received: u64,
    pub num_invalid_entries: u64,
    /// Meta's samples of invalid entries, as "entry: reason" where Meta gives a reason.
    pub invalid_entry_samples: Vec<String>,
}

impl MetaClient {
    /// `base` is Graph's address (`https://graph.facebook.com`, or a test server's), `version`
    /// e.g. `v21.0`, `token` the access token.
    pub fn new(http: reqwest::Client, base: &str, version: &str, token: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            version: version.to_string(),
            token: token.to_string(),
        }
    }

    /// Sends `rows` (each in `schema` order) as one session, in batches of at most
    /// [`MAX_BATCH`]; `after_batch(rows_sent_so_far)` runs after each (the job's progress, which
    /// also stops the upload when the job is cancelled).
    pub async fn upload<F, Fut>(
        &self,
        operation: Operation,
        audience_id: &str,
        schema: &[&str],
        rows: &[Vec<String>],
        session_id: u64,
        mut after_batch: F,
    ) -> Result<UploadReport>
    where
        F: FnMut(usize) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        if rows.is_empty() {
            return Err(Error::invalid(
                "selection",
                "has no customers to send to Meta",
            ));
        }
        let batches = rows.len().div_ceil(MAX_BATCH);
        let mut report = UploadReport::default();
        for (i, batch) in rows.chunks(MAX_BATCH).enumerate() {
            let session = json!({
                "session_id": session_id,
                "batch_seq": i + 1,
                "last_batch_flag": i + 1 == batches,
                "estimated_num_total": rows.len(),
            });
            let answer = self
                .send(operation, audience_id, schema, batch, &session)
                .await?;
            report.batches += 1;
            report.num_received += answer.num_received;
            report.num_invalid_entries += answer.num_invalid_entries;
            for sample in samples(&answer.invalid_entry_samples) {
                if report.invalid_entry_samples.len() < MAX_SAMPLES {
                    report.invalid_entry_samples.push(sample);
                }
            }
            after_batch((i * MAX_BATCH + batch.len()).min(rows.len())).await?;
        }
        Ok(report)
    }

    /// One request of a session.
    async fn send(
        &self,
        operation: Operation,
        audience_id: &str,
        schema: &[&str],
        rows: &[Vec<String>],
        session: &Value,
    ) -> Result<BatchResponse> {
        let (method, edge) = match operation {
            Operation::Add => (reqwest::Method::POST, "users"),
            Operation::Remove => (reqwest::Method::DELETE, "users"),
            Operation::Replace => (reqwest::Method::POST, "usersreplace"),
        };
        let url = format!("{}/{}/{audience_id}/{edge}", self.base, self.version);
        let payload = json!({"schema": schema, "data": rows}).to_string();
        let form = [
            ("payload", payload),
            ("session", session.to_string()),
            ("access_token", self.token.clone()),
        ];
        let response = self
            .http
            .request(method, &url)
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable_meta(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| unreachable_meta(&e))?;
        if !status.is_success() {
            return Err(refused(status, &body));
        }
        serde_json::from_str(&body).map_err(|_| Error::Conflict {
            message: format!(
                "Meta answered {status} with something other than JSON: {}",
                excerpt(&body)
            ),
            field: None,
        })
    }
}

fn unreachable_meta(err: &reqwest::Error) -> Error {
    Error::Conflict {
        message: format!("Meta could not be reached: {err}"),
        field: None,
    }
}

/// Meta's error JSON (`{"error":{"message","type","code","error_subcode"}}`) as a clear error.
/// Refused tokens, permissions and parameters are the connector's to fix (a validation error:
/// the job stops, and is not retried); throttling and Meta's own failures are worth another
/// attempt later (a conflict, which the job worker retries).
pub fn refused(status: reqwest::StatusCode, body: &str) -> Error {
    #[derive(Deserialize)]
    struct Envelope {
        error: MetaError,
    }
    #[derive(Deserialize)]
    struct MetaError {
        #[serde(default)]
        message: String,
        #[serde(default)]
        code: Option<i64>,
        #[serde(default)]
        error_subcode: Option<i64>,
    }
    let Ok(Envelope { error }) = serde_json::from_str::<Envelope>(body) else {
        return Error::Conflict {
            message: format!("Meta answered {status}: {}", excerpt(body)),
            field: None,
        };
    };
    let code = error
        .code
        .map(|c| match error.error_subcode {
            Some(sub) => format!(" (code {c}, subcode {sub})"),
            None => format!(" (code {c})"),
        })
        .unwrap_or_default();
    let message = format!("Meta refused the upload: {}{code}", error.message);
    // 1, 2: temporary; 4, 17, 32, 613, 80003: rate limits (Meta's "Handling errors" page).
    let temporary = status.is_server_error()
        || matches!(error.code, Some(1 | 2 | 4 | 17 | 32 | 341 | 613 | 80003));
    if temporary {
        Error::Conflict {
            message,
            field: None,
        }
    } else if error.code == Some(190) {
        Error::invalid("credential", message)
    } else {
        Error::invalid("connector", message)
    }
}

/// Meta's `invalid_entry_samples` (an object of entry → reason, or a list) as lines.
fn samples(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(entry, reason)| match reason {
                Value::String(r) => format!("{entry}: {r}"),
                Value::Null => entry.clone(),
                other => format!("{entry}: {other}"),
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn excerpt(body: &str) -> String {
    body.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_names_the_credential_and_is_not_retried() {
        let body = r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1"}}"#;
        let err = refused(reqwest::StatusCode::BAD_REQUEST, body);
        let text = err.to_string();
        assert!(
            text.contains("Session has expired") && text.contains("code 190, subcode 463"),
            "{text}"
        );
        assert!(
            matches!(err, Error::Validation { ref fields, .. } if fields[0].field == "credential")
        );
    }

    #[test]
    fn throttling_and_meta_failures_are_worth_another_attempt() {
        let body = r#"{"error":{"message":"User request limit reached","code":17}}"#;
        assert!(matches!(
            refused(reqwest::StatusCode::BAD_REQUEST, body),
            Error::Conflict { .. }
        ));
        assert!(matches!(
            refused(reqwest::StatusCode::BAD_GATEWAY, "<html>oops</html>"),
            Error::Conflict { .. }
        ));
    }

    #[test]
    fn invalid_entry_samples_read_as_object_or_list() {
        assert_eq!(
            samples(&json!({"abc": "invalid hash", "def": null})),
            ["abc: invalid hash", "def"]
        );
        assert_eq!(samples(&json!(["x", 1])), ["x", "1"]);
        assert!(samples(&Value::Null).is_empty());
    }
}
