//! Checkout over HTTP: the public storefront (event, code check, order, test payment), the box
//! office, throttled code guessing, and shops that stay apart.

use std::collections::HashSet;

use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// An event with 50 seats (40 of category A, 10 VIP), a GA area, a public seated type, a hidden
/// VIP type and a standing type, made through the API.
pub(crate) struct Show {
    pub event: String,
    pub seats: Vec<String>,
    pub seated: String,
    pub vip: String,
    pub standing: String,
}

pub(crate) async fn show(app: &TestApp, org: &TestOrg) -> Show {
    let t = &org.token;
    let (s, production) = app
        .post("/api/v1/productions", t, json!({"name": "Hamlet"}))
        .await;
    assert_eq!(s, 201, "{production}");
    let (s, venue) = app
        .post("/api/v1/venues", t, json!({"name": "Main Stage"}))
        .await;
    assert_eq!(s, 201, "{venue}");
    let seats: Vec<Value> = (1..=50)
        .map(|n| json!({"label": n.to_string(), "category": if n <= 40 { "A" } else { "VIP" }}))
        .collect();
    let map_body = json!({
        "sections": [{"name": "Parterre", "groups": [{"name": "Centre", "rows": [{"name": "A", "seats": seats}]}]}],
        "ga_areas": [{"name": "Floor", "capacity": 100}]
    });
    let (s, map) = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/venues/{}/seat-map",
                venue["id"].as_str().unwrap_or_default()
            ),
            t,
            Some(map_body),
        )
        .await;
    assert_eq!(s, 200, "{map}");
    let seat_ids: Vec<String> = map["sections"][0]["groups"][0]["rows"][0]["seats"]
        .as_array()
        .map(|seats| {
            seats
                .iter()
                .filter_map(|s| s["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(seat_ids.len(), 50);
    let (s, event) = app
        .post("/api/v1/events", t, json!({"production_id": production["id"], "venue_id": venue["id"], "starts_at": "2031-01-01T19:30:00Z"}))
        .await;
    assert_eq!(s, 201, "{event}");
    let event_id = event["id"].as_str().unwrap_or_default().to_string();
    let ticket_type = |body: Value| {
        let path = format!("/api/v1/events/{event_id}/ticket-types");
        async move {
            let (s, created) = app.post(&path, t, body).await;
            assert_eq!(s, 201, "{created}");
            created["id"].as_str().unwrap_or_default().to_string()
        }
    };
    let seated =
        ticket_type(json!({"name": "Seated", "category": "A", "price_minor": 30000})).await;
    let vip = ticket_type(
        json!({"name": "VIP", "category": "VIP", "price_minor": 50000, "hidden": true}),
    )
    .await;
    let standing = ticket_type(
        json!({"name": "Standing", "price_minor": 20000, "ga_area_id": map["ga_areas"][0]["id"]}),
    )
    .await;
    Show {
        event: event_id,
        seats: seat_ids,
        seated,
        vip,
        standing,
    }
}

/// Sends a request without a token (the storefront is public).
pub(crate) async fn public(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn buyer() -> Value {
    json!({"email": "karen@example.dk", "first_name": "Karen", "last_name": "Blixen"})
}

/// An audience of one member holding `code` for `quantity` uses (with `member`'s other fields,
/// e.g. a category), and a campaign on `event` with `campaign`'s fields (name, effects, limits);
/// returns the campaign's id. Every test that needs a real campaign code makes it here.
pub(crate) async fn code_campaign(
    app: &TestApp,
    org: &TestOrg,
    event: &str,
    (code, quantity, member): (&str, u32, Value),
    campaign: Value,
) -> String {
    let t = &org.token;
    let (s, audience) = app
        .post(
            "/api/v1/audiences",
            t,
            json!({"name": format!("Holders of {code}")}),
        )
        .await;
    assert_eq!(s, 201, "{audience}");
    let audience_id = audience["id"].as_str().unwrap_or_default().to_string();
    let mut member_body = json!({"code": code, "quantity": quantity});
    if let (Some(body), Some(extra)) = (member_body.as_object_mut(), member.as_object()) {
        body.extend(extra.clone());
    }
    let (s, created) = app
        .post(
            &format!("/api/v1/audiences/{audience_id}/members"),
            t,
            member_body,
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let mut campaign_body = json!({"name": format!("Campaign {code}"), "audience_ids": [audience_id], "event_ids": [event]});
    if let (Some(body), Some(extra)) = (campaign_body.as_object_mut(), campaign.as_object()) {
        body.extend(extra.clone());
    }
    let (s, created) = app.post("/api/v1/campaigns", t, campaign_body).await;
    assert_eq!(s, 201, "{created}");
    created["id"].as_str().unwrap_or_default().to_string()
}

/// A campaign code that unlocks `category` of the show's event for `uses` tickets.
pub(crate) async fn category_code(
    app: &TestApp,
    org: &TestOrg,
    event: &str,
    category: &str,
    code: &str,
    uses: u32,
) {
    code_campaign(
        app,
        org,
        event,
        (code, uses, json!({"category": category})),
        json!({"public_label": category, "effects": {"unlock_member_category": true}}),
    )
    .await;
}

both_backends! {
    setup = spawn_app;

    async fn a_buyer_picks_a_seat_pays_with_the_test_provider_and_sees_the_order(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let (s, view) = public(&app, Method::GET, &format!("/api/v1/storefront/royal/events/{}", show.event), None).await;
        assert_eq!(s, 200, "{view}");
        assert_eq!(view["test_payments"], true);
        let names: Vec<&str> = view["ticket_types"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
        assert!(names.contains(&"Seated") && !names.contains(&"VIP"), "hidden types stay hidden: {names:?}");
        assert_eq!(view["seats"].as_array().map(Vec::len), Some(50));

        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[4]}]}, {"ticket_type_id": show.standing, "quantity": 2}]});
        let (s, quote) = public(&app, Method::POST, "/api/v1/storefront/royal/quote", Some(cart.clone())).await;
        assert_eq!(s, 200, "{quote}");
        assert_eq!(quote["total_minor"], 70000);
        assert_eq!(quote["problems"], json!([]));

        let (s, order) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{order}");
        assert_eq!(order["status"], "awaiting_payment");
        assert_eq!(order["order"]["channel"], "online");
        assert_eq!(order["order"]["tickets"][0]["barcode"], "", "no barcode before payment");
        let id = order["id"].as_str().unwrap_or_default().to_string();

        let (s, again) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[4]}]}]}, "buyer": buyer()}))).await;
        assert_error(s, &again, 409, "conflict");

        let (s, declined) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/orders/{id}/pay"), Some(json!({"token": "decline"}))).await;
        assert_error(s, &declined, 422, "validation");
        let (s, paid) = public(&app, Method::POST, &format!("/api/v1/storefront/royal/orders/{id}/pay"), Some(json!({}))).await;
        assert_eq!(s, 200, "{paid}");
        assert_eq!(paid["status"], "paid");
        assert_eq!(paid["test_payment"], true);
        assert!(paid["order"]["tickets"][0]["barcode"].as_str().is_some_and(|b| b.len() == 16), "{paid}");
        let (s, seen) = app.get(&format!("/api/v1/checkout/orders/{id}"), &org.token).await;
        assert_eq!(s, 200, "{seen}");
        assert_eq!(seen["status"], "paid");
        assert_eq!(seen["order"]["tickets"].as_array().map(Vec::len), Some(3));
        app.finish().await;
    }

    async fn the_shop_pages_list_events_and_answer_a_wrong_code_in_the_visitors_language(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let page = |path: String, language: &'static str| {
            let request = app.client.get(app.url(&path)).header("accept-language", language);
            async move {
                let response = request.send().await.expect("sent");
                (response.status().as_u16(), response.text().await.unwrap_or_default())
            }
        };
        let (status, html) = page("/shop/royal".into(), "en").await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("/shop/royal/events/{}", show.event)), "{html}");
        let (status, html) = page(format!("/shop/royal/events/{}?codes=NOPE", show.event), "da").await;
        assert_eq!(status, 200);
        assert!(html.contains("denne kode låser ikke noget op"), "{html}");
        assert!(html.contains("TESTBETALINGER"), "the test provider is labelled");
        let (status, _) = page("/shop/no-such-shop".into(), "fr").await;
        assert_eq!(status, 404);
        app.finish().await;
    }

    async fn a_storefront_quantity_that_is_not_a_number_is_refused_beside_its_field(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let field = format!("qty_{}", show.standing);
        let response = app
            .client
            .post(app.url(&format!("/shop/royal/events/{}", show.event)))
            .header("accept-language", "en")
            .form(&[(field.as_str(), "two"), ("email", "buyer@example.com")])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 422);
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains(&format!("id=\"{field}-error\"")), "{html}");
        assert!(html.contains("Enter a whole number"), "{html}");
        let (s, orders) = app.get("/api/v1/orders", &org.token).await;
        assert_eq!(s, 200, "{orders}");
        assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "no order was placed");
        app.finish().await;
    }

    async fn a_code_guessing_loop_is_throttled(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let path = format!("/api/v1/storefront/royal/events/{}/code-check", show.event);
        let mut throttled = None;
        for attempt in 0..100 {
            let (s, body) = public(&app, Method::POST, &path, Some(json!({"code": format!("GUESS{attempt}")}))).await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                throttled = Some((attempt, body));
                break;
            }
            assert_eq!(s, 200, "{body}");
            assert_eq!(body["status"], "unknown");
            assert_eq!(body["message"], "this code does not unlock anything for this event");
        }
        let (attempt, body) = throttled.expect("the guessing loop was never throttled");
        assert!(attempt <= 60, "throttled only after {attempt} guesses");
        assert_error(StatusCode::TOO_MANY_REQUESTS, &body, 429, "rate_limited");
        // Codes in a quote spend the same budget: no way around the limit.
        let cart = json!({"event_id": show.event, "items": [], "codes": ["GUESS-Q"]});
        let (s, body) = public(&app, Method::POST, "/api/v1/storefront/royal/quote", Some(cart)).await;
        assert_error(s, &body, 429, "rate_limited");
        app.finish().await;
    }

    async fn five_hundred_storefront_buyers_for_fifty_seats_get_fifty_orders(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        // The VIP seats are sold at the box office, with the code that unlocks them.
        category_code(&app, &org, &show.event, "VIP", "VIP-DESK", 100).await;
        let requests = (0..500).map(|i| {
            let seat = show.seats[i % 50].clone();
            let (path, token, body) = if i % 50 < 40 {
                ("/api/v1/storefront/royal/orders", None, json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": seat}]}]}, "buyer": buyer()}))
            } else {
                ("/api/v1/box-office/orders", Some(org.token.clone()), json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.vip, "seats": [{"seat_id": seat}]}], "codes": ["VIP-DESK"]}, "payment_method": "cash"}))
            };
            let app = &app;
            async move {
                let mut request = app.client.post(app.url(path)).json(&body);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.expect("sent");
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        });
        let results = futures::future::join_all(requests).await;
        let mut seats = Vec::new();
        for (status, body) in &results {
            match status.as_u16() {
                201 => seats.extend(body["order"]["tickets"].as_array().into_iter().flatten().filter_map(|t| t["seat"]["id"].as_str().map(str::to_string))),
                409 => assert_eq!(body["error"]["code"], "conflict"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        let distinct: HashSet<&String> = seats.iter().collect();
        assert_eq!(seats.len(), 50, "exactly 50 orders of one seat");
        assert_eq!(distinct.len(), 50, "no seat sold twice");
        app.finish().await;
    }

    async fn the_box_office_sells_hidden_seats_only_with_their_code_and_cancels_them(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let (s, view) = app.get(&format!("/api/v1/box-office/events/{}", show.event), &org.token).await;
        assert_eq!(s, 200, "{view}");
        assert!(view["ticket_types"].as_array().into_iter().flatten().all(|t| t["name"] != "VIP"), "a hidden type needs its code at the box office too: {view}");
        let without = json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.vip, "seats": [{"seat_id": show.seats[44]}]}]}, "buyer": buyer(), "payment_method": "card"});
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, without).await;
        assert_error(s, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "items[0].ticket_type_id", "{body}");

        category_code(&app, &org, &show.event, "VIP", "VIP-DESK", 5).await;
        let (s, view) = app.get(&format!("/api/v1/box-office/events/{}?codes=VIP-DESK", show.event), &org.token).await;
        assert_eq!(s, 200, "{view}");
        let vip = view["ticket_types"].as_array().into_iter().flatten().find(|t| t["name"] == "VIP").cloned().unwrap_or_default();
        assert_eq!(vip["unlocked_by"], "VIP-DESK", "the code shows the hidden type at the box office: {view}");
        let sale = json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.vip, "seats": [{"seat_id": show.seats[44]}]}], "codes": ["VIP-DESK"]}, "buyer": buyer(), "payment_method": "card"});
        let (s, order) = app.post("/api/v1/box-office/orders", &org.token, sale.clone()).await;
        assert_eq!(s, 201, "{order}");
        assert_eq!(order["status"], "paid");
        assert_eq!(order["channel"], "box_office");
        assert_eq!(order["payment_provider"], "box_office");
        assert_eq!(order["payment_method"], "card");
        assert_eq!(order["total_minor"], 50000);
        assert!(order["order"]["customer_id"].is_string(), "the buyer became a customer");
        let id = order["id"].as_str().unwrap_or_default().to_string();
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, sale.clone()).await;
        assert_error(s, &body, 409, "conflict");
        let (s, cancelled) = app.post(&format!("/api/v1/checkout/orders/{id}/cancel"), &org.token, json!({})).await;
        assert_eq!(s, 200, "{cancelled}");
        assert_eq!(cancelled["status"], "refunded", "paid at the counter, so its money goes back");
        assert_eq!(cancelled["payment_method"], "card", "a refunded sale keeps how it was paid");
        let (s, again) = app.post("/api/v1/box-office/orders", &org.token, sale).await;
        assert_eq!(s, 201, "the seat is on sale again: {again}");
        // The storefront does not show box-office orders.
        let (s, body) = public(&app, Method::GET, &format!("/api/v1/storefront/royal/orders/{id}"), None).await;
        assert_error(s, &body, 404, "not_found");
        app.finish().await;
    }

    async fn a_counter_sale_needs_its_payment_method_and_the_order_shows_it(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let cart = |seat: usize| json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[seat]}]}]});
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart(0)})).await;
        assert_error(s, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "payment_method", "{body}");
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart(0), "payment_method": "cheque"})).await;
        assert_error(s, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "payment_method", "an unknown method is refused: {body}");
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart(0), "paid_at_counter": false, "payment_method": "cash"})).await;
        assert_error(s, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "payment_method", "a held order was not paid at the counter: {body}");
        let (s, orders) = app.get("/api/v1/orders", &org.token).await;
        assert_eq!(s, 200, "{orders}");
        assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "nothing was sold");

        for (seat, method) in [(1, "cash"), (2, "card"), (3, "invoice")] {
            let (s, order) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart(seat), "payment_method": method})).await;
            assert_eq!(s, 201, "{order}");
            assert_eq!(order["payment_method"], method);
            assert_eq!(order["total_minor"], 30000);
            let (s, seen) = app.get(&format!("/api/v1/checkout/orders/{}", order["id"].as_str().unwrap_or_default()), &org.token).await;
            assert_eq!(s, 200, "{seen}");
            assert_eq!(seen["payment_method"], method, "stored and read back");
        }
        let (s, held) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart(4), "paid_at_counter": false})).await;
        assert_eq!(s, 201, "{held}");
        assert_eq!(held["status"], "awaiting_payment");
        assert!(held["payment_method"].is_null(), "{held}");
        let (s, online) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart(5), "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{online}");
        assert!(online["payment_method"].is_null(), "online orders have no counter payment method: {online}");
        app.finish().await;
    }

    async fn one_shop_never_reaches_another_organizations_event(app: TestApp) {
        let a = app.new_org("royal").await;
        let _b = app.new_org("rival").await;
        let show = show(&app, &a).await;
        let (s, body) = public(&app, Method::GET, &format!("/api/v1/storefront/rival/events/{}", show.event), None).await;
        assert_error(s, &body, 404, "not_found");
        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]});
        let (s, body) = public(&app, Method::POST, "/api/v1/storefront/rival/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_error(s, &body, 404, "not_found");
        let (s, body) = public(&app, Method::GET, &format!("/api/v1/storefront/no-such-shop/events/{}", show.event), None).await;
        assert_error(s, &body, 404, "not_found");
        let (s, body) = public(&app, Method::POST, "/api/v1/storefront/royal/quote", Some(json!({"event_id": show.event, "items": [], "customer_id": "cus_01JD8Q3W6M4Z1T0R5Y7X2B9C4E"}))).await;
        assert_error(s, &body, 422, "validation");
        app.finish().await;
    }
}

