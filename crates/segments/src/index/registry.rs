//! One index per organization, built on first use and kept fresh from the domain-event outbox.
//!
//! Each index has an in-memory outbox [`Follower`] of its organization's `order.placed`,
//! `order.paid`, `order.cancelled` and `customer.changed`, started ([`Follower::starting_now`])
//! just before the index was built. The refresher polls them a few times a second and re-reads
//! the customers the events name: an order placed, paid or released names its customer,
//! `customer.changed` names the customer. (Sales are paid orders: an online order counts from
//! its `order.paid`, not from the hold its `order.placed` starts.)
//! Re-reading rather than patching keeps one code path for "what a customer looks like in the
//! index", and makes an event delivered twice harmless, which the follower's at-least-once
//! delivery needs: it delivers events that committed late, behind a higher `seq` already applied
//! (PostgreSQL), as well as new ones. A node keeps nothing that the database and the outbox cannot
//! rebuild.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use fullhouse_core::events::{Follower, StoredEvent};
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::outbox::{CustomerChanged, OrderCancelled, OrderPaid, OrderPlaced};
use fullhouse_ticketing::service::facts::FactsService;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::build::{self, customer_ulid};
use super::{OrgIndex, SegmentQuery};
use crate::model::{CustomerSummary, SegmentCounts};

/// How often the refresher reads the outbox.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the catalog (event dates, new events) is read again without an event asking for it.
const CATALOG_INTERVAL: Duration = Duration::from_secs(30);
/// Outbox rows read past an index's position per round.
const EVENTS_PER_ROUND: u64 = 10_000;

/// The indexes of this node, shared by the handlers and the refresher.
pub struct Registry {
    db: Db,
    orgs: Mutex<HashMap<String, Arc<OnceCell<Arc<LiveIndex>>>>>,
}

/// An organization's index and the outbox follower that keeps it fresh.
pub struct LiveIndex {
    org: OrgId,
    index: RwLock<OrgIndex>,
    /// Held for a whole round, so two refreshes of one index never interleave.
    follower: tokio::sync::Mutex<Follower>,
    catalog_read: Mutex<Instant>,
}

impl LiveIndex {
    /// Answers a count with the index as it is now.
    pub fn answer(&self, query: &SegmentQuery) -> Result<(SegmentCounts, Vec<u32>)> {
        let index = self
            .index
            .read()
            .map_err(|_| Error::internal("segment index lock poisoned"))?;
        index.answer(query)
    }

    /// Runs `f` on the index (benchmarks and tests).
    pub fn with<R>(&self, f: impl FnOnce(&OrgIndex) -> R) -> Result<R> {
        let index = self
            .index
            .read()
            .map_err(|_| Error::internal("segment index lock poisoned"))?;
        Ok(f(&index))
    }

    /// The highest outbox seq applied (events below it may still arrive late and be applied).
    pub async fn applied_seq(&self) -> i64 {
        self.follower.lock().await.position()
    }
}

impl Registry {
    pub fn new(db: Db) -> Arc<Self> {
        Arc::new(Self {
            db,
            orgs: Mutex::new(HashMap::new()),
        })
    }

    /// The organization's index, built now when this node has none yet.
    pub async fn index(&self, org: &OrgId) -> Result<Arc<LiveIndex>> {
        let cell = {
            let mut orgs = self
                .orgs
                .lock()
                .map_err(|_| Error::internal("segment registry lock poisoned"))?;
            orgs.entry(org.to_string()).or_default().clone()
        };
        let live = cell
            .get_or_try_init(|| async {
                // The follower starts before the facts are read: events committed while the
                // build reads are applied again afterwards, which is harmless, and events in
                // flight now arrive through its re-read window.
                let follower = follower(&self.db, org).starting_now().await?;
                let started = Instant::now();
                let index = build::build(&self.db, org).await?;
                tracing::info!(org = %org, customers = index.len(), elapsed = ?started.elapsed(), "segment index built");
                Ok::<_, Error>(Arc::new(LiveIndex {
                    org: org.clone(),
                    index: RwLock::new(index),
                    follower: tokio::sync::Mutex::new(follower),
                    catalog_read: Mutex::new(Instant::now()),
                }))
            })
            .await?;
        Ok(live.clone())
    }

    fn loaded(&self) -> Vec<Arc<LiveIndex>> {
        self.orgs
            .lock()
            .map(|orgs| orgs.values().filter_map(|c| c.get().cloned()).collect())
            .unwrap_or_default()
    }

