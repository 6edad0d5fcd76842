//! Klaviyo, through its bulk profile import (JSON:API, `revision` [`REVISION`]):
//!
//! 1. `POST {base}/api/profile-bulk-import-jobs` with up to 10,000 profiles and the list they
//!    join; Klaviyo answers 202 with the job (an upsert: existing profiles are updated).
//! 2. `GET {base}/api/profile-bulk-import-jobs/{id}` until its status is `complete` (or
//!    `cancelled`, an error), pausing between looks.
//! 3. `GET {base}/api/profile-bulk-import-jobs/{id}/import-errors`, page by page (`links.next`),
//!    each error with the profile it was about (`original_payload`) → [`Rejected`].
//!
//! Authentication is the private key in `Authorization: Klaviyo-API-Key …`. Klaviyo also caps
//! a job's body at 5 MB; 10,000 profiles with the fields sent here take about 3.5 MB.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fullhouse_core::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, Retry};
use super::{BatchOutcome, Contact, EmailTool, Rejected};

/// Klaviyo's limit for one import job.
pub const BATCH_SIZE: usize = 10_000;
/// The API revision the bodies here are written for (Klaviyo requires the header).
pub const REVISION: &str = "2024-10-15";
/// Klaviyo's production API.
pub const DEFAULT_BASE: &str = "https://a.klaviyo.com";
const TOOL: &str = "Klaviyo";
const JSON_API: &str = "application/vnd.api+json";

/// One organization's Klaviyo list.
#[derive(Clone)]
pub struct Klaviyo {
    http: reqwest::Client,
    base: String,
    api_key: String,
    list_id: String,
    retry: Retry,
    poll_every: Duration,
    longest_wait: Duration,
}

impl Klaviyo {
    /// `base` is the API's address; `None` is Klaviyo's own.
    pub fn new(
        http: reqwest::Client,
        base: Option<&str>,
        api_key: &str,
        list_id: &str,
    ) -> Result<Self> {
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err(Error::required("api_key"));
        }
        let list_id = list_id.trim();
        if list_id.is_empty() || !list_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "list_id",
                "is not a Klaviyo list id (letters and digits, as in the list's address)",
            ));
        }
        let base = match base.map(str::trim).filter(|b| !b.is_empty()) {
            Some(given) => http::base_url(given, "base_url")?,
            None => DEFAULT_BASE.to_string(),
        };
        Ok(Self {
            http,
            base,
            api_key: api_key.to_string(),
            list_id: list_id.to_string(),
            retry: Retry::default(),
            poll_every: Duration::from_secs(2),
            longest_wait: Duration::from_secs(15 * 60),
        })
    }

    /// Shorter pauses between attempts (tests).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// How often the import job is looked at, and how long at most it is waited for.
    pub fn with_polling(mut self, every: Duration, longest_wait: Duration) -> Self {
        self.poll_every = every;
        self.longest_wait = longest_wait;
        self
    }

    /// The import job's body (pure, so its shape is checked without Klaviyo).
    pub fn body(&self, contacts: &[Contact]) -> Value {
        let profiles: Vec<Value> = contacts.iter().map(profile).collect();
        json!({
            "data": {
                "type": "profile-bulk-import-job",
                "attributes": { "profiles": { "data": profiles } },
                "relationships": {
                    "lists": { "data": [{ "type": "list", "id": self.list_id }] }
                }
            }
        })
    }

    fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .header("Authorization", format!("Klaviyo-API-Key {}", self.api_key))
            .header("revision", REVISION)
            .header("accept", JSON_API)
    }

    async fn start(&self, contacts: &[Contact]) -> Result<JobResource> {
        let url = format!("{}/api/profile-bulk-import-jobs", self.base);
        let body = serde_json::to_vec(&self.body(contacts))
            .map_err(|e| Error::internal(format!("a Klaviyo import body: {e}")))?;
        let response = http::send(TOOL, &self.retry, || {
            self.http
                .post(&url)
                .header("Authorization", format!("Klaviyo-API-Key {}", self.api_key))
                .header("revision", REVISION)
                .header("accept", JSON_API)
                .header("content-type", JSON_API)
                .body(body.clone())
        })
        .await?;
        if !response.status().is_success() {
            return Err(http::refused(TOOL, response).await);
        }
        Ok(http::json::<Document<JobResource>>(TOOL, response)
            .await?
            .data)
    }

    /// Looks at the job until it is done; its last state.
    async fn finish(&self, mut job: JobResource) -> Result<JobResource> {
        let url = format!("{}/api/profile-bulk-import-jobs/{}", self.base, job.id);
        let started = Instant::now();
        while !job.attributes.is_done() {
            if started.elapsed() >= self.longest_wait {
                return Err(Error::invalid(
                    http::FIELD,
                    format!(
                        "Klaviyo's import job {} had not finished after {} minutes (status {}); \
                         it goes on in Klaviyo",
                        job.id,
                        self.longest_wait.as_secs() / 60,
                        job.attributes.status
                    ),
                ));
            }
            tokio::time::sleep(self.poll_every).await;
            let response = http::send(TOOL, &self.retry, || self.get(&url)).await?;
            if !response.status().is_success() {
                return Err(http::refused(TOOL, response).await);
            }
            job = http::json::<Document<JobResource>>(TOOL, response)
                .await?
                .data;
        }
        if job.attributes.status == "cancelled" {
            return Err(Error::invalid(
                http::FIELD,
                format!("Klaviyo cancelled the import job {}", job.id),
            ));
        }
        Ok(job)
    }

    /// Every import error of the job, following `links.next` (only on the same API: the key
    /// goes with each request).
    async fn errors(&self, job_id: &str) -> Result<Vec<ImportError>> {
        let mut next = Some(format!(
            "{}/api/profile-bulk-import-jobs/{job_id}/import-errors",
            self.base
        ));
        let mut errors = Vec::new();
        while let Some(url) = next.take() {
            if !url.starts_with(&format!("{}/", self.base)) {
                return Err(Error::invalid(
                    http::FIELD,
                    format!("Klaviyo's next page of import errors is elsewhere: {url}"),
                ));
            }
            let response = http::send(TOOL, &self.retry, || self.get(&url)).await?;
            if !response.status().is_success() {
                return Err(http::refused(TOOL, response).await);
            }
            let page: ErrorPage = http::json(TOOL, response).await?;
            errors.extend(page.data);
            next = page.links.and_then(|l| l.next).filter(|n| !n.is_empty());
        }
        Ok(errors)
    }
}