/// The storefront and the box office in a real browser (Debian's headless Chromium through
/// chromedriver, see `chromium.rs`; SQLite is enough, the API tests cover both
/// backends). Skips loudly without Chromium, except under `CI=true`.
mod in_browser {
    use fullhouse_core::Backend;
    use serde_json::json;

    use super::show;
    use crate::chromium::Browser;
    use crate::common::TestApp;

    #[tokio::test]
    async fn a_buyer_clicks_a_seat_pays_with_the_test_provider_and_sees_the_confirmation() {
        let Some(browser) = Browser::start().await else {
            return;
        };
        let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        browser
            .goto(&app, &format!("/shop/royal/events/{}", show.event))
            .await;
        assert!(browser.text("#test-banner").await.contains("TEST PAYMENTS"));
        let seat = format!("label.seat:has(input[value$='{}'])", show.seats[4]);
        browser.click(&seat).await;
        browser.type_into("#email", "karen@example.dk").await;
        browser.click("#to-payment").await;
        assert!(browser.text("#order-total").await.contains("300.00"));
        assert!(browser.text("#test-banner").await.contains("TEST PAYMENTS"));
        browser.click("#pay").await;
        let confirmation = browser.text("#confirmation").await;
        assert!(confirmation.contains("confirmed"), "{confirmation}");

        // The seat is sold now: the picker shows it so.
        browser
            .goto(&app, &format!("/shop/royal/events/{}", show.event))
            .await;
        let state = browser
            .find(&seat)
            .await
            .attr("data-state")
            .await
            .expect("attr");
        assert_eq!(state.as_deref(), Some("sold"));
        browser.finish().await;
        app.finish().await;
    }

