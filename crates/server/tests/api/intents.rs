//! Purchase intents: made through the API and paid through the customer's link; and, through the
//! service with a controllable clock, the deadline that expires an unpaid intent and gives its
//! seat back, reopening and extending, the reminder sent once, invoices marked paid,
//! complimentary tickets, coupons counted like the storefront's, and tenants kept apart.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use fullhouse_audiences::campaigns::CampaignRules;
use fullhouse_checkout::{Checkout, ManualClock};
use fullhouse_core::{Error, OrgId};
use fullhouse_intents::model::*;
use fullhouse_intents::service::ActionRequest;
use fullhouse_intents::{Intents, Sweep};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::{CustomerId, EventId, SeatId, TicketTypeId};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::buyer_sign_in::customer;
use crate::checkout::{category_code, public, show, Show};
use crate::common::*;

/// Intents on checkout's manual clock, against the app's database, and their sweep.
struct Clocked {
    clock: ManualClock,
    intents: Intents,
    sweep: Sweep,
}

fn clocked(app: &TestApp) -> Clocked {
    let clock = ManualClock::starting_at(Utc::now());
    let checkout = Checkout::new(app.db.db.clone())
        .with_code_rules(Arc::new(CampaignRules))
        .with_clock(Arc::new(clock.clone()));
    let intents = Intents::new(app.db.db.clone(), checkout, &app.base);
    Clocked {
        clock,
        sweep: Sweep::new(intents.clone()),
        intents,
    }
}

fn seat_intent(customer: &str, show: &Show, seat: usize, strategy: StrategyChoice) -> NewIntent {
    NewIntent {
        customer_id: CustomerId::from_db(customer.to_string()),
        event_id: EventId::from_db(show.event.clone()),
        shop_id: None,
        items: vec![IntentItem {
            ticket_type_id: TicketTypeId::from_db(show.seated.clone()),
            quantity: None,
            seat_ids: show
                .seats
                .get(seat)
                .map(|s| SeatId::from_db(s.clone()))
                .into_iter()
                .collect(),
            seats: Vec::new(),
            ga_name: None,
        }],
        coupon: None,
        company: None,
        delivery: Delivery::Virtual,
        strategy,
        send_mail: false,
        import_id: None,
        created_by: "owner@test".into(),
    }
}

fn pay_by_link(days: u32) -> StrategyChoice {
    StrategyChoice {
        strategy: Some(Strategy::PayByLink),
        deadline: Some(Deadline::Days(days)),
    }
}

fn action(action: Action) -> ActionRequest {
    ActionRequest {
        action,
        deadline: None,
        payment_method: None,
        reference: None,
    }
}

