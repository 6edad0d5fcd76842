//! The box office (#15): the clerk ticks seats, reviews the basket priced by checkout's quote,
//! chooses each seat's ticket type among those its category offers, records how the buyer paid,
//! and sells. On the demo's Main Stage every Category A seat was sold at the hidden "Friends of the
//! house" price; here the same event shape must sell at the public price unless a code unlocks
//! the hidden type.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the browser tests leave PNGs of each step at 1400 and 390
//! pixels wide there, to look at.

use serde_json::{json, Value};

use super::page_session;
use crate::checkout::category_code;
use crate::chromium::Browser;
use crate::common::{TestApp, TestOrg};
use fullhouse_core::Backend;

/// A Main Stage evening: one row of six Category A seats, a public "Category A" type at 590.00,
/// a hidden "Friends of the house" type of the same category at 410.00, and standing places.
struct MainStage {
    event: String,
    seats: Vec<String>,
    public: String,
    friends: String,
}

async fn created(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> Value {
    let (s, made) = app.post(path, &org.token, body).await;
    assert_eq!(s, 201, "{path}: {made}");
    made
}

async fn main_stage(app: &TestApp, org: &TestOrg) -> MainStage {
    let production = created(
        app,
        org,
        "/api/v1/productions",
        json!({"name": "The Cherry Orchard"}),
    )
    .await;
    let venue = created(app, org, "/api/v1/venues", json!({"name": "Main Stage"})).await;
    let seats: Vec<Value> = (1..=6)
        .map(|n| json!({"label": n.to_string(), "category": "Category A"}))
        .collect();
    let (s, map) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/venues/{}/seat-map", venue["id"].as_str().unwrap_or_default()),
            &org.token,
            Some(json!({
                "sections": [{"name": "Stalls", "groups": [{"name": "Centre", "rows": [{"name": "A", "seats": seats}]}]}],
                "ga_areas": [{"name": "Standing", "capacity": 50}]
            })),
        )
        .await;
    assert_eq!(s, 200, "{map}");
    let seat_ids = map["sections"][0]["groups"][0]["rows"][0]["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    let event = created(
        app,
        org,
        "/api/v1/events",
        json!({"production_id": production["id"], "venue_id": venue["id"], "starts_at": "2031-03-01T19:30:00Z"}),
    )
    .await;
    let event = event["id"].as_str().unwrap_or_default().to_string();
    let types = format!("/api/v1/events/{event}/ticket-types");
    let public = created(
        app,
        org,
        &types,
        json!({"name": "Category A", "category": "Category A", "price_minor": 59000}),
    )
    .await;
    let friends = created(
        app,
        org,
        &types,
        json!({"name": "Friends of the house", "category": "Category A", "price_minor": 41000, "hidden": true}),
    )
    .await;
    created(
        app,
        org,
        &types,
        json!({"name": "Standing", "price_minor": 20000, "ga_area_id": map["ga_areas"][0]["id"]}),
    )
    .await;
    MainStage {
        event,
        seats: seat_ids,
        public: public["id"].as_str().unwrap_or_default().to_string(),
        friends: friends["id"].as_str().unwrap_or_default().to_string(),
    }
}

/// Screenshots at a laptop's and a phone's width, when asked for; the box office's own window
/// size after.
async fn screenshots(browser: &Browser, name: &str) {
    browser.screenshots(name).await;
    browser.resize(1280, 900).await;
}

fn seat(id: &str) -> String {
    format!("label.seat:has(input[value$=':{id}'])")
}

