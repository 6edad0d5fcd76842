//! The outbox follower: durable and in-memory positions, filters, at-least-once delivery and the
//! re-read window for events that commit behind a higher `seq`.

use fullhouse_core::events::{self, DomainEvent, Follower, StoredEvent};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Db, OrgId};
use fullhouse_testkit::{both_backends, TestDb};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Rang {
    n: i64,
}

impl DomainEvent for Rang {
    const KIND: &'static str = "test.rang";

    fn subject_id(&self) -> String {
        format!("bell-{}", self.n)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Knocked {
    n: i64,
}

impl DomainEvent for Knocked {
    const KIND: &'static str = "test.knocked";

    fn subject_id(&self) -> String {
        format!("door-{}", self.n)
    }
}

struct Outbox {
    test_db: TestDb,
    db: Db,
    org: OrgId,
    other: OrgId,
}

async fn outbox(backend: Backend) -> Option<Outbox> {
    let test_db = TestDb::new(backend, fullhouse_core::migrations::migrations()).await?;
    let db = test_db.db.clone();
    let tenancy = TenancyService::new(db.clone());
    let mut orgs = Vec::new();
    for slug in ["bells", "doors"] {
        let org = tenancy
            .create_organization(NewOrganization {
                name: slug.into(),
                slug: slug.into(),
                default_language: "en".into(),
                timezone: "Europe/Copenhagen".into(),
                currency: "DKK".into(),
            })
            .await
            .expect("organization")
            .id;
        orgs.push(org);
    }
    let other = orgs.pop().expect("two organizations");
    let org = orgs.pop().expect("two organizations");
    Some(Outbox {
        test_db,
        db,
        org,
        other,
    })
}

impl Outbox {
    async fn ring(&self, org: &OrgId, numbers: impl IntoIterator<Item = i64>) {
        let txn = self.db.begin_write().await.expect("txn");
        let rang: Vec<Rang> = numbers.into_iter().map(|n| Rang { n }).collect();
        events::record_many(&txn, org, &rang).await.expect("record");
        txn.commit().await.expect("commit");
    }

    async fn knock(&self, org: &OrgId, n: i64) {
        let txn = self.db.begin_write().await.expect("txn");
        events::record(&txn, org, &Knocked { n })
            .await
            .expect("record");
        txn.commit().await.expect("commit");
    }
}

/// The `n` of each `test.rang` event, in delivery order.
fn rang(events: &[StoredEvent]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e.decode::<Rang>().expect("a test.rang").n)
        .collect()
}

/// Reads one batch and acknowledges it; returns the bells rung.
async fn round(follower: &mut Follower) -> Vec<i64> {
    let batch = follower.next_batch().await.expect("batch");
    let numbers = rang(batch.events());
    follower.acknowledge(batch).await.expect("acknowledge");
    numbers
}

both_backends! {
    setup = outbox;

    async fn a_recorded_event_reads_back_with_its_kind_subject_and_payload(fx: Outbox) {
        fx.ring(&fx.org, [7]).await;
        let mut follower = Follower::in_memory(fx.db.clone(), 0);
        let batch = follower.next_batch().await.expect("batch");
        let [event] = batch.events() else { panic!("one event, got {:?}", batch.events()) };
        assert_eq!((event.org.clone(), event.kind.as_str(), event.subject_id.as_str()), (fx.org.clone(), "test.rang", "bell-7"));
        assert_eq!(event.payload, serde_json::json!({"n": 7}));
        assert!(event.decode::<Knocked>().is_err(), "a test.rang is not a test.knocked");
        fx.test_db.finish().await;
    }

    async fn a_durable_follower_continues_from_its_stored_position_after_a_restart(fx: Outbox) {
        fx.ring(&fx.org, 1..=3).await;
        let mut first = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        assert_eq!(round(&mut first).await, [1, 2, 3]);
        assert_eq!(round(&mut first).await, Vec::<i64>::new(), "nothing new");
        drop(first);
        fx.ring(&fx.org, 4..=5).await;
        // A new value, as after a restart: without a window it reads only what is new.
        let mut restarted = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        assert_eq!(round(&mut restarted).await, [4, 5]);
        // Another consumer name has a position of its own.
        let mut other = Follower::durable(fx.db.clone(), "test.other").reread_window(0);
        assert_eq!(round(&mut other).await, [1, 2, 3, 4, 5]);
        fx.test_db.finish().await;
    }

    async fn after_a_restart_the_window_is_delivered_again_so_handlers_must_be_idempotent(fx: Outbox) {
        fx.ring(&fx.org, 1..=3).await;
        let mut first = Follower::durable(fx.db.clone(), "test.bells");
        assert_eq!(round(&mut first).await, [1, 2, 3]);
        assert_eq!(round(&mut first).await, Vec::<i64>::new(), "one value delivers each event once");
        drop(first);
        fx.ring(&fx.org, [4]).await;
        let mut restarted = Follower::durable(fx.db.clone(), "test.bells");
        assert_eq!(round(&mut restarted).await, [1, 2, 3, 4], "at least once: the window again, then what is new");
        assert_eq!(round(&mut restarted).await, Vec::<i64>::new());
        fx.test_db.finish().await;
    }

    async fn a_batch_that_is_not_acknowledged_is_delivered_again(fx: Outbox) {
        fx.ring(&fx.org, 1..=2).await;
        let mut follower = Follower::durable(fx.db.clone(), "test.bells");
        let failed = follower.next_batch().await.expect("batch");
        assert_eq!(rang(failed.events()), [1, 2]);
        drop(failed); // the handler failed
        assert_eq!(round(&mut follower).await, [1, 2]);
        let mut restarted = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        assert_eq!(round(&mut restarted).await, Vec::<i64>::new(), "the acknowledged position was stored");
        fx.test_db.finish().await;
    }

    async fn a_follower_delivers_only_its_kinds_and_its_organization(fx: Outbox) {
        fx.ring(&fx.org, [1]).await;
        fx.knock(&fx.org, 2).await;
        fx.ring(&fx.other, [3]).await;
        fx.ring(&fx.org, [4]).await;
        let mut bells = Follower::in_memory(fx.db.clone(), 0).kind::<Rang>().organization(fx.org.clone());
        assert_eq!(round(&mut bells).await, [1, 4]);
        let mut every_org = Follower::in_memory(fx.db.clone(), 0).kind::<Rang>();
        assert_eq!(round(&mut every_org).await, [1, 3, 4]);
        let mut both_kinds = Follower::in_memory(fx.db.clone(), 0).kind::<Rang>().kind::<Knocked>().organization(fx.org.clone());
        let batch = both_kinds.next_batch().await.expect("batch");
        let kinds: Vec<&str> = batch.events().iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["test.rang", "test.knocked", "test.rang"]);
        fx.test_db.finish().await;
    }

