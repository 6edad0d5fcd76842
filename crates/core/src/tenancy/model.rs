//! Organizations, users, roles and the authenticated caller. No I/O here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::ids::{OrgId, TokenId, UserId};

/// What a user or token may do. Roles are ordered: each includes what the ones below it may do,
/// except that box office and marketer are side by side above viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Marketer,
    BoxOffice,
    Viewer,
}

/// A kind of action, checked against a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read anything in the organization.
    Read,
    /// Change catalog and customer data: venues, events, customers, imports.
    ManageData,
    /// Sell and reserve tickets, place and cancel orders.
    Sell,
    /// Audiences, campaigns, segments, mail.
    Market,
    /// Users, API tokens, organization settings.
    Administer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Marketer,
        Role::BoxOffice,
        Role::Viewer,
    ];

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner | Role::Admin => true,
            Role::Marketer => matches!(permission, Read | ManageData | Market),
            Role::BoxOffice => matches!(permission, Read | Sell),
            Role::Viewer => matches!(permission, Read),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Marketer => "marketer",
            Role::BoxOffice => "box_office",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(value: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                Error::invalid(
                    "role",
                    format!(
                        "`{value}` is not a role; use owner, admin, marketer, box_office or viewer"
                    ),
                )
            })
    }

    /// Only an owner may hand out the owner role; nobody may grant more than they hold. The same
    /// test says whose account a caller may manage: a user of a role the caller may grant (see
    /// `TenancyService::update_user`, where the role rules are written down).
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => other != Role::Owner,
            _ => false,
        }
    }

    /// Height in the order of roles; marketer and box office share a step.
    fn rank(self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Marketer | Role::BoxOffice => 2,
            Role::Viewer => 1,
        }
    }

    /// Whether this role holds everything `other` holds.
    pub fn includes(self, other: Role) -> bool {
        self == other || self.rank() > other.rank()
    }

    /// The lower of two roles: what an API token may do when the user who made it now holds
    /// `ceiling`. Marketer and box office side by side meet at viewer.
    pub fn capped_at(self, ceiling: Role) -> Role {
        if ceiling.includes(self) {
            self
        } else if self.includes(ceiling) {
            ceiling
        } else {
            Role::Viewer
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser or API login session; cookie-authenticated writes must carry the CSRF token.
    Session {
        csrf_token: String,
        via_cookie: bool,
    },
    ApiToken(TokenId),
}

/// The authenticated caller of a request. The auth extractor is the only place that makes one,
/// so no tenant data can be touched without an organization.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org: OrgId,
    pub user: Option<UserId>,
    pub role: Role,
    pub language: String,
    pub credential: Credential,
}

impl Caller {
    /// Fails with `forbidden` unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden("your role does not allow this action"))
        }
    }

    /// Who did it, for the audit log.
    pub fn actor(&self) -> String {
        match (&self.user, &self.credential) {
            (Some(user), _) => user.to_string(),
            (None, Credential::ApiToken(token)) => token.to_string(),
            (None, _) => "system".to_string(),
        }
    }
}

/// The slug of the demo organization (`fullhouse demo` builds it): the platform recognizes it by
/// this slug, e.g. to offer the demo job only there.
pub const DEMO_SLUG: &str = "demo-theatre";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub default_language: String,
    pub timezone: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub language: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    /// The first characters of the token, to recognise it; the token itself is shown only once.
    pub token_prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The languages of the UI and mail templates.
pub const LANGUAGES: [&str; 3] = ["en", "da", "fr"];

pub fn validate_language(value: &str) -> Result<String> {
    let lower = value.trim().to_ascii_lowercase();
    if LANGUAGES.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(Error::invalid(
            "language",
            format!("`{value}` is not supported; use en, da or fr"),
        ))
    }
}

/// A light check that catches typos, not a full RFC 5322 parser: one `@`, something on both
/// sides, a dot in the domain, no spaces.
pub fn validate_email(field: &str, value: &str) -> Result<String> {
    let email = value.trim().to_lowercase();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    };
    if ok && email.len() <= 254 {
        Ok(email)
    } else {
        Err(Error::invalid_because(
            field,
            crate::Problem::NotAnEmail,
            format!(
                "`{}` is not an email address",
                value.chars().take(80).collect::<String>()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_reads_but_never_writes() {
        assert!(Role::Viewer.allows(Permission::Read));
        assert!(!Role::Viewer.allows(Permission::ManageData));
        assert!(!Role::BoxOffice.allows(Permission::Market));
        assert!(Role::Marketer.allows(Permission::Market));
        assert!(!Role::Marketer.allows(Permission::Administer));
    }

    #[test]
    fn an_admin_cannot_make_an_owner() {
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(!Role::Marketer.may_grant(Role::Viewer));
    }

    #[test]
    fn a_token_never_holds_more_than_its_creator() {
        assert_eq!(Role::Admin.capped_at(Role::Owner), Role::Admin);
        assert_eq!(Role::Owner.capped_at(Role::Admin), Role::Admin);
        assert_eq!(Role::Admin.capped_at(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Marketer.capped_at(Role::BoxOffice), Role::Viewer);
        assert_eq!(Role::Marketer.capped_at(Role::Admin), Role::Marketer);
        for role in Role::ALL {
            assert_eq!(role.capped_at(role), role);
        }
    }

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            validate_email("email", " Ann@Example.DK ").ok().as_deref(),
            Some("ann@example.dk")
        );
        assert!(validate_email("email", "ann@").is_err());
        assert!(validate_email("email", "ann example@x.dk").is_err());
        assert!(validate_email("email", "ann@localhost").is_err());
    }
}