/// A profile as the import takes it; absent fields are left out so they do not blank
/// what Klaviyo has.
fn profile(contact: &Contact) -> Value {
    let mut attributes = Map::new();
    attributes.insert("email".into(), json!(contact.email.trim()));
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    for (key, value) in [
        ("first_name", present(&contact.first_name)),
        ("last_name", present(&contact.last_name)),
        ("phone_number", present(&contact.phone)),
    ] {
        if let Some(value) = value {
            attributes.insert(key.into(), json!(value));
        }
    }
    let mut location = Map::new();
    for (key, value) in [
        ("country", present(&contact.country)),
        ("zip", present(&contact.postal_code)),
        ("city", present(&contact.city)),
    ] {
        if let Some(value) = value {
            location.insert(key.into(), json!(value));
        }
    }
    if !location.is_empty() {
        attributes.insert("location".into(), Value::Object(location));
    }
    let mut properties = Map::new();
    properties.insert("fullhouse_customer_id".into(), json!(contact.customer_id));
    if let Some(language) = present(&contact.language) {
        properties.insert("language".into(), json!(language));
    }
    if !contact.tags.is_empty() {
        properties.insert("fullhouse_tags".into(), json!(contact.tags));
    }
    attributes.insert("properties".into(), Value::Object(properties));
    json!({ "type": "profile", "attributes": attributes })
}

#[derive(Debug, Deserialize)]
struct Document<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct JobResource {
    id: String,
    attributes: JobAttributes,
}

#[derive(Debug, Deserialize)]
struct JobAttributes {
    #[serde(default)]
    status: String,
}

impl JobAttributes {
    /// `queued` and `processing` go on; `complete` and `cancelled` are final.
    fn is_done(&self) -> bool {
        matches!(self.status.as_str(), "complete" | "cancelled")
    }
}

#[derive(Debug, Deserialize)]
struct ErrorPage {
    #[serde(default)]
    data: Vec<ImportError>,
    links: Option<Links>,
}

