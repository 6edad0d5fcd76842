//! Purchase intents as operations: make one (its order placed through checkout, like every other
//! sale), read and list them, and move them on (see `actions`); follow their orders' fate from
//! the outbox and send reminders (see `follow`); mail the customer (see `mails`).
//!
//! An intent owns exactly one live order at a time. Its status follows that order's state
//! ([`IntentStatus::of_order`]): checkout's holds expire on their own (the deadline is the
//! order's hold), and the customer's payment goes through checkout's payment step. This module
//! learns of both from `order.paid` and `order.cancelled` in the outbox, and writes the status
//! itself on the moves an organizer makes here, so the page answers at once.

mod actions;
mod digest;
mod follow;
mod mails;
mod pay;

pub use actions::ActionRequest;
pub use digest::DIGEST_TEMPLATE;
pub use follow::{Sweep, ORDERS_CONSUMER};

use chrono::{DateTime, Utc};
use fullhouse_checkout::model::{Cart, CheckoutOrder};
use fullhouse_checkout::{Checkout, PlaceOrder};
use fullhouse_core::tenancy::model::Caller;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::{CustomerId, EventId, OrderId, ShopId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::model::*;
use crate::store::{intent_event_defaults, intent_history, intents};

/// The prefix of payment-link tokens (organizer sessions are `fhs_`, buyer sessions `fhb_`).
pub const LINK_TOKEN_PREFIX: &str = "fhi_";
/// Intents listed per page.
pub const PAGE_SIZE: u64 = 50;

/// Purchase intents: made through `checkout`, reached by the customer at `public_url`.
#[derive(Clone)]
pub struct Intents {
    db: Db,
    checkout: Checkout,
    public_url: String,
}

/// Which intents to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct IntentQuery {
    pub status: Option<IntentStatus>,
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    pub event_id: Option<EventId>,
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    pub import_id: Option<String>,
    /// Pay-by-link intents whose deadline falls before this time (the digest's "expire soon").
    pub due_before: Option<DateTime<Utc>>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

/// One page of intents and how many match in all.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct IntentPage {
    pub intents: Vec<Intent>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// An intent with its history.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct IntentDetail {
    #[serde(flatten)]
    pub intent: Intent,
    pub history: Vec<HistoryEntry>,
    /// The order as checkout has it (prices, tickets, seats), when it still exists.
    #[schema(value_type = Option<Object>)]
    pub order: Option<CheckoutOrder>,
}