#[tokio::test]
async fn a_clerk_sells_a_category_a_seat_at_its_public_price_from_the_basket_paid_by_card() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("main-stage").await;
    let stage = main_stage(&app, &org).await;
    browser.log_in(&app, &org).await;
    browser
        .goto(&app, &format!("/box-office/{}", stage.event))
        .await;
    let on_sale = browser.text("#ticket-types").await;
    assert!(
        on_sale.contains("590.00") && !on_sale.contains("Friends"),
        "{on_sale}"
    );
    browser.click(&seat(&stage.seats[2])).await;
    screenshots(&browser, "boxoffice-1-seats").await;
    browser.click("#to-basket").await;

    let total = browser.text("#basket-total").await;
    assert_eq!(total, "590.00 DKK", "the total is shown before selling");
    let line = browser.text("#line-0").await;
    assert!(
        line.contains("Seat 3") && line.contains("Category A — 590.00 DKK"),
        "{line}"
    );
    let chosen = browser
        .find("#line-0-type")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        chosen.as_deref(),
        Some(format!("{}:{}", stage.public, stage.seats[2]).as_str())
    );
    let offered = browser
        .find("#line-0-type")
        .await
        .html(true)
        .await
        .expect("options");
    assert!(
        !offered.contains("Friends"),
        "no code, no hidden type: {offered}"
    );

    // Selling without saying how the buyer paid is refused beside the choice.
    browser.click("#sell").await;
    let problem = browser.text("#payment_method-error").await;
    assert_eq!(problem, "Choose how the buyer pays: cash, card or invoice.");
    assert_eq!(browser.text("#basket-total").await, "590.00 DKK");
    screenshots(&browser, "boxoffice-2-basket").await;

    browser
        .click("label.payment-method:has(#payment-card)")
        .await;
    browser.click("#sell").await;
    let sold = browser.text("#sold").await;
    assert!(
        sold.contains("590.00 DKK") && sold.contains("Card"),
        "{sold}"
    );
    screenshots(&browser, "boxoffice-3-sold").await;
    let id = browser.text("#sold code").await;
    let (s, order) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    assert_eq!(s, 200, "{order}");
    assert_eq!(order["payment_method"], "card");
    assert_eq!(order["total_minor"], 59000);
    assert_eq!(order["channel"], "box_office");
    assert_eq!(
        order["order"]["tickets"][0]["ticket_type_id"],
        stage.public.as_str()
    );
    // The seat is sold now: the seat map shows it so, and a reload sells nothing twice.
    browser.client.refresh().await.expect("reload");
    let state = browser
        .find(&seat(&stage.seats[2]))
        .await
        .attr("data-state")
        .await
        .expect("attr");
    assert_eq!(state.as_deref(), Some("sold"));
    let (_, orders) = app.get("/api/v1/orders", &org.token).await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(1),
        "{orders}"
    );
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn a_clerk_applies_a_code_and_switches_a_seat_to_the_hidden_type_it_unlocks() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("main-stage").await;
    let stage = main_stage(&app, &org).await;
    category_code(&app, &org, &stage.event, "Category A", "FRIEND-7", 2).await;
    browser.log_in(&app, &org).await;
    browser
        .goto(&app, &format!("/box-office/{}", stage.event))
        .await;
    browser.type_into("#codes", "FRIEND-7").await;
    browser.click("#apply-code").await;
    browser
        .wait_text("#ticket-types", |t| t.contains("Friends of the house"))
        .await;
    browser.click(&seat(&stage.seats[0])).await;
    browser.click(&seat(&stage.seats[1])).await;
    browser.type_into("input[name^='qty_']", "1").await;
    browser.click("#to-basket").await;
    assert_eq!(
        browser.text("#basket-total").await,
        "1,380.00 DKK",
        "two seats at the public price and one standing"
    );

    // Choosing the hidden type on one line re-prices the basket in place (htmx).
    browser
        .find("#line-0-type")
        .await
        .select_by_value(&format!("{}:{}", stage.friends, stage.seats[0]))
        .await
        .expect("chosen");
    browser
        .wait_text("#basket-total", |t| t == "1,200.00 DKK")
        .await;
    let line = browser.text("#line-0").await;
    assert!(
        line.contains("410.00 DKK") && line.contains("FRIEND-7"),
        "{line}"
    );
    screenshots(&browser, "boxoffice-4-code").await;
    // "Remove from basket" takes a line out.
    browser
        .find("#line-1-type")
        .await
        .select_by_value("")
        .await
        .expect("removed");
    browser
        .wait_text("#basket-total", |t| t == "610.00 DKK")
        .await;

    browser
        .click("label.payment-method:has(#payment-cash)")
        .await;
    browser.click("#sell").await;
    let sold = browser.text("#sold").await;
    assert!(
        sold.contains("610.00 DKK") && sold.contains("Cash"),
        "{sold}"
    );
    let id = browser.text("#sold code").await;
    let (_, order) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    assert_eq!(order["payment_method"], "cash");
    assert_eq!(order["total_minor"], 61000);
    assert_eq!(order["codes"], json!(["FRIEND-7"]));
    browser.finish().await;
    app.finish().await;
}

/// Without a browser: what the basket and the sale answer to forms a browser would not send.
#[tokio::test]
async fn the_basket_refuses_the_hidden_type_without_its_code_and_a_sale_without_a_payment_method() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("main-stage").await;
    let stage = main_stage(&app, &org).await;
    let session = page_session(&app, &org).await;
    let basket = format!("/box-office/{}/basket", stage.event);
    let sell = format!("/box-office/{}", stage.event);
    let friends_seat = format!("{}:{}", stage.friends, stage.seats[4]);
    let public_seat = format!("{}:{}", stage.public, stage.seats[4]);

    // The hidden type asked for without its code: the line says why, and nothing is sold.
    let (status, html) = session
        .post(
            &app,
            &basket,
            &[("csrf_token", &session.csrf), ("seat", &friends_seat)],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"line-0-error\">`Friends of the house` is not on open sale"),
        "{html}"
    );
    let (status, html) = session
        .post(
            &app,
            &sell,
            &[
                ("csrf_token", &session.csrf),
                ("seat", &friends_seat),
                ("payment_method", "card"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"line-0-error\""), "{html}");

    // In Danish: the payment method is asked for beside its field.
    let (status, _) = session
        .post(
            &app,
            "/language",
            &[
                ("csrf_token", &session.csrf),
                ("language", "da"),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, html) = session
        .post(
            &app,
            &sell,
            &[
                ("csrf_token", &session.csrf),
                ("seat", &public_seat),
                ("quoted_total", "59000"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"payment_method-error\">Vælg, hvordan køberen betaler: kontant, kort eller faktura."),
        "{html}"
    );
    assert!(
        html.contains("590,00 DKK"),
        "the basket is still priced: {html}"
    );

    // A basket whose total is not the one the clerk saw is shown again, not sold.
    let (status, html) = session
        .post(
            &app,
            &sell,
            &[
                ("csrf_token", &session.csrf),
                ("seat", &public_seat),
                ("quoted_total", "41000"),
                ("payment_method", "cash"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Kurven er ændret"), "{html}");
    let (_, orders) = app.get("/api/v1/orders", &org.token).await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was sold: {orders}"
    );

    // The basket's partial, as htmx asks for it, comes back whole (200) with its problems.
    let response = session
        .client
        .post(app.url(&basket))
        .header("hx-request", "true")
        .form(&[
            ("csrf_token", session.csrf.as_str()),
            ("seat", &friends_seat),
        ])
        .send()
        .await
        .expect("partial");
    assert_eq!(response.status().as_u16(), 200);
    let partial = response.text().await.unwrap_or_default();
    assert!(partial.starts_with("<div id=\"basket\""), "{partial}");
    assert!(partial.contains("id=\"line-0-error\""), "{partial}");
    app.finish().await;
}
