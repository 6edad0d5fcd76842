//! Selling through checkout: exact limits under concurrency, holds that expire, cancellations
//! that give everything back, codes that unlock and discount.

use std::collections::HashSet;

use chrono::Duration;
use fullhouse_checkout::model::{Cart, CartItem, CheckoutStatus, CodeStatus, SeatChoice};
use fullhouse_checkout::service::CANCELLATIONS_CONSUMER;
use fullhouse_checkout::PlaceOrder;
use fullhouse_core::events::{event_cursors, DomainEvent};
use fullhouse_core::tenancy::store::domain_events;
use fullhouse_core::Backend;
use fullhouse_core::Error;
use fullhouse_testkit::both_backends;
use fullhouse_testkit::TestDb;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::outbox::OrderCancelled;
use fullhouse_ticketing::service::sale_facts::{event_stock, Buyer};
use fullhouse_ticketing::{EventId, SeatId, TicketTypeId};
use futures::future::join_all;
use sea_orm::ConnectionTrait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::fixture::*;

pub(crate) fn seats_item(ticket_type: &TicketTypeId, seats: &[&SeatId]) -> CartItem {
    CartItem {
        ticket_type_id: ticket_type.clone(),
        quantity: None,
        seats: seats
            .iter()
            .map(|id| SeatChoice {
                seat_id: Some((*id).clone()),
                seat: None,
            })
            .collect(),
        ga_name: None,
    }
}

pub(crate) fn ga_item(ticket_type: &TicketTypeId, quantity: u32) -> CartItem {
    CartItem {
        ticket_type_id: ticket_type.clone(),
        quantity: Some(quantity),
        seats: Vec::new(),
        ga_name: None,
    }
}

pub(crate) fn online(event: &EventId, items: Vec<CartItem>, codes: &[&str]) -> PlaceOrder {
    PlaceOrder {
        cart: Cart {
            referral_code: None,
            event_id: event.clone(),
            items,
            codes: codes.iter().map(|c| c.to_string()).collect(),
            customer_id: None,
        },
        channel: Channel::Online,
        buyer: Some(Buyer {
            email: "buyer@example.dk".into(),
            first_name: Some("Karen".into()),
            last_name: Some("Blixen".into()),
            phone: None,
        }),
        paid_at_counter: false,
        payment_method: None,
    }
}

pub(crate) async fn events_of_kind(f: &Fixture, kind: &str) -> u64 {
    domain_events::Entity::find()
        .filter(domain_events::Column::OrganizationId.eq(f.org.as_str()))
        .filter(domain_events::Column::Kind.eq(kind))
        .count(f.db.reader())
        .await
        .expect("count")
}

