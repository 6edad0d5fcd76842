//! The organizer's order page (#20): a box-office sale reached from the customer's page shows
//! its tickets, event, prices and discount, how it was paid and its history, and is refunded
//! from there; over plain HTTP, another organization's order is not found and only roles that
//! sell may cancel or refund.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the browser test leaves PNGs of the page at 1400 and 390
//! pixels wide there.

use serde_json::{json, Value};

use super::{page_session, PageSession};
use crate::checkout::{code_campaign, show, Show};
use crate::chromium::Browser;
use crate::common::*;
use fullhouse_core::Backend;
use fullhouse_testkit::both_backends;

/// A code taking half off the show's tickets, for two tickets.
async fn half_price(app: &TestApp, org: &TestOrg, event: &str) {
    code_campaign(
        app,
        org,
        event,
        ("HALF-1", 2, json!({})),
        json!({"public_label": "Half price", "effects": {"discount": {"kind": "percent", "percent": 50.0}}}),
    )
    .await;
}

/// Sells seat `n` of the show at the counter through the API, paid by card now or held for
/// payment; returns the order.
async fn sell(app: &TestApp, org: &TestOrg, show: &Show, n: usize, paid: bool) -> Value {
    let mut sale = json!({
        "cart": {"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[n]}]}]},
        "buyer": {"email": "karen@example.dk", "first_name": "Karen", "last_name": "Blixen"},
        "paid_at_counter": paid,
    });
    if paid {
        sale["payment_method"] = json!("card");
    }
    let (s, order) = app
        .post("/api/v1/box-office/orders", &org.token, sale)
        .await;
    assert_eq!(s, 201, "{order}");
    order
}

/// A page session of a new user of `org` with `role`.
async fn session_as(app: &TestApp, org: &TestOrg, role: &str) -> PageSession {
    let domain = org.admin_email.split('@').nth(1).unwrap_or("example.org");
    let email = format!("{role}@{domain}");
    let password = "a long enough password";
    let (s, user) = app
        .post(
            "/api/v1/users",
            &org.token,
            json!({"email": email, "name": format!("The {role}"), "password": password, "role": role}),
        )
        .await;
    assert_eq!(s, 201, "{user}");
    let as_user = TestOrg {
        id: org.id.clone(),
        admin_email: email,
        admin_password: password.to_string(),
        token: org.token.clone(),
    };
    page_session(app, &as_user).await
}

async fn status_of(app: &TestApp, org: &TestOrg, id: &str) -> String {
    let (s, order) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    assert_eq!(s, 200, "{order}");
    order["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_box_office_sale_is_opened_from_the_customers_page_and_refunded_from_its_order_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("order-view").await;
    let show = show(&app, &org).await;
    half_price(&app, &org, &show.event).await;
    browser.log_in(&app, &org).await;

    // Sold at the box office with the code, to a named buyer, paid by card.
    browser
        .goto(&app, &format!("/box-office/{}", show.event))
        .await;
    browser.type_into("#codes", "HALF-1").await;
    browser.click("#apply-code").await;
    browser
        .wait_text("#sell-form", |t| t.contains("HALF-1"))
        .await;
    browser
        .click(&format!(
            "label.seat:has(input[value$=':{}'])",
            show.seats[4]
        ))
        .await;
    browser.click("#to-basket").await;
    browser
        .wait_text("#basket-total", |t| t == "150.00 DKK")
        .await;
    browser.click("details.buyer summary").await;
    browser.type_into("#email", "karen@example.dk").await;
    browser.type_into("#first_name", "Karen").await;
    browser.type_into("#last_name", "Blixen").await;
    browser
        .click("label.payment-method:has(#payment-card)")
        .await;
    browser.click("#sell").await;
    // The id from the link: the box office shows it in capitals (CSS), the id itself is not.
    let link = browser
        .find("#sold-order")
        .await
        .attr("href")
        .await
        .expect("attr")
        .unwrap_or_default();
    let id = link
        .strip_prefix("/orders/")
        .expect("the box office links its sale to the order page")
        .to_string();

    // The customer's page lists the order; its id opens the order page.
    let (_, order) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    let customer = order["order"]["customer_id"]
        .as_str()
        .expect("the buyer became a customer")
        .to_string();
    browser.goto(&app, &format!("/customers/{customer}")).await;
    browser.click(&format!("#order-{id} a.order-link")).await;
    let title = browser
        .wait_text("#order-title", |t| t.contains("Paid"))
        .await;
    assert!(title.starts_with("Order "), "{title}");
    assert_eq!(browser.path().await, format!("/orders/{id}"));

    let tickets = browser.text("#order-tickets").await;
    for expected in [
        "Parterre · Centre · Row A · Seat 5",
        "Seated",
        "300.00 DKK",
        "-150.00 DKK",
        "HALF-1",
        "Valid",
    ] {
        assert!(tickets.contains(expected), "{expected}: {tickets}");
    }
    assert_eq!(browser.text("#tickets-total").await, "150.00 DKK");
    assert_eq!(
        browser.text("#order-payment-method").await,
        "Box office — Card"
    );
    assert_eq!(browser.text("#order-customer").await, "Karen Blixen");
    let event = browser.text("#order-events").await;
    assert!(
        event.contains("Hamlet") && event.contains("2031-01-01 20:30"),
        "the event on the venue's clock (Copenhagen, UTC+1 in January): {event}"
    );
    let discounts = browser.text("#order-discounts").await;
    assert!(
        discounts.contains("HALF-1") && discounts.contains("-150.00 DKK"),
        "{discounts}"
    );
    let history = browser.text("#order-history").await;
    assert!(history.contains("Placed and paid"), "{history}");
    browser.screenshots("orders-1-paid").await;
    browser.resize(390, 900).await;
    assert_eq!(
        browser.horizontal_overflow().await,
        0,
        "no sideways scrolling on a phone"
    );
    browser.resize(1400, 1000).await;

    // Refunded from the page, after ticking the confirmation.
    let action = browser.text("#order-action").await;
    assert!(
        action.contains("Hand 150.00 DKK back to the buyer at the box office"),
        "{action}"
    );
    browser.click("#confirm-call-off").await;
    browser.click("#call-off").await;
    browser
        .wait_text("#order-status", |t| t == "Refunded")
        .await;
    assert_eq!(browser.text("#order-done").await, "The order is refunded.");
    let history = browser.text("#order-history").await;
    assert!(
        history.contains("Refunded · by Owner")
            && history.contains("Money handed back at the box office."),
        "{history}"
    );
    assert!(browser.text("#order-tickets").await.contains("Cancelled"));
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("#call-off"))
            .await
            .is_err(),
        "a refunded order offers nothing more"
    );
    browser.screenshots("orders-2-refunded").await;
    assert_eq!(status_of(&app, &org, &id).await, "refunded");
    browser.finish().await;
    app.finish().await;
}