impl Intents {
    pub fn new(db: Db, checkout: Checkout, public_url: &str) -> Self {
        Self {
            db,
            checkout,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn checkout(&self) -> &Checkout {
        &self.checkout
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.checkout.now()
    }

    /// The customer's page of an intent.
    pub fn link(&self, org_slug: &str, token: &str) -> String {
        format!("{}/shop/{org_slug}/intents/{token}", self.public_url)
    }

    /// The strategy an event's intents get unless they choose one (the "system default" until
    /// the organizer sets one).
    pub async fn event_defaults(&self, org: &OrgId, event: &EventId) -> Result<EventDefaults> {
        let row = intent_event_defaults::Entity::find_by_id((org.to_string(), event.to_string()))
            .one(self.db.reader())
            .await?;
        Ok(
            row.map_or_else(EventDefaults::default, |row| EventDefaults {
                strategy: Strategy::parse(&row.strategy).unwrap_or(Strategy::PayByLink),
                pay_days: u32::try_from(row.pay_days).unwrap_or(DEFAULT_PAY_DAYS),
                remind_days: u32::try_from(row.remind_days).unwrap_or(DEFAULT_REMIND_DAYS),
            }),
        )
    }

    /// Sets an event's default strategy.
    pub async fn set_event_defaults(
        &self,
        org: &OrgId,
        event: &EventId,
        defaults: EventDefaults,
    ) -> Result<EventDefaults> {
        CatalogService::new(self.db.clone())
            .event(org, event)
            .await?;
        if defaults.pay_days == 0 || defaults.pay_days > MAX_PAY_DAYS {
            return Err(Error::invalid(
                "pay_days",
                format!("give between 1 and {MAX_PAY_DAYS} days to pay"),
            ));
        }
        if defaults.remind_days >= defaults.pay_days {
            return Err(Error::invalid(
                "remind_days",
                "the reminder must go out before the deadline: fewer days than the days to pay",
            ));
        }
        let row = intent_event_defaults::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(event.to_string()),
            strategy: Set(defaults.strategy.as_str().to_string()),
            pay_days: Set(i64::from(defaults.pay_days)),
            remind_days: Set(i64::from(defaults.remind_days)),
            updated_at: Set(self.now()),
        };
        intent_event_defaults::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    intent_event_defaults::Column::OrganizationId,
                    intent_event_defaults::Column::Id,
                ])
                .update_columns([
                    intent_event_defaults::Column::Strategy,
                    intent_event_defaults::Column::PayDays,
                    intent_event_defaults::Column::RemindDays,
                    intent_event_defaults::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(self.db.writer())
            .await?;
        Ok(defaults)
    }

    /// Makes an intent: its order is placed through checkout on the strategy's terms (held
    /// until the deadline, held until settled, or given away), then the intent is recorded and,
    /// when asked, the customer mailed. Refused like any sale (422 on a wrong cart, 409 on a
    /// seat or place that is gone, a code used up) with nothing kept.
    pub async fn create(&self, org: &OrgId, new: NewIntent) -> Result<Intent> {
        let placed = self.place(org, &new).await?;
        let intent = self.record(org, &new, &placed).await?;
        if new.send_mail {
            self.mail_booking(org, &intent, &new.created_by).await?;
        }
        Ok(intent)
    }

    /// Checks an intent and places its order (the first half of [`Self::create`], which the
    /// import runs for many intents at once before recording them together).
    pub async fn place(&self, org: &OrgId, new: &NewIntent) -> Result<Placed> {
        let tickets: usize = new.items.iter().map(IntentItem::tickets).sum();
        if new.items.is_empty() || tickets == 0 {
            return Err(Error::invalid("items", "choose at least one ticket"));
        }
        if tickets > MAX_TICKETS_PER_INTENT {
            return Err(Error::invalid(
                "items",
                format!("one intent holds at most {MAX_TICKETS_PER_INTENT} tickets"),
            ));
        }
        let event = CatalogService::new(self.db.clone())
            .event(org, &new.event_id)
            .await?;
        let now = self.now();
        if event.starts_at <= now {
            return Err(Error::invalid(
                "event_id",
                "this event has already begun: nothing can be booked for it",
            ));
        }
        if let Some(Deadline::Until(at)) = new.strategy.deadline {
            if at <= now {
                return Err(Error::invalid(
                    "deadline",
                    "the deadline must be in the future",
                ));
            }
        }
        let coupon = new
            .coupon
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let defaults = self.event_defaults(org, &new.event_id).await?;
        let terms = Terms::resolve(new.strategy, defaults, now, event.starts_at);
        if terms.strategy == Strategy::Complimentary && coupon.is_some() {
            return Err(Error::invalid(
                "coupon",
                "complimentary tickets cost nothing: leave the code out",
            ));
        }
        let order = self
            .checkout
            .place_with(
                org,
                PlaceOrder {
                    cart: Cart {
                        referral_code: None,
                        event_id: new.event_id.clone(),
                        items: new.items.iter().map(IntentItem::cart_item).collect(),
                        codes: coupon.clone().into_iter().collect(),
                        customer_id: Some(new.customer_id.clone()),
                    },
                    // The channel is where the customer pays: online through the link, else
                    // at the organizer's (an invoice, or nothing). Either way the organizer
                    // named the customer, so a code bound to them works (`customer_id` is set).
                    channel: match terms.strategy {
                        Strategy::PayByLink => Channel::Online,
                        Strategy::Invoice | Strategy::Complimentary => Channel::BoxOffice,
                    },
                    buyer: None,
                    paid_at_counter: false,
                    payment_method: None,
                },
                new.shop_id.clone(),
                terms.sale_terms(),
            )
            .await?;
        Ok(Placed {
            terms,
            coupon,
            order,
        })
    }

    /// Records a placed intent (the second half of [`Self::create`]).
    pub async fn record(&self, org: &OrgId, new: &NewIntent, placed: &Placed) -> Result<Intent> {
        let id = IntentId::generate();
        let (row, history) = self.rows_of(org, &id, new, placed);
        let txn = self.db.begin_write().await?;
        intents::Entity::insert(intents::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        intent_history::Entity::insert_many(
            history.into_iter().map(intent_history::ActiveModel::from),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        let slug = self.slug(org).await?;
        self.intent_of(row, &slug)
    }

    /// The rows of a placed intent: the intent and its first history lines.
    pub fn rows_of(
        &self,
        org: &OrgId,
        id: &IntentId,
        new: &NewIntent,
        placed: &Placed,
    ) -> (intents::Model, Vec<intent_history::Model>) {
        let now = self.now();
        let order = &placed.order;
        let status = IntentStatus::of_order(order.status);
        let row = intents::Model {
            organization_id: org.to_string(),
            id: id.to_string(),
            customer_id: new.customer_id.to_string(),
            event_id: new.event_id.to_string(),
            shop_id: new.shop_id.as_ref().map(ToString::to_string),
            order_id: Some(order.id.to_string()),
            strategy: placed.terms.strategy.as_str().to_string(),
            status: status.as_str().to_string(),
            items: serde_json::to_value(&new.items).unwrap_or_default(),
            coupon: placed.coupon.clone(),
            company: new.company.clone(),
            delivery: new.delivery.as_str().to_string(),
            pay_by: placed.terms.pay_by,
            remind_days: i64::from(placed.terms.remind_days),
            remind_at: placed
                .terms
                .pay_by
                .and_then(|at| reminder_due_at(now, at, placed.terms.remind_days)),
            reminder_sent_at: None,
            send_mail: new.send_mail,
            ticket_count: order.order.tickets.len() as i64,
            total_minor: order.total_minor,
            currency: order.currency.clone(),
            token: fullhouse_core::auth::new_token(LINK_TOKEN_PREFIX),
            import_id: new.import_id.clone(),
            created_by: new.created_by.clone(),
            created_at: now,
            updated_at: now,
        };
        let mut history = vec![history_row(
            org,
            id,
            "created",
            &new.created_by,
            Some(placed.terms.strategy.as_str().to_string()),
            now,
        )];
        if status == IntentStatus::Completed {
            history.push(history_row(org, id, "paid", "system", None, now));
        }
        (row, history)
    }

    /// One intent with its history and order.
    pub async fn detail(&self, org: &OrgId, id: &IntentId) -> Result<IntentDetail> {
        let row = self.row(self.db.reader(), org, id).await?;
        let slug = self.slug(org).await?;
        let order = match &row.order_id {
            Some(order) => match self
                .checkout
                .order(org, &OrderId::from_db(order.clone()))
                .await
            {
                Ok(order) => Some(order),
                Err(Error::NotFound(_)) => None,
                Err(err) => return Err(err),
            },
            None => None,
        };
        let history = intent_history::Entity::find()
            .filter(intent_history::Column::OrganizationId.eq(org.as_str()))
            .filter(intent_history::Column::IntentId.eq(id.as_str()))
            .order_by_asc(intent_history::Column::At)
            .order_by_asc(intent_history::Column::Id)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|h| HistoryEntry {
                action: h.action,
                actor: h.actor,
                detail: h.detail,
                at: h.at,
            })
            .collect();
        Ok(IntentDetail {
            intent: self.intent_of(row, &slug)?,
            history,
            order,
        })
    }

    pub async fn intent(&self, org: &OrgId, id: &IntentId) -> Result<Intent> {
        let row = self.row(self.db.reader(), org, id).await?;
        let slug = self.slug(org).await?;
        self.intent_of(row, &slug)
    }

    /// The intent a customer's link names; 404 for any other token.
    pub async fn by_token(&self, org: &OrgId, token: &str) -> Result<IntentDetail> {
        let token = token.trim();
        if !token.starts_with(LINK_TOKEN_PREFIX) || token.len() > 100 {
            return Err(Error::NotFound("intent"));
        }
        let row = intents::Entity::find()
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Token.eq(token))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("intent"))?;
        self.detail(org, &IntentId::from_db(row.id)).await
    }

