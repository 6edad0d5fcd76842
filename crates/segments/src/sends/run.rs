//! The send's job and its mails: composing one customer's message (the preview and the job
//! alike), and walking the members a page at a time, each page in the one transaction that
//! re-reads consent, records the recipients and queues their mails (see the parent module).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use fullhouse_core::jobs::JobContext;
use fullhouse_core::mail::service::new_unsubscribe_token;
use fullhouse_core::mail::{
    self, sandbox, unsubscribe_url, MailTemplate, MarketingConsent, NewMessage, QueuedMessage,
    Rendered,
};
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::store::{customer_permissions as permissions, customers};
use fullhouse_web::Lang;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{json, Value};

use super::store::{segment_send_recipients as recipients, segment_sends as sends};
use super::{
    template_with_subject, CampaignSend, RecipientStatus, SendId, SendService, EMAIL_PERMISSION,
};
use crate::index::Registry;
use crate::service::SegmentService;

/// Customers per page: one transaction, one render exchange per language, one recipients
/// insert and one outbox insert of this many rows at most.
pub const PAGE: usize = 1_000;
/// Recipient rows per INSERT (5 columns each: far below SQLite's bound-parameter limit).
const INSERT_ROWS: usize = 2_000;

/// Makes one send's messages: the template in each language with the send's subject, and the
/// variables every message shares.
pub struct Composer {
    db: Db,
    org: OrgId,
    key: String,
    subject: String,
    organization: String,
    fallback: Lang,
    text: String,
    link_url: String,
    public_url: String,
    templates: HashMap<&'static str, MailTemplate>,
}

impl Composer {
    pub async fn new(
        db: &Db,
        org: &OrgId,
        key: &str,
        subject: &str,
        text: &str,
        link_url: &str,
        public_url: &str,
    ) -> Result<Self> {
        let organization = TenancyService::new(db.clone()).organization(org).await?;
        Ok(Self {
            db: db.clone(),
            org: org.clone(),
            key: key.to_string(),
            subject: subject.to_string(),
            organization: organization.name,
            fallback: Lang::from_stored(&organization.default_language),
            text: text.to_string(),
            link_url: link_url.to_string(),
            public_url: public_url.to_string(),
            templates: HashMap::new(),
        })
    }

    /// For the send as it was started.
    pub async fn of(db: &Db, org: &OrgId, send: &CampaignSend, public_url: &str) -> Result<Self> {
        Self::new(
            db,
            org,
            &send.template,
            &send.subject,
            &send.text,
            &send.link_url,
            public_url,
        )
        .await
    }

    /// The language a customer is written to in: theirs, else the organization's.
    fn language(&self, customer: &customers::Model) -> Lang {
        customer
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(self.fallback)
    }

    async fn template(&mut self, lang: Lang) -> Result<MailTemplate> {
        if let Some(found) = self.templates.get(lang.code()) {
            return Ok(found.clone());
        }
        let template =
            template_with_subject(&self.db, &self.org, &self.key, lang.code(), &self.subject)
                .await?;
        self.templates.insert(lang.code(), template.clone());
        Ok(template)
    }

    fn variables(&self, customer: &customers::Model, token: &str) -> Value {
        json!({
            "organization": self.organization,
            "customer": {
                "first_name": customer.first_name.clone().unwrap_or_default(),
                "last_name": customer.last_name.clone().unwrap_or_default(),
            },
            "custom_text": self.text,
            "campaign_url": self.link_url,
            "unsubscribe_url": unsubscribe_url(&self.public_url, token),
        })
    }

    /// Renders the mail for a made-up customer in every language: a subject or template that
    /// does not render is refused when the send is started, with the part and line named.
    pub async fn check_renders(mut self) -> Result<()> {
        for lang in [Lang::En, Lang::Da, Lang::Fr] {
            let template = self.template(lang).await?;
            let sample = customers::Model {
                first_name: Some("Anna".into()),
                last_name: Some("Berg".into()),
                ..blank_customer()
            };
            sandbox::renderer()
                .render(&template, &self.variables(&sample, "preview"))
                .await?;
        }
        Ok(())
    }

    /// The mail exactly as `customer` would get it (the unsubscribe link is a placeholder).
    pub async fn preview(mut self, customer: &customers::Model) -> Result<Rendered> {
        let template = self.template(self.language(customer)).await?;
        sandbox::renderer()
            .render(&template, &self.variables(customer, "preview"))
            .await
    }

