//! The [`Follower`]: how every consumer reads the outbox (see the module docs of
//! [`crate::events`] for the delivery guarantee and the re-read window).

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set};

use super::{DomainEvent, StoredEvent};
use crate::error::Result;
use crate::ids::OrgId;
use crate::tenancy::store::domain_events;
use crate::Db;

/// How far behind its position a follower looks for events that committed late, in `seq`
/// numbers.
///
/// An event committed late is caught when fewer than this many seqs were taken between its
/// insert and its commit: by its own transaction after it, and by every transaction that
/// committed meanwhile. Writers record their events last in the transaction, in one statement
/// ([`super::record_many`]), so that span is one statement and the commit. The largest
/// allocation made in one statement is a bulk of 10,000 customers (ticketing's `MAX_BULK`);
/// twice that still catches an event whose transaction is overtaken by a full bulk and as many
/// smaller ones. The cost is one query per round reading the seqs in the window (an index range
/// on `(organization_id, seq)` for a per-organization follower, the primary key otherwise).
pub const DEFAULT_REREAD_WINDOW: i64 = 20_000;
/// Events read past the position per round.
pub const DEFAULT_BATCH_SIZE: u64 = 5_000;
/// Seqs looked up per query when fetching late events.
const LATE_CHUNK: usize = 500;

/// Where durable followers keep their position.
pub mod event_cursors {
    use sea_orm::entity::prelude::*;

    /// How far one consumer has read the outbox (not a tenant table: one row per consumer, for
    /// every organization).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_cursors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        pub last_seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Where a follower's position lives.
#[derive(Debug, Clone)]
enum Cursor {
    /// A row of `event_cursors`, read at the start of every round, so that a restarted process,
    /// or another process following under the same name, continues from it.
    Durable(&'static str),
    /// Only in this value: the consumer's state is rebuilt at start, and so is the follower.
    InMemory,
}

/// Reads the domain-event outbox for one consumer, in `seq` order, at least once.
///
/// ```ignore
/// let mut follower = Follower::durable(db, "checkout.cancellations").kind::<OrderCancelled>();
/// loop {
///     let batch = follower.next_batch().await?;
///     for event in batch.events() { /* handle, idempotently */ }
///     follower.acknowledge(batch).await?;
/// }
/// ```
///
/// A batch that is not acknowledged (the handler failed) is read again next round.
#[derive(Debug)]
pub struct Follower {
    db: Db,
    cursor: Cursor,
    /// The highest seq acknowledged.
    position: i64,
    /// The kinds delivered; empty for every kind.
    kinds: Vec<&'static str>,
    org: Option<OrgId>,
    batch_size: u64,
    window: i64,
    /// The seqs inside the window that this value has delivered and seen acknowledged, so a late
    /// event is delivered once per process rather than on every round.
    delivered: BTreeSet<i64>,
}

impl Follower {
    /// A follower whose position is kept in `event_cursors` under `consumer` (`"module.purpose"`,
    /// at most 200 characters). A new consumer starts at the beginning of the outbox.
    ///
    /// Every process that follows under one name shares the position: each round starts from
    /// the stored one, so what a consumer does must be kept in the shared database (checkout
    /// releasing orders), not in one process's memory — that is [`Follower::in_memory`].
    pub fn durable(db: Db, consumer: &'static str) -> Self {
        Self::new(db, Cursor::Durable(consumer), 0)
    }

    /// A follower whose position lives only in this value, starting after `after` (0 for the
    /// whole outbox; a consumer that builds its state from the database adds
    /// [`Follower::starting_now`]).
    pub fn in_memory(db: Db, after: i64) -> Self {
        Self::new(db, Cursor::InMemory, after)
    }

    fn new(db: Db, cursor: Cursor, position: i64) -> Self {
        Self {
            db,
            cursor,
            position,
            kinds: Vec::new(),
            org: None,
            batch_size: DEFAULT_BATCH_SIZE,
            window: DEFAULT_REREAD_WINDOW,
            delivered: BTreeSet::new(),
        }
    }

    /// Delivers events of kind `E` (call once per kind; without any call, every kind).
    pub fn kind<E: DomainEvent>(mut self) -> Self {
        if !self.kinds.contains(&E::KIND) {
            self.kinds.push(E::KIND);
        }
        self
    }

    /// Delivers only this organization's events.
    pub fn organization(mut self, org: OrgId) -> Self {
        self.org = Some(org);
        self
    }

    /// Reads at most `size` events past the position per round (at least 1).
    pub fn batch_size(mut self, size: u64) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Looks `window` seqs behind the position for late events ([`DEFAULT_REREAD_WINDOW`]);
    /// 0 turns the re-read off (only for tests that show why it is there).
    pub fn reread_window(mut self, window: i64) -> Self {
        self.window = window.max(0);
        self
    }