fn token_of(intent: &Intent) -> String {
    intent
        .link
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn org_id(org: &TestOrg) -> OrgId {
    org.id.clone()
}

async fn history(app: &TestApp, org: &TestOrg, id: &str) -> Vec<String> {
    let (s, body) = app.get(&format!("/api/v1/intents/{id}"), &org.token).await;
    assert_eq!(s, 200, "{body}");
    body["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            format!(
                "{} by {}",
                h["action"].as_str().unwrap_or_default(),
                h["actor"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

async fn order_of(app: &TestApp, org: &TestOrg, intent: &Value) -> Value {
    let order = intent["order_id"].as_str().unwrap_or_default();
    let (s, body) = app
        .get(&format!("/api/v1/checkout/orders/{order}"), &org.token)
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

fn at(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|d| d.with_timezone(&Utc))
}

async fn count(app: &TestApp, sql: &str, value: &str) -> i64 {
    let db = app.db.db.reader();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.to_string(),
        _ => sql.replace("$1", "?"),
    };
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            vec![value.into()],
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

both_backends! {
    setup = spawn_app;

    async fn an_intent_holds_its_seat_until_the_customer_pays_through_the_link(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let body = json!({
            "customer_id": ida, "event_id": show.event, "strategy": "pay_by_link",
            "deadline": {"days": 5},
            "items": [{"ticket_type_id": show.seated, "seat_ids": [show.seats[0]]}],
        });
        let (s, intent) = app.post("/api/v1/intents", &org.token, body.clone()).await;
        assert_eq!(s, 201, "{intent}");
        assert_eq!(intent["status"], "pending", "{intent}");
        assert_eq!(intent["total_minor"], 30000, "{intent}");
        let link = intent["link"].as_str().unwrap_or_default().to_string();
        assert!(link.contains("/shop/royal/intents/fhi_"), "{link}");
        let pay_by = at(&intent["pay_by"]).expect("a deadline");
        let days = (pay_by - Utc::now()).num_hours();
        assert!((5 * 24 - 1..=5 * 24).contains(&days), "five days to pay: {pay_by}");

        let order = order_of(&app, &org, &intent).await;
        assert_eq!(order["status"], "awaiting_payment", "{order}");
        assert_eq!(at(&order["expires_at"]), Some(pay_by), "the hold ends at the deadline: {order}");

        // The seat is held: nobody else gets it, through an intent or the storefront.
        let mut other = body.clone();
        other["customer_id"] = json!(customer(&app, &org, "karen@example.dk").await);
        let (s, refused) = app.post("/api/v1/intents", &org.token, other).await;
        assert_eq!(s, 409, "{refused}");

        let token = link.rsplit('/').next().unwrap_or_default();
        let (s, seen) = public(&app, Method::GET, &format!("/api/v1/storefront/royal/intents/{token}"), None).await;
        assert_eq!(s, 200, "{seen}");
        assert_eq!((seen["payable"].clone(), seen["total_minor"].clone()), (json!(true), json!(30000)), "{seen}");
        assert!(seen.get("created_by").is_none(), "the customer does not see who made it: {seen}");
        let (s, unknown) = public(&app, Method::GET, "/api/v1/storefront/royal/intents/fhi_nothing", None).await;
        assert_eq!(s, 404, "{unknown}");

        let (s, paid) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/intents/{token}/pay"), Some(json!({}))).await;
        assert_eq!(s, 200, "{paid}");
        assert_eq!(paid["status"], "completed", "{paid}");
        let id = intent["id"].as_str().unwrap_or_default();
        let (_, now) = app.get(&format!("/api/v1/intents/{id}"), &org.token).await;
        assert_eq!(now["status"], "completed", "{now}");
        assert_eq!(order_of(&app, &org, &intent).await["status"], "paid");
        assert_eq!(
            history(&app, &org, id).await,
            vec!["created by API token".to_string(), "paid by customer".to_string()],
        );
        // Paying again changes nothing.
        let (s, again) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/intents/{token}/pay"), Some(json!({}))).await;
        assert_eq!((s.as_u16(), again["status"].clone()), (200, json!("completed")), "{again}");

        let (s, listed) = app.get("/api/v1/intents?status=completed", &org.token).await;
        assert_eq!(s, 200, "{listed}");
        assert_eq!(listed["total"], 1, "{listed}");
        let (_, pending) = app.get("/api/v1/intents?status=pending", &org.token).await;
        assert_eq!(pending["total"], 0, "{pending}");
        app.finish().await;
    }

    async fn an_unpaid_intent_expires_at_its_deadline_and_can_be_reopened_extended_and_cancelled(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let karen = customer(&app, &org, "karen@example.dk").await;
        let t = clocked(&app);
        let o = org_id(&org);
        let intent = t.intents.create(&o, seat_intent(&ida, &show, 3, pay_by_link(2))).await.expect("intent");
        assert_eq!(intent.pay_by, Some((t.clock_now() + Duration::days(2)).trunc_subsecs(0)));

        // A minute before the deadline nothing happens; a minute after, the hold runs out.
        t.clock.advance(Duration::days(2) - Duration::minutes(1));
        assert_eq!(t.intents.checkout().expire_due_holds().await.expect("sweep"), 0);
        t.clock.advance(Duration::minutes(2));
        assert_eq!(t.intents.checkout().expire_due_holds().await.expect("sweep"), 1);
        let round = t.sweep.round().await.expect("round");
        assert_eq!(round.moved, 1);
        let expired = t.intents.intent(&o, &intent.id).await.expect("intent");
        assert_eq!(expired.status, IntentStatus::Expired);
        let late = t.intents.pay(&o, &token_of(&intent), None, None).await;
        assert!(matches!(&late, Err(Error::Conflict { .. })), "a late payment is refused: {late:?}");
        assert!(format!("{late:?}").contains("reopen"), "{late:?}");
        // The seat is free again: another customer could take it now.
        let probe = t.intents.place(&o, &seat_intent(&karen, &show, 3, pay_by_link(1))).await.expect("the seat is on sale again");
        t.intents.checkout().cancel(&o, &probe.order.id).await.expect("given back");

        // Reopened: a new order holds the seat again, with a new deadline.
        let reopened = t.intents.act(&o, &intent.id, action(Action::Reopen), "owner@test").await.expect("reopen");
        assert_eq!(reopened.status, IntentStatus::Pending);
        assert_ne!(reopened.order_id, intent.order_id, "a new order");
        let taken = t.intents.place(&o, &seat_intent(&karen, &show, 3, pay_by_link(1))).await;
        assert!(matches!(taken, Err(Error::Conflict { .. })), "the reopened intent holds the seat: {taken:?}");
        // The old order's late events change nothing.
        t.sweep.round().await.expect("round");
        assert_eq!(t.intents.intent(&o, &intent.id).await.expect("intent").status, IntentStatus::Pending);

        // Extended to a fixed date: the order's hold moves with it.
        let until = (t.clock_now() + Duration::days(10)).trunc_subsecs(0);
        let mut extend = action(Action::Extend);
        extend.deadline = Some(Deadline::Until(until));
        let extended = t.intents.act(&o, &intent.id, extend, "owner@test").await.expect("extend");
        assert_eq!(extended.pay_by, Some(until));
        let order = t.intents.checkout().order(&o, reopened.order_id.as_ref().expect("order")).await.expect("order");
        assert_eq!(order.expires_at, Some(until));
        t.clock.advance(Duration::days(9));
        assert_eq!(t.intents.checkout().expire_due_holds().await.expect("sweep"), 0, "extended: still held");

        // Not allowed now: reopening a pending intent.
        let refused = t.intents.act(&o, &intent.id, action(Action::Reopen), "owner@test").await;
        assert!(matches!(refused, Err(Error::Conflict { .. })), "{refused:?}");

        // Cancelled: the seat goes back at once.
        let cancelled = t.intents.act(&o, &intent.id, action(Action::Cancel), "owner@test").await.expect("cancel");
        assert_eq!(cancelled.status, IntentStatus::Cancelled);
        t.intents.place(&o, &seat_intent(&karen, &show, 3, pay_by_link(1))).await.expect("the seat is free");
        let actions: Vec<String> = t.intents.detail(&o, &intent.id).await.expect("detail").history.iter().map(|h| format!("{} by {}", h.action, h.actor)).collect();
        assert_eq!(actions, vec!["created by owner@test", "expired by system", "reopened by owner@test", "extended by owner@test", "cancelled by owner@test"], "{actions:?}");
        app.finish().await;
    }

    async fn the_reminder_is_sent_once_and_never_within_two_hours_of_creation(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let t = clocked(&app);
        let o = org_id(&org);
        // One day to pay: three days before the deadline is already past, so the reminder waits
        // for the quiet hours after creation.
        let intent = t.intents.create(&o, seat_intent(&ida, &show, 0, pay_by_link(1))).await.expect("intent");
        t.clock.advance(Duration::minutes(119));
        assert_eq!(t.sweep.round().await.expect("round").reminded, 0);
        t.clock.advance(Duration::minutes(2));
        assert_eq!(t.sweep.round().await.expect("round").reminded, 1);
        assert_eq!(t.sweep.round().await.expect("round").reminded, 0, "once");
        t.clock.advance(Duration::hours(3));
        assert_eq!(t.sweep.round().await.expect("round").reminded, 0, "still once");
        let sent = count(&app, "SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE $1", &format!("intent-reminder:{}:%", intent.id)).await;
        assert_eq!(sent, 1);
        let detail = t.intents.detail(&o, &intent.id).await.expect("detail");
        assert_eq!(detail.history.iter().filter(|h| h.action == "reminded").count(), 1);
        // A new deadline gets its own reminder.
        let mut extend = action(Action::Extend);
        extend.deadline = Some(Deadline::Days(5));
        t.intents.act(&o, &intent.id, extend, "owner@test").await.expect("extend");
        t.clock.advance(Duration::days(2) + Duration::hours(1));
        assert_eq!(t.sweep.round().await.expect("round").reminded, 1);
        app.finish().await;
    }

    async fn an_invoiced_intent_waits_for_the_organizer_and_a_complimentary_one_is_issued_at_once(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let (s, invoiced) = app.post("/api/v1/intents", &org.token, json!({
            "customer_id": ida, "event_id": show.event, "strategy": "invoice", "company": "Acme A/S",
            "items": [{"ticket_type_id": show.standing, "quantity": 3}],
        })).await;
        assert_eq!(s, 201, "{invoiced}");
        assert_eq!((invoiced["pay_by"].clone(), invoiced["total_minor"].clone()), (Value::Null, json!(60000)), "{invoiced}");
        let order = order_of(&app, &org, &invoiced).await;
        assert_eq!((order["status"].clone(), order["expires_at"].clone()), (json!("awaiting_payment"), Value::Null), "held until settled: {order}");
        let token = invoiced["link"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
        let (s, refused) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/intents/{token}/pay"), Some(json!({}))).await;
        assert_eq!(s, 409, "not paid online: {refused}");
        let id = invoiced["id"].as_str().unwrap_or_default();
        let (s, extend) = app.post(&format!("/api/v1/intents/{id}/actions"), &org.token, json!({"action": "extend"})).await;
        assert_eq!(s, 409, "an invoice has no deadline: {extend}");
        let (s, paid) = app.post(&format!("/api/v1/intents/{id}/actions"), &org.token, json!({"action": "mark_paid", "reference": "INV-2031-7"})).await;
        assert_eq!(s, 200, "{paid}");
        assert_eq!(paid["status"], "completed");
        let order = order_of(&app, &org, &invoiced).await;
        assert_eq!((order["status"].clone(), order["payment_method"].clone(), order["payment_reference"].clone()), (json!("paid"), json!("invoice"), json!("INV-2031-7")), "{order}");

        let (s, free) = app.post("/api/v1/intents", &org.token, json!({
            "customer_id": ida, "event_id": show.event, "strategy": "complimentary",
            "items": [{"ticket_type_id": show.seated, "seat_ids": [show.seats[9]]}],
        })).await;
        assert_eq!(s, 201, "{free}");
        assert_eq!((free["status"].clone(), free["total_minor"].clone()), (json!("completed"), json!(0)), "{free}");
        let order = order_of(&app, &org, &free).await;
        assert_eq!(order["status"], "paid", "{order}");
        assert_eq!(order["payment_provider"], "complimentary", "{order}");
        assert_eq!(order["order"]["tickets"][0]["price_minor"], 0, "{order}");
        let (s, coupon) = app.post("/api/v1/intents", &org.token, json!({
            "customer_id": ida, "event_id": show.event, "strategy": "complimentary", "coupon": "X",
            "items": [{"ticket_type_id": show.standing, "quantity": 1}],
        })).await;
        assert_eq!(s, 422, "{coupon}");
        app.finish().await;
    }

    async fn a_coupon_on_an_intent_goes_through_the_storefronts_rules_and_use_counting(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        category_code(&app, &org, &show.event, "VIP", "SPONSOR-1", 2).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let vip = |seat: usize, coupon: Option<&str>| json!({
            "customer_id": ida, "event_id": show.event, "coupon": coupon,
            "items": [{"ticket_type_id": show.vip, "seat_ids": [show.seats[40 + seat]]}],
        });
        let (s, hidden) = app.post("/api/v1/intents", &org.token, vip(0, None)).await;
        assert_eq!(s, 422, "a hidden type needs its code: {hidden}");
        for seat in 0..2 {
            let (s, made) = app.post("/api/v1/intents", &org.token, vip(seat, Some("sponsor-1"))).await;
            assert_eq!(s, 201, "{made}");
            assert_eq!(made["coupon"], "sponsor-1", "{made}");
        }
        let (s, used_up) = app.post("/api/v1/intents", &org.token, vip(2, Some("SPONSOR-1"))).await;
        assert_eq!(s, 409, "two uses, two intents: {used_up}");
        app.finish().await;
    }

    async fn intents_are_refused_with_reasons_and_stay_within_their_organization(app: TestApp) {
        let org = app.new_org("royal").await;
        let other = app.new_org("globe").await;
        let show = show(&app, &org).await;
        let ida = customer(&app, &org, "ida@example.dk").await;
        let body = json!({
            "customer_id": ida, "event_id": show.event,
            "items": [{"ticket_type_id": show.standing, "quantity": 1}],
        });
        let (s, made) = app.post("/api/v1/intents", &org.token, body.clone()).await;
        assert_eq!(s, 201, "{made}");
        assert_eq!(made["strategy"], "pay_by_link", "the system default: {made}");
        let id = made["id"].as_str().unwrap_or_default();

        let (s, hidden) = app.get(&format!("/api/v1/intents/{id}"), &other.token).await;
        assert_eq!(s, 404, "{hidden}");
        let (s, listed) = app.get("/api/v1/intents", &other.token).await;
        assert_eq!((s.as_u16(), listed["total"].clone()), (200, json!(0)), "{listed}");
        let (s, act) = app.post(&format!("/api/v1/intents/{id}/actions"), &other.token, json!({"action": "cancel"})).await;
        assert_eq!(s, 404, "{act}");
        let (s, foreign) = app.post("/api/v1/intents", &other.token, body.clone()).await;
        assert_eq!(s, 422, "another organization's customer: {foreign}");
        let token = made["link"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
        let (s, elsewhere) = public(&app, Method::GET, &format!("/api/v1/storefront/globe/intents/{token}"), None).await;
        assert_eq!(s, 404, "a link works only at its own shop: {elsewhere}");

        let (s, none) = app.post("/api/v1/intents", &org.token, json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing}]})).await;
        let message = assert_error(s, &none, 422, "validation");
        assert!(message.contains("customer"), "{message}");
        let (s, empty) = app.post("/api/v1/intents", &org.token, json!({"customer_id": ida, "event_id": show.event, "items": []})).await;
        assert_eq!(s, 422, "{empty}");
        let (s, paid) = app.post(&format!("/api/v1/intents/{id}/actions"), &org.token, json!({"action": "reopen"})).await;
        assert_eq!(s, 409, "{paid}");
        assert!(paid["error"]["message"].as_str().unwrap_or_default().contains("expired or cancelled"), "{paid}");

        // A new customer by email, or the existing one with that email.
        let (s, by_email) = app.post("/api/v1/intents", &org.token, json!({
            "customer": {"email": "IDA@example.dk"}, "event_id": show.event,
            "items": [{"ticket_type_id": show.standing, "quantity": 1}],
        })).await;
        assert_eq!(s, 201, "{by_email}");
        assert_eq!(by_email["customer_id"], json!(ida), "{by_email}");
        let (s, new_customer) = app.post("/api/v1/intents", &org.token, json!({
            "customer": {"email": "new@example.dk", "first_name": "Nils", "language": "da"}, "event_id": show.event,
            "items": [{"ticket_type_id": show.standing, "quantity": 1}],
        })).await;
        assert_eq!(s, 201, "{new_customer}");
        assert_ne!(new_customer["customer_id"], json!(ida));

        // An event's default strategy.
        let (s, defaults) = app.call(Method::PUT, &format!("/api/v1/events/{}/intent-defaults", show.event), &org.token, Some(json!({"strategy": "invoice", "pay_days": 10, "remind_days": 2}))).await;
        assert_eq!(s, 200, "{defaults}");
        let (s, invoiced) = app.post("/api/v1/intents", &org.token, body).await;
        assert_eq!((s.as_u16(), invoiced["strategy"].clone()), (201, json!("invoice")), "{invoiced}");
        let (s, wrong) = app.call(Method::PUT, &format!("/api/v1/events/{}/intent-defaults", show.event), &org.token, Some(json!({"strategy": "invoice", "pay_days": 2, "remind_days": 3}))).await;
        assert_eq!(s, 422, "{wrong}");
        app.finish().await;
    }
}

impl Clocked {
    fn clock_now(&self) -> DateTime<Utc> {
        self.intents.now()
    }
}