    /// Each customer's message, ready to queue: one render exchange per language.
    async fn messages(
        &mut self,
        send: &SendId,
        list: &[&customers::Model],
    ) -> Result<HashMap<String, QueuedMessage>> {
        let mut by_lang: BTreeMap<&'static str, Vec<(&customers::Model, String)>> = BTreeMap::new();
        for customer in list {
            by_lang
                .entry(self.language(customer).code())
                .or_default()
                .push((customer, new_unsubscribe_token()));
        }
        let mut ready = HashMap::with_capacity(list.len());
        for (code, group) in by_lang {
            let template = self.template(Lang::from_stored(code)).await?;
            let variables = group
                .iter()
                .map(|(customer, token)| self.variables(customer, token))
                .collect();
            let rendered = sandbox::renderer()
                .render_many(&template, variables)
                .await?;
            for ((customer, token), rendered) in group.into_iter().zip(rendered) {
                let rendered = rendered?;
                let name = [&customer.first_name, &customer.last_name]
                    .iter()
                    .filter_map(|part| part.as_deref().map(str::trim))
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                let message = NewMessage {
                    to_email: customer.email.clone().unwrap_or_default(),
                    to_name: Some(name).filter(|n| !n.is_empty() && !n.contains('@')),
                    subject: rendered.subject,
                    html: rendered.html,
                    text: Some(rendered.text),
                    marketing: Some(MarketingConsent {
                        customer_id: customer.id.clone(),
                        permission: EMAIL_PERMISSION.to_string(),
                    }),
                    idempotency_key: format!("segment-send:{send}:{}", customer.id),
                    attachments: Vec::new(),
                };
                ready.insert(
                    customer.id.clone(),
                    QueuedMessage {
                        message,
                        unsubscribe_token: Some(token),
                    },
                );
            }
        }
        Ok(ready)
    }
}

