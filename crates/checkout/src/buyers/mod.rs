//! Buyers who sign in to a shop by a one-time link mailed to them (no password), so that the
//! storefront knows who they are: loyalty prices and codes bound to a customer work only for a
//! buyer who proved their address this way, never for anyone who merely types it.
//!
//! A buyer's session is its own (table, cookie and token prefix): it belongs to one
//! organization's storefront and carries no organizer rights, ever. Links and sessions are
//! stored as token digests only. The answer to a request for a link never depends on whether
//! the address is known: every valid address is sent a link, and the customer is found (or
//! created) only when the link is used.

pub mod model;
pub mod store;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use fullhouse_core::auth::{new_token, token_digest};
use fullhouse_core::mail::{self, MailService, NewMessage, QueuedMessage};
use fullhouse_core::rate_limit::KeyedLimit;
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::service::sale_facts::{find_or_create_buyer, Buyer};
use fullhouse_ticketing::CustomerId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use model::*;
use store::{buyer_sessions, buyer_sign_in_links};

/// Sign-in links and buyer sessions, with their rate limits.
#[derive(Clone)]
pub struct Buyers {
    db: Db,
    clock: Arc<dyn Clock>,
    per_address: Arc<KeyedLimit<String>>,
    per_client: Arc<KeyedLimit<IpAddr>>,
}

/// A buyer signed in to one organization's shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub customer_id: CustomerId,
    pub email: String,
}

/// What a link is now (its GET shows a button only while it is usable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Usable,
    /// Used, expired or never issued: the buyer asks for a new one.
    Spent,
}

/// A link asked for.
pub struct LinkRequest<'a> {
    pub shop: &'a str,
    pub organization_name: &'a str,
    pub email: &'a str,
    pub return_to: Option<String>,
    pub language: &'a str,
    pub client: Option<IpAddr>,
    pub public_url: &'a str,
}

impl Buyers {
    pub fn new(db: Db) -> Self {
        Self::with_limits(db, LINKS_PER_ADDRESS_PER_HOUR, LINKS_PER_CLIENT_PER_HOUR)
    }

