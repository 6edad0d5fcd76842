//! The states an organizer reads: awaiting payment, paid, expired, cancelled, refunded — the same
//! in checkout's row and in ticketing's order, for every way an order moves.

use chrono::{Duration, Utc};
use fullhouse_checkout::model::CheckoutStatus;
use fullhouse_core::db::statement;
use fullhouse_core::{Backend, Error};
use fullhouse_testkit::{both_backends, TestDb};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::OrderService;
use fullhouse_ticketing::store::orders;
use fullhouse_ticketing::OrderId;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::fixture::*;
use crate::sales::{events_of_kind, ga_item, online};

/// Every checkout order of the fixture's organization: (id, checkout's state, ticketing's).
async fn both_states(f: &Fixture) -> Vec<(String, String, String)> {
    let conn = f.db.reader();
    let rows = conn
        .query_all(statement(
            conn.get_database_backend(),
            "SELECT c.id, c.status AS checkout, o.status AS ticketing FROM checkout_orders c \
             JOIN orders o ON o.organization_id = c.organization_id AND o.id = c.id \
             WHERE c.organization_id = $1 ORDER BY c.id",
            vec![f.org.as_str().into()],
        ))
        .await
        .expect("states");
    rows.iter()
        .map(|row| {
            let text = |column: &str| row.try_get::<String>("", column).expect("column");
            (text("id"), text("checkout"), text("ticketing"))
        })
        .collect()
}

async fn state_of(f: &Fixture, id: &OrderId) -> CheckoutStatus {
    let order = f.checkout.order(&f.org, id).await.expect("order");
    assert_eq!(
        order.status, order.order.status,
        "checkout and ticketing agree on {id}"
    );
    order.status
}

both_backends! {
    setup = fixture;

    async fn ticketing_and_checkout_agree_on_the_state_of_every_order(f: Fixture) {
        let s = &f.stage;
        let one = || online(&s.event, vec![ga_item(&s.standing, 1)], &[]);
        let at_counter = || {
            let mut order = one();
            order.channel = Channel::BoxOffice;
            order.paid_at_counter = true;
            order
        };
        let place = |order| {
            let (checkout, org) = (f.checkout.clone(), f.org.clone());
            async move { checkout.place(&org, order).await.expect("placed").id }
        };
        let ticketing = OrderService::new(f.db.clone());

        let ran_out = place(one()).await;
        f.clock.advance(Duration::minutes(16));
        assert_eq!(f.checkout.expire_due_holds().await.expect("sweep"), 1);

        let held = place(one()).await;
        let paid = place(one()).await;
        f.checkout.pay(&f.org, &paid, None).await.expect("paid");
        let called_off = place(one()).await;
        f.checkout.cancel(&f.org, &called_off).await.expect("cancelled");
        let refunded = place(one()).await;
        f.checkout.pay(&f.org, &refunded, None).await.expect("paid");
        f.checkout.cancel(&f.org, &refunded).await.expect("refunded");
        let counter = place(at_counter()).await;
        let counter_refunded = place(at_counter()).await;
        f.checkout.cancel(&f.org, &counter_refunded).await.expect("refunded at the counter");
        let cancelled_paid = place(one()).await;
        f.checkout.pay(&f.org, &cancelled_paid, None).await.expect("paid");
        ticketing.cancel_order(&f.org, &cancelled_paid).await.expect("cancelled in ticketing");
        let cancelled_held = place(one()).await;
        ticketing.cancel_order(&f.org, &cancelled_held).await.expect("cancelled in ticketing");
        assert_eq!(f.checkout.follow_cancellations().await.expect("follow"), 2);

        use CheckoutStatus::*;
        let expected = [
            (&ran_out, Expired),
            (&held, AwaitingPayment),
            (&paid, Paid),
            (&called_off, Cancelled),
            (&refunded, Refunded),
            (&counter, Paid),
            (&counter_refunded, Refunded),
            (&cancelled_paid, Cancelled),
            (&cancelled_held, Cancelled),
        ];
        for (id, state) in expected {
            assert_eq!(state_of(&f, id).await, state, "{id}");
        }
        let all = both_states(&f).await;
        assert_eq!(all.len(), expected.len());
        for (id, checkout, ticketing) in &all {
            assert_eq!(checkout, ticketing, "order {id}: checkout says {checkout}, ticketing {ticketing}");
        }
        // Box-office sales are paid when placed: only the three online payments record `order.paid`.
        assert_eq!(events_of_kind(&f, "order.paid").await, 3);
        let stock = fullhouse_ticketing::service::sale_facts::event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        let standing = stock.ticket_types.iter().find(|t| t.id == s.standing).expect("standing");
        assert_eq!(standing.sold, 3, "only the held and the two paid orders keep their places");
        f.finish().await;
    }

    async fn a_payment_that_arrives_after_an_organizer_cancelled_the_hold_is_refused_and_refunded(f: Fixture) {
        let s = &f.stage;
        let id = f.checkout.place(&f.org, online(&s.event, vec![ga_item(&s.standing, 2)], &[])).await.expect("placed").id;
        OrderService::new(f.db.clone()).cancel_order(&f.org, &id).await.expect("cancelled in ticketing");
        let paid = f.checkout.pay(&f.org, &id, None).await;
        assert!(matches!(paid, Err(Error::Conflict { .. })), "a cancelled order is not paid: {paid:?}");
        assert_eq!(events_of_kind(&f, "order.paid").await, 0);
        f.checkout.follow_cancellations().await.expect("follow");
        assert_eq!(state_of(&f, &id).await, CheckoutStatus::Cancelled);
        f.finish().await;
    }
}

