//! Mailchimp, through the Marketing API v3's batch subscribe: `POST {base}/3.0/lists/{list_id}`
//! with up to 500 members and `update_existing: true`, so a customer already on the audience is
//! updated rather than refused. Authentication is HTTP basic with any user name and the API key
//! as the password. The key ends in its data center (`…-us21`), which is also the host
//! (`https://us21.api.mailchimp.com`) when no base URL is set.
//!
//! Mailchimp answers 200 for a batch even when it refused some members; those come back in
//! `errors[]` with the address, the reason and a code, and become [`Rejected`] records here.

use std::collections::HashMap;

use async_trait::async_trait;
use fullhouse_core::{Error, Result};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::http::{self, Retry};
use super::{BatchOutcome, Contact, EmailTool, Rejected};

/// Mailchimp's limit for one batch subscribe call.
pub const BATCH_SIZE: usize = 500;
const TOOL: &str = "Mailchimp";

/// One organization's Mailchimp audience.
#[derive(Clone)]
pub struct Mailchimp {
    http: reqwest::Client,
    base: String,
    api_key: String,
    list_id: String,
    retry: Retry,
}

/// Mailchimp's id of a list member: the MD5 of the lowercased email, in hex. It names the
/// member in `/lists/{list_id}/members/{member_id}`, so a later update or removal needs no
/// look-up.
pub fn member_id(email: &str) -> String {
    hex::encode(Md5::digest(email.trim().to_lowercase().as_bytes()))
}

/// The API host for a key: the data center after the key's last `-`. `None` for a key without
/// one (keys have carried it since API v3; an older key needs the base URL set by hand).
pub fn data_center_url(api_key: &str) -> Option<String> {
    let (_, dc) = api_key.trim().rsplit_once('-')?;
    // Only letters and digits: the suffix becomes a host name, and a key is user input.
    let plausible =
        !dc.is_empty() && dc.len() <= 10 && dc.chars().all(|c| c.is_ascii_alphanumeric());
    plausible.then(|| format!("https://{}.api.mailchimp.com", dc.to_ascii_lowercase()))
}

impl Mailchimp {
    /// `base` is the API's address (a test server's, or a proxy's); `None` derives it from the
    /// key's data center.
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
                "is not a Mailchimp audience id (letters and digits, as in the audience's settings)",
            ));
        }
        let base = match base.map(str::trim).filter(|b| !b.is_empty()) {
            Some(given) => http::base_url(given, "base_url")?,
            None => data_center_url(api_key).ok_or_else(|| {
                Error::invalid(
                    "api_key",
                    "does not end in its data center (like -us21); copy the whole key from Mailchimp",
                )
            })?,
        };
        Ok(Self {
            http,
            base,
            api_key: api_key.to_string(),
            list_id: list_id.to_string(),
            retry: Retry::default(),
        })
    }

    /// Shorter pauses between attempts (tests).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The address calls go to (the derived data center, or the base URL given).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The body of one batch subscribe call (pure, so its shape is checked without Mailchimp).
    pub fn body(contacts: &[Contact]) -> Value {
        let members: Vec<Member> = contacts.iter().map(Member::from).collect();
        serde_json::json!({ "members": members, "update_existing": true })
    }
}

/// A member as the batch subscribe call takes it.
#[derive(Debug, Serialize)]
struct Member {
    email_address: String,
    status_if_new: &'static str,
    status: &'static str,
    merge_fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    tags: Vec<String>,
}

impl From<&Contact> for Member {
    fn from(contact: &Contact) -> Self {
        let mut merge_fields = Map::new();
        // Empty fields are left out: an empty FNAME would blank the name the audience has.
        for (key, value) in [
            ("FNAME", &contact.first_name),
            ("LNAME", &contact.last_name),
            ("PHONE", &contact.phone),
        ] {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                merge_fields.insert(key.to_string(), Value::String(value.to_string()));
            }
        }
        Self {
            email_address: contact.email.trim().to_string(),
            // The job sends only customers whose permission allows marketing: they are
            // subscribed, and an existing member's status follows it.
            status_if_new: "subscribed",
            status: "subscribed",
            merge_fields,
            language: contact.language.clone().filter(|l| !l.is_empty()),
            tags: contact.tags.clone(),
        }
    }
}

/// The parts of Mailchimp's answer the push reads.
#[derive(Debug, Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    total_created: u64,
    #[serde(default)]
    total_updated: u64,
    #[serde(default)]
    errors: Vec<MemberError>,
}

#[derive(Debug, Deserialize)]
struct MemberError {
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_code: Option<String>,
}

