//! Organizations, users, logins and API tokens: one transaction per operation.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::*;
use super::store::{api_tokens, audit_log, organizations, sessions, users};
use crate::auth::{self, API_TOKEN_PREFIX, SESSION_PREFIX};
use crate::db::Db;
use crate::error::{is_unique_violation, Error, Result};
use crate::ids::{OrgId, TokenId, UserId};

/// How long a login session lasts without a new login.
pub const SESSION_LIFETIME_DAYS: i64 = 14;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: String,
    pub slug: String,
    #[serde(default = "default_language")]
    pub default_language: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_currency")]
    pub currency: String,
}

fn default_language() -> String {
    "en".into()
}
fn default_timezone() -> String {
    "Europe/Copenhagen".into()
}
fn default_currency() -> String {
    "DKK".into()
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub default_language: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    #[serde(default = "default_language")]
    pub language: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub language: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

/// A login that succeeded: the session token is returned once and stored only as its digest.
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub organization: Organization,
}

#[derive(Clone)]
pub struct TenancyService {
    db: Db,
}

impl TenancyService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create_organization(&self, new: NewOrganization) -> Result<Organization> {
        let name = required("name", &new.name)?;
        let slug = validate_slug(&new.slug)?;
        let language = validate_language(&new.default_language)?;
        let currency = validate_currency(&new.currency)?;
        let model = organizations::ActiveModel {
            id: Set(OrgId::generate().into_string()),
            name: Set(name),
            slug: Set(slug.clone()),
            default_language: Set(language),
            timezone: Set(required("timezone", &new.timezone)?),
            currency: Set(currency),
            created_at: Set(Utc::now()),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await.map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict(
                    "slug",
                    format!("an organization with slug `{slug}` already exists"),
                )
            } else {
                e.into()
            }
        })?;
        txn.commit().await?;
        Ok(organization_from(saved))
    }

    pub async fn organization(&self, org: &OrgId) -> Result<Organization> {
        organizations::Entity::find_by_id(org.as_str())
            .one(self.db.reader())
            .await?
            .map(organization_from)
            .ok_or(Error::NotFound("organization"))
    }

    pub async fn organization_by_slug(&self, slug: &str) -> Result<Option<Organization>> {
        Ok(organizations::Entity::find()
            .filter(organizations::Column::Slug.eq(slug))
            .one(self.db.reader())
            .await?
            .map(organization_from))
    }

    pub async fn update_organization(
        &self,
        org: &OrgId,
        patch: OrganizationPatch,
    ) -> Result<Organization> {
        let txn = self.db.begin_write().await?;
        let found = organizations::Entity::find_by_id(org.as_str())
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("organization"))?;
        let mut active = found.into_active_model();
        if let Some(name) = patch.name {
            active.name = Set(required("name", &name)?);
        }
        if let Some(language) = patch.default_language {
            active.default_language = Set(validate_language(&language)?);
        }
        if let Some(timezone) = patch.timezone {
            active.timezone = Set(required("timezone", &timezone)?);
        }
        if let Some(currency) = patch.currency {
            active.currency = Set(validate_currency(&currency)?);
        }
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        Ok(organization_from(saved))
    }

    pub async fn create_user(&self, org: &OrgId, new: NewUser) -> Result<User> {
        let email = validate_email("email", &new.email)?;
        let name = required("name", &new.name)?;
        auth::validate_password(&new.password)?;
        let language = validate_language(&new.language)?;
        let password_hash = auth::hash_password(new.password).await?;
        let model = users::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(UserId::generate().into_string()),
            email: Set(email.clone()),
            name: Set(name),
            password_hash: Set(password_hash),
            role: Set(new.role.as_str().to_string()),
            language: Set(language),
            disabled: Set(false),
            created_at: Set(Utc::now()),
            last_login_at: Set(None),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await.map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict(
                    "email",
                    format!("a user with email `{email}` already exists"),
                )
            } else {
                e.into()
            }
        })?;
        txn.commit().await?;
        user_from(saved)
    }

    pub async fn list_users(&self, org: &OrgId) -> Result<Vec<User>> {
        users::Entity::find()
            .filter(users::Column::OrganizationId.eq(org.as_str()))
            .order_by_asc(users::Column::Id)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(user_from)
            .collect()
    }

    pub async fn user(&self, org: &OrgId, id: &UserId) -> Result<User> {
        users::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("user"))
            .and_then(user_from)
    }

    /// Changes a user. The role rules live here, and `delete_user` and the token routes follow
    /// them too (the API and the settings pages both come through these functions):
    ///
    /// - A user may change their own name, language and password.
    /// - Any other change, and any change to another user, needs the `Administer` permission,
    ///   and the caller's role must be one that may grant the user's current role
    ///   ([`Role::may_grant`]): nobody renames, re-passwords, disables, re-enables, demotes or
    ///   deletes a user of a higher role than their own; an admin never touches an owner.
    /// - A new role must be one the caller may grant: nobody hands out more than they hold.
    /// - The last enabled owner stays an owner: demoting, disabling or deleting them is a
    ///   conflict. The organization's row is locked first, so two owners demoting each other at
    ///   once cannot both succeed (on SQLite, writers already take turns).
    /// - A new password or a disabled account ends the user's sessions. The API tokens a user
    ///   made work only while that user exists and is enabled, and never with more than the
    ///   user's current role (see [`TenancyService::authenticate`]); deleting a user revokes them.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: &UserId,
        patch: UserPatch,
    ) -> Result<User> {
        let password_hash = match &patch.password {
            Some(password) => {
                auth::validate_password(password)?;
                Some(auth::hash_password(password.clone()).await?)
            }
            None => None,
        };
        let txn = self.db.begin_write().await?;
        lock_organization(&txn, &caller.org).await?;
        let found = users::Entity::find_by_id((caller.org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let current_role = Role::parse(&found.role)?;
        let own_preferences =
            caller.user.as_ref() == Some(id) && patch.role.is_none() && patch.disabled.is_none();
        if !own_preferences {
            caller.require(Permission::Administer)?;
            if !caller.role.may_grant(current_role) {
                return Err(Error::Forbidden(
                    "your role may not change a user whose role is above your own",
                ));
            }
        }
        if let Some(role) = patch.role {
            if !caller.role.may_grant(role) {
                return Err(Error::Forbidden(
                    "your role may not grant or change this role",
                ));
            }
        }
        let loses_owner =
            patch.role.is_some_and(|r| r != Role::Owner) || patch.disabled == Some(true);
        if current_role == Role::Owner && !found.disabled && loses_owner {
            ensure_another_owner(&txn, &caller.org, id).await?;
        }
        let mut active = found.into_active_model();
        if let Some(name) = patch.name {
            active.name = Set(required("name", &name)?);
        }
        if let Some(role) = patch.role {
            active.role = Set(role.as_str().to_string());
        }
        if let Some(language) = patch.language {
            active.language = Set(validate_language(&language)?);
        }
        // A new password or a disabled account ends every open session of that user.
        let revoke_sessions = password_hash.is_some() || patch.disabled == Some(true);
        if let Some(hash) = password_hash {
            active.password_hash = Set(hash);
        }
        if let Some(disabled) = patch.disabled {
            active.disabled = Set(disabled);
        }
        let saved = active.update(&txn).await?;
        if revoke_sessions {
            sessions::Entity::delete_many()
                .filter(sessions::Column::OrganizationId.eq(caller.org.as_str()))
                .filter(sessions::Column::UserId.eq(id.as_str()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        user_from(saved)
    }

    /// Deletes a user, ends their sessions and revokes the API tokens they made, under the role
    /// rules of [`TenancyService::update_user`].
    pub async fn delete_user(&self, caller: &Caller, id: &UserId) -> Result<()> {
        caller.require(Permission::Administer)?;
        if caller.user.as_ref() == Some(id) {
            return Err(Error::conflict("id", "you cannot delete your own user"));
        }
        let txn = self.db.begin_write().await?;
        lock_organization(&txn, &caller.org).await?;
        let found = users::Entity::find_by_id((caller.org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let role = Role::parse(&found.role)?;
        if !caller.role.may_grant(role) {
            return Err(Error::Forbidden("your role may not delete this user"));
        }
        if role == Role::Owner && !found.disabled {
            ensure_another_owner(&txn, &caller.org, id).await?;
        }
        sessions::Entity::delete_many()
            .filter(sessions::Column::OrganizationId.eq(caller.org.as_str()))
            .filter(sessions::Column::UserId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::value(Some(Utc::now())))
            .filter(api_tokens::Column::OrganizationId.eq(caller.org.as_str()))
            .filter(api_tokens::Column::CreatedBy.eq(id.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        users::Entity::delete_by_id((caller.org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Logs a user in by email and password. When the same email has accounts in several
    /// organizations, `organization` (a slug) says which one.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        organization: Option<&str>,
    ) -> Result<LoginSession> {
        // One answer for an unknown email, an unknown organization, a wrong password and a
        // disabled account (even with its right password), after the same argon2 work: the
        // answer and its timing do not tell which accounts exist or are disabled.
        const REJECTED: &str = "email or password is wrong";
        let email = email.trim().to_lowercase();
        let mut query = users::Entity::find().filter(users::Column::Email.eq(email.as_str()));
        if let Some(slug) = organization.filter(|s| !s.trim().is_empty()) {
            let Some(org) = self.organization_by_slug(slug.trim()).await? else {
                auth::verify_dummy_password(password.to_string()).await?;
                return Err(Error::Unauthorized(REJECTED));
            };
            query = query.filter(users::Column::OrganizationId.eq(org.id.as_str()));
        }
        let candidates = query.all(self.db.reader()).await?;
        if candidates.is_empty() {
            auth::verify_dummy_password(password.to_string()).await?;
            return Err(Error::Unauthorized(REJECTED));
        }
        let mut matching = Vec::new();
        for candidate in candidates {
            let verified =
                auth::verify_password(password.to_string(), candidate.password_hash.clone())
                    .await?;
            if verified && !candidate.disabled {
                matching.push(candidate);
            }
        }
        let user = match matching.len() {
            0 => return Err(Error::Unauthorized(REJECTED)),
            1 => matching.remove(0),
            _ => return Err(Error::invalid(
                "organization",
                "this email has accounts in several organizations; give the organization's slug",
            )),
        };
        let org = OrgId::from_db(user.organization_id.clone());
        let organization = self.organization(&org).await?;
        let token = auth::new_token(SESSION_PREFIX);
        let csrf_token = auth::new_token("");
        let now = Utc::now();
        let expires_at = now + Duration::days(SESSION_LIFETIME_DAYS);
        let txn = self.db.begin_write().await?;
        sessions::ActiveModel {
            token_hash: Set(auth::token_digest(&token)),
            organization_id: Set(user.organization_id.clone()),
            user_id: Set(user.id.clone()),
            csrf_token: Set(csrf_token.clone()),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&txn)
        .await?;
        let mut active = user.clone().into_active_model();
        active.last_login_at = Set(Some(now));
        let user = active.update(&txn).await?;
        txn.commit().await?;
        Ok(LoginSession {
            token,
            csrf_token,
            expires_at,
            user: user_from(user)?,
            organization,
        })
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        sessions::Entity::delete_by_id(auth::token_digest(token))
            .exec(self.db.writer())
            .await?;
        Ok(())
    }

    /// Turns a bearer token or session cookie into the caller it belongs to.
    pub async fn authenticate(&self, token: &str, via_cookie: bool) -> Result<Caller> {
        const INVALID: &str = "the session or token is not valid; log in again";
        let digest = auth::token_digest(token);
        if token.starts_with(SESSION_PREFIX) {
            let session = sessions::Entity::find_by_id(digest)
                .one(self.db.reader())
                .await?
                .filter(|s| s.expires_at > Utc::now())
                .ok_or(Error::Unauthorized(INVALID))?;
            let user = users::Entity::find_by_id((
                session.organization_id.clone(),
                session.user_id.clone(),
            ))
            .one(self.db.reader())
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Error::Unauthorized(INVALID))?;
            Ok(Caller {
                org: OrgId::from_db(session.organization_id),
                user: Some(UserId::from_db(user.id)),
                role: Role::parse(&user.role)?,
                language: user.language,
                credential: Credential::Session {
                    csrf_token: session.csrf_token,
                    via_cookie,
                },
            })
        } else if token.starts_with(API_TOKEN_PREFIX) {
            let found = api_tokens::Entity::find()
                .filter(api_tokens::Column::TokenHash.eq(digest))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .one(self.db.reader())
                .await?
                .ok_or(Error::Unauthorized(INVALID))?;
            let org = OrgId::from_db(found.organization_id.clone());
            let mut role = Role::parse(&found.role)?;
            // A token lives only as long as the user who made it is there and enabled, and
            // never holds more than that user's current role (tokens made before creators were
            // recorded, `created_by` empty, keep their own role).
            if let Some(creator) = &found.created_by {
                let creator = users::Entity::find_by_id((org.to_string(), creator.clone()))
                    .one(self.db.reader())
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or(Error::Unauthorized(INVALID))?;
                role = role.capped_at(Role::parse(&creator.role)?);
            }
            let language = self.organization(&org).await?.default_language;
            Ok(Caller {
                org,
                user: None,
                role,
                language,
                credential: Credential::ApiToken(TokenId::from_db(found.id)),
            })
        } else {
            Err(Error::Unauthorized(INVALID))
        }
    }

    /// Creates an API token; the returned secret is shown once and never stored.
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        name: &str,
        role: Role,
    ) -> Result<(ApiToken, String)> {
        if !caller.role.may_grant(role) {
            return Err(Error::Forbidden(
                "a token may not have a role above your own",
            ));
        }
        let name = required("name", name)?;
        let secret = auth::new_token(API_TOKEN_PREFIX);
        let txn = self.db.begin_write().await?;
        // A token made by a token belongs to the user behind that one, so it dies with them too.
        let created_by = match (&caller.user, &caller.credential) {
            (Some(user), _) => Some(user.to_string()),
            (None, Credential::ApiToken(token)) => {
                api_tokens::Entity::find_by_id((caller.org.to_string(), token.to_string()))
                    .one(&txn)
                    .await?
                    .and_then(|t| t.created_by)
            }
            (None, _) => None,
        };
        let model = api_tokens::ActiveModel {
            organization_id: Set(caller.org.to_string()),
            id: Set(TokenId::generate().into_string()),
            name: Set(name),
            token_hash: Set(auth::token_digest(&secret)),
            token_prefix: Set(secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect()),
            role: Set(role.as_str().to_string()),
            created_by: Set(created_by),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        let saved = model.insert(&txn).await?;
        record_audit(
            &txn,
            caller,
            "api_token.create",
            &saved.id,
            serde_json::json!({"role": role}),
        )
        .await?;
        txn.commit().await?;
        Ok((api_token_from(saved)?, secret))
    }

    pub async fn list_api_tokens(&self, org: &OrgId) -> Result<Vec<ApiToken>> {
        api_tokens::Entity::find()
            .filter(api_tokens::Column::OrganizationId.eq(org.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .order_by_asc(api_tokens::Column::Id)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(api_token_from)
            .collect()
    }

    pub async fn revoke_api_token(&self, caller: &Caller, id: &TokenId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let found = api_tokens::Entity::find_by_id((caller.org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(Error::NotFound("API token"))?;
        if !caller.role.may_grant(Role::parse(&found.role)?) {
            return Err(Error::Forbidden(
                "your role may not revoke a token whose role is above your own",
            ));
        }
        let mut active = found.into_active_model();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(&txn).await?;
        record_audit(
            &txn,
            caller,
            "api_token.revoke",
            id.as_str(),
            serde_json::Value::Null,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Locks the organization's row until the transaction ends: changes that must see every owner
/// (the last-owner rule) take turns. SQLite has no row locks and needs none (one writer at a time).
async fn lock_organization(txn: &DatabaseTransaction, org: &OrgId) -> Result<()> {
    organizations::Entity::find_by_id(org.as_str())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    Ok(())
}

/// Refuses to take away the owner role of `user` when no other enabled owner would remain.
async fn ensure_another_owner(txn: &DatabaseTransaction, org: &OrgId, user: &UserId) -> Result<()> {
    let others = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(org.as_str()))
        .filter(users::Column::Role.eq(Role::Owner.as_str()))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::Id.ne(user.as_str()))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(Error::conflict(
            "role",
            "this is the organization's last enabled owner; make another user owner first",
        ));
    }
    Ok(())
}

/// Appends to the audit log inside the caller's transaction: who exported, mailed or changed what.
pub async fn record_audit(
    txn: &impl sea_orm::ConnectionTrait,
    caller: &Caller,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<()> {
    audit_log::ActiveModel {
        organization_id: Set(caller.org.to_string()),
        id: Set(crate::ids::generate("aud")),
        actor: Set(caller.actor()),
        action: Set(action.to_string()),
        subject: Set(subject.to_string()),
        details: Set(details),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A required text field: trimmed, not empty, at most 500 characters.
pub fn required(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::required(field));
    }
    if trimmed.chars().count() > 500 {
        return Err(Error::invalid(field, "must be at most 500 characters"));
    }
    Ok(trimmed.to_string())
}

fn validate_slug(value: &str) -> Result<String> {
    let slug = value.trim().to_lowercase();
    let ok = (2..=60).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(Error::invalid(
            "slug",
            "use 2 to 60 lowercase letters, digits and dashes",
        ))
    }
}

/// An ISO 4217 code: three uppercase letters.
pub fn validate_currency(value: &str) -> Result<String> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid_because(
            "currency",
            crate::Problem::NotACurrency,
            format!("`{value}` is not a three-letter ISO 4217 currency code"),
        ))
    }
}

fn organization_from(m: organizations::Model) -> Organization {
    Organization {
        id: OrgId::from_db(m.id),
        name: m.name,
        slug: m.slug,
        default_language: m.default_language,
        timezone: m.timezone,
        currency: m.currency,
        created_at: m.created_at,
    }
}

pub(crate) fn user_from(m: users::Model) -> Result<User> {
    Ok(User {
        id: UserId::from_db(m.id),
        email: m.email,
        name: m.name,
        role: Role::parse(&m.role)?,
        language: m.language,
        disabled: m.disabled,
        created_at: m.created_at,
        last_login_at: m.last_login_at,
    })
}

fn api_token_from(m: api_tokens::Model) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId::from_db(m.id),
        name: m.name,
        token_prefix: m.token_prefix,
        role: Role::parse(&m.role)?,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
    })
}
