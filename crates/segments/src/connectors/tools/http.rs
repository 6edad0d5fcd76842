//! What every email-tool client does the same way: one pooled HTTP client with timeouts, at most
//! three attempts when the tool says "later" (429) or fails on its side (5xx) or cannot be
//! reached, waiting what its `Retry-After` asks or else a doubling pause, and errors that name
//! the tool and quote the start of its answer so the job's failure says what went wrong.
//!
//! Retrying a POST is safe here because every call the clients make is an upsert by email
//! (Mailchimp `update_existing`, Klaviyo and Brevo imports, the webhook contract asks the
//! receiver to treat a repeated batch the same way): sending a batch twice changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fullhouse_core::{Error, Problem, Result};
use reqwest::{RequestBuilder, Response, StatusCode};

/// The field errors from a tool are reported on, so a page can point at the connector.
pub const FIELD: &str = "connector";

/// How long one call may take, whole; a 10,000-profile import is a few MB.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a refusal's body goes into the error: enough for the tool's message.
const EXCERPT_CHARS: usize = 300;

/// One HTTP client (one connection pool) for the email tools, with timeouts so a tool that
/// stops answering fails the call instead of holding the job forever.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent("Fullhouse segments")
        .build()
        .unwrap_or_default()
}

/// How a client tries again. The default is what production uses; tests shorten the pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The pause after the first failure when the tool gives no `Retry-After`; doubled each time.
    pub first_pause: Duration,
    /// No pause is longer, whatever `Retry-After` asks: a tool asking for an hour fails the call.
    pub longest_pause: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_pause: Duration::from_secs(1),
            longest_pause: Duration::from_secs(60),
        }
    }
}

impl Retry {
    /// The pause before attempt `failed + 1`, after `failed` failures.
    fn pause(&self, failed: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .first_pause
            .saturating_mul(2u32.saturating_pow(failed.saturating_sub(1)));
        retry_after.unwrap_or(doubled).min(self.longest_pause)
    }
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 allows both).
pub fn retry_after(response: &Response, now: DateTime<Utc>) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

fn worth_retrying(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Sends the request `make` builds, again after a 429, a 5xx or a failed connection, at most
/// `retry.attempts` times. Returns the first answer that is neither (2xx or a 4xx refusal: the
/// caller reads it); the last 429/5xx or connection failure becomes an error naming `tool`.
pub async fn send(
    tool: &str,
    retry: &Retry,
    make: impl Fn() -> RequestBuilder,
) -> Result<Response> {
    let attempts = retry.attempts.max(1);
    let mut failed = 0;
    loop {
        match make().send().await {
            Ok(response) if !worth_retrying(response.status()) => return Ok(response),
            Ok(response) => {
                failed += 1;
                let wait = retry_after(&response, Utc::now());
                if failed >= attempts || wait.is_some_and(|w| w > retry.longest_pause) {
                    return Err(refused(tool, response).await);
                }
                tracing::info!(tool, status = %response.status(), failed, "email tool said later");
                tokio::time::sleep(retry.pause(failed, wait)).await;
            }
            Err(err) => {
                failed += 1;
                tracing::warn!(tool, error = %err, failed, "email tool could not be reached");
                if failed >= attempts {
                    return Err(Error::invalid_because(
                        FIELD,
                        Problem::Unreachable,
                        format!("{tool} could not be reached ({attempts} attempts): {err}"),
                    ));
                }
                tokio::time::sleep(retry.pause(failed, None)).await;
            }
        }
    }
}

/// The error for an answer that is not a success: the status and the start of the body.
pub async fn refused(tool: &str, response: Response) -> Error {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    tracing::warn!(tool, %status, body = excerpt(&body), "email tool refused a call");
    Error::invalid(
        FIELD,
        format!("{tool} answered {status}: {}", excerpt(&body))
            .trim_end_matches([' ', ':'])
            .to_string(),
    )
}

/// Reads a success's JSON body, or says the tool answered something else.
pub async fn json<T: serde::de::DeserializeOwned>(tool: &str, response: Response) -> Result<T> {
    let body = response.text().await.map_err(|e| {
        Error::invalid_because(
            FIELD,
            Problem::Unreachable,
            format!("{tool}'s answer broke off: {e}"),
        )
    })?;
    serde_json::from_str(&body).map_err(|e| {
        Error::invalid(
            FIELD,
            format!(
                "{tool} answered in a shape Fullhouse does not know ({e}): {}",
                excerpt(&body)
            ),
        )
    })
}

/// The first characters of a body, on one line.
pub fn excerpt(body: &str) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &flat[..end]),
        None => flat.to_string(),
    }
}

/// A base URL as given, without the trailing slash paths are appended after.
pub fn base_url(given: &str, field: &str) -> Result<String> {
    let trimmed = given.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|_| Error::invalid(field, "is not a web address (https://…)"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(Error::invalid(field, "is not a web address (https://…)"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_and_never_exceeds_the_longest() {
        let retry = Retry {
            attempts: 5,
            first_pause: Duration::from_millis(100),
            longest_pause: Duration::from_millis(300),
        };
        assert_eq!(retry.pause(1, None), Duration::from_millis(100));
        assert_eq!(retry.pause(2, None), Duration::from_millis(200));
        assert_eq!(retry.pause(3, None), Duration::from_millis(300));
        assert_eq!(
            retry.pause(1, Some(Duration::from_millis(250))),
            Duration::from_millis(250)
        );
        assert_eq!(
            retry.pause(1, Some(Duration::from_secs(9))),
            Duration::from_millis(300)
        );
    }

    #[test]
    fn an_excerpt_is_one_line_and_cut() {
        assert_eq!(excerpt(" {\"a\":\n1} "), "{\"a\": 1}");
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn a_base_url_must_be_a_web_address() {
        assert_eq!(
            base_url("http://127.0.0.1:8080/", "base_url")
                .ok()
                .as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert!(base_url("ftp://x", "base_url").is_err());
        assert!(base_url("us21.api.mailchimp.com", "base_url").is_err());
    }
}
