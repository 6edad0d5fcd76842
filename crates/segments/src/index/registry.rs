//! One index per organization, built on first use and kept fresh from the domain-event outbox.
//!
//! The refresher polls `domain_events` (seq greater than what each index has applied) a few
//! times a second and re-reads the customers the events name: an order placed or cancelled names
//! its customer, `customer.changed` names the customer. Re-reading rather than patching keeps one
//! code path for "what a customer looks like in the index", and replaying an event twice is
//! harmless. A node keeps nothing that the database and the outbox cannot rebuild.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use fullhouse_core::tenancy::store::domain_events;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::service::facts::FactsService;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::build::{self, customer_ulid};
use super::{OrgIndex, SegmentQuery};
use crate::model::{CustomerSummary, SegmentCounts};

/// How often the refresher reads the outbox.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the catalog (event dates, new events) is read again without an event asking for it.
const CATALOG_INTERVAL: Duration = Duration::from_secs(30);
/// Outbox rows applied per round.
const EVENTS_PER_ROUND: u64 = 10_000;

/// The indexes of this node, shared by the handlers and the refresher.
pub struct Registry {
    db: Db,
    orgs: Mutex<HashMap<String, Arc<OnceCell<Arc<LiveIndex>>>>>,
}

/// An organization's index and the outbox position it reflects.
pub struct LiveIndex {
    org: OrgId,
    index: RwLock<OrgIndex>,
    applied_seq: Mutex<i64>,
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

    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.lock().map(|s| *s).unwrap_or_default()
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
                // The outbox position is read before the facts: events committed while the
                // build reads are applied again afterwards, which is harmless.
                let seq = last_seq(&self.db, org).await?;
                let started = Instant::now();
                let index = build::build(&self.db, org).await?;
                tracing::info!(org = %org, customers = index.len(), elapsed = ?started.elapsed(), "segment index built");
                Ok::<_, Error>(Arc::new(LiveIndex {
                    org: org.clone(),
                    index: RwLock::new(index),
                    applied_seq: Mutex::new(seq),
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

    /// Applies the outbox rows the index has not seen yet; returns how many it read.
    pub async fn refresh(&self, live: &LiveIndex) -> Result<usize> {
        let after = live.applied_seq();
        let rows = domain_events::Entity::find()
            .filter(domain_events::Column::OrganizationId.eq(live.org.as_str()))
            .filter(domain_events::Column::Seq.gt(after))
            .order_by_asc(domain_events::Column::Seq)
            .limit(EVENTS_PER_ROUND)
            .all(self.db.reader())
            .await?;
        let catalog_due = live
            .catalog_read
            .lock()
            .map(|t| t.elapsed() >= CATALOG_INTERVAL)
            .unwrap_or(true);
        let Some(last) = rows.last().map(|r| r.seq) else {
            if catalog_due {
                self.reread_catalog(live).await?;
            }
            return Ok(0);
        };
        let mut named = HashSet::new();
        for row in &rows {
            match row.kind.as_str() {
                "order.placed" | "order.cancelled" => {
                    if let Some(customer) = row.payload.get("customer_id").and_then(|c| c.as_str())
                    {
                        named.insert(customer.to_string());
                    }
                }
                "customer.changed" => {
                    named.insert(row.subject_id.clone());
                }
                _ => {}
            }
        }
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
        if let Ok(mut seq) = live.applied_seq.lock() {
            *seq = last;
        }
        if catalog_due {
            if let Ok(mut t) = live.catalog_read.lock() {
                *t = Instant::now();
            }
        }
        Ok(rows.len())
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

/// The newest outbox position of an organization (0 when it has none).
async fn last_seq(db: &Db, org: &OrgId) -> Result<i64> {
    let row = domain_events::Entity::find()
        .filter(domain_events::Column::OrganizationId.eq(org.as_str()))
        .order_by_desc(domain_events::Column::Seq)
        .one(db.reader())
        .await?;
    Ok(row.map(|r| r.seq).unwrap_or(0))
}
