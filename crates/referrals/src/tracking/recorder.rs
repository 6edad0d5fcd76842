//! Hits written off the request path: the redirect hands each hit to a bounded channel
//! ([`Recorder::record`], never waiting) and one task ([`Drain::run`]) writes them in batches,
//! deciding duplicates on the way.
//!
//! - **Batches**: the drain takes whatever is queued, up to [`MAX_BATCH`] hits, and waits up to
//!   [`LINGER`] for more when it has fewer; each batch is one multi-row insert
//!   ([`fullhouse_core::db::insert_rows`]). At low traffic that is at most 1 / [`LINGER`] inserts
//!   a second; under load the batches grow while the previous insert runs.
//! - **Full channel**: a hit that finds [`CHANNEL_CAPACITY`] hits queued is dropped, counted
//!   (`fullhouse_referral_hits_dropped_total`, [`RecorderStats::dropped`]) and logged; the
//!   visitor is redirected all the same. A full channel means the database has been slower
//!   than the traffic for seconds: slowing the redirect down would not save the hits, only
//!   lose the visitors.
//! - **Duplicates**: a *human* hit on a link whose visitor had a counted human click on that
//!   link less than [`DUPLICATE_WINDOW_MINUTES`] before becomes [`HitClass::Duplicate`]. The
//!   window runs from the last click that counted, so someone who comes back every 50 minutes
//!   counts once an hour, not once ever. Bots, previews, scanners and prefetches keep their own
//!   class: it already says why they do not count. The drain remembers recent visitor/link pairs
//!   in memory and asks the database, once per organization and batch, about pairs it has not
//!   seen in the window (after a restart, or a click served by another node).
//! - **Shutdown**: when the server's token is cancelled the drain keeps writing until every
//!   sender is gone (the server has answered its last request) or [`SHUTDOWN_GRACE`] has
//!   passed, then writes what is queued and returns. A hit answered after that is dropped and
//!   counted.
//! - **Crash**: a process that dies loses the hits queued and the batch being written: at most
//!   [`CHANNEL_CAPACITY`] + [`MAX_BATCH`], in practice the last [`LINGER`] plus one insert's
//!   time of traffic. `fullhouse bench redirect` measures it: on a loaded 2-core machine, at
//!   2,400–9,500 hits/s, 60–1,030 hits were answered but not yet stored when the load stopped
//!   (about 0.1 s of traffic), and all of them were stored within 100 ms after.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fullhouse_core::{Error, OrgId, Result};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::visitor::{network_hash, truncate, visitor_hash};
use crate::model::{HitClass, ParticipantId, PromotionId, DUPLICATE_WINDOW_MINUTES};
use crate::store::referral_hits as hits;
use crate::Referrals;

/// Hits that may wait in memory for the drain: at 5,000 hits a second, three seconds of a
/// stalled database.
pub const CHANNEL_CAPACITY: usize = 16_384;
/// The most hits one insert writes.
pub const MAX_BATCH: usize = 1_000;
/// How long the drain waits for a batch to fill before writing what it has.
pub const LINGER: Duration = Duration::from_millis(50);
/// How long a stopping drain waits for the server's last requests before it closes the channel.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Visitor/link pairs remembered for duplicates before the memory is cleared (the database is
/// asked again after that): about 100 MB at its fullest.
const MAX_REMEMBERED: usize = 500_000;
/// Waits between attempts at an insert that failed; after the last the batch is given up.
const RETRIES: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];

/// One hit as the redirect saw it. `network` is truncated by the redirect
/// ([`super::visitor::truncate`]), so the raw address never enters the queue, and again by the
/// drain before hashing.
#[derive(Debug, Clone)]
pub struct Hit {
    pub org: OrgId,
    pub promotion_id: PromotionId,
    pub participant_id: ParticipantId,
    pub at: DateTime<Utc>,
    pub method: String,
    pub class: HitClass,
    pub reason: String,
    pub network: IpAddr,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}

enum Message {
    Hit(Box<Hit>),
    /// Answered once every message before it is stored.
    Flush(oneshot::Sender<()>),
}

/// What the recorder has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Hits queued.
    pub accepted: u64,
    /// Hits refused because the channel was full (or closed).
    pub dropped: u64,
    /// Hits written.
    pub stored: u64,
    /// Hits whose insert failed every retry.
    pub lost: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    dropped: AtomicU64,
    stored: AtomicU64,
    lost: AtomicU64,
}