    /// Budgets for asking links: per address and per client address, per hour.
    pub fn with_limits(db: Db, per_address: u32, per_client: u32) -> Self {
        Self {
            db,
            clock: Arc::new(SystemClock),
            per_address: KeyedLimit::per_hour(per_address),
            per_client: KeyedLimit::per_hour(per_client),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Mails a one-time sign-in link to `email`, whoever it belongs to (a known customer or
    /// not: the answer and the work are the same). Refused with [`Error::RateLimited`] when the
    /// client or the address has asked too often, before anything is written.
    pub async fn request_link(&self, org: &OrgId, request: LinkRequest<'_>) -> Result<()> {
        let email = validate_email("email", request.email)?;
        // Both budgets are spent whatever the outcome, so a throttled request learns nothing.
        let client_ok = request
            .client
            .is_none_or(|ip| self.per_client.spend(&client_key(ip), NonZeroU32::MIN));
        let address_ok = self
            .per_address
            .spend(&format!("{org}:{email}"), NonZeroU32::MIN);
        if !(client_ok && address_ok) {
            return Err(Error::RateLimited);
        }
        let token = new_token(LINK_PREFIX);
        let digest = token_digest(&token);
        let now = self.clock.now();
        let url = format!(
            "{}/shop/{}/sign-in/{token}",
            request.public_url.trim_end_matches('/'),
            request.shop
        );
        let template = MailService::new(self.db.clone())
            .template(org, "buyer_sign_in", request.language)
            .await?;
        let variables = json!({
            "organization": request.organization_name,
            "sign_in_url": url,
            "minutes": LINK_MINUTES,
        });
        let renderer = mail::sandbox::renderer();
        let rendered = match renderer.render(&template, &variables).await {
            Ok(rendered) => rendered,
            // An organization's broken template must not lock its buyers out.
            Err(err) if !template.built_in => {
                tracing::warn!(%org, error = %err, "the buyer_sign_in template failed; using the built-in one");
                let built_in = mail::templates::built_in("buyer_sign_in", request.language)
                    .ok_or(Error::NotFound("template"))?;
                renderer.render(&built_in, &variables).await?
            }
            Err(err) => return Err(err),
        };
        let txn = self.db.begin_write().await?;
        buyer_sign_in_links::Entity::insert(buyer_sign_in_links::ActiveModel {
            organization_id: Set(org.to_string()),
            token_hash: Set(digest.clone()),
            email: Set(email.clone()),
            return_to: Set(request.return_to),
            created_at: Set(now),
            expires_at: Set(now + link_lifetime()),
            used_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        mail::queue(
            &txn,
            org,
            vec![QueuedMessage {
                message: NewMessage {
                    to_email: email,
                    to_name: None,
                    subject: rendered.subject,
                    html: rendered.html,
                    text: Some(rendered.text),
                    marketing: None,
                    idempotency_key: format!("buyer-sign-in:{digest}"),
                    attachments: Vec::new(),
                },
                unsubscribe_token: None,
            }],
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether the link of `token` would sign someone in now. Reads only: mail scanners that
    /// fetch the link change nothing.
    pub async fn link_state(&self, org: &OrgId, token: &str) -> Result<LinkState> {
        let now = self.clock.now();
        let found = buyer_sign_in_links::Entity::find_by_id((org.to_string(), token_digest(token)))
            .one(self.db.reader())
            .await?;
        Ok(match found {
            Some(link) if link.used_at.is_none() && link.expires_at > now => LinkState::Usable,
            _ => LinkState::Spent,
        })
    }

    /// Uses the link of `token`: once, within its time. The customer with the link's address
    /// is found (or created), and a new session for them is returned as its cookie token with
    /// where to go next. `None` when the link is used, expired or unknown.
    pub async fn use_link(
        &self,
        org: &OrgId,
        token: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let now = self.clock.now();
        let digest = token_digest(token);
        let txn = self.db.begin_write().await?;
        // One conditional update decides: two clicks at once sign in once.
        let taken = buyer_sign_in_links::Entity::update_many()
            .col_expr(buyer_sign_in_links::Column::UsedAt, Expr::value(now))
            .filter(buyer_sign_in_links::Column::OrganizationId.eq(org.as_str()))
            .filter(buyer_sign_in_links::Column::TokenHash.eq(digest.as_str()))
            .filter(buyer_sign_in_links::Column::UsedAt.is_null())
            .filter(buyer_sign_in_links::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(None);
        }
        let link = buyer_sign_in_links::Entity::find_by_id((org.to_string(), digest))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("sign-in link"))?;
        let customer = find_or_create_buyer(
            &txn,
            org,
            &Buyer {
                email: link.email.clone(),
                first_name: None,
                last_name: None,
                phone: None,
            },
        )
        .await?;
        let session = new_token(SESSION_PREFIX);
        buyer_sessions::Entity::insert(buyer_sessions::ActiveModel {
            organization_id: Set(org.to_string()),
            token_hash: Set(token_digest(&session)),
            customer_id: Set(customer.to_string()),
            email: Set(link.email),
            created_at: Set(now),
            expires_at: Set(now + session_lifetime()),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(Some((session, link.return_to)))
    }

    /// The buyer signed in to `org`'s shop with this cookie, if any: a session of another
    /// organization, an expired one or a token of another kind is nobody.
    pub async fn signed_in(&self, org: &OrgId, cookie: &BuyerCookie) -> Result<Option<SignedIn>> {
        let Some(token) = cookie.token() else {
            return Ok(None);
        };
        let now = self.clock.now();
        Ok(
            buyer_sessions::Entity::find_by_id((org.to_string(), token_digest(token)))
                .one(self.db.reader())
                .await?
                .filter(|s| s.expires_at > now)
                .map(|s| SignedIn {
                    customer_id: CustomerId::from_db(s.customer_id),
                    email: s.email,
                }),
        )
    }

    /// Ends the session of this cookie (at `org`'s shop).
    pub async fn sign_out(&self, org: &OrgId, cookie: &BuyerCookie) -> Result<()> {
        if let Some(token) = cookie.token() {
            buyer_sessions::Entity::delete_many()
                .filter(buyer_sessions::Column::OrganizationId.eq(org.as_str()))
                .filter(buyer_sessions::Column::TokenHash.eq(token_digest(token)))
                .exec(self.db.writer())
                .await?;
        }
        Ok(())
    }
}

/// The rate-limit key of a client: IPv4 as it is, IPv6 by its /64 (one subscriber's network).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

/// The buyer's session cookie as the request carries it (only a well-formed buyer token).
#[derive(Debug, Clone, Default)]
pub struct BuyerCookie(Option<String>);

impl BuyerCookie {
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The `Set-Cookie` value of a new session (`Secure` when the server says cookies are).
    pub fn set(token: &str, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        let max_age = session_lifetime().num_seconds();
        format!("{BUYER_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear(secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!("{BUYER_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BuyerCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get_all(COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, value)| {
                    *name == BUYER_COOKIE
                        && value.starts_with(SESSION_PREFIX)
                        && value.len() <= 80
                        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .map(|(_, value)| value.to_string()),
        ))
    }
}

/// The buyers service and the request's buyer cookie in one extractor, for handlers that ask
/// "who is signed in to this shop?" once they know the shop's organization.
#[derive(Clone)]
pub struct BuyerSession {
    buyers: Buyers,
    cookie: BuyerCookie,
}

impl BuyerSession {
    /// The buyer signed in to `org`'s shop; a failed lookup counts as nobody (logged).
    pub async fn signed_in(&self, org: &OrgId) -> Option<SignedIn> {
        match self.buyers.signed_in(org, &self.cookie).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(%org, error = %err, "buyer session lookup failed");
                None
            }
        }
    }

    /// [`Self::signed_in`]'s customer, failing when the lookup does (for the JSON routes).
    pub async fn customer(&self, org: &OrgId) -> Result<Option<CustomerId>> {
        Ok(self
            .buyers
            .signed_in(org, &self.cookie)
            .await?
            .map(|b| b.customer_id))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BuyerSession {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        let buyers = parts
            .extensions
            .get::<Buyers>()
            .cloned()
            .ok_or_else(|| Error::internal("the buyers service is not installed"))?;
        let Ok(cookie) = BuyerCookie::from_request_parts(parts, state).await;
        Ok(Self { buyers, cookie })
    }
}
