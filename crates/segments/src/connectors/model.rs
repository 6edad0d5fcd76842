//! Connectors: where an organization's segments can be pushed (Meta, Mailchimp, Klaviyo, Brevo,
//! a webhook), their non-secret settings and the rules for them. No I/O.
//!
//! The credential (an access token, an API key, a webhook's signing secret) is written once and
//! never read back through the API: a connector shows only whether it has one and its last four
//! characters.

use chrono::{DateTime, Utc};
use fullhouse_core::error::FieldError;
use fullhouse_core::{define_id, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{check_name, finish};

define_id!(
    /// A connector (a Meta audience, an email tool's list, a webhook).
    ConnectorId, "con", "connector"
);

/// Meta's Graph API, where a Meta connector's requests go unless its settings say otherwise.
pub const META_API: &str = "https://graph.facebook.com";
/// The Marketing API version used when none is given.
pub const META_VERSION: &str = "v21.0";
pub const KLAVIYO_API: &str = "https://a.klaviyo.com";
pub const BREVO_API: &str = "https://api.brevo.com";
/// The longest setting or credential we accept.
const LONGEST_VALUE: usize = 1000;

/// The services a connector can push to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    /// A Meta (Facebook, Instagram) custom audience.
    Meta,
    Mailchimp,
    Klaviyo,
    Brevo,
    /// The organization's own endpoint, called with signed JSON batches.
    Webhook,
}

impl ConnectorKind {
    pub const ALL: [ConnectorKind; 5] = [
        Self::Meta,
        Self::Mailchimp,
        Self::Klaviyo,
        Self::Brevo,
        Self::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Mailchimp => "mailchimp",
            Self::Klaviyo => "klaviyo",
            Self::Brevo => "brevo",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == value.trim())
            .ok_or_else(|| {
                fullhouse_core::Error::invalid(
                    "kind",
                    "must be one of meta, mailchimp, klaviyo, brevo, webhook",
                )
            })
    }

    /// True for the email tools (whose pushes carry only customers who accept marketing mail).
    pub fn is_email_tool(self) -> bool {
        !matches!(self, Self::Meta)
    }
}

/// A connector's settings; which fields apply depends on the kind (see [`ConnectorSettings::check`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSettings {
    /// Meta: the ad account (`act_1234…` or its digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_account_id: Option<String>,
    /// Meta: the custom audience's id (digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_id: Option<String>,
    /// Meta: the Marketing API version, e.g. `v21.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The service's address (Meta, Mailchimp, Klaviyo, Brevo); the real service when left out.
    /// Mailchimp's is derived from the API key's data centre (`…-us21`) when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Mailchimp (audience id), Klaviyo (list id), Brevo (list number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_id: Option<String>,
    /// Webhook: the address batches are posted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A connector as the API shows it: never its credential.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Connector {
    pub id: ConnectorId,
    pub kind: ConnectorKind,
    pub name: String,
    pub settings: ConnectorSettings,
    pub has_credential: bool,
    /// The credential's last four characters, to tell keys apart.
    pub credential_last4: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Connector {
    /// What a push to this connector fills: Meta's audience, a tool's list, the webhook's URL.
    /// The last pushed set is kept per connector and target, so pointing a connector at another
    /// audience starts from nothing.
    pub fn target(&self) -> String {
        let s = &self.settings;
        match self.kind {
            ConnectorKind::Meta => s.audience_id.clone(),
            ConnectorKind::Webhook => s.url.clone(),
            _ => s.list_id.clone(),
        }
        .unwrap_or_default()
    }

    /// Meta's base URL and version, with their defaults.
    pub fn meta_api(&self) -> (String, String) {
        let s = &self.settings;
        (
            s.base_url.clone().unwrap_or_else(|| META_API.into()),
            s.api_version.clone().unwrap_or_else(|| META_VERSION.into()),
        )
    }
}