/// The sending side, shared by every request (cheap to clone).
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
}

impl Recorder {
    /// A recorder and the drain that must run for its hits to be written.
    pub fn new(referrals: Referrals) -> (Recorder, Drain) {
        Self::with_capacity(referrals, CHANNEL_CAPACITY)
    }

    /// [`Recorder::new`] with another channel size (tests fill a small one).
    pub fn with_capacity(referrals: Referrals, capacity: usize) -> (Recorder, Drain) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let drain = Drain {
            rx,
            referrals,
            counters: counters.clone(),
            salts: HashMap::new(),
            seen: HashMap::new(),
        };
        (Recorder { tx, counters }, drain)
    }

    /// Queues a hit without waiting; false (and counted) when the channel is full or closed.
    pub fn record(&self, hit: Hit) -> bool {
        match self.tx.try_send(Message::Hit(Box::new(hit))) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(err) => {
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                metrics::counter!("fullhouse_referral_hits_dropped_total").increment(1);
                // One line per thousand: a flood of drops must not become a flood of logs.
                if dropped % 1_000 == 1 {
                    let why = match err {
                        mpsc::error::TrySendError::Full(_) => "the queue is full",
                        mpsc::error::TrySendError::Closed(_) => "the recorder has stopped",
                    };
                    tracing::warn!(dropped, why, "referral hits dropped");
                }
                false
            }
        }
    }

    /// Waits until every hit queued before this call is stored (or given up).
    pub async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Message::Flush(done))
            .await
            .map_err(|_| Error::internal("the hit recorder has stopped"))?;
        wait.await
            .map_err(|_| Error::internal("the hit recorder stopped before the flush"))
    }

    /// Hits waiting in the channel now.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    pub fn stats(&self) -> RecorderStats {
        RecorderStats {
            accepted: self.counters.accepted.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            stored: self.counters.stored.load(Ordering::Relaxed),
            lost: self.counters.lost.load(Ordering::Relaxed),
        }
    }
}

/// The receiving side: one task that writes the hits (see the module docs).
pub struct Drain {
    rx: mpsc::Receiver<Message>,
    referrals: Referrals,
    counters: Arc<Counters>,
    salts: HashMap<OrgId, String>,
    /// (organization, participant, visitor) → (the last counted human click, if any; the last
    /// hit that asked). An entry whose last hit is older than the window says nothing more than
    /// the database would, and is forgotten first.
    seen: HashMap<(OrgId, String, String), Seen>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    counted: Option<DateTime<Utc>>,
    touched: DateTime<Utc>,
}