both_backends! {
    setup = fixture;

    async fn five_hundred_buyers_for_fifty_seats_make_exactly_fifty_orders(f: Fixture) {
        let s = &f.stage;
        f.add_code("VIP-DESK", Some(&s.event), 100, CodeExtra { unlock_category: Some("VIP".into()), ..Default::default() }).await;
        let buyers = (0..500).map(|i| {
            let seat = &s.seats[i % 50];
            let ticket_type = if i % 50 < 40 { &s.seated } else { &s.vip };
            let mut order = online(&s.event, vec![seats_item(ticket_type, &[seat])], &[]);
            // The VIP seats need a code on every channel: the box office sells them with one.
            if i % 50 >= 40 {
                order.channel = Channel::BoxOffice;
                order.paid_at_counter = true;
                order.payment_method = Some(fullhouse_checkout::PaymentMethod::Cash);
                order.buyer = None;
                order.cart.codes = vec!["VIP-DESK".into()];
            }
            let checkout = f.checkout.clone();
            let org = f.org.clone();
            async move { checkout.place(&org, order).await }
        });
        let results = join_all(buyers).await;
        let placed: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(placed.len(), 50, "orders placed");
        for result in &results {
            if let Err(err) = result {
                assert!(matches!(err, Error::Conflict { .. }), "a loser gets a conflict, not {err:?}");
            }
        }
        let sold: Vec<_> = placed.iter().flat_map(|o| o.order.tickets.iter()).filter_map(|t| t.seat.as_ref().map(|s| s.id.clone())).collect();
        let distinct: HashSet<_> = sold.iter().collect();
        assert_eq!(sold.len(), 50);
        assert_eq!(distinct.len(), 50, "no seat sold twice");
        let stock = event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        assert!(stock.seats.iter().all(|seat| seat.sold));
        assert_eq!(events_of_kind(&f, "order.placed").await, 50);
        f.finish().await;
    }

    /// Orders that arrive together are placed as a group (one transaction), each with its own
    /// answer: the refused ones leave nothing behind, not even their buyer as a customer.
    async fn orders_placed_as_a_group_each_get_their_own_answer_and_refused_ones_leave_no_customer(f: Fixture) {
        let s = &f.stage;
        // 300 buyers for the 100 places of the floor; two orders per email.
        let buyers = (0..300).map(|i| {
            let mut order = online(&s.event, vec![ga_item(&s.standing, 1)], &[]);
            if let Some(buyer) = order.buyer.as_mut() {
                buyer.email = format!("group-buyer-{}@example.dk", i / 2);
            }
            let checkout = f.checkout.clone();
            let org = f.org.clone();
            async move { (i / 2, checkout.place(&org, order).await) }
        });
        let results = join_all(buyers).await;
        let placed: Vec<_> = results.iter().filter_map(|(email, r)| r.as_ref().ok().map(|o| (*email, o))).collect();
        assert_eq!(placed.len(), 100, "exactly the floor's capacity");
        for (_, result) in &results {
            if let Err(err) = result {
                assert!(matches!(err, Error::Conflict { .. }), "a refused order gets a conflict, not {err:?}");
            }
        }
        // One customer per buyer email among the kept orders, none for the refused ones.
        let mut customer_of_email = std::collections::HashMap::new();
        for (email, order) in &placed {
            let customer = order.order.customer_id.clone().expect("a storefront order names its buyer");
            let known = customer_of_email.entry(*email).or_insert_with(|| customer.clone());
            assert_eq!(*known, customer, "two orders of one email share one customer");
        }
        let created = domain_events::Entity::find()
            .filter(domain_events::Column::OrganizationId.eq(f.org.as_str()))
            .filter(domain_events::Column::Kind.eq("customer.changed"))
            .all(f.db.reader())
            .await
            .expect("events");
        assert_eq!(created.len(), customer_of_email.len(), "a customer only for buyers whose order was kept");
        assert_eq!(events_of_kind(&f, "order.placed").await, 100);
        // They were placed in groups: the orders of one group share their outbox timestamp.
        let placed_at: HashSet<_> = domain_events::Entity::find()
            .filter(domain_events::Column::OrganizationId.eq(f.org.as_str()))
            .filter(domain_events::Column::Kind.eq("order.placed"))
            .all(f.db.reader())
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.created_at)
            .collect();
        assert!(placed_at.len() < 100, "some orders were placed together ({} groups for 100 orders)", placed_at.len());
        let stock = event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        let floor = stock.ticket_types.iter().find(|t| t.id == s.standing).expect("floor type");
        assert_eq!(floor.sold, 100);
        f.finish().await;
    }

    async fn a_code_is_never_used_more_than_its_quantity_across_events(f: Fixture) {
        let s = &f.stage;
        f.add_code("TEN", None, 10, CodeExtra { percent_bp: Some(5_000), ..Default::default() }).await;
        let buyers = (0..1000).map(|i| {
            let (event, standing) = if i % 2 == 0 { (&s.event, &s.standing) } else { (&s.second_event, &s.second_standing) };
            let order = online(event, vec![ga_item(standing, 1)], &["TEN"]);
            let checkout = f.checkout.clone();
            let org = f.org.clone();
            async move { checkout.place(&org, order).await }
        });
        let results = join_all(buyers).await;
        let placed: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(placed.len(), 10, "exactly the code's quantity");
        assert!(placed.iter().all(|o| o.total_minor == 10_000), "half price");
        assert_eq!(f.used("TEN").await, 10);
        f.finish().await;
    }

    async fn an_unpaid_hold_expires_and_gives_seats_places_and_uses_back(f: Fixture) {
        let s = &f.stage;
        f.add_code("VIPSEAT", Some(&s.event), 1, CodeExtra { unlock_category: Some("VIP".into()), ..Default::default() }).await;
        let order = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.vip, &[&s.seats[45]]), ga_item(&s.standing, 3)], &["VIPSEAT"])).await.expect("placed");
        assert_eq!(order.status, CheckoutStatus::AwaitingPayment);
        assert!(order.test_payment);
        assert_eq!(f.used("VIPSEAT").await, 1);

        f.clock.advance(Duration::minutes(14));
        assert_eq!(f.checkout.expire_due_holds().await.expect("sweep"), 0, "not yet");
        f.clock.advance(Duration::minutes(2));
        assert_eq!(f.checkout.expire_due_holds().await.expect("sweep"), 1);

        let after = f.checkout.order(&f.org, &order.id).await.expect("order");
        assert_eq!(after.status, CheckoutStatus::Expired);
        assert_eq!(after.order.status, CheckoutStatus::Expired, "expired in ticketing too, not cancelled");
        assert_eq!(f.used("VIPSEAT").await, 0, "the use is given back");
        let stock = event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        assert!(!stock.seats[45].sold, "the seat is free again");
        let standing = stock.ticket_types.iter().find(|t| t.id == s.standing).expect("standing");
        assert_eq!(standing.sold, 0, "places given back");
        assert_eq!(stock.ga_areas[0].sold, 0);
        assert_eq!(events_of_kind(&f, "order.cancelled").await, 1);

        let paid = f.checkout.pay(&f.org, &order.id, None).await;
        assert!(matches!(paid, Err(Error::Conflict { .. })), "an expired hold cannot be paid: {paid:?}");
        // Someone else can buy the seat with the code now.
        f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.vip, &[&s.seats[45]])], &["VIPSEAT"])).await.expect("bought again");
        f.finish().await;
    }

    async fn a_paid_order_does_not_expire_and_cancelling_it_gives_everything_back(f: Fixture) {
        let s = &f.stage;
        f.add_code("HALF", Some(&s.event), 5, CodeExtra { percent_bp: Some(5_000), ..Default::default() }).await;
        let order = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.seated, &[&s.seats[0], &s.seats[1]])], &["HALF"])).await.expect("placed");
        assert_eq!(order.total_minor, 30_000, "two seats at half price");
        let paid = f.checkout.pay(&f.org, &order.id, Some("card".into())).await.expect("paid");
        assert_eq!(paid.status, CheckoutStatus::Paid);
        assert_eq!(paid.payment_reference.as_deref(), Some(format!("TEST-{}", order.id).as_str()));
        assert_eq!(events_of_kind(&f, "order.paid").await, 1);
        f.checkout.pay(&f.org, &order.id, None).await.expect("paying again changes nothing");
        assert_eq!(events_of_kind(&f, "order.paid").await, 1);
        f.clock.advance(Duration::hours(2));
        assert_eq!(f.checkout.expire_due_holds().await.expect("sweep"), 0, "paid orders stay");
        assert_eq!(f.used("HALF").await, 2);

        let cancelled = f.checkout.cancel(&f.org, &order.id).await.expect("cancelled");
        assert_eq!(cancelled.status, CheckoutStatus::Refunded, "a paid order cancelled is refunded");
        assert_eq!(cancelled.order.status, CheckoutStatus::Refunded, "in ticketing too");
        assert_eq!(f.used("HALF").await, 0);
        let again = f.checkout.cancel(&f.org, &order.id).await.expect("cancelled again");
        assert_eq!(again.status, CheckoutStatus::Refunded);
        assert_eq!(f.used("HALF").await, 0, "given back once");
        let stock = event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        assert!(!stock.seats[0].sold && !stock.seats[1].sold);
        assert_eq!(events_of_kind(&f, "order.cancelled").await, 1);
        f.finish().await;
    }

    async fn a_thousand_concurrent_code_orders_all_succeed_when_the_quantity_allows(f: Fixture) {
        let s = &f.stage;
        f.add_code("MANY", None, 1_000_000, CodeExtra { percent_bp: Some(1_000), ..Default::default() }).await;
        let started = std::time::Instant::now();
        let buyers = (0..1000).map(|_| {
            let order = online(&s.event, vec![ga_item(&s.field, 1)], &["MANY"]);
            let checkout = f.checkout.clone();
            let org = f.org.clone();
            async move { checkout.place(&org, order).await }
        });
        let results = join_all(buyers).await;
        let elapsed = started.elapsed();
        assert!(results.iter().all(Result::is_ok), "{:?}", results.iter().find(|r| r.is_err()));
        assert_eq!(f.used("MANY").await, 1000);
        eprintln!(
            "checkout on {:?}: 1000 code-redeeming orders in {elapsed:?} ({:.0} orders/s, debug build)",
            f.test_db.backend,
            1000.0 / elapsed.as_secs_f64()
        );
        f.finish().await;
    }

    async fn paying_after_the_hold_ran_out_is_refused_even_before_the_sweep(f: Fixture) {
        let s = &f.stage;
        let order = f.checkout.place(&f.org, online(&s.event, vec![ga_item(&s.standing, 2)], &[])).await.expect("placed");
        f.clock.advance(Duration::minutes(16));
        let paid = f.checkout.pay(&f.org, &order.id, None).await;
        assert!(matches!(paid, Err(Error::Conflict { .. })), "{paid:?}");
        assert_eq!(events_of_kind(&f, "order.paid").await, 0);
        assert_eq!(f.checkout.expire_due_holds().await.expect("sweep"), 1);
        let after = f.checkout.order(&f.org, &order.id).await.expect("order");
        assert_eq!(after.status, CheckoutStatus::Expired);
        f.finish().await;
    }

    async fn an_order_cancelled_through_ticketing_gives_its_code_uses_back(f: Fixture) {
        let s = &f.stage;
        f.add_code("HALF", Some(&s.event), 5, CodeExtra { percent_bp: Some(5_000), ..Default::default() }).await;
        let order = f.checkout.place(&f.org, online(&s.event, vec![ga_item(&s.standing, 2)], &["HALF"])).await.expect("placed");
        f.checkout.pay(&f.org, &order.id, None).await.expect("paid");
        assert_eq!(f.used("HALF").await, 2);
        fullhouse_ticketing::service::OrderService::new(f.db.clone())
            .cancel_order(&f.org, &order.id)
            .await
            .expect("cancelled by the organizer in ticketing");
        assert_eq!(f.checkout.follow_cancellations().await.expect("follow"), 1);
        assert_eq!(f.used("HALF").await, 0, "uses given back");
        let after = f.checkout.order(&f.org, &order.id).await.expect("order");
        assert_eq!(after.status, CheckoutStatus::Cancelled, "ticketing moves no money: cancelled, not refunded");
        assert_eq!(after.order.status, CheckoutStatus::Cancelled);
        assert_eq!(f.checkout.follow_cancellations().await.expect("follow"), 0, "once");
        let cursor = event_cursors::Entity::find_by_id(CANCELLATIONS_CONSUMER)
            .one(f.db.reader())
            .await
            .expect("cursor")
            .expect("the follower stores its position in core's event_cursors");
        let cancelled = domain_events::Entity::find()
            .filter(domain_events::Column::Kind.eq(OrderCancelled::KIND))
            .all(f.db.reader())
            .await
            .expect("events");
        assert_eq!(Some(cursor.last_seq), cancelled.iter().map(|e| e.seq).max());
        assert_eq!(f.used("HALF").await, 0);
        let stock = event_stock(f.db.reader(), &f.org, &s.event).await.expect("stock");
        let standing = stock.ticket_types.iter().find(|t| t.id == s.standing).expect("standing");
        assert_eq!(standing.sold, 0, "places were given back once, by ticketing");
        f.finish().await;
    }

    async fn a_hidden_category_is_sold_online_only_with_a_code_that_unlocks_it(f: Fixture) {
        let s = &f.stage;
        let without = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.vip, &[&s.seats[40]])], &[])).await;
        match without {
            Err(Error::Validation { fields, .. }) => assert!(fields[0].reason.contains("not on open sale"), "{fields:?}"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        let view = f.checkout.sale_view(&f.org, &s.event, &[], Channel::Online).await.expect("view");
        assert!(view.ticket_types.iter().all(|t| t.id != s.vip), "the hidden type is not shown");

        f.add_code("OPEN-VIP", Some(&s.event), 2, CodeExtra { unlock_category: Some("vip".into()), ..Default::default() }).await;
        let view = f.checkout.sale_view(&f.org, &s.event, &["OPEN-VIP".into()], Channel::Online).await.expect("view");
        let vip = view.ticket_types.iter().find(|t| t.id == s.vip).expect("the code shows the VIP type");
        assert_eq!(vip.unlocked_by.as_deref(), Some("OPEN-VIP"));

        let quote = f.checkout.quote(&f.org, &Cart { event_id: s.event.clone(), items: vec![seats_item(&s.vip, &[&s.seats[40], &s.seats[41], &s.seats[42]])], codes: vec!["OPEN-VIP".into()], customer_id: None, referral_code: None }, Channel::Online).await.expect("quote");
        assert_eq!(quote.codes[0].status, CodeStatus::Applied);
        assert!(quote.problems.iter().any(|p| p.field == "codes[0]" && p.reason.contains("2 uses left")), "{:?}", quote.problems);

        let order = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.vip, &[&s.seats[40]])], &["OPEN-VIP"])).await.expect("placed with the code");
        assert_eq!(order.codes, vec!["OPEN-VIP".to_string()]);
        f.finish().await;
    }

    async fn a_seat_held_for_a_code_is_sold_only_with_that_code(f: Fixture) {
        let s = &f.stage;
        f.add_code("NORTH-1", Some(&s.event), 1, CodeExtra { seat_label: Some("A-7".into()), ..Default::default() }).await;
        let view = f.checkout.sale_view(&f.org, &s.event, &[], Channel::Online).await.expect("view");
        let seven = view.seats.iter().find(|o| o.seat.id == s.seats[6]).expect("seat 7");
        assert_eq!(seven.state, fullhouse_checkout::service::SeatState::Held);
        let refused = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.seated, &[&s.seats[6]])], &[])).await;
        assert!(matches!(refused, Err(Error::Validation { .. })), "{refused:?}");
        let order = f.checkout.place(&f.org, online(&s.event, vec![seats_item(&s.seated, &[&s.seats[6]])], &["NORTH-1"])).await.expect("placed");
        assert_eq!(order.total_minor, 30_000);
        f.finish().await;
    }

    async fn a_wrong_code_gets_the_same_answer_as_another_events_or_organizations_code(f: Fixture) {
        let s = &f.stage;
        f.add_code("SECOND-ONLY", Some(&s.second_event), 5, CodeExtra::default()).await;
        let elsewhere = f.checkout.check_code(&f.org, &s.event, "SECOND-ONLY").await.expect("check");
        let nowhere = f.checkout.check_code(&f.org, &s.event, "NO-SUCH-CODE").await.expect("check");
        let other_org = f.checkout.check_code(&f.other_org, &s.event, "SECOND-ONLY").await;
        assert_eq!(elsewhere.status, CodeStatus::Unknown);
        assert_eq!(nowhere.status, CodeStatus::Unknown);
        assert_eq!(elsewhere.message, nowhere.message);
        assert!(matches!(other_org, Err(Error::NotFound(_))), "another organization's event is not found");
        f.finish().await;
    }
}