    async fn an_in_memory_follower_starts_after_the_position_it_is_given(fx: Outbox) {
        fx.ring(&fx.org, 1..=3).await;
        let start = events::latest_seq(fx.db.reader(), Some(&fx.org)).await.expect("latest");
        fx.ring(&fx.org, [4]).await;
        let mut follower = Follower::in_memory(fx.db.clone(), start).reread_window(0);
        assert_eq!(round(&mut follower).await, [4]);
        assert!(follower.position() > start);
        fx.test_db.finish().await;
    }

    async fn a_follower_started_now_delivers_only_what_comes_after(fx: Outbox) {
        fx.ring(&fx.org, 1..=3).await;
        fx.ring(&fx.other, [9]).await;
        let mut follower = Follower::in_memory(fx.db.clone(), 0).organization(fx.org.clone()).starting_now().await.expect("start");
        assert_eq!(round(&mut follower).await, Vec::<i64>::new(), "what was visible is not delivered, the window included");
        fx.ring(&fx.org, [4]).await;
        assert_eq!(round(&mut follower).await, [4]);
        fx.test_db.finish().await;
    }

    async fn a_follower_reads_in_batches_in_seq_order(fx: Outbox) {
        fx.ring(&fx.org, 1..=5).await;
        let mut follower = Follower::durable(fx.db.clone(), "test.bells").batch_size(2);
        assert_eq!(round(&mut follower).await, [1, 2]);
        assert_eq!(round(&mut follower).await, [3, 4]);
        assert_eq!(round(&mut follower).await, [5]);
        assert_eq!(round(&mut follower).await, Vec::<i64>::new());
        fx.test_db.finish().await;
    }

    async fn a_stored_position_never_moves_back_when_a_slower_process_acknowledges_later(fx: Outbox) {
        fx.ring(&fx.org, 1..=2).await;
        let mut slow = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        let early = slow.next_batch().await.expect("batch");
        fx.ring(&fx.org, 3..=4).await;
        let mut fast = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        assert_eq!(round(&mut fast).await, [1, 2, 3, 4]);
        slow.acknowledge(early).await.expect("acknowledge");
        let mut restarted = Follower::durable(fx.db.clone(), "test.bells").reread_window(0);
        assert_eq!(round(&mut restarted).await, Vec::<i64>::new(), "the stored position is still past 4");
        fx.test_db.finish().await;
    }
}

/// PostgreSQL only: SQLite has one writer, so there seq order is commit order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_committed_behind_a_higher_seq_already_read_is_delivered_once() {
    let Some(fx) = outbox(Backend::Postgres).await else {
        return;
    };
    let mut follower = Follower::durable(fx.db.clone(), "test.bells");
    let mut blind = Follower::in_memory(fx.db.clone(), 0).reread_window(0);
    // A takes the lower seq and holds; B takes the higher one and commits.
    let a = fx.db.begin_write().await.expect("txn A");
    events::record(&a, &fx.org, &Rang { n: 1 })
        .await
        .expect("record A");
    let b = fx.db.begin_write().await.expect("txn B");
    events::record(&b, &fx.org, &Rang { n: 2 })
        .await
        .expect("record B");
    b.commit().await.expect("commit B");
    assert_eq!(round(&mut follower).await, [2]);
    assert_eq!(round(&mut blind).await, [2]);
    a.commit().await.expect("commit A");
    assert_eq!(
        round(&mut follower).await,
        [1],
        "A is found in the window behind the position"
    );
    assert_eq!(
        round(&mut follower).await,
        Vec::<i64>::new(),
        "and delivered once"
    );
    assert_eq!(
        round(&mut blind).await,
        Vec::<i64>::new(),
        "without a window A is lost: why the window exists"
    );
    fx.test_db.finish().await;
}

/// PostgreSQL only: an event in flight when a follower starts now is still delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_in_flight_when_a_follower_starts_now_is_delivered_when_it_commits() {
    let Some(fx) = outbox(Backend::Postgres).await else {
        return;
    };
    fx.ring(&fx.org, [1]).await;
    let a = fx.db.begin_write().await.expect("txn A");
    events::record(&a, &fx.org, &Rang { n: 2 })
        .await
        .expect("record A");
    fx.ring(&fx.org, [3]).await;
    let mut follower = Follower::in_memory(fx.db.clone(), 0)
        .starting_now()
        .await
        .expect("start");
    assert_eq!(round(&mut follower).await, Vec::<i64>::new());
    a.commit().await.expect("commit A");
    assert_eq!(round(&mut follower).await, [2]);
    fx.test_db.finish().await;
}