/// Orders sold before orders had states: ticketing's `placed` becomes `paid`, and checkout's held
/// and expired orders give ticketing's order their state (ticketing_0004, checkout_0005).
async fn orders_sold_before_the_states_take_the_state_checkout_knew(backend: Backend) {
    let new_ones = ["ticketing_0004_paid_orders", "checkout_0005_order_states"];
    let all = || {
        fullhouse_core::module::migrations_with_core(&[
            &fullhouse_ticketing::Ticketing,
            &fullhouse_checkout::CheckoutModule::new(),
        ])
    };
    let before = all()
        .into_iter()
        .filter(|m| !new_ones.contains(&m.name()))
        .collect();
    let Some(test_db) = TestDb::new(backend, before).await else {
        return;
    };
    let db = &test_db.db;
    let now = Utc::now();
    // (ticketing's status then, checkout's status or none for a sale made in ticketing)
    let sold = [
        ("placed", None),
        ("cancelled", None),
        ("placed", Some("awaiting_payment")),
        ("placed", Some("paid")),
        ("cancelled", Some("expired")),
        ("cancelled", Some("cancelled")),
        // An organizer cancelled it in ticketing; checkout's follower had not run yet.
        ("cancelled", Some("paid")),
    ];
    let mut ids = Vec::new();
    for (ticketing, checkout) in sold {
        let id = OrderId::generate().into_string();
        // Raw rows: the columns of the time, whatever columns later migrations add.
        let backend = db.writer().get_database_backend();
        db.writer()
            .execute(statement(
                backend,
                "INSERT INTO orders (organization_id, id, channel, status, total_minor, currency, \
                 source, created_at, updated_at) VALUES ('org_a', $1, 'online', $2, 1000, 'DKK', \
                 'fullhouse', $3, $3)",
                vec![id.clone().into(), ticketing.into(), now.into()],
            ))
            .await
            .expect("order");
        if let Some(status) = checkout {
            db.writer()
                .execute(statement(
                    backend,
                    "INSERT INTO checkout_orders (organization_id, id, event_id, channel, status, \
                     total_minor, currency, payment_provider, test_payment, created_at, updated_at) \
                     VALUES ('org_a', $1, 'evt_a', 'online', $2, 1000, 'DKK', 'test', $3, $4, $4)",
                    vec![id.clone().into(), status.into(), true.into(), now.into()],
                ))
                .await
                .expect("checkout order");
        }
        ids.push(id);
    }
    let applied = db.migrate(all()).await.expect("migrate");
    assert_eq!(applied, new_ones);
    let mut now_states = Vec::new();
    for id in &ids {
        let order = orders::Entity::find_by_id(("org_a".to_string(), id.clone()))
            .one(db.reader())
            .await
            .expect("read")
            .expect("order");
        now_states.push(order.status);
    }
    assert_eq!(
        now_states,
        [
            "paid",
            "cancelled",
            "awaiting_payment",
            "paid",
            "expired",
            "cancelled",
            "cancelled"
        ]
    );
    test_db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_sold_before_the_states_take_the_state_checkout_knew_on_sqlite() {
    orders_sold_before_the_states_take_the_state_checkout_knew(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_sold_before_the_states_take_the_state_checkout_knew_on_postgres() {
    orders_sold_before_the_states_take_the_state_checkout_knew(Backend::Postgres).await;
}
