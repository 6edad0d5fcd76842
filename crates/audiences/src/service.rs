//! Operations on audiences and members: one transaction each, the organization first.

use std::collections::HashSet;

use chrono::Utc;
use fullhouse_core::error::{is_unique_violation, FieldError};
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::ids::OrgId;
use fullhouse_core::tabular::{ExportFormat, TableWriter};
use fullhouse_core::{Db, Error, Msg, Result};
use fullhouse_ticketing::service::references::{self, KnownNames};
use fullhouse_ticketing::{CustomerId, EventId, VenueId};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::model::*;
use crate::store::{self, audience_members as members, audiences, MemberRow};

#[derive(Clone)]
pub struct AudienceService {
    db: Db,
}

impl AudienceService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn create(&self, org: &OrgId, new: NewAudience) -> Result<Audience> {
        self.create_as(org, new, AudienceSource::Blank).await
    }

    /// Creates an empty audience; its name must be unique in the organization (any case).
    pub async fn create_as(
        &self,
        org: &OrgId,
        new: NewAudience,
        source: AudienceSource,
    ) -> Result<Audience> {
        let txn = self.db.begin_write().await?;
        let id = insert_audience(&txn, &self.db, org, new, source).await?;
        txn.commit().await?;
        self.get(org, &id).await
    }

    /// Fails with a conflict when an audience already has this name (any case).
    pub async fn ensure_name_free(&self, org: &OrgId, name: &str) -> Result<()> {
        let taken = audiences::Entity::find()
            .filter(audiences::Column::OrganizationId.eq(org.as_str()))
            .filter(audiences::Column::NameKey.eq(references::name_key(name)))
            .count(self.db.reader())
            .await?;
        if taken > 0 {
            return Err(name_conflict_error());
        }
        Ok(())
    }

    pub async fn get(&self, org: &OrgId, id: &AudienceId) -> Result<Audience> {
        let row = find_audience(self.db.reader(), org, id).await?;
        let totals = member_totals(self.db.reader(), org, vec![row.id.clone()]).await?;
        let (count, total) = totals.get(&row.id).copied().unwrap_or((0, 0));
        audience_from(row, count, total)
    }

    /// Audiences by name, `q` matching any part of the name.
    pub async fn list(
        &self,
        org: &OrgId,
        q: Option<&str>,
        params: &PageParams,
    ) -> Result<Page<Audience>> {
        let limit = params.limit()?;
        let mut select =
            audiences::Entity::find().filter(audiences::Column::OrganizationId.eq(org.as_str()));
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            select = select.filter(audiences::Column::NameKey.contains(q.to_lowercase()));
        }
        if let Some(after) = params.after() {
            select = select.filter(audiences::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(audiences::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |a| a.id.clone());
        let ids = page.items.iter().map(|a| a.id.clone()).collect();
        let totals = member_totals(self.db.reader(), org, ids).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            let (count, total) = totals.get(&row.id).copied().unwrap_or((0, 0));
            items.push(audience_from(row, count, total)?);
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn update(
        &self,
        org: &OrgId,
        id: &AudienceId,
        patch: AudiencePatch,
    ) -> Result<Audience> {
        let txn = self.db.begin_write().await?;
        let row = find_audience(&txn, org, id).await?;
        let mut active: audiences::ActiveModel = row.into();
        if let Some(name) = patch.name {
            let name = check_name(&name).map_err(|e| Error::invalid_fields(vec![e]))?;
            active.name_key = Set(references::name_key(&name));
            active.name = Set(name);
        }
        if let Some(description) = patch.description {
            active.description = Set(optional_text(Some(&description)));
        }
        if let Some(venue) = patch.venue_id {
            references::known_names(&self.db, org, Some(&venue), &[]).await?;
            active.venue_id = Set(Some(venue.to_string()));
        }
        if let Some(events) = patch.event_ids {
            references::known_names(&self.db, org, None, &events).await?;
            active.event_ids = Set(serde_json::json!(events));
        }
        active.updated_at = Set(Utc::now());
        active.update(&txn).await.map_err(name_conflict)?;
        txn.commit().await?;
        self.get(org, id).await
    }

    /// Deletes the audience and its members.
    pub async fn delete(&self, org: &OrgId, id: &AudienceId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_audience(&txn, org, id).await?;
        members::Entity::delete_many()
            .filter(members::Column::OrganizationId.eq(org.as_str()))
            .filter(members::Column::AudienceId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        audiences::Entity::delete_many()
            .filter(audiences::Column::OrganizationId.eq(org.as_str()))
            .filter(audiences::Column::Id.eq(id.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Members in the order they were added; `q` matches any part of the code (any case),
    /// the category or the seat label.
    pub async fn members(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        q: Option<&str>,
        params: &PageParams,
    ) -> Result<Page<Member>> {
        find_audience(self.db.reader(), org, audience).await?;
        let limit = params.limit()?;
        let mut select = members::Entity::find()
            .filter(members::Column::OrganizationId.eq(org.as_str()))
            .filter(members::Column::AudienceId.eq(audience.as_str()));
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let lowered = q.to_lowercase();
            select = select.filter(
                Condition::any()
                    .add(members::Column::CodeKey.contains(&lowered))
                    .add(
                        Expr::expr(Func::lower(Expr::col(members::Column::Category)))
                            .like(format!("%{lowered}%")),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(members::Column::SeatLabel)))
                            .like(format!("%{lowered}%")),
                    ),
            );
        }
        if let Some(after) = params.after() {
            select = select.filter(members::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(members::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |m| m.id.clone());
        Ok(Page {
            items: page.items.into_iter().map(member_from).collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub async fn member(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        id: &MemberId,
    ) -> Result<Member> {
        Ok(member_from(
            find_member(self.db.reader(), org, audience, id).await?,
        ))
    }

    /// Adds one member, validated like a row of an upload.
    pub async fn add_member(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        new: NewMember,
    ) -> Result<Member> {
        let row = find_audience(self.db.reader(), org, audience).await?;
        let rules = MemberRules::for_audience(&self.db, org, &row).await?;
        let customer = self.resolve_customer(org, new.customer.as_deref()).await?;
        let member = rules
            .check(
                &new.code,
                Ok(new.quantity),
                new.category.as_deref(),
                new.seat_label.as_deref(),
            )
            .map_err(|problems| {
                Error::invalid_fields(
                    problems
                        .into_iter()
                        .map(|(f, r)| FieldError::new(f, r))
                        .collect(),
                )
            })?;
        let id = MemberId::generate();
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        find_audience(&txn, org, audience).await?;
        members::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            audience_id: Set(audience.to_string()),
            code: Set(member.code.clone()),
            code_key: Set(member.code_key),
            quantity: Set(member.quantity),
            category: Set(member.category),
            seat_label: Set(member.seat_label),
            customer_id: Set(customer.map(|c| c.to_string())),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| code_conflict(e, &member.code))?;
        touch(&txn, org, audience).await?;
        txn.commit().await?;
        self.member(org, audience, &id).await
    }

    pub async fn update_member(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        id: &MemberId,
        patch: MemberPatch,
    ) -> Result<Member> {
        let row = find_audience(self.db.reader(), org, audience).await?;
        let current = find_member(self.db.reader(), org, audience, id).await?;
        let rules = MemberRules::for_audience(&self.db, org, &row).await?;
        let code = patch.code.unwrap_or_else(|| current.code.clone());
        let quantity = patch.quantity.unwrap_or(current.quantity);
        let category = patch.category.or_else(|| current.category.clone());
        let seat = patch.seat_label.or_else(|| current.seat_label.clone());
        let customer = match patch.customer {
            Some(reference) if reference.trim().is_empty() => None,
            Some(reference) => self
                .resolve_customer(org, Some(&reference))
                .await?
                .map(|c| c.to_string()),
            None => current.customer_id.clone(),
        };
        let member = rules
            .check(&code, Ok(quantity), category.as_deref(), seat.as_deref())
            .map_err(|problems| {
                Error::invalid_fields(
                    problems
                        .into_iter()
                        .map(|(f, r)| FieldError::new(f, r))
                        .collect(),
                )
            })?;
        let txn = self.db.begin_write().await?;
        let existing = find_member(&txn, org, audience, id).await?;
        let mut active: members::ActiveModel = existing.into();
        active.code = Set(member.code.clone());
        active.code_key = Set(member.code_key);
        active.quantity = Set(member.quantity);
        active.category = Set(member.category);
        active.seat_label = Set(member.seat_label);
        active.customer_id = Set(customer);
        active.updated_at = Set(Utc::now());
        active
            .update(&txn)
            .await
            .map_err(|e| code_conflict(e, &member.code))?;
        touch(&txn, org, audience).await?;
        txn.commit().await?;
        self.member(org, audience, id).await
    }

    pub async fn delete_member(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        id: &MemberId,
    ) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_member(&txn, org, audience, id).await?;
        members::Entity::delete_many()
            .filter(members::Column::OrganizationId.eq(org.as_str()))
            .filter(members::Column::Id.eq(id.as_str()))
            .exec(&txn)
            .await?;
        touch(&txn, org, audience).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The export as a download: its file name (the audience's name) and bytes.
    pub async fn export_file(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        format: ExportFormat,
        layout: &ExportLayout,
    ) -> Result<(String, Vec<u8>)> {
        let name = self.get(org, audience).await?.name;
        let bytes = self.export(org, audience, format, layout).await?;
        Ok((format!("{name}.{}", format.extension()), bytes))
    }

    /// The audience as a CSV or XLSX file: Code, Quantity, Category, Seat, Customer, with the
    /// headers and separator of `layout`. Written through [`TableWriter`], so a code or
    /// category starting a formula is written `'=…` (tested end to end in the server's
    /// `bombs.rs`).
    pub async fn export(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        format: ExportFormat,
        layout: &ExportLayout,
    ) -> Result<Vec<u8>> {
        find_audience(self.db.reader(), org, audience).await?;
        let headers: Vec<&str> = layout.headers.iter().map(String::as_str).collect();
        let mut writer = TableWriter::new(format, &headers, layout.delimiter)?;
        let mut after = String::new();
        loop {
            let rows = members::Entity::find()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::AudienceId.eq(audience.as_str()))
                .filter(members::Column::Id.gt(after.as_str()))
                .order_by_asc(members::Column::Id)
                .limit(5_000)
                .all(self.db.reader())
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            for m in &rows {
                writer.write_row(&[
                    m.code.as_str(),
                    &m.quantity.to_string(),
                    m.category.as_deref().unwrap_or(""),
                    m.seat_label.as_deref().unwrap_or(""),
                    m.customer_id.as_deref().unwrap_or(""),
                ])?;
            }
        }
        writer.finish()
    }

    /// A new audience of generated members (random codes, or last events' tickets or holders).
    pub async fn generate(&self, org: &OrgId, request: NewGeneratedAudience) -> Result<Audience> {
        let members = self.generated_members(org, &request.generate).await?;
        let new = NewAudience {
            name: request.name,
            description: request.description,
            venue_id: None,
            event_ids: Vec::new(),
        };
        let txn = self.db.begin_write().await?;
        let id = insert_audience(&txn, &self.db, org, new, AudienceSource::Generated).await?;
        let sql = store::insert_members_sql(txn.get_database_backend(), store::ROWS_PER_INSERT);
        store::insert_members(&txn, org.as_str(), id.as_str(), &members, &sql, Utc::now()).await?;
        txn.commit().await?;
        self.get(org, &id).await
    }

    async fn generated_members(&self, org: &OrgId, generate: &Generate) -> Result<Vec<MemberRow>> {
        let row = |code: String, quantity: i64, customer_id: Option<String>| MemberRow {
            id: MemberId::generate().to_string(),
            code_key: code_key(&code),
            code,
            quantity,
            category: None,
            seat_label: None,
            customer_id,
        };
        let checked = |quantity: i64| {
            check_quantity(quantity).map_err(|r| Error::invalid("generate.quantity", r))
        };
        match generate {
            Generate::Codes {
                pattern,
                count,
                quantity,
            } => {
                let quantity = checked(*quantity)?;
                let pattern = CodePattern::parse(pattern)
                    .map_err(|r| Error::invalid("generate.pattern", r))?;
                if *count == 0 || *count > MAX_GENERATED {
                    return Err(Error::invalid(
                        "generate.count",
                        format!("must be between 1 and {MAX_GENERATED}"),
                    ));
                }
                if !pattern.fits(*count) {
                    return Err(Error::invalid(
                        "generate.pattern",
                        format!("has too few `X` for {count} codes that cannot be guessed; add more `X`"),
                    ));
                }
                let mut rng = rand::thread_rng();
                let mut seen = HashSet::with_capacity(usize::try_from(*count).unwrap_or(0));
                let mut rows = Vec::with_capacity(seen.capacity());
                while (rows.len() as u64) < *count {
                    let code = pattern.generate(&mut rng);
                    if seen.insert(code_key(&code)) {
                        rows.push(row(code, quantity, None));
                    }
                }
                Ok(rows)
            }
            Generate::TicketBarcodes {
                event_ids,
                quantity,
            } => {
                let quantity = checked(*quantity)?;
                let tickets = self.held(org, event_ids).await?;
                let mut seen = HashSet::new();
                Ok(tickets
                    .into_iter()
                    .filter(|t| seen.insert(code_key(&t.barcode)))
                    .map(|t| row(t.barcode, quantity, t.customer_id))
                    .collect())
            }
            Generate::TicketHolders {
                event_ids,
                quantity,
            } => {
                let quantity = checked(*quantity)?;
                let tickets = self.held(org, event_ids).await?;
                let mut seen = HashSet::new();
                Ok(tickets
                    .into_iter()
                    .filter_map(|t| t.customer_id)
                    .filter(|c| seen.insert(c.clone()))
                    .map(|customer| row(customer.clone(), quantity, Some(customer)))
                    .collect())
            }
        }
    }

    async fn held(
        &self,
        org: &OrgId,
        event_ids: &[EventId],
    ) -> Result<Vec<references::HeldTicket>> {
        if event_ids.is_empty() {
            return Err(Error::invalid(
                "generate.event_ids",
                "choose at least one event",
            ));
        }
        references::held_tickets(&self.db, org, event_ids).await
    }

    async fn resolve_customer(
        &self,
        org: &OrgId,
        reference: Option<&str>,
    ) -> Result<Option<CustomerId>> {
        let Some(reference) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let found = references::resolve_customers(&self.db, org, &[reference.to_string()]).await?;
        let key = if reference.starts_with("cus_") {
            reference.to_string()
        } else {
            reference.to_lowercase()
        };
        match found.get(&key) {
            Some(id) => Ok(Some(CustomerId::from_db(id.clone()))),
            None => Err(Error::invalid(
                "customer",
                format!(
                    "no customer `{reference}` in this organization (give a customer id or email)"
                ),
            )),
        }
    }
}

/// A member that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedMember {
    pub code: String,
    pub code_key: String,
    pub quantity: i64,
    pub category: Option<String>,
    pub seat_label: Option<String>,
}

/// The rules a member must meet in one audience: the code's shape, the quantity, and the
/// seat label and category existing where the audience is tied to a venue or events.
#[derive(Debug, Clone, Default)]
pub struct MemberRules {
    known: Option<KnownNames>,
}

impl MemberRules {
    pub fn with_known(known: Option<KnownNames>) -> MemberRules {
        MemberRules { known }
    }

    pub async fn for_audience(
        db: &Db,
        org: &OrgId,
        audience: &audiences::Model,
    ) -> Result<MemberRules> {
        let venue = audience.venue_id.clone().map(VenueId::from_db);
        let events = event_ids_of(audience);
        if venue.is_none() && events.is_empty() {
            return Ok(MemberRules::default());
        }
        let known = references::known_names(db, org, venue.as_ref(), &events).await?;
        Ok(MemberRules { known: Some(known) })
    }

    /// Checks one member; the problems come as (field, reason).
    pub fn check(
        &self,
        code: &str,
        quantity: std::result::Result<i64, Msg>,
        category: Option<&str>,
        seat_label: Option<&str>,
    ) -> std::result::Result<CheckedMember, Vec<(&'static str, Msg)>> {
        let mut problems = Vec::new();
        let code = clean_code(code)
            .map_err(|r| problems.push(("code", r)))
            .ok();
        let quantity = quantity
            .and_then(check_quantity)
            .map_err(|r| problems.push(("quantity", r)))
            .ok();
        let category = optional_text(category);
        let seat_label = optional_text(seat_label);
        if let Some(known) = &self.known {
            if let Some(c) = &category {
                if !known.categories.contains(&references::name_key(c)) {
                    problems.push((
                        "category",
                        Msg::new("engine-not-a-category").arg("category", c),
                    ));
                }
            }
            if let Some(s) = &seat_label {
                if !known.seat_labels.contains(&references::name_key(s)) {
                    problems.push(("seat", Msg::new("engine-not-a-seat-label").arg("seat", s)));
                }
            }
        }
        match (code, quantity) {
            (Some(code), Some(quantity)) if problems.is_empty() => Ok(CheckedMember {
                code_key: code_key(&code),
                code,
                quantity,
                category,
                seat_label,
            }),
            _ => Err(problems),
        }
    }
}

pub(crate) fn event_ids_of(audience: &audiences::Model) -> Vec<EventId> {
    serde_json::from_value::<Vec<String>>(audience.event_ids.clone())
        .unwrap_or_default()
        .into_iter()
        .map(EventId::from_db)
        .collect()
}

/// The row a new audience becomes, after checking its name and its venue and events.
pub(crate) async fn new_audience_row(
    db: &Db,
    org: &OrgId,
    new: NewAudience,
    source: AudienceSource,
) -> Result<audiences::Model> {
    let name = check_name(&new.name).map_err(|e| Error::invalid_fields(vec![e]))?;
    if new.venue_id.is_some() || !new.event_ids.is_empty() {
        references::known_names(db, org, new.venue_id.as_ref(), &new.event_ids).await?;
    }
    let now = Utc::now();
    Ok(audiences::Model {
        organization_id: org.to_string(),
        id: AudienceId::generate().to_string(),
        name_key: references::name_key(&name),
        name,
        description: optional_text(new.description.as_deref()),
        venue_id: new.venue_id.map(|v| v.to_string()),
        event_ids: serde_json::json!(new.event_ids),
        source: source.as_str().to_string(),
        created_at: now,
        updated_at: now,
    })
}

/// Inserts a new audience's row on `txn`; returns its id.
pub(crate) async fn insert_audience(
    txn: &impl ConnectionTrait,
    db: &Db,
    org: &OrgId,
    new: NewAudience,
    source: AudienceSource,
) -> Result<AudienceId> {
    let row = new_audience_row(db, org, new, source).await?;
    let id = AudienceId::from_db(row.id.clone());
    row.into_active_model()
        .reset_all()
        .insert(txn)
        .await
        .map_err(name_conflict)?;
    Ok(id)
}

pub(crate) fn name_conflict_error() -> Error {
    Error::conflict(
        "name",
        "an audience with this name already exists; names are unique in an organization",
    )
}

fn name_conflict(err: sea_orm::DbErr) -> Error {
    if is_unique_violation(&err) {
        name_conflict_error()
    } else {
        err.into()
    }
}

fn code_conflict(err: sea_orm::DbErr, code: &str) -> Error {
    if is_unique_violation(&err) {
        Error::conflict("code", format!("code {code} is already in this audience"))
    } else {
        err.into()
    }
}

pub(crate) async fn find_audience(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &AudienceId,
) -> Result<audiences::Model> {
    audiences::Entity::find()
        .filter(audiences::Column::OrganizationId.eq(org.as_str()))
        .filter(audiences::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("audience"))
}

async fn find_member(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    audience: &AudienceId,
    id: &MemberId,
) -> Result<members::Model> {
    members::Entity::find()
        .filter(members::Column::OrganizationId.eq(org.as_str()))
        .filter(members::Column::AudienceId.eq(audience.as_str()))
        .filter(members::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("member"))
}

pub(crate) async fn touch(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    audience: &AudienceId,
) -> Result<()> {
    audiences::Entity::update_many()
        .col_expr(audiences::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(audiences::Column::OrganizationId.eq(org.as_str()))
        .filter(audiences::Column::Id.eq(audience.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// (members, sum of quantities) of each of `audiences`, in one grouped query; an audience without
/// members is absent.
async fn member_totals(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    audiences: Vec<String>,
) -> Result<std::collections::HashMap<String, (i64, i64)>> {
    let rows: Vec<(String, i64, Option<i64>)> = members::Entity::find()
        .select_only()
        .column(members::Column::AudienceId)
        .column_as(
            Expr::col(members::Column::Id)
                .count()
                .cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
            "members",
        )
        .column_as(
            Expr::col(members::Column::Quantity)
                .sum()
                .cast_as(sea_orm::sea_query::Alias::new("BIGINT")),
            "total",
        )
        .filter(members::Column::OrganizationId.eq(org.as_str()))
        .filter(members::Column::AudienceId.is_in(audiences))
        .group_by(members::Column::AudienceId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(audience, count, total)| (audience, (count, total.unwrap_or(0))))
        .collect())
}

fn audience_from(
    row: audiences::Model,
    member_count: i64,
    total_quantity: i64,
) -> Result<Audience> {
    let event_ids = event_ids_of(&row);
    Ok(Audience {
        id: AudienceId::from_db(row.id),
        name: row.name,
        description: row.description,
        venue_id: row.venue_id.map(VenueId::from_db),
        event_ids,
        source: AudienceSource::parse(&row.source),
        member_count,
        total_quantity,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn member_from(row: members::Model) -> Member {
    Member {
        id: MemberId::from_db(row.id),
        audience_id: AudienceId::from_db(row.audience_id),
        code: row.code,
        quantity: row.quantity,
        category: row.category,
        seat_label: row.seat_label,
        customer_id: row.customer_id.map(CustomerId::from_db),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The headers and CSV separator of an audience export: the API's English names and commas by
/// default; the pages use the reader's language (see the pages' `export`), whose headers the
/// import reads back.
#[derive(Debug, Clone)]
pub struct ExportLayout {
    /// Code, quantity, category, seat, customer.
    pub headers: [String; 5],
    pub delimiter: u8,
}

impl Default for ExportLayout {
    fn default() -> Self {
        ExportLayout {
            headers: ["Code", "Quantity", "Category", "Seat", "Customer"].map(String::from),
            delimiter: b',',
        }
    }
}
