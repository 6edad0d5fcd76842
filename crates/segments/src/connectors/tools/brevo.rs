//! Brevo, through its contact import: `POST {base}/v3/contacts/import` with the contacts as
//! `jsonBody` (email and the attributes `FIRSTNAME`, `LASTNAME`, `SMS`), the list in `listIds`
//! and `updateExistingContacts`, authenticated by the `api-key` header.
//!
//! Brevo limits an import by size (10 MB, 8 MB advised), not by count; [`BATCH_SIZE`] contacts
//! stay far below it (a contact is a few hundred bytes).
//!
//! What Brevo allows to know, and what it does not: the import answers 202 with a process id
//! and checks the records afterwards. The client then looks at `GET {base}/v3/processes/{id}`
//! until the process is `completed` (and fails the batch if Brevo says it failed). Brevo keeps
//! its report of the refused records as CSV files on its side; it gives no per-record answer
//! through the API in a form this client can match to customers, so a Brevo batch has no
//! [`super::Rejected`] records: every contact sent counts as accepted, and the process id is
//! logged so the organizer can find Brevo's report (Contacts → Import history).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use fullhouse_core::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, Retry};
use super::{BatchOutcome, Contact, EmailTool};

/// Contacts in one import.
pub const BATCH_SIZE: usize = 5_000;
/// Brevo's production API.
pub const DEFAULT_BASE: &str = "https://api.brevo.com";
const TOOL: &str = "Brevo";

/// One organization's Brevo list.
#[derive(Clone)]
pub struct Brevo {
    http: reqwest::Client,
    base: String,
    api_key: String,
    list_id: i64,
    retry: Retry,
    poll_every: Duration,
    longest_wait: Duration,
}

impl Brevo {
    /// `base` is the API's address; `None` is Brevo's own. `list_id` is the list's number.
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
        let list_id = list_id
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                Error::invalid("list_id", "is not a Brevo list number (as in #12 on Brevo)")
            })?;
        let base = match base.map(str::trim).filter(|b| !b.is_empty()) {
            Some(given) => http::base_url(given, "base_url")?,
            None => DEFAULT_BASE.to_string(),
        };
        Ok(Self {
            http,
            base,
            api_key: api_key.to_string(),
            list_id,
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

    /// How often the import process is looked at, and how long at most it is waited for.
    pub fn with_polling(mut self, every: Duration, longest_wait: Duration) -> Self {
        self.poll_every = every;
        self.longest_wait = longest_wait;
        self
    }

    /// The import's body (pure, so its shape is checked without Brevo).
    pub fn body(&self, contacts: &[Contact]) -> Value {
        let records: Vec<Value> = contacts.iter().map(record).collect();
        json!({
            "jsonBody": records,
            "listIds": [self.list_id],
            "updateExistingContacts": true,
            // Empty fields here must not erase what the organizer has in Brevo.
            "emptyContactsAttributes": false,
            // One push is many imports: no mail to the account owner for each.
            "disableNotification": true,
        })
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("api-key", &self.api_key)
            .header("accept", "application/json")
    }

    /// Looks at the import process until Brevo has done it.
    async fn wait_for(&self, process_id: i64) -> Result<()> {
        let url = format!("{}/v3/processes/{process_id}", self.base);
        let started = Instant::now();
        loop {
            let response = http::send(TOOL, &self.retry, || {
                self.request(reqwest::Method::GET, &url)
            })
            .await?;
            if !response.status().is_success() {
                return Err(http::refused(TOOL, response).await);
            }
            let process: Process = http::json(TOOL, response).await?;
            let status = process.status.to_ascii_lowercase();
            if status == "completed" {
                return Ok(());
            }
            if ["fail", "abort", "cancel"]
                .iter()
                .any(|w| status.contains(w))
            {
                return Err(Error::invalid(
                    http::FIELD,
                    format!("Brevo's import process {process_id} ended {status}"),
                ));
            }
            if started.elapsed() >= self.longest_wait {
                return Err(Error::invalid(
                    http::FIELD,
                    format!(
                        "Brevo's import process {process_id} had not finished after {} minutes \
                         (status {status}); it goes on in Brevo",
                        self.longest_wait.as_secs() / 60
                    ),
                ));
            }
            tokio::time::sleep(self.poll_every).await;
        }
    }
}

/// A contact as the import takes it; absent attributes are left out.
fn record(contact: &Contact) -> Value {
    let mut attributes = Map::new();
    for (key, value) in [
        ("FIRSTNAME", &contact.first_name),
        ("LASTNAME", &contact.last_name),
        ("SMS", &contact.phone),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            attributes.insert(key.into(), json!(value));
        }
    }
    json!({ "email": contact.email.trim(), "attributes": attributes })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Started {
    process_id: i64,
}

#[derive(Debug, Deserialize)]
struct Process {
    #[serde(default)]
    status: String,
}

#[async_trait]
impl EmailTool for Brevo {
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    async fn push(&self, contacts: &[Contact]) -> Result<BatchOutcome> {
        if contacts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if contacts.len() > BATCH_SIZE {
            return Err(Error::internal(format!(
                "a Brevo import takes at most {BATCH_SIZE} contacts here, not {}",
                contacts.len()
            )));
        }
        let url = format!("{}/v3/contacts/import", self.base);
        let body = self.body(contacts);
        let response = http::send(TOOL, &self.retry, || {
            self.request(reqwest::Method::POST, &url).json(&body)
        })
        .await?;
        if !response.status().is_success() {
            return Err(http::refused(TOOL, response).await);
        }
        let started: Started = http::json(TOOL, response).await?;
        tracing::info!(
            process = started.process_id,
            contacts = contacts.len(),
            "Brevo import started"
        );
        self.wait_for(started.process_id).await?;
        Ok(BatchOutcome {
            accepted: contacts.len() as u64,
            rejected: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_must_be_a_number() {
        let http = reqwest::Client::new();
        assert!(Brevo::new(http.clone(), None, "xkeysib-1", "12").is_ok());
        for bad in ["", "abc", "-3", "0"] {
            let err = Brevo::new(http.clone(), None, "xkeysib-1", bad).err();
            assert!(
                err.is_some_and(|e| e.to_string().starts_with("list_id:")),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_body_names_the_list_and_only_present_attributes() {
        let brevo = Brevo::new(reqwest::Client::new(), None, "k", "7").expect("a client");
        let body = brevo.body(&[Contact {
            customer_id: "c1".into(),
            email: " ane@example.dk ".into(),
            last_name: Some("Ørsted".into()),
            phone: Some("+4520123456".into()),
            ..Contact::default()
        }]);
        assert_eq!(body["listIds"], json!([7]));
        assert_eq!(body["updateExistingContacts"], true);
        assert_eq!(
            body["jsonBody"][0],
            json!({"email": "ane@example.dk", "attributes": {"LASTNAME": "Ørsted", "SMS": "+4520123456"}})
        );
    }
}