/// A new connector. The credential is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnector {
    pub kind: ConnectorKind,
    pub name: String,
    #[serde(default)]
    pub settings: ConnectorSettings,
    /// Meta: a system user's access token; Mailchimp, Klaviyo, Brevo: the API key; webhook: the
    /// signing secret. Write-only.
    pub credential: Option<String>,
}

/// A change: fields left out stay; `settings` replaces the settings whole; a credential left
/// out (or empty) keeps the stored one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorPatch {
    pub name: Option<String>,
    pub settings: Option<ConnectorSettings>,
    pub credential: Option<String>,
}

/// Trimmed, and `None` when empty.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl ConnectorSettings {
    /// The settings for `kind`, trimmed and checked; every refused field is named.
    pub fn check(&self, kind: ConnectorKind) -> Result<ConnectorSettings> {
        let mut problems = Vec::new();
        let mut out = ConnectorSettings {
            ad_account_id: given(&self.ad_account_id),
            audience_id: given(&self.audience_id),
            api_version: given(&self.api_version),
            base_url: given(&self.base_url).map(|u| u.trim_end_matches('/').to_string()),
            list_id: given(&self.list_id),
            url: given(&self.url),
        };
        let allowed: &[&str] = match kind {
            ConnectorKind::Meta => &["ad_account_id", "audience_id", "api_version", "base_url"],
            ConnectorKind::Mailchimp | ConnectorKind::Klaviyo | ConnectorKind::Brevo => {
                &["base_url", "list_id"]
            }
            ConnectorKind::Webhook => &["url"],
        };
        for (field, value) in out.fields() {
            let name = format!("settings.{field}");
            if value.is_some() && !allowed.contains(&field) {
                problems.push(FieldError::new(
                    name,
                    format!("is not a setting of a {} connector", kind.as_str()),
                ));
            } else if value.is_some_and(|v| v.chars().count() > LONGEST_VALUE) {
                problems.push(FieldError::new(name, "is too long"));
            }
        }
        let required: &[&str] = match kind {
            ConnectorKind::Meta => &["ad_account_id", "audience_id"],
            ConnectorKind::Webhook => &["url"],
            _ => &["list_id"],
        };
        for (field, value) in out.fields() {
            if required.contains(&field) && value.is_none() {
                problems.push(FieldError::new(format!("settings.{field}"), "is required"));
            }
        }
        if kind == ConnectorKind::Meta {
            if let Some(account) = &out.ad_account_id {
                let digits = account.strip_prefix("act_").unwrap_or(account);
                if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                    problems.push(FieldError::new(
                        "settings.ad_account_id",
                        "is `act_` and the ad account's number, e.g. act_1234567890",
                    ));
                } else {
                    out.ad_account_id = Some(format!("act_{digits}"));
                }
            }
            if let Some(audience) = &out.audience_id {
                if !audience.chars().all(|c| c.is_ascii_digit()) {
                    problems.push(FieldError::new(
                        "settings.audience_id",
                        "is the custom audience's number (digits only)",
                    ));
                }
            }
            if let Some(version) = &out.api_version {
                if !is_version(version) {
                    problems.push(FieldError::new(
                        "settings.api_version",
                        "is a Graph API version such as v21.0",
                    ));
                }
            }
        }
        if kind == ConnectorKind::Brevo {
            if let Some(list) = &out.list_id {
                if list.parse::<u64>().is_err() {
                    problems.push(FieldError::new(
                        "settings.list_id",
                        "is the Brevo list's number",
                    ));
                }
            }
        }
        for (field, value) in [("base_url", &out.base_url), ("url", &out.url)] {
            if let Some(url) = value {
                if let Err(reason) = check_url(url) {
                    problems.push(FieldError::new(format!("settings.{field}"), reason));
                }
            }
        }
        finish(problems)?;
        Ok(out)
    }

    fn fields(&self) -> [(&'static str, Option<&String>); 6] {
        [
            ("ad_account_id", self.ad_account_id.as_ref()),
            ("audience_id", self.audience_id.as_ref()),
            ("api_version", self.api_version.as_ref()),
            ("base_url", self.base_url.as_ref()),
            ("list_id", self.list_id.as_ref()),
            ("url", self.url.as_ref()),
        ]
    }
}