fn blank_customer() -> customers::Model {
    customers::Model {
        organization_id: String::new(),
        id: String::new(),
        external_id: None,
        first_name: None,
        last_name: None,
        email: None,
        phone: None,
        company: None,
        title: None,
        gender: None,
        birth_date: None,
        address_line: None,
        postal_code: None,
        city: None,
        country: None,
        latitude: None,
        longitude: None,
        language: None,
        subscriber: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// The address a customer can be mailed at, if any.
fn address(customer: &customers::Model) -> Option<String> {
    let email = customer.email.as_deref()?.trim();
    validate_email("email", email).ok()
}

/// What one run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub members: u64,
    /// Recipients this run recorded (members recorded by an earlier run are not counted).
    pub recorded: u64,
    pub queued: u64,
}

/// The counts one page adds to the send.
#[derive(Debug, Default)]
struct PageCounts {
    queued: i64,
    no_consent: i64,
    no_email: i64,
}

/// Runs a send: resolves its selection now and walks the members a page at a time.
pub async fn run(
    service: &SendService,
    registry: &Registry,
    ctx: &JobContext,
    send: &SendId,
    lang: Lang,
    public_url: &str,
) -> Result<RunReport> {
    let org = &ctx.org;
    let db = service.db();
    let send = service.get(org, send).await?;
    let members = SegmentService::new(db.clone())
        .members(registry, org, &send.selection, Utc::now())
        .await?;
    let total = i64::try_from(members.len()).unwrap_or(i64::MAX);
    sends::Entity::update_many()
        .col_expr(sends::Column::Members, Expr::value(total))
        .filter(sends::Column::OrganizationId.eq(org.as_str()))
        .filter(sends::Column::Id.eq(send.id.as_str()))
        .exec(db.writer())
        .await?;
    ctx.progress(0, Some(total), Some(&lang.t("segments-send-started")))
        .await?;
    let mut composer = Composer::of(db, org, &send, public_url).await?;
    let mut report = RunReport {
        members: members.len() as u64,
        ..RunReport::default()
    };
    // The members an earlier run recorded, read once: a page of them is skipped before any
    // rendering (the transaction checks its own page again).
    let before = recorded_all(db, org, &send.id).await?;
    let mut done = 0i64;
    for page in members.chunks(PAGE) {
        let todo: Vec<String> = page
            .iter()
            .filter(|id| !before.contains(*id))
            .cloned()
            .collect();
        let (recorded, queued) = send_page(db, org, &send.id, &mut composer, &todo).await?;
        report.recorded += recorded;
        report.queued += queued;
        done += i64::try_from(page.len()).unwrap_or(i64::MAX);
        ctx.progress(
            done,
            Some(total),
            Some(&lang.t1("segments-send-progress", "queued", report.queued)),
        )
        .await?;
    }
    Ok(report)
}

/// Every customer recorded for `send` so far.
async fn recorded_all(db: &Db, org: &OrgId, send: &SendId) -> Result<HashSet<String>> {
    let rows: Vec<String> = recipients::Entity::find()
        .select_only()
        .column(recipients::Column::CustomerId)
        .filter(recipients::Column::OrganizationId.eq(org.as_str()))
        .filter(recipients::Column::SendId.eq(send.as_str()))
        .into_tuple()
        .all(db.reader())
        .await?;
    Ok(rows.into_iter().collect())
}

/// The customers of `page` (ascending ids) that have a recipient row for `send`: a range of
/// the key, so the lookup stays one index range however many rows the send has.
async fn recorded(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    send: &SendId,
    page: &[String],
) -> Result<HashSet<String>> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(HashSet::new());
    };
    let rows: Vec<String> = recipients::Entity::find()
        .select_only()
        .column(recipients::Column::CustomerId)
        .filter(recipients::Column::OrganizationId.eq(org.as_str()))
        .filter(recipients::Column::SendId.eq(send.as_str()))
        .filter(recipients::Column::CustomerId.gte(first.as_str()))
        .filter(recipients::Column::CustomerId.lte(last.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// One page (ascending ids, those not recorded when the run began): rendered, then, in one
/// transaction, their consent is read, their recipient rows inserted and their mails queued.
/// Returns (recorded, queued).
async fn send_page(
    db: &Db,
    org: &OrgId,
    send: &SendId,
    composer: &mut Composer,
    todo: &[String],
) -> Result<(u64, u64)> {
    if todo.is_empty() {
        return Ok((0, 0));
    }
    let found = customers::Entity::find()
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .filter(customers::Column::Id.is_in(todo.iter().cloned()))
        .all(db.reader())
        .await?;
    let by_id: HashMap<&str, &customers::Model> =
        found.iter().map(|c| (c.id.as_str(), c)).collect();
    // Rendered for everyone with an address: consent is decided inside the transaction.
    let mailable: Vec<&customers::Model> = found.iter().filter(|c| address(c).is_some()).collect();
    let mut messages = composer.messages(send, &mailable).await?;

    let txn = db.begin_write().await?;
    let again = recorded(&txn, org, send, todo).await?;
    let granted: HashSet<String> = permissions::Entity::find()
        .select_only()
        .column(permissions::Column::CustomerId)
        .filter(permissions::Column::OrganizationId.eq(org.as_str()))
        .filter(permissions::Column::Permission.eq(EMAIL_PERMISSION))
        .filter(permissions::Column::Granted.eq(true))
        .filter(permissions::Column::CustomerId.is_in(todo.iter().cloned()))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let now = Utc::now();
    let mut counts = PageCounts::default();
    let mut rows = Vec::with_capacity(todo.len());
    let mut queue = Vec::new();
    for id in todo.iter().filter(|id| !again.contains(*id)) {
        let customer = by_id.get(id.as_str());
        let status = match customer.and_then(|c| address(c)) {
            None => RecipientStatus::SkippedNoEmail,
            Some(_) if !granted.contains(id) => RecipientStatus::SkippedNoConsent,
            Some(_) => match messages.remove(id) {
                Some(message) => {
                    queue.push(message);
                    RecipientStatus::Queued
                }
                None => RecipientStatus::SkippedNoEmail,
            },
        };
        match status {
            RecipientStatus::Queued => counts.queued += 1,
            RecipientStatus::SkippedNoConsent => counts.no_consent += 1,
            RecipientStatus::SkippedNoEmail => counts.no_email += 1,
        }
        rows.push(recipients::ActiveModel {
            organization_id: Set(org.to_string()),
            send_id: Set(send.to_string()),
            customer_id: Set(id.clone()),
            status: Set(status.as_str().to_string()),
            at: Set(now),
        });
    }
    let recorded_now = rows.len() as u64;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(INSERT_ROWS));
        let chunk = std::mem::replace(&mut rows, rest);
        // A conflict is a row another run committed after `again` was read: the outbox key
        // keeps its mail single; the counts may then be one short, never a mail too many.
        let result = recipients::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    recipients::Column::OrganizationId,
                    recipients::Column::SendId,
                    recipients::Column::CustomerId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        match result {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let queued = if queue.is_empty() {
        0
    } else {
        mail::queue(&txn, org, queue).await?
    };
    sends::Entity::update_many()
        .col_expr(
            sends::Column::Queued,
            Expr::col(sends::Column::Queued).add(counts.queued),
        )
        .col_expr(
            sends::Column::SkippedNoConsent,
            Expr::col(sends::Column::SkippedNoConsent).add(counts.no_consent),
        )
        .col_expr(
            sends::Column::SkippedNoEmail,
            Expr::col(sends::Column::SkippedNoEmail).add(counts.no_email),
        )
        .filter(sends::Column::OrganizationId.eq(org.as_str()))
        .filter(sends::Column::Id.eq(send.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok((recorded_now, queued as u64))
}

/// The customer the preview is written for: `wanted` when it is a member of the view with an
/// address, else the view's first member with one.
pub async fn preview_customer(
    db: &Db,
    org: &OrgId,
    members: &crate::selection::Members,
    wanted: Option<&str>,
) -> Result<customers::Model> {
    if let Some(wanted) = wanted.filter(|w| !w.trim().is_empty()) {
        if !members.contains(wanted) {
            return Err(Error::invalid(
                "customer_id",
                "the customer is not in this view",
            ));
        }
        let found = customers::Entity::find()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.eq(wanted))
            .one(db.reader())
            .await?
            .ok_or(Error::NotFound("customer"))?;
        return Ok(found);
    }
    for page in members.chunks(200) {
        let found = customers::Entity::find()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.is_in(page))
            .all(db.reader())
            .await?;
        if let Some(customer) = found
            .into_iter()
            .filter(|c| address(c).is_some())
            .min_by(|a, b| a.id.cmp(&b.id))
        {
            return Ok(customer);
        }
    }
    Err(Error::invalid(
        "customer_id",
        "no customer of this view has an email address",
    ))
}