impl Drain {
    /// Writes hits until `shutdown` is cancelled and the queue is empty (see the module docs).
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut buffer = Vec::with_capacity(MAX_BATCH);
        let mut stop_by: Option<Instant> = None;
        loop {
            let received = match stop_by {
                None => tokio::select! {
                    n = self.rx.recv_many(&mut buffer, MAX_BATCH) => n,
                    () = shutdown.cancelled() => {
                        stop_by = Some(Instant::now() + SHUTDOWN_GRACE);
                        continue;
                    }
                },
                Some(deadline) => tokio::select! {
                    n = self.rx.recv_many(&mut buffer, MAX_BATCH) => n,
                    () = tokio::time::sleep_until(deadline) => 0,
                },
            };
            if received == 0 {
                break;
            }
            if stop_by.is_none() {
                self.linger(&mut buffer, &shutdown).await;
            }
            self.write(&mut buffer).await;
        }
        self.rx.close();
        while let Ok(message) = self.rx.try_recv() {
            buffer.push(message);
            if buffer.len() >= MAX_BATCH {
                self.write(&mut buffer).await;
            }
        }
        self.write(&mut buffer).await;
        tracing::debug!(stats = ?self.stats(), "referral hit recorder stopped");
    }

    fn stats(&self) -> RecorderStats {
        RecorderStats {
            accepted: self.counters.accepted.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            stored: self.counters.stored.load(Ordering::Relaxed),
            lost: self.counters.lost.load(Ordering::Relaxed),
        }
    }

    /// Lets a small batch fill for up to [`LINGER`]; not when someone waits on a flush.
    async fn linger(&mut self, buffer: &mut Vec<Message>, shutdown: &CancellationToken) {
        let until = Instant::now() + LINGER;
        while buffer.len() < MAX_BATCH && !has_flush(buffer) {
            let room = MAX_BATCH - buffer.len();
            tokio::select! {
                n = self.rx.recv_many(buffer, room) => if n == 0 { return },
                () = tokio::time::sleep_until(until) => return,
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Stores the hits of `buffer` and answers its flushes; empties it.
    async fn write(&mut self, buffer: &mut Vec<Message>) {
        let mut batch = Vec::with_capacity(buffer.len());
        let mut waiting = Vec::new();
        for message in buffer.drain(..) {
            match message {
                Message::Hit(hit) => batch.push(*hit),
                Message::Flush(done) => waiting.push(done),
            }
        }
        if !batch.is_empty() {
            self.store(batch).await;
        }
        for done in waiting {
            let _ = done.send(());
        }
    }

    /// One batch: salts, hashes, duplicates, one insert (retried).
    async fn store(&mut self, batch: Vec<Hit>) {
        let count = batch.len() as u64;
        let mut outcome = Err(Error::internal("not tried"));
        for (attempt, wait) in std::iter::once(None)
            .chain(RETRIES.iter().copied().map(Some))
            .enumerate()
        {
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
            }
            outcome = self.try_store(&batch).await;
            match &outcome {
                Ok(()) => break,
                Err(err) => tracing::warn!(attempt, error = ?err, "writing referral hits failed"),
            }
        }
        match outcome {
            Ok(()) => {
                self.counters.stored.fetch_add(count, Ordering::Relaxed);
                metrics::counter!("fullhouse_referral_hits_stored_total").increment(count);
            }
            Err(err) => {
                self.counters.lost.fetch_add(count, Ordering::Relaxed);
                metrics::counter!("fullhouse_referral_hits_lost_total").increment(count);
                tracing::error!(hits = count, error = ?err, "referral hits given up");
            }
        }
    }

    async fn try_store(&mut self, batch: &[Hit]) -> Result<()> {
        for org in batch.iter().map(|h| &h.org).collect::<HashSet<_>>() {
            if !self.salts.contains_key(org) {
                let salt = self.referrals.salt(org).await?;
                self.salts.insert(org.clone(), salt);
            }
        }
        let mut rows = Vec::with_capacity(batch.len());
        let mut keyed = Vec::with_capacity(batch.len());
        for hit in batch {
            let salt = self
                .salts
                .get(&hit.org)
                .ok_or_else(|| Error::internal("salt fetched above"))?;
            // Truncating is idempotent: done again here, no caller can store a full address.
            let net = truncate(hit.network);
            let visitor = visitor_hash(salt, net, hit.user_agent.as_deref().unwrap_or(""));
            let network = network_hash(salt, net);
            keyed.push((hit, visitor, network));
        }
        self.recall(&keyed).await?;
        let mut touched: Vec<((OrgId, String, String), Seen)> = Vec::new();
        for (hit, visitor, network) in keyed {
            let mut class = hit.class;
            let mut reason = hit.reason.clone();
            if class == HitClass::Human {
                let key = (
                    hit.org.clone(),
                    hit.participant_id.to_string(),
                    visitor.clone(),
                );
                let seen = self.seen.get(&key).copied().unwrap_or(Seen {
                    counted: None,
                    touched: hit.at,
                });
                let window = chrono::Duration::minutes(DUPLICATE_WINDOW_MINUTES);
                let counted = match seen.counted {
                    Some(last) if hit.at >= last && hit.at - last < window => {
                        class = HitClass::Duplicate;
                        reason = format!(
                            "same visitor within {DUPLICATE_WINDOW_MINUTES} minutes of a counted click"
                        );
                        Some(last)
                    }
                    _ => Some(hit.at),
                };
                let now_seen = Seen {
                    counted,
                    touched: hit.at.max(seen.touched),
                };
                self.seen.insert(key.clone(), now_seen);
                touched.push((key, now_seen));
            }
            rows.push(hits::ActiveModel {
                organization_id: Set(hit.org.to_string()),
                id: Set(fullhouse_core::ids::generate("hit")),
                promotion_id: Set(hit.promotion_id.to_string()),
                participant_id: Set(hit.participant_id.to_string()),
                at: Set(hit.at),
                class: Set(class.as_str().to_string()),
                reason: Set(reason),
                method: Set(hit.method.clone()),
                visitor: Set(visitor),
                network: Set(network),
                user_agent: Set(hit.user_agent.clone()),
                referer: Set(hit.referer.clone()),
            });
        }
        // One transaction: SQLite's insert goes in chunks, and a retry must not write the
        // chunks that made it twice.
        let written = async {
            let txn = self.referrals.db().begin_write().await?;
            fullhouse_core::db::insert_rows(&txn, rows).await?;
            txn.commit().await?;
            Ok::<(), Error>(())
        }
        .await;
        if let Err(err) = written {
            // The batch is tried again whole: forget what it taught, or its own clicks would
            // read as duplicates of themselves.
            for (key, _) in touched {
                self.seen.remove(&key);
            }
            return Err(err);
        }
        self.forget_old();
        Ok(())
    }

    /// Loads, in one query per organization, the last counted click of every visitor/link pair
    /// of the batch's human hits that memory does not hold.
    async fn recall(&mut self, keyed: &[(&Hit, String, String)]) -> Result<()> {
        let window = chrono::Duration::minutes(DUPLICATE_WINDOW_MINUTES);
        let mut unknown: HashMap<&OrgId, Vec<(&Hit, &str)>> = HashMap::new();
        for (hit, visitor, _) in keyed {
            if hit.class != HitClass::Human {
                continue;
            }
            let key = (
                hit.org.clone(),
                hit.participant_id.to_string(),
                visitor.clone(),
            );
            if !self.seen.contains_key(&key) {
                unknown.entry(&hit.org).or_default().push((hit, visitor));
            }
        }
        #[derive(FromQueryResult)]
        struct Last {
            participant_id: String,
            visitor: String,
            at: Option<DateTime<Utc>>,
        }
        for (org, pairs) in unknown {
            let since = pairs.iter().map(|(h, _)| h.at).min().unwrap_or_default() - window;
            let participants: HashSet<&str> = pairs
                .iter()
                .map(|(h, _)| h.participant_id.as_str())
                .collect();
            let visitors: HashSet<&str> = pairs.iter().map(|(_, v)| *v).collect();
            let found = hits::Entity::find()
                .select_only()
                .column(hits::Column::ParticipantId)
                .column(hits::Column::Visitor)
                .column_as(hits::Column::At.max(), "at")
                .filter(hits::Column::OrganizationId.eq(org.as_str()))
                .filter(hits::Column::ParticipantId.is_in(participants))
                .filter(hits::Column::Visitor.is_in(visitors))
                .filter(hits::Column::Class.eq(HitClass::Human.as_str()))
                .filter(hits::Column::At.gte(since))
                .group_by(hits::Column::ParticipantId)
                .group_by(hits::Column::Visitor)
                .into_model::<Last>()
                .all(self.referrals.db().reader())
                .await?;
            let found: HashMap<(String, String), Option<DateTime<Utc>>> = found
                .into_iter()
                .map(|l| ((l.participant_id, l.visitor), l.at))
                .collect();
            for (hit, visitor) in pairs {
                let counted = found
                    .get(&(hit.participant_id.to_string(), visitor.to_string()))
                    .copied()
                    .flatten();
                self.seen.insert(
                    (
                        org.clone(),
                        hit.participant_id.to_string(),
                        visitor.to_string(),
                    ),
                    Seen {
                        counted,
                        touched: counted.unwrap_or(since),
                    },
                );
            }
        }
        Ok(())
    }

    /// Forgets pairs not seen within the window (the database knows them), and everything when
    /// memory is still over [`MAX_REMEMBERED`].
    fn forget_old(&mut self) {
        if self.seen.len() <= MAX_REMEMBERED / 2 {
            return;
        }
        let newest = self
            .seen
            .values()
            .map(|s| s.touched)
            .max()
            .unwrap_or_default();
        let horizon = newest - chrono::Duration::minutes(DUPLICATE_WINDOW_MINUTES);
        self.seen.retain(|_, s| s.touched >= horizon);
        if self.seen.len() > MAX_REMEMBERED {
            self.seen.clear();
        }
    }
}

fn has_flush(buffer: &[Message]) -> bool {
    buffer.iter().any(|m| matches!(m, Message::Flush(_)))
}