    #[tokio::test]
    async fn a_buyer_types_a_code_a_hidden_category_appears_and_the_report_shows_the_use() {
        let Some(browser) = Browser::start().await else {
            return;
        };
        let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let t = &org.token;
        let campaign_id = super::code_campaign(
            &app,
            &org,
            &show.event,
            ("PATRON-7", 1, json!({"category": "VIP"})),
            json!({"name": "Patrons' VIP", "public_label": "Patrons' VIP seats", "effects": {"unlock_member_category": true}}),
        )
        .await;

        browser
            .goto(&app, &format!("/shop/royal/events/{}", show.event))
            .await;
        let before = browser.text("#ticket-types").await;
        assert!(!before.contains("VIP"), "{before}");
        browser.type_into("#codes", "PATRON-7").await;
        browser.click("#apply-code").await;
        let types = browser
            .wait_text("#ticket-types", |t| t.contains("VIP"))
            .await;
        assert!(
            types.contains("VIP"),
            "the code reveals the hidden category: {types}"
        );
        let vip_seat = format!("label.seat:has(input[value$='{}'])", show.seats[41]);
        browser.click(&vip_seat).await;
        browser.type_into("#email", "karen@example.dk").await;
        browser.click("#to-payment").await;
        assert!(browser.text("#order-total").await.contains("500.00"));
        browser.click("#pay").await;
        assert!(browser.text("#confirmation").await.contains("confirmed"));

        let (s, report) = app
            .get(&format!("/api/v1/campaigns/{campaign_id}/report"), t)
            .await;
        assert_eq!(s, 200, "{report}");
        assert_eq!(report["uses"], 1, "{report}");
        assert_eq!(report["paid_uses"], 1, "the order was paid: {report}");
        assert_eq!(report["codes"][0]["code"], "PATRON-7", "{report}");
        browser.finish().await;
        app.finish().await;
    }
}
