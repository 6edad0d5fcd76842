//! The states an organizer reads, over HTTP: a hold awaiting payment is not a paid order (orders
//! API, checkout, customer page, campaign report), a hold that runs out is expired everywhere,
//! a paid order cancelled through checkout is refunded.

use std::sync::Arc;

use chrono::{Duration, Utc};
use fullhouse_audiences::campaigns::CampaignRules;
use fullhouse_checkout::Checkout;
use fullhouse_core::db::statement;
use fullhouse_testkit::both_backends;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::browser::page_session;
use crate::checkout::{buyer, code_campaign, public, show, Show};
use crate::common::*;

/// A campaign on the show's event: code `HOLD-7`, two uses, half price.
async fn campaign(app: &TestApp, org: &TestOrg, show: &Show) -> String {
    code_campaign(
        app,
        org,
        &show.event,
        ("HOLD-7", 2, json!({})),
        json!({"name": "Half price", "effects": {"discount": {"kind": "percent", "percent": 50.0}}}),
    )
    .await
}

/// A storefront order of one standing place, with `codes`, by `email`.
async fn shop_order(app: &TestApp, show: &Show, codes: &[&str], email: &str) -> Value {
    let mut who = buyer();
    who["email"] = json!(email);
    let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}], "codes": codes});
    let (s, order) = public(
        app,
        Method::POST,
        "/api/v1/storefront/royal/orders",
        Some(json!({"cart": cart, "buyer": who})),
    )
    .await;
    assert_eq!(s, 201, "{order}");
    order
}

fn id_of(order: &Value) -> String {
    order["id"].as_str().unwrap_or_default().to_string()
}

/// Ticketing's state of an order (`GET /orders/{id}`) and checkout's.
async fn states(app: &TestApp, org: &TestOrg, id: &str) -> (Value, Value) {
    let (s, order) = app.get(&format!("/api/v1/orders/{id}"), &org.token).await;
    assert_eq!(s, 200, "{order}");
    let (s, sold) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    assert_eq!(s, 200, "{sold}");
    (order["status"].clone(), sold["status"].clone())
}