both_backends! {
    setup = spawn_app;

    async fn another_organizations_order_is_not_found_on_the_order_page(app: TestApp) {
        let ours = app.new_org("orders-ours").await;
        let theirs = app.new_org("orders-theirs").await;
        let their_show = show(&app, &theirs).await;
        let their_order = sell(&app, &theirs, &their_show, 1, true).await;
        let id = their_order["id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &ours).await;

        let (status, html) = session.get(&app, &format!("/orders/{id}")).await;
        assert_eq!(status, 404, "{html}");
        assert!(!html.contains("Karen"), "nothing of the order shows: {html}");
        let (status, _) = session
            .post(&app, &format!("/orders/{id}/cancel"), &[("csrf_token", &session.csrf), ("action", "refund"), ("confirm", "yes")])
            .await;
        assert_eq!(status, 404);
        assert_eq!(status_of(&app, &theirs, &id).await, "paid", "their order is untouched");
        let (status, _) = session.get(&app, "/orders/not-an-order").await;
        assert_eq!(status, 404);

        // Their own organization sees it.
        let session = page_session(&app, &theirs).await;
        let (status, html) = session.get(&app, &format!("/orders/{id}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Karen Blixen"), "{html}");
        app.finish().await;
    }

    async fn only_roles_that_sell_may_cancel_or_refund_and_only_once_confirmed(app: TestApp) {
        let org = app.new_org("orders-roles").await;
        let show = show(&app, &org).await;
        let paid = sell(&app, &org, &show, 2, true).await;
        let paid = paid["id"].as_str().unwrap_or_default().to_string();
        let held = sell(&app, &org, &show, 3, false).await;
        let held = held["id"].as_str().unwrap_or_default().to_string();
        let refund = |csrf: String, confirm: &'static str| {
            vec![("csrf_token", csrf), ("action", "refund".to_string()), ("confirm", confirm.to_string())]
        };

        // A viewer and a marketer see the order but no action, and are refused one.
        for role in ["viewer", "marketer"] {
            let session = session_as(&app, &org, role).await;
            let (status, html) = session.get(&app, &format!("/orders/{paid}")).await;
            assert_eq!(status, 200, "{role}: {html}");
            assert!(!html.contains("id=\"call-off\""), "{role}: {html}");
            assert!(html.contains("id=\"order-action-refused\""), "{role}: {html}");
            let fields = refund(session.csrf.clone(), "yes");
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, _) = session.post(&app, &format!("/orders/{paid}/cancel"), &form).await;
            assert_eq!(status, 403, "{role}");
        }
        assert_eq!(status_of(&app, &org, &paid).await, "paid");

        // The box office clerk may; without the box ticked nothing happens.
        let clerk = session_as(&app, &org, "box_office").await;
        let fields = refund(clerk.csrf.clone(), "");
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, html) = clerk.post(&app, &format!("/orders/{paid}/cancel"), &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"call-off-error\">Tick the box to confirm first."), "{html}");
        assert_eq!(status_of(&app, &org, &paid).await, "paid");

        let fields = refund(clerk.csrf.clone(), "yes");
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, location, _) = clerk.post_located(&app, &format!("/orders/{paid}/cancel"), &form).await;
        assert_eq!((status, location.as_str()), (303, format!("/orders/{paid}?done=refunded").as_str()));
        assert_eq!(status_of(&app, &org, &paid).await, "refunded");
        let (_, html) = clerk.get(&app, &format!("/orders/{paid}?done=refunded")).await;
        assert!(html.contains("by The box_office"), "the history names who refunded: {html}");

        // Refunding again is refused (the order moved on), and changes nothing.
        let (status, html) = clerk.post(&app, &format!("/orders/{paid}/cancel"), &form).await;
        assert_eq!(status, 422, "{html}");
        assert_eq!(status_of(&app, &org, &paid).await, "refunded");

        // An order held for payment is cancelled, not refunded: nothing was paid.
        let (_, html) = clerk.get(&app, &format!("/orders/{held}")).await;
        assert!(html.contains("name=\"action\" value=\"cancel\""), "{html}");
        assert!(html.contains("Nothing is paid back."), "{html}");
        let (status, _) = clerk.post(&app, &format!("/orders/{held}/cancel"), &form).await;
        assert_eq!(status, 422, "a refund of an unpaid order is refused");
        let (status, location, _) = clerk
            .post_located(&app, &format!("/orders/{held}/cancel"), &[("csrf_token", &clerk.csrf), ("action", "cancel"), ("confirm", "yes")])
            .await;
        assert_eq!((status, location.as_str()), (303, format!("/orders/{held}?done=cancelled").as_str()));
        assert_eq!(status_of(&app, &org, &held).await, "cancelled");

        // The audit log says who did both.
        let (_, log) = app.get("/api/v1/audit-log?action=order.", &org.token).await;
        let actions: Vec<&str> = log["items"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, vec!["order.cancelled", "order.refunded"], "{log}");
        app.finish().await;
    }

    async fn the_order_page_speaks_danish_and_french_with_localized_money(app: TestApp) {
        let org = app.new_org("orders-lang").await;
        let show = show(&app, &org).await;
        let order = sell(&app, &org, &show, 5, true).await;
        let id = order["id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &org).await;
        for (lang, words) in [
            ("da", ["Billetter", "Betalt med", "Billetkontor — Kort", "300,00 DKK", "Refundér 300,00 DKK"]),
            ("fr", ["Billets", "Payée par", "Guichet — Carte", "300,00 DKK", "Rembourser 300,00 DKK"]),
        ] {
            let (status, _) = session
                .post(&app, "/language", &[("csrf_token", &session.csrf), ("language", lang), ("return_to", "/")])
                .await;
            assert_eq!(status, 303);
            let (status, html) = session.get(&app, &format!("/orders/{id}")).await;
            assert_eq!(status, 200, "{html}");
            for word in words {
                assert!(html.contains(word), "{lang}: {word}: {html}");
            }
        }
        app.finish().await;
    }
}
