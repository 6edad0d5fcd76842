//! One price rule at every counter, over HTTP: what a campaign code covers in one order is
//! answered the same by the JSON storefront, the box office API and the storefront page — in the
//! quote before any payment, and as the refusal of the order.

use crate::checkout::{buyer, code_campaign, public, show, Show};
use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::Method;
use serde_json::{json, Value};

/// A campaign giving half price on the show to one code of `quantity` uses, with an optional
/// per-order limit.
async fn campaign_code(
    app: &TestApp,
    org: &TestOrg,
    show: &Show,
    code: &str,
    quantity: u32,
    max_tickets_per_order: Option<u32>,
) {
    code_campaign(
        app,
        org,
        &show.event,
        (code, quantity, json!({})),
        json!({"public_label": "Spring offer", "max_tickets_per_order": max_tickets_per_order,
               "effects": {"discount": {"kind": "percent", "percent": 50.0}}}),
    )
    .await;
}

/// The field and reason of a refusal, whether a conflict or invalid input.
fn refusal(body: &Value) -> (String, String) {
    let error = &body["error"];
    match error["details"]["fields"].get(0) {
        Some(field) => (
            field["field"].as_str().unwrap_or_default().to_string(),
            field["reason"].as_str().unwrap_or_default().to_string(),
        ),
        None => (
            error["details"]["field"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            error["message"].as_str().unwrap_or_default().to_string(),
        ),
    }
}

/// Asks for `quantity` standing tickets with `code` at every counter and checks each refuses the
/// order on the code with `reason` and `status`, quoting it first.
async fn refused_at_every_counter(
    app: &TestApp,
    org: &TestOrg,
    show: &Show,
    (code, quantity): (&str, u32),
    (status, reason): (u16, &str),
) {
    let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": quantity}], "codes": [code]});
    let expected = ("codes[0]".to_string(), reason.to_string());

    let (s, quote) = public(
        app,
        Method::POST,
        "/api/v1/storefront/royal/quote",
        Some(cart.clone()),
    )
    .await;
    assert_eq!(s, 200, "{quote}");
    assert_eq!(
        quote["problems"],
        json!([{"field": "codes[0]", "reason": reason}]),
        "storefront quote"
    );
    let (s, quote) = app
        .post("/api/v1/box-office/quote", &org.token, cart.clone())
        .await;
    assert_eq!(s, 200, "{quote}");
    assert_eq!(
        quote["problems"],
        json!([{"field": "codes[0]", "reason": reason}]),
        "box office quote"
    );

    let (s, body) = public(
        app,
        Method::POST,
        "/api/v1/storefront/royal/orders",
        Some(json!({"cart": cart, "buyer": buyer()})),
    )
    .await;
    assert_eq!(s.as_u16(), status, "storefront order: {body}");
    assert_eq!(refusal(&body), expected, "storefront order");
    let (s, body) = app
        .post(
            "/api/v1/box-office/orders",
            &org.token,
            json!({"cart": cart, "buyer": buyer(), "payment_method": "card"}),
        )
        .await;
    assert_eq!(s.as_u16(), status, "box office order: {body}");
    assert_eq!(refusal(&body), expected, "box office order");

    let quantity_field = format!("qty_{}", show.standing);
    let quantity_typed = quantity.to_string();
    let response = app
        .client
        .post(app.url(&format!("/shop/royal/events/{}", show.event)))
        .header("accept-language", "en")
        .form(&[
            (quantity_field.as_str(), quantity_typed.as_str()),
            ("codes", code),
            ("email", "buyer@example.com"),
        ])
        .send()
        .await
        .expect("sent");
    let page_status = response.status().as_u16();
    let html = response.text().await.unwrap_or_default();
    assert!(
        page_status == 409 || page_status == 422,
        "storefront page: {page_status}"
    );
    assert!(
        html.contains(reason),
        "the storefront page says why: {html}"
    );

    let (s, orders) = app.get("/api/v1/orders", &org.token).await;
    assert_eq!(s, 200, "{orders}");
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(0),
        "no counter placed an order"
    );
}

both_backends! {
    setup = spawn_app;

    async fn more_tickets_than_a_code_has_uses_left_are_refused_alike_at_every_counter(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        campaign_code(&app, &org, &show, "SPRING", 2, None).await;
        refused_at_every_counter(&app, &org, &show, ("SPRING", 3),
            (409, "code SPRING has 2 uses left; this order asks it for 3 tickets")).await;
        app.finish().await;
    }

    async fn more_tickets_than_a_codes_per_order_limit_are_refused_alike_at_every_counter(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        campaign_code(&app, &org, &show, "FAMILY", 100, Some(4)).await;
        refused_at_every_counter(&app, &org, &show, ("FAMILY", 5),
            (422, "code FAMILY covers at most 4 tickets in one order; this order asks it for 5")).await;
        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 4}], "codes": ["FAMILY"]});
        let (s, quote) = public(&app, Method::POST, "/api/v1/storefront/royal/quote", Some(cart)).await;
        assert_eq!(s, 200, "{quote}");
        assert_eq!(quote["total_minor"], 40_000, "four tickets at the code's price: {quote}");
        app.finish().await;
    }
}