both_backends! {
    setup = spawn_app;

    async fn a_hold_reads_awaiting_payment_until_it_runs_out_and_then_expired_with_its_code_use_back(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let campaign = campaign(&app, &org, &show).await;
        let report_path = format!("/api/v1/campaigns/{campaign}/report");

        let held = shop_order(&app, &show, &["HOLD-7"], "karen@example.dk").await;
        let held_id = id_of(&held);
        assert_eq!(states(&app, &org, &held_id).await, (json!("awaiting_payment"), json!("awaiting_payment")));
        let customer = held["order"]["customer_id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &org).await;
        let (s, page) = session.get(&app, &format!("/customers/{customer}")).await;
        assert_eq!(s, 200);
        assert!(page.contains(&format!("id=\"order-{held_id}\" data-status=\"awaiting_payment\"")), "{page}");
        assert!(page.contains("status-awaiting_payment\">Awaiting payment</span>"), "{page}");

        let (_, report) = app.get(&report_path, &org.token).await;
        assert_eq!((report["paid_uses"].clone(), report["held_uses"].clone()), (json!(0), json!(1)), "{report}");
        assert_eq!(report["codes"][0]["held_orders"], json!([held_id]), "{report}");

        let paid = shop_order(&app, &show, &["HOLD-7"], "ib@example.dk").await;
        let paid_id = id_of(&paid);
        let (s, body) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/orders/{paid_id}/pay"), Some(json!({}))).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(states(&app, &org, &paid_id).await, (json!("paid"), json!("paid")));
        let (_, report) = app.get(&report_path, &org.token).await;
        assert_eq!((report["paid_uses"].clone(), report["held_uses"].clone()), (json!(1), json!(1)), "{report}");
        assert_eq!(report["codes"][0]["remaining"], 0, "held uses are taken too: {report}");
        let (s, page) = session.get(&app, &format!("/campaigns/{campaign}")).await;
        assert_eq!(s, 200);
        assert!(page.contains("<span id=\"report-paid\">Uses by paid orders: 1</span>"), "{page}");
        assert!(page.contains("<span id=\"report-held\">Held by orders awaiting payment: 1</span>"), "{page}");
        assert!(page.contains(&format!("<a href=\"/orders/{held_id}\"><code>{held_id}</code></a> <small class=\"status status-awaiting_payment\">")), "{page}");

        // The hold runs out: its time is moved into the past and the sweep runs, as the server's
        // background task does every few seconds.
        let writer = app.db.db.writer();
        writer
            .execute(statement(
                writer.get_database_backend(),
                "UPDATE checkout_orders SET expires_at = $1 WHERE id = $2",
                vec![(Utc::now() - Duration::minutes(1)).into(), held_id.clone().into()],
            ))
            .await
            .expect("hold ran out");
        let sweeper = Checkout::new(app.db.db.clone()).with_code_rules(Arc::new(CampaignRules));
        assert_eq!(sweeper.expire_due_holds().await.expect("sweep"), 1);

        assert_eq!(states(&app, &org, &held_id).await, (json!("expired"), json!("expired")));
        let (_, order) = app.get(&format!("/api/v1/orders/{held_id}"), &org.token).await;
        assert_eq!(order["tickets"][0]["status"], "cancelled", "{order}");
        let (_, page) = session.get(&app, &format!("/customers/{customer}")).await;
        assert!(page.contains("status-expired\">Expired</span>"), "{page}");
        let (_, report) = app.get(&report_path, &org.token).await;
        assert_eq!((report["paid_uses"].clone(), report["held_uses"].clone()), (json!(1), json!(0)), "{report}");
        assert_eq!(report["codes"][0]["remaining"], 1, "the expired hold gave its use back: {report}");
        let (_, view) = public(&app, Method::GET, &format!("/api/v1/storefront/royal/events/{}", show.event), None).await;
        assert_eq!(view["ga_areas"][0]["left"], 99, "the expired hold's place is on sale again: {view}");
        app.finish().await;
    }

    async fn cancelling_through_checkout_refunds_a_paid_order_and_cancels_an_unpaid_one(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let cancel = |id: String| {
            let app = &app;
            let token = org.token.clone();
            async move {
                let (s, body) = app.post(&format!("/api/v1/checkout/orders/{id}/cancel"), &token, json!({})).await;
                assert_eq!(s, 200, "{body}");
                body
            }
        };
        let unpaid = id_of(&shop_order(&app, &show, &[], "karen@example.dk").await);
        assert_eq!(cancel(unpaid.clone()).await["status"], "cancelled");
        assert_eq!(states(&app, &org, &unpaid).await, (json!("cancelled"), json!("cancelled")));

        let paid = id_of(&shop_order(&app, &show, &[], "ib@example.dk").await);
        let (s, body) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/orders/{paid}/pay"), Some(json!({}))).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(cancel(paid.clone()).await["status"], "refunded");
        assert_eq!(states(&app, &org, &paid).await, (json!("refunded"), json!("refunded")));

        let sale = json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 2}]}, "payment_method": "cash"});
        let (s, counter) = app.post("/api/v1/box-office/orders", &org.token, sale).await;
        assert_eq!(s, 201, "{counter}");
        assert_eq!(counter["status"], "paid", "paid at the counter, at once");
        assert_eq!(states(&app, &org, &id_of(&counter)).await, (json!("paid"), json!("paid")));
        let (s, listed) = app.get(&format!("/api/v1/orders?event_id={}", show.event), &org.token).await;
        assert_eq!(s, 200, "{listed}");
        let mut seen: Vec<&str> = listed["items"].as_array().into_iter().flatten().filter_map(|o| o["status"].as_str()).collect();
        seen.sort_unstable();
        assert_eq!(seen, ["cancelled", "paid", "refunded"]);
        app.finish().await;
    }
}