    /// Starts after every matching event visible now, and counts those inside the window as
    /// delivered. A consumer that builds its state from the database calls this *before* reading
    /// that state: what is visible now is in the state, and events still in flight now (which
    /// may commit later with a lower seq) are delivered through the window. Without it, the
    /// first round would deliver the whole window again.
    pub async fn starting_now(mut self) -> Result<Self> {
        let db = self.db.clone();
        let reader = db.reader();
        let latest: Option<i64> = self
            .filtered()
            .select_only()
            .column(domain_events::Column::Seq)
            .order_by_desc(domain_events::Column::Seq)
            .limit(1)
            .into_tuple()
            .one(reader)
            .await?;
        let Some(latest) = latest else {
            return Ok(self);
        };
        self.advance_to(latest);
        let floor = self.position.saturating_sub(self.window);
        let visible: Vec<i64> = self
            .filtered()
            .select_only()
            .column(domain_events::Column::Seq)
            .filter(domain_events::Column::Seq.gt(floor))
            .filter(domain_events::Column::Seq.lte(self.position))
            .into_tuple()
            .all(reader)
            .await?;
        self.delivered.extend(visible);
        Ok(self)
    }

    /// The highest seq acknowledged (for a durable follower, as of its last round).
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The events not delivered yet: those in the window behind the position that this value
    /// has not delivered (late commits, or everything in the window after a restart), then up to
    /// the batch size past the position, in `seq` order. Empty when there is nothing new.
    pub async fn next_batch(&mut self) -> Result<Batch> {
        let db = self.db.clone();
        let reader = db.reader();
        if let Cursor::Durable(consumer) = self.cursor {
            let stored = event_cursors::Entity::find_by_id(consumer)
                .one(reader)
                .await?
                .map_or(0, |row| row.last_seq);
            self.advance_to(stored);
        }
        let mut events: Vec<StoredEvent> = Vec::new();
        let floor = self.position.saturating_sub(self.window);
        if self.window > 0 && self.position > 0 {
            let in_window: Vec<i64> = self
                .filtered()
                .select_only()
                .column(domain_events::Column::Seq)
                .filter(domain_events::Column::Seq.gt(floor))
                .filter(domain_events::Column::Seq.lte(self.position))
                .into_tuple()
                .all(reader)
                .await?;
            let late: Vec<i64> = in_window
                .into_iter()
                .filter(|seq| !self.delivered.contains(seq))
                .collect();
            for chunk in late.chunks(LATE_CHUNK) {
                let rows = domain_events::Entity::find()
                    .filter(domain_events::Column::Seq.is_in(chunk.iter().copied()))
                    .all(reader)
                    .await?;
                events.extend(rows.into_iter().map(StoredEvent::from));
            }
        }
        let new = self
            .filtered()
            .filter(domain_events::Column::Seq.gt(self.position))
            .order_by_asc(domain_events::Column::Seq)
            .limit(self.batch_size)
            .all(reader)
            .await?;
        events.extend(new.into_iter().map(StoredEvent::from));
        events.sort_by_key(|event| event.seq);
        Ok(Batch { events })
    }

    /// Records that `batch` was handled: its events are not delivered again by this value, and
    /// the position moves to its highest seq (stored, for a durable follower; a stored position
    /// never moves back, whichever process writes last).
    pub async fn acknowledge(&mut self, batch: Batch) -> Result<()> {
        let Some(last) = batch.events.last().map(|event| event.seq) else {
            return Ok(());
        };
        self.delivered
            .extend(batch.events.iter().map(|event| event.seq));
        self.advance_to(last);
        if let Cursor::Durable(consumer) = self.cursor {
            let writer = self.db.writer();
            event_cursors::Entity::insert(event_cursors::ActiveModel {
                consumer: Set(consumer.to_string()),
                last_seq: Set(self.position),
            })
            .on_conflict(
                OnConflict::column(event_cursors::Column::Consumer)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(writer)
            .await?;
            event_cursors::Entity::update_many()
                .col_expr(event_cursors::Column::LastSeq, Expr::value(self.position))
                .filter(event_cursors::Column::Consumer.eq(consumer))
                .filter(event_cursors::Column::LastSeq.lt(self.position))
                .exec(writer)
                .await?;
        }
        Ok(())
    }

    /// Moves the position forward (never back) and forgets delivered seqs that fell out of the
    /// window.
    fn advance_to(&mut self, seq: i64) {
        if seq > self.position {
            self.position = seq;
        }
        let floor = self.position.saturating_sub(self.window);
        self.delivered = self.delivered.split_off(&floor.saturating_add(1));
    }

    fn filtered(&self) -> Select<domain_events::Entity> {
        let mut query = domain_events::Entity::find();
        if !self.kinds.is_empty() {
            query = query.filter(domain_events::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if let Some(org) = &self.org {
            query = query.filter(domain_events::Column::OrganizationId.eq(org.as_str()));
        }
        query
    }
}

/// The events of one round of a [`Follower`], in `seq` order; hand it back to
/// [`Follower::acknowledge`] once handled.
#[derive(Debug, Default)]
#[must_use = "a batch that is not acknowledged is delivered again"]
pub struct Batch {
    events: Vec<StoredEvent>,
}

impl Batch {
    pub fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}