    /// A page of intents, newest first.
    pub async fn list(&self, org: &OrgId, query: &IntentQuery) -> Result<IntentPage> {
        let mut find =
            intents::Entity::find().filter(intents::Column::OrganizationId.eq(org.as_str()));
        if let Some(status) = query.status {
            find = find.filter(intents::Column::Status.eq(status.as_str()));
        }
        if let Some(event) = &query.event_id {
            find = find.filter(intents::Column::EventId.eq(event.as_str()));
        }
        if let Some(customer) = &query.customer_id {
            find = find.filter(intents::Column::CustomerId.eq(customer.as_str()));
        }
        if let Some(import) = &query.import_id {
            find = find.filter(intents::Column::ImportId.eq(import.trim()));
        }
        if let Some(before) = query.due_before {
            find = find.filter(intents::Column::PayBy.lt(before));
        }
        let total = find.clone().count(self.db.reader()).await?;
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let page = query.page.unwrap_or(1).clamp(1, pages);
        let rows = find
            .order_by_desc(intents::Column::CreatedAt)
            .order_by_desc(intents::Column::Id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .all(self.db.reader())
            .await?;
        let slug = self.slug(org).await?;
        let intents = rows
            .into_iter()
            .map(|row| self.intent_of(row, &slug))
            .collect::<Result<_>>()?;
        Ok(IntentPage {
            intents,
            total,
            page,
            pages,
        })
    }

    async fn row(
        &self,
        conn: &impl ConnectionTrait,
        org: &OrgId,
        id: &IntentId,
    ) -> Result<intents::Model> {
        intents::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(conn)
            .await?
            .ok_or(Error::NotFound("intent"))
    }

    pub(crate) async fn slug(&self, org: &OrgId) -> Result<String> {
        Ok(TenancyService::new(self.db.clone())
            .organization(org)
            .await?
            .slug)
    }

    pub(crate) fn intent_of(&self, row: intents::Model, slug: &str) -> Result<Intent> {
        let items: Vec<IntentItem> = serde_json::from_value(row.items)
            .map_err(|e| Error::internal(format!("intent {} has unreadable lines: {e}", row.id)))?;
        Ok(Intent {
            link: self.link(slug, &row.token),
            id: IntentId::from_db(row.id),
            customer_id: CustomerId::from_db(row.customer_id),
            event_id: EventId::from_db(row.event_id),
            shop_id: row.shop_id.map(ShopId::from_db),
            order_id: row.order_id.map(OrderId::from_db),
            strategy: Strategy::parse(&row.strategy).unwrap_or(Strategy::PayByLink),
            status: IntentStatus::parse(&row.status).unwrap_or(IntentStatus::Pending),
            items,
            coupon: row.coupon,
            company: row.company,
            delivery: Delivery::parse(&row.delivery).unwrap_or_default(),
            pay_by: row.pay_by,
            remind_days: u32::try_from(row.remind_days).unwrap_or(0),
            reminder_sent_at: row.reminder_sent_at,
            send_mail: row.send_mail,
            ticket_count: u32::try_from(row.ticket_count).unwrap_or(0),
            total_minor: row.total_minor,
            currency: row.currency,
            import_id: row.import_id,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// Who a caller is, as history shows it: the user's email, or `API token`.
    pub async fn actor(&self, caller: &Caller) -> String {
        match &caller.user {
            Some(user) => match TenancyService::new(self.db.clone())
                .user(&caller.org, user)
                .await
            {
                Ok(user) => user.email,
                Err(_) => user.to_string(),
            },
            None => "API token".to_string(),
        }
    }

    /// Checks that a customer exists (the API and the import name customers by id).
    pub async fn customer_exists(&self, org: &OrgId, id: &CustomerId) -> Result<bool> {
        match CustomerService::new(self.db.clone())
            .customer(org, id)
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

/// An intent whose order is placed, not yet recorded.
#[derive(Debug, Clone)]
pub struct Placed {
    pub terms: Terms,
    pub coupon: Option<String>,
    pub order: CheckoutOrder,
}

pub(crate) fn history_row(
    org: &OrgId,
    intent: &IntentId,
    action: &str,
    actor: &str,
    detail: Option<String>,
    at: DateTime<Utc>,
) -> intent_history::Model {
    intent_history::Model {
        organization_id: org.to_string(),
        id: fullhouse_core::ids::generate("ih"),
        intent_id: intent.to_string(),
        action: action.to_string(),
        actor: actor.to_string(),
        detail,
        at,
    }
}