    /// Polls the outbox until `shutdown`.
    pub async fn run_refresher(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            for live in self.loaded() {
                if let Err(err) = self.refresh(&live).await {
                    tracing::warn!(org = %live.org, error = ?err, "segment index refresh failed");
                }
            }
        }
    }

    /// Applies the outbox events the index has not seen yet, late ones included; returns how
    /// many it read.
    pub async fn refresh(&self, live: &LiveIndex) -> Result<usize> {
        let mut follower = live.follower.lock().await;
        let batch = follower.next_batch().await?;
        let catalog_due = live
            .catalog_read
            .lock()
            .map(|t| t.elapsed() >= CATALOG_INTERVAL)
            .unwrap_or(true);
        if batch.is_empty() {
            if catalog_due {
                self.reread_catalog(live).await?;
            }
            return Ok(0);
        }
        let named: HashSet<String> = batch.events().iter().filter_map(customer_named).collect();
        let ids: Vec<String> = named.into_iter().collect();
        let facts = FactsService::new(self.db.clone());
        let found = facts.customers_in(&live.org, &ids).await?;
        let present: HashSet<&str> = found.iter().map(|c| c.id.as_str()).collect();
        let gone: Vec<u128> = ids
            .iter()
            .filter(|id| !present.contains(id.as_str()))
            .filter_map(|id| customer_ulid(id))
            .collect();
        let mut catalog = live.with(|i| i.catalog.clone())?;
        if catalog_due {
            catalog.merge(facts.catalog(&live.org).await?);
        }
        let records = build::load_records(&facts, &mut catalog, &live.org, found).await?;
        {
            let mut index = live
                .index
                .write()
                .map_err(|_| Error::internal("segment index lock poisoned"))?;
            index.set_catalog(catalog);
            index.replace(records, &gone);
        }
        let read = batch.len();
        follower.acknowledge(batch).await?;
        if catalog_due {
            if let Ok(mut t) = live.catalog_read.lock() {
                *t = Instant::now();
            }
        }
        Ok(read)
    }

    async fn reread_catalog(&self, live: &LiveIndex) -> Result<()> {
        let facts = FactsService::new(self.db.clone());
        let mut catalog = live.with(|i| i.catalog.clone())?;
        catalog.merge(facts.catalog(&live.org).await?);
        if let Ok(mut index) = live.index.write() {
            index.set_catalog(catalog);
        }
        if let Ok(mut t) = live.catalog_read.lock() {
            *t = Instant::now();
        }
        Ok(())
    }

    /// Names and emails of customers by number, in the order given.
    pub async fn summaries(&self, org: &OrgId, numbers: &[u32]) -> Result<Vec<CustomerSummary>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let live = self.index(org).await?;
        let ids: Vec<String> =
            live.with(|i| numbers.iter().filter_map(|n| i.customer_id(*n)).collect())?;
        let found = FactsService::new(self.db.clone())
            .customers_in(org, &ids)
            .await?;
        let mut by_id: HashMap<String, _> = found.into_iter().map(|c| (c.id.clone(), c)).collect();
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id))
            .map(|c| {
                let name = [c.first_name.as_deref(), c.last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                CustomerSummary {
                    id: c.id,
                    name,
                    email: c.email,
                }
            })
            .collect())
    }
}

/// The follower of one organization's index.
fn follower(db: &Db, org: &OrgId) -> Follower {
    Follower::in_memory(db.clone(), 0)
        .organization(org.clone())
        .kind::<OrderPlaced>()
        .kind::<OrderPaid>()
        .kind::<OrderCancelled>()
        .kind::<CustomerChanged>()
        .batch_size(EVENTS_PER_ROUND)
}

/// The customer an event asks the index to read again, if any. An event whose payload does not
/// read is logged and skipped rather than retried forever: it would stop the index at that event.
fn customer_named(event: &StoredEvent) -> Option<String> {
    let customer = if event.is::<OrderPlaced>() {
        event
            .decode::<OrderPlaced>()
            .map(|placed| placed.0.customer_id)
    } else if event.is::<OrderPaid>() {
        event.decode::<OrderPaid>().map(|paid| paid.customer_id)
    } else if event.is::<OrderCancelled>() {
        event
            .decode::<OrderCancelled>()
            .map(|cancelled| cancelled.0.customer_id)
    } else if event.is::<CustomerChanged>() {
        event
            .decode::<CustomerChanged>()
            .map(|changed| Some(changed.id))
    } else {
        Ok(None)
    };
    match customer {
        Ok(customer) => customer.map(|id| id.into_string()),
        Err(err) => {
            tracing::error!(org = %event.org, seq = event.seq, error = ?err, "outbox event skipped by the segment index");
            None
        }
    }
}