/// The cancellation follower's position, stored by checkout in `checkout_event_cursors` before
/// the follower moved to core, is carried to `event_cursors` by checkout_0003.
async fn the_cursor_stored_before_the_move_to_core_is_kept(backend: Backend) {
    let all = || {
        fullhouse_core::module::migrations_with_core(&[
            &fullhouse_ticketing::Ticketing,
            &fullhouse_checkout::CheckoutModule::new(),
        ])
    };
    let before_the_move: Vec<_> = all()
        .into_iter()
        .take_while(|m| m.name() != "checkout_0003_cursor_to_core")
        .collect();
    let Some(test_db) = TestDb::new(backend, before_the_move).await else {
        return;
    };
    test_db
        .db
        .writer()
        .execute_unprepared(
            "INSERT INTO checkout_event_cursors (consumer, last_seq) VALUES ('checkout.cancellations', 42)",
        )
        .await
        .expect("old cursor");
    let applied = test_db.db.migrate(all()).await.expect("migrate");
    assert_eq!(
        applied.first().map(String::as_str),
        Some("checkout_0003_cursor_to_core")
    );
    assert!(
        applied.iter().all(|m| m.starts_with("checkout_")),
        "{applied:?}"
    );
    let cursor = event_cursors::Entity::find_by_id(CANCELLATIONS_CONSUMER)
        .one(test_db.db.reader())
        .await
        .expect("read")
        .expect("carried over");
    assert_eq!(cursor.last_seq, 42);
    test_db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_stored_before_the_move_to_core_is_kept_on_sqlite() {
    the_cursor_stored_before_the_move_to_core_is_kept(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_stored_before_the_move_to_core_is_kept_on_postgres() {
    the_cursor_stored_before_the_move_to_core_is_kept(Backend::Postgres).await;
}