#[derive(Debug, Deserialize)]
struct Links {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ImportError {
    attributes: ErrorAttributes,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorAttributes {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
    source: Option<ErrorSource>,
    original_payload: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorSource {
    pointer: Option<String>,
}

/// The profile an error is about: the email in its original payload, else the profile's place
/// in the body (`/data/attributes/profiles/data/3…`).
fn rejected(contacts: &[Contact], errors: Vec<ImportError>) -> Vec<Rejected> {
    let by_email: HashMap<String, &Contact> = contacts
        .iter()
        .map(|c| (c.email.trim().to_lowercase(), c))
        .collect();
    errors
        .into_iter()
        .map(|e| {
            let a = e.attributes;
            let email = a
                .original_payload
                .as_ref()
                .and_then(|p| p.get("email").or_else(|| p.pointer("/attributes/email")))
                .and_then(Value::as_str)
                .map(str::to_string);
            let by_place = a
                .source
                .as_ref()
                .and_then(|s| s.pointer.as_deref())
                .and_then(|p| p.strip_prefix("/data/attributes/profiles/data/"))
                .and_then(|rest| rest.split('/').next()?.parse::<usize>().ok())
                .and_then(|i| contacts.get(i));
            let contact = email
                .as_deref()
                .and_then(|e| by_email.get(&e.trim().to_lowercase()).copied())
                .or(by_place);
            let reason = [a.title.trim(), a.detail.trim(), a.code.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" — ");
            Rejected {
                customer_id: contact.map(|c| c.customer_id.clone()).unwrap_or_default(),
                email: email
                    .or_else(|| contact.map(|c| c.email.clone()))
                    .unwrap_or_default(),
                reason,
            }
        })
        .collect()
}

#[async_trait]
impl EmailTool for Klaviyo {
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    async fn push(&self, contacts: &[Contact]) -> Result<BatchOutcome> {
        if contacts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if contacts.len() > BATCH_SIZE {
            return Err(Error::internal(format!(
                "a Klaviyo import takes at most {BATCH_SIZE} profiles, not {}",
                contacts.len()
            )));
        }
        let job = self.start(contacts).await?;
        let job = self.finish(job).await?;
        let rejected = rejected(contacts, self.errors(&job.id).await?);
        Ok(BatchOutcome {
            accepted: (contacts.len() as u64).saturating_sub(rejected.len() as u64),
            rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Klaviyo {
        Klaviyo::new(reqwest::Client::new(), None, "pk_x", "Y6nRLr").expect("a client")
    }

    #[test]
    fn a_profile_leaves_out_what_the_customer_lacks() {
        let contact = Contact {
            customer_id: "c1".into(),
            email: "ane@example.dk".into(),
            first_name: Some("Ane".into()),
            postal_code: Some("8000".into()),
            language: Some("da".into()),
            ..Contact::default()
        };
        let body = client().body(&[contact]);
        assert_eq!(body["data"]["type"], "profile-bulk-import-job");
        assert_eq!(
            body["data"]["relationships"]["lists"]["data"][0],
            json!({"type": "list", "id": "Y6nRLr"})
        );
        let p = &body["data"]["attributes"]["profiles"]["data"][0];
        assert_eq!(p["type"], "profile");
        assert_eq!(p["attributes"]["email"], "ane@example.dk");
        assert_eq!(p["attributes"]["first_name"], "Ane");
        assert!(p["attributes"].get("last_name").is_none());
        assert_eq!(p["attributes"]["location"], json!({"zip": "8000"}));
        assert_eq!(p["attributes"]["properties"]["language"], "da");
    }

    #[test]
    fn errors_find_their_customer_by_email_or_place() {
        let contacts = [
            Contact {
                customer_id: "c1".into(),
                email: "a@example.dk".into(),
                ..Contact::default()
            },
            Contact {
                customer_id: "c2".into(),
                email: "b@example.dk".into(),
                ..Contact::default()
            },
        ];
        let errors = vec![
            ImportError {
                attributes: ErrorAttributes {
                    title: "Invalid phone number".into(),
                    original_payload: Some(json!({"email": "A@example.dk"})),
                    ..ErrorAttributes::default()
                },
            },
            ImportError {
                attributes: ErrorAttributes {
                    code: "invalid".into(),
                    source: Some(ErrorSource {
                        pointer: Some("/data/attributes/profiles/data/1/attributes/email".into()),
                    }),
                    ..ErrorAttributes::default()
                },
            },
        ];
        let rejected = rejected(&contacts, errors);
        assert_eq!(rejected[0].customer_id, "c1");
        assert_eq!(rejected[0].reason, "Invalid phone number");
        assert_eq!(rejected[1].customer_id, "c2");
        assert_eq!(rejected[1].email, "b@example.dk");
    }
}
