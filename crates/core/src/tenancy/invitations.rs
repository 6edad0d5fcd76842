//! Users are invited by email: an admin gives the address, name and role; the invitee gets a mail
//! (through the outbox) with a one-time link that expires, and chooses their own password there.
//! Nobody else ever knows it. Links are stored as token digests only, like sessions.
//!
//! The invited user exists from the start (so the role rules, the users list and a second
//! invitation to the same address behave as for any user), with a password hash of a random
//! secret nobody holds: they cannot log in until the link sets a password.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use sea_orm_migration::prelude::*;
use serde_json::json;

use super::model::{validate_email, validate_language, Caller, Permission, Role, User};
use super::service::{record_audit, required, user_from};
use super::store::{organizations, sessions, users};
use crate::auth::{self, new_token, token_digest};
use crate::db::Db;
use crate::error::{is_unique_violation, Error, Result};
use crate::ids::{OrgId, UserId};
use crate::mail::{self, MailService, NewMessage, QueuedMessage};
use crate::schema::{create_all, id_ref, index, name, text, timestamp, timestamp_null};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// The prefix of an invitation token (it tells a leaked token's kind).
const TOKEN_PREFIX: &str = "fhinv_";

/// The mail template of an invitation.
pub const TEMPLATE: &str = "user_invitation";

pub mod store {
    pub mod user_invitations {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "user_invitations")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub token_hash: String,
            pub organization_id: String,
            pub user_id: String,
            pub created_by: String,
            pub created_at: DateTimeUtc,
            pub expires_at: DateTimeUtc,
            pub used_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use store::user_invitations as invitations;

/// Who to invite.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// `en`, `da` or `fr`: the mail's and the user's language.
    pub language: String,
}

/// An invitation link that still works: whose it is.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub organization: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

/// Invites a user: creates them (without a password anyone knows), stores the link's digest and
/// queues the mail, in one transaction. `public_url` is the site's address for the link.
pub async fn invite(
    db: &Db,
    caller: &Caller,
    new: NewInvitation,
    public_url: &str,
) -> Result<User> {
    caller.require(Permission::Administer)?;
    let email = validate_email("email", &new.email)?;
    let user_name = required("name", &new.name)?;
    let language = validate_language(&new.language)?;
    if !caller.role.may_grant(new.role) {
        return Err(Error::Forbidden(
            "your role may not grant or change this role",
        ));
    }
    // A password nobody holds: the invitee sets their own through the link.
    let unusable = auth::hash_password(new_token("")).await?;
    let token = new_token(TOKEN_PREFIX);
    let now = Utc::now();
    let organization = organizations::Entity::find_by_id(caller.org.as_str())
        .one(db.reader())
        .await?
        .ok_or(Error::NotFound("organization"))?
        .name;
    let inviter = match &caller.user {
        Some(id) => users::Entity::find_by_id((caller.org.to_string(), id.to_string()))
            .one(db.reader())
            .await?
            .map(|u| u.name),
        None => None,
    }
    .unwrap_or_else(|| organization.clone());
    let url = format!("{}/invitation/{token}", public_url.trim_end_matches('/'));
    let variables = json!({
        "organization": organization,
        "recipient": user_name,
        "inviter": inviter,
        "invitation_url": url,
        "days": INVITATION_DAYS,
    });
    let template = MailService::new(db.clone())
        .template(&caller.org, TEMPLATE, &language)
        .await?;
    let renderer = mail::sandbox::renderer();
    let rendered = match renderer.render(&template, &variables).await {
        Ok(rendered) => rendered,
        // An organization's broken template must not keep its people out.
        Err(err) if !template.built_in => {
            tracing::warn!(org = %caller.org, error = %err, "the user_invitation template failed; using the built-in one");
            let built_in = mail::templates::built_in(TEMPLATE, &language)
                .ok_or(Error::NotFound("template"))?;
            renderer.render(&built_in, &variables).await?
        }
        Err(err) => return Err(err),
    };
    let user_id = UserId::generate();
    let txn = db.begin_write().await?;
    let saved = users::ActiveModel {
        organization_id: Set(caller.org.to_string()),
        id: Set(user_id.to_string()),
        email: Set(email.clone()),
        name: Set(user_name),
        password_hash: Set(unusable),
        role: Set(new.role.as_str().to_string()),
        language: Set(language),
        disabled: Set(false),
        created_at: Set(now),
        last_login_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict(
                "email",
                format!("a user with email `{email}` already exists"),
            )
        } else {
            e.into()
        }
    })?;
    let digest = token_digest(&token);
    invitations::ActiveModel {
        token_hash: Set(digest.clone()),
        organization_id: Set(caller.org.to_string()),
        user_id: Set(user_id.to_string()),
        created_by: Set(caller.actor()),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITATION_DAYS)),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    mail::queue(
        &txn,
        &caller.org,
        vec![QueuedMessage {
            message: NewMessage {
                to_email: email.clone(),
                to_name: Some(saved.name.clone()),
                subject: rendered.subject,
                html: rendered.html,
                text: Some(rendered.text),
                marketing: None,
                idempotency_key: format!("user-invitation:{digest}"),
                attachments: Vec::new(),
            },
            unsubscribe_token: None,
        }],
    )
    .await?;
    record_audit(
        &txn,
        caller,
        "user.invited",
        user_id.as_str(),
        json!({"email": email, "role": new.role.as_str()}),
    )
    .await?;
    txn.commit().await?;
    user_from(saved)
}