/// `v` then digits, a dot and digits.
fn is_version(value: &str) -> bool {
    value
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            [major, minor]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
}

/// An address the server may call: `https://`, or `http://` to this machine only (a local test
/// server, a proxy on loopback) — personal data is never sent in clear over a network.
pub fn check_url(url: &str) -> std::result::Result<(), &'static str> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Err("is not an address (https://…)");
    };
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must start with https://"),
    }
}

/// A connector's name, checked.
pub fn check_connector_name(name: &str) -> Result<String> {
    let mut problems = Vec::new();
    let name = check_name("name", name, &mut problems);
    finish(problems)?;
    Ok(name)
}

/// A credential as typed: trimmed, no whitespace or control characters inside.
pub fn check_credential(value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(fullhouse_core::Error::invalid(
            "credential",
            "must not be empty",
        ));
    }
    if value.chars().count() > LONGEST_VALUE
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(fullhouse_core::Error::invalid(
            "credential",
            "is not a key or token (too long, or it holds spaces)",
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(err: fullhouse_core::Error) -> Vec<String> {
        match err {
            fullhouse_core::Error::Validation { fields, .. } => {
                fields.into_iter().map(|f| f.field).collect()
            }
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_meta_connector_needs_its_account_and_audience_and_names_what_is_wrong() {
        let empty = ConnectorSettings::default().check(ConnectorKind::Meta);
        assert_eq!(
            fields_of(empty.expect_err("refused")),
            ["settings.ad_account_id", "settings.audience_id"]
        );
        let bad = ConnectorSettings {
            ad_account_id: Some("account 12".into()),
            audience_id: Some("23x".into()),
            api_version: Some("21".into()),
            base_url: Some("http://graph.example.com".into()),
            list_id: Some("abc".into()),
            url: None,
        };
        assert_eq!(
            fields_of(bad.check(ConnectorKind::Meta).expect_err("refused")),
            [
                "settings.list_id",
                "settings.ad_account_id",
                "settings.audience_id",
                "settings.api_version",
                "settings.base_url"
            ]
        );
    }

    #[test]
    fn a_meta_account_number_gets_its_act_prefix_and_a_loopback_address_is_allowed() {
        let settings = ConnectorSettings {
            ad_account_id: Some(" 1234 ".into()),
            audience_id: Some("2385".into()),
            base_url: Some("http://127.0.0.1:9999/".into()),
            ..ConnectorSettings::default()
        }
        .check(ConnectorKind::Meta)
        .expect("valid");
        assert_eq!(settings.ad_account_id.as_deref(), Some("act_1234"));
        assert_eq!(settings.base_url.as_deref(), Some("http://127.0.0.1:9999"));
    }

    #[test]
    fn email_tools_need_a_list_and_a_webhook_an_https_address() {
        for kind in [ConnectorKind::Mailchimp, ConnectorKind::Klaviyo] {
            let err = ConnectorSettings::default()
                .check(kind)
                .expect_err("refused");
            assert_eq!(fields_of(err), ["settings.list_id"]);
        }
        let brevo = ConnectorSettings {
            list_id: Some("news".into()),
            ..ConnectorSettings::default()
        };
        assert_eq!(
            fields_of(brevo.check(ConnectorKind::Brevo).expect_err("refused")),
            ["settings.list_id"]
        );
        let plain = ConnectorSettings {
            url: Some("http://hooks.example.com/x".into()),
            ..ConnectorSettings::default()
        };
        assert_eq!(
            fields_of(plain.check(ConnectorKind::Webhook).expect_err("refused")),
            ["settings.url"]
        );
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("ftp://hooks.example.com").is_err());
    }

    #[test]
    fn a_credential_with_spaces_inside_is_refused() {
        assert_eq!(check_credential("  EAAB123 ").expect("kept"), "EAAB123");
        assert!(check_credential("two words").is_err());
        assert!(check_credential("   ").is_err());
    }
}