/// Mailchimp's refusals matched back to the customers by address (Mailchimp gives no other key).
fn rejected(contacts: &[Contact], errors: Vec<MemberError>) -> Vec<Rejected> {
    let by_email: HashMap<String, &Contact> = contacts
        .iter()
        .map(|c| (c.email.trim().to_lowercase(), c))
        .collect();
    errors
        .into_iter()
        .map(|e| {
            let reason = match e.error_code.filter(|c| !c.is_empty()) {
                Some(code) => format!("{} ({code})", e.error.trim()),
                None => e.error.trim().to_string(),
            };
            let customer_id = by_email
                .get(&e.email_address.trim().to_lowercase())
                .map(|c| c.customer_id.clone())
                .unwrap_or_default();
            Rejected {
                customer_id,
                email: e.email_address,
                reason,
            }
        })
        .collect()
}

#[async_trait]
impl EmailTool for Mailchimp {
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    async fn push(&self, contacts: &[Contact]) -> Result<BatchOutcome> {
        if contacts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if contacts.len() > BATCH_SIZE {
            return Err(Error::internal(format!(
                "a Mailchimp batch takes at most {BATCH_SIZE} members, not {}",
                contacts.len()
            )));
        }
        let url = format!("{}/3.0/lists/{}", self.base, self.list_id);
        let body = Self::body(contacts);
        let response = http::send(TOOL, &self.retry, || {
            self.http
                .post(&url)
                .basic_auth("fullhouse", Some(&self.api_key))
                .json(&body)
        })
        .await?;
        if !response.status().is_success() {
            return Err(http::refused(TOOL, response).await);
        }
        let answer: BatchAnswer = http::json(TOOL, response).await?;
        Ok(BatchOutcome {
            accepted: answer.total_created + answer.total_updated,
            rejected: rejected(contacts, answer.errors),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_member_id_is_the_md5_of_the_lowercased_email() {
        // The example in Mailchimp's API documentation.
        assert_eq!(
            member_id("urist.mcvankab@freddiesjokes.com"),
            "62eeb292278cc15f5817cb78f7790b08"
        );
        assert_eq!(
            member_id(" Urist.McVankab@FreddiesJokes.com "),
            "62eeb292278cc15f5817cb78f7790b08"
        );
        // RFC 1321's own vector, for the digest itself.
        assert_eq!(
            hex::encode(Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }

    #[test]
    fn the_data_center_comes_from_the_key_suffix() {
        assert_eq!(
            data_center_url("0123456789abcdef0123456789abcdef-us21").as_deref(),
            Some("https://us21.api.mailchimp.com")
        );
        assert_eq!(data_center_url("0123456789abcdef"), None);
        assert_eq!(data_center_url("abc-evil.example.com/x"), None);
        let client = Mailchimp::new(reqwest::Client::new(), None, "k-US6", "a1b2c3");
        assert_eq!(
            client.map(|c| c.base().to_string()).ok().as_deref(),
            Some("https://us6.api.mailchimp.com")
        );
    }

    #[test]
    fn a_key_without_data_center_needs_a_base_url() {
        let err = Mailchimp::new(reqwest::Client::new(), None, "nodc", "a1b2c3")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.starts_with("api_key:")));
        assert!(Mailchimp::new(
            reqwest::Client::new(),
            Some("http://127.0.0.1:9"),
            "nodc",
            "a1b2c3"
        )
        .is_ok());
    }

    #[test]
    fn members_carry_only_the_fields_the_customer_has() {
        let contact = Contact {
            customer_id: "c1".into(),
            email: "ane@example.dk".into(),
            first_name: Some("Ane".into()),
            last_name: Some(" ".into()),
            language: Some("da".into()),
            tags: vec!["VIP".into()],
            ..Contact::default()
        };
        let body = Mailchimp::body(&[contact]);
        assert_eq!(body["update_existing"], true);
        let member = &body["members"][0];
        assert_eq!(member["email_address"], "ane@example.dk");
        assert_eq!(member["status_if_new"], "subscribed");
        assert_eq!(member["merge_fields"], serde_json::json!({"FNAME": "Ane"}));
        assert_eq!(member["language"], "da");
        assert_eq!(member["tags"], serde_json::json!(["VIP"]));
    }

    #[test]
    fn refusals_are_matched_to_customers_by_address() {
        let contacts = [Contact {
            customer_id: "c7".into(),
            email: "Bo@Example.dk".into(),
            ..Contact::default()
        }];
        let errors = vec![MemberError {
            email_address: "bo@example.dk".into(),
            error: "Bo@example.dk looks fake or invalid".into(),
            error_code: Some("ERROR_GENERIC".into()),
        }];
        let rejected = rejected(&contacts, errors);
        assert_eq!(rejected[0].customer_id, "c7");
        assert_eq!(
            rejected[0].reason,
            "Bo@example.dk looks fake or invalid (ERROR_GENERIC)"
        );
    }
}