/// The invitation of `token` when its link still works (unused, not expired, its user still
/// there). Reads only: a mail scanner fetching the link changes nothing.
pub async fn open(db: &Db, token: &str) -> Result<Option<OpenInvitation>> {
    let now = Utc::now();
    let Some(found) = invitations::Entity::find_by_id(token_digest(token))
        .one(db.reader())
        .await?
    else {
        return Ok(None);
    };
    if found.used_at.is_some() || found.expires_at <= now {
        return Ok(None);
    }
    let user = users::Entity::find_by_id((found.organization_id.clone(), found.user_id.clone()))
        .one(db.reader())
        .await?;
    let organization = organizations::Entity::find_by_id(found.organization_id.as_str())
        .one(db.reader())
        .await?;
    match (user, organization) {
        (Some(user), Some(organization)) if !user.disabled => Ok(Some(OpenInvitation {
            organization: organization.name,
            user: user_from(user)?,
            expires_at: found.expires_at,
        })),
        _ => Ok(None),
    }
}

/// Uses the link of `token` once, within its time: sets the invitee's password. `None` when the
/// link is used, expired or unknown; a password too short is refused before the link is spent.
pub async fn accept(db: &Db, token: &str, password: &str) -> Result<Option<User>> {
    auth::validate_password(password)?;
    let Some(open) = open(db, token).await? else {
        return Ok(None);
    };
    let hash = auth::hash_password(password.to_string()).await?;
    let now = Utc::now();
    let digest = token_digest(token);
    let txn = db.begin_write().await?;
    // One conditional update decides: a link clicked twice at once sets a password once.
    let taken = invitations::Entity::update_many()
        .col_expr(invitations::Column::UsedAt, Expr::value(Some(now)))
        .filter(invitations::Column::TokenHash.eq(digest.as_str()))
        .filter(invitations::Column::UsedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(None);
    }
    let user_id = open.user.id.clone();
    let found = invitations::Entity::find_by_id(digest)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("invitation"))?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .filter(users::Column::OrganizationId.eq(found.organization_id.as_str()))
        .filter(users::Column::Id.eq(user_id.as_str()))
        .exec(&txn)
        .await?;
    // Any session the account had (none: it had no password) ends, as on every new password.
    sessions::Entity::delete_many()
        .filter(sessions::Column::OrganizationId.eq(found.organization_id.as_str()))
        .filter(sessions::Column::UserId.eq(user_id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(open.user))
}

/// The users of `org` whose invitation is still waiting (sent, unused, not expired), for the
/// users list ("invited").
pub async fn pending(db: &Db, org: &OrgId) -> Result<Vec<UserId>> {
    let now = Utc::now();
    Ok(invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(org.as_str()))
        .filter(invitations::Column::UsedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .order_by_asc(invitations::Column::CreatedAt)
        .all(db.reader())
        .await?
        .into_iter()
        .map(|i| UserId::from_db(i.user_id))
        .collect())
}

pub struct M0009Invitations;

impl MigrationName for M0009Invitations {
    fn name(&self) -> &str {
        "core_0009_user_invitations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009Invitations {
    async fn up(&self, manager: &SchemaManager) -> std::result::Result<(), DbErr> {
        let table = Table::create()
            .table(name("user_invitations"))
            .col(
                ColumnDef::new(name("token_hash"))
                    .string_len(64)
                    .not_null()
                    .primary_key(),
            )
            .col(id_ref("organization_id"))
            .col(id_ref("user_id"))
            .col(text("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(timestamp_null("used_at"))
            .to_owned();
        create_all(
            manager,
            vec![table],
            vec![index("user_invitations", &["organization_id", "user_id"])],
        )
        .await
    }
}
