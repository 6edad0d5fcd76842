//! A storefront people trust, over HTTP: secret shops that sell only their own ticket types
//! (and answer "not found" once closed), orders that record their shop, a programme with
//! prices from and sold out marked, a typed code's discount shown on the event page, and the
//! organization's colour and logo on every shop page.

use crate::checkout::{buyer, code_campaign, public, show};
use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A client that does not follow redirects, to read where a posted form sends the buyer.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn html(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn created(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> String {
    let (s, made) = app.post(path, &org.token, body).await;
    assert_eq!(s, 201, "{made}");
    made["id"].as_str().unwrap_or_default().to_string()
}

/// The floor's id (the show's one general-admission area), read from the standing type.
async fn floor_of(app: &TestApp, org: &TestOrg, standing: &str) -> Value {
    let (s, standing) = app
        .get(&format!("/api/v1/ticket-types/{standing}"), &org.token)
        .await;
    assert_eq!(s, 200, "{standing}");
    standing["ga_area_id"].clone()
}

/// The `<li>` of one event in the programme.
fn listed<'h>(html: &'h str, event: &str) -> &'h str {
    let marker = format!("data-event=\"{event}\"");
    let start = html.find(&marker).expect("the event is listed");
    let end = html[start..]
        .find("</li>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// A 1×1 PNG (a real one: the shop serves back exactly what was stored).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn put_logo(
    app: &TestApp,
    org: &TestOrg,
    bytes: Vec<u8>,
    content_type: &str,
) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url("/api/v1/settings/branding/logo"))
        .bearer_auth(&org.token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A browser session of the organization's owner (the login form, as a browser posts it).
async fn owner_session(app: &TestApp, org: &TestOrg) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = client.get(app.url("/login")).send().await.expect("form");
    let csrf = hidden_csrf(&form.text().await.unwrap_or_default());
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", org.admin_email.as_str()),
            ("password", org.admin_password.as_str()),
        ])
        .send()
        .await
        .expect("login sent");
    assert_eq!(response.status(), 303, "logged in");
    client
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// Posts the branding form (CSRF token first, as the page sends it).
async fn post_branding(
    client: &reqwest::Client,
    app: &TestApp,
    color: &str,
    logo: Option<Vec<u8>>,
) -> (u16, String) {
    let page = client
        .get(app.url("/settings/branding"))
        .send()
        .await
        .expect("form");
    let csrf = hidden_csrf(&page.text().await.unwrap_or_default());
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("brand_color", color.to_string());
    if let Some(bytes) = logo {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("logo.png")
            .mime_str("image/png")
            .expect("mime");
        form = form.part("logo", part);
    }
    let response = client
        .post(app.url("/settings/branding"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

both_backends! {
    setup = spawn_app;

    async fn the_branding_page_refuses_a_bad_colour_or_a_big_logo_beside_its_field_and_saves_good_ones(app: TestApp) {
        let org = app.new_org("royal").await;
        let client = owner_session(&app, &org).await;
        let (s, page) = post_branding(&client, &app, "not a colour", None).await;
        assert_eq!(s, 422, "{page}");
        assert!(page.contains("id=\"brand_color-error\"") && page.contains("aria-invalid=\"true\""), "the colour's field says what is wrong: {page}");
        let mut big = PNG.to_vec();
        big.resize(300 * 1024, 0);
        let (s, page) = post_branding(&client, &app, "#ffeb3b", Some(big)).await;
        assert_eq!(s, 422, "{page}");
        assert!(page.contains("id=\"logo-error\"") && page.contains("256 KB"), "the logo's field says it is too big: {page}");
        let (s, page) = post_branding(&client, &app, "#FFEB3B", Some(PNG.to_vec())).await;
        assert_eq!(s, 303, "{page}");
        let (s, branding) = app.get("/api/v1/settings/branding", &org.token).await;
        assert_eq!(s, 200, "{branding}");
        assert_eq!((branding["brand_color"].as_str(), branding["text_color"].as_str()), (Some("#ffeb3b"), Some("#000000")), "black reads better on yellow: {branding}");
        assert_eq!(branding["logo_content_type"], "image/png", "{branding}");
        app.finish().await;
    }

    async fn a_secret_shops_ticket_types_are_on_its_page_and_on_no_other_and_a_closed_shop_is_not_found(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let floor = floor_of(&app, &org, &show.standing).await;
        let friends = created(&app, &org, "/api/v1/shops", json!({"name": "Friends of the house", "kind": "secret"})).await;
        let press = created(&app, &org, "/api/v1/shops", json!({"name": "Press", "kind": "secret"})).await;
        let types = format!("/api/v1/events/{}/ticket-types", show.event);
        created(&app, &org, &types, json!({"name": "Friend ticket", "price_minor": 10000, "ga_area_id": floor, "shop_id": friends})).await;
        created(&app, &org, &types, json!({"name": "Press pass", "price_minor": 0, "ga_area_id": floor, "shop_id": press})).await;

        let (s, page) = html(&app, &format!("/shop/royal/events/{}", show.event)).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("Seated") && !page.contains("Friend ticket") && !page.contains("Press pass"), "the public shop shows no secret type: {page}");
        let (s, view) = public(&app, Method::GET, &format!("/api/v1/storefront/royal/events/{}", show.event), None).await;
        assert_eq!(s, 200, "{view}");
        assert!(!view.to_string().contains("Friend ticket"), "nor does the JSON storefront: {view}");

        let (s, page) = html(&app, &format!("/shop/royal/s/{friends}")).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("Friends of the house") && page.contains(&format!("/shop/royal/s/{friends}/events/{}", show.event)), "the secret shop lists its event: {page}");
        let (s, page) = html(&app, &format!("/shop/royal/s/{friends}/events/{}", show.event)).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("Friend ticket"), "the shop's own type: {page}");
        assert!(!page.contains("Press pass") && !page.contains(&format!("data-ticket-type=\"{}\"", show.seated)), "no other shop's or public type: {page}");
        let (s, page) = html(&app, &format!("/shop/royal/s/{press}/events/{}", show.event)).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("Press pass") && !page.contains("Friend ticket"), "{page}");

        // Another organization's shop id, a malformed one and a closed shop: not found, in plain words.
        let other = app.new_org("other").await;
        let theirs = created(&app, &other, "/api/v1/shops", json!({"name": "Theirs", "kind": "secret"})).await;
        for path in [format!("/shop/royal/s/{theirs}"), "/shop/royal/s/nonsense".to_string()] {
            let (s, page) = html(&app, &path).await;
            assert_eq!(s, 404, "{path}: {page}");
            assert!(page.contains("We could not find this shop"), "{page}");
        }
        let (s, closed) = app.patch(&format!("/api/v1/shops/{friends}"), &org.token, json!({"open": false})).await;
        assert_eq!((s.as_u16(), closed["open"].as_bool()), (200, Some(false)), "{closed}");
        for path in [format!("/shop/royal/s/{friends}"), format!("/shop/royal/s/{friends}/events/{}", show.event)] {
            let (s, page) = html(&app, &path).await;
            assert_eq!(s, 404, "{path}: {page}");
            assert!(page.contains("We could not find this shop") && !page.contains("Friend ticket"), "{page}");
        }
        app.finish().await;
    }

    async fn an_order_placed_in_a_secret_shop_records_the_shop_and_its_types_sell_only_there(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let floor = floor_of(&app, &org, &show.standing).await;
        let friends = created(&app, &org, "/api/v1/shops", json!({"name": "Friends of the house", "kind": "secret"})).await;
        let friend = created(&app, &org, &format!("/api/v1/events/{}/ticket-types", show.event),
            json!({"name": "Friend ticket", "price_minor": 10000, "ga_area_id": floor, "shop_id": friends})).await;
        let client = no_redirects();
        let order_form = |ticket_type: &str| {
            vec![
                (format!("qty_{ticket_type}"), "2".to_string()),
                ("email".to_string(), "karen@example.dk".to_string()),
                ("first_name".to_string(), "Karen".to_string()),
            ]
        };

        let placed = client.post(app.url(&format!("/shop/royal/s/{friends}/events/{}", show.event)))
            .form(&order_form(&friend)).send().await.expect("sent");
        assert_eq!(placed.status(), 303, "{}", placed.text().await.unwrap_or_default());
        let location = placed.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
        let id = location.rsplit('/').next().unwrap_or_default().to_string();
        assert!(location.starts_with("/shop/royal/orders/") && !id.is_empty(), "{location}");
        let (s, order) = app.get(&format!("/api/v1/checkout/orders/{id}"), &org.token).await;
        assert_eq!(s, 200, "{order}");
        assert_eq!(order["shop_id"], json!(friends), "{order}");
        assert_eq!(order["total_minor"], 20000, "{order}");

        // The shop's type is not on sale in the public shop; the public types not in the shop.
        let refused = client.post(app.url(&format!("/shop/royal/events/{}", show.event)))
            .form(&order_form(&friend)).send().await.expect("sent");
        assert_eq!(refused.status(), 422);
        let refused = client.post(app.url(&format!("/shop/royal/s/{friends}/events/{}", show.event)))
            .form(&order_form(&show.standing)).send().await.expect("sent");
        assert_eq!(refused.status(), 422);
        let text = refused.text().await.unwrap_or_default();
        assert!(text.contains("id=\"shop-error\""), "{text}");

        // An order in the public shop records no shop.
        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]});
        let (s, public_order) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{public_order}");
        assert_eq!(public_order["shop_id"], Value::Null, "{public_order}");
        app.finish().await;
    }

    async fn the_programme_shows_each_events_price_from_and_marks_sold_out(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let (_, event) = app.get(&format!("/api/v1/events/{}", show.event), &org.token).await;
        let last = created(&app, &org, "/api/v1/events", json!({"production_id": event["production_id"], "venue_id": event["venue_id"],
            "name": "Last night", "starts_at": "2031-02-01T19:30:00Z"})).await;
        let floor = floor_of(&app, &org, &show.standing).await;
        let only = created(&app, &org, &format!("/api/v1/events/{last}/ticket-types"),
            json!({"name": "Last place", "price_minor": 15000, "ga_area_id": floor, "capacity": 1})).await;

        let (s, page) = html(&app, "/shop/royal").await;
        assert_eq!(s, 200, "{page}");
        let first = listed(&page, &show.event);
        assert!(first.contains("data-price-from=\"20000\"") && first.contains("from "), "the standing price is the lowest open one (the hidden VIP type does not count): {first}");
        assert!(!first.contains("data-sold-out"), "{first}");
        let second = listed(&page, &last);
        assert!(second.contains("data-price-from=\"15000\""), "{second}");

        let cart = json!({"event_id": last, "items": [{"ticket_type_id": only, "quantity": 1}]});
        let (s, order) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{order}");
        let (_, page) = html(&app, "/shop/royal").await;
        let second = listed(&page, &last);
        assert!(second.contains("data-sold-out=\"true\"") && second.contains("Sold out") && !second.contains("data-price-from"), "{second}");
        assert!(!listed(&page, &show.event).contains("data-sold-out"), "the other event still sells: {page}");

        // Every seat of category A sold, and the floor: the seated type no longer counts, VIP is
        // hidden, so the event is sold out.
        let seats: Vec<Value> = show.seats.iter().take(40).map(|s| json!({"seat_id": s})).collect();
        let carts = [
            json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": seats}]}),
            json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 50}]}),
            json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 50}]}),
        ];
        for cart in carts {
            let (_, page) = html(&app, "/shop/royal").await;
            assert!(!listed(&page, &show.event).contains("data-sold-out"), "not sold out before the last sale: {page}");
            let (s, order) = app.post("/api/v1/box-office/orders", &org.token, json!({"cart": cart, "payment_method": "cash"})).await;
            assert_eq!(s, 201, "{order}");
        }
        let (_, page) = html(&app, "/shop/royal").await;
        assert!(listed(&page, &show.event).contains("data-sold-out=\"true\""), "{page}");
        app.finish().await;
    }

    async fn a_typed_code_shows_the_discounted_price_and_names_the_discount_on_the_event_page(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        code_campaign(&app, &org, &show.event, ("FRIEND20", 10, json!({})),
            json!({"public_label": "Friends of the house", "effects": {"discount": {"kind": "percent", "percent": 20.0}}})).await;

        let (s, page) = html(&app, &format!("/shop/royal/events/{}", show.event)).await;
        assert_eq!(s, 200);
        assert!(!page.contains("list-price") && !page.contains("Friends of the house"), "no discount without the code: {page}");

        let (s, page) = html(&app, &format!("/shop/royal/events/{}?codes=FRIEND20", show.event)).await;
        assert_eq!(s, 200, "{page}");
        let seated_at = page.find(&format!("data-ticket-type=\"{}\"", show.seated)).expect("the seated type");
        let line = &page[seated_at..seated_at + page[seated_at..].find("</li>").unwrap_or(0)];
        assert!(line.contains("data-discounted=\"true\"") && line.contains("class=\"list-price\"") && line.contains("300.00") && line.contains("240.00"), "list price struck, the discounted one shown: {line}");
        assert!(line.contains("20 % off — Friends of the house"), "the discount named: {line}");
        assert!(page.contains("data-price=\"24000\""), "seats carry the discounted price for the basket: {page}");
        assert!(page.contains("240.00 DKK (20 % off — Friends of the house)"), "a seat's title names its discounted price: {page}");

        // The order is charged what the page said.
        let form = vec![
            ("codes".to_string(), "FRIEND20".to_string()),
            ("seat".to_string(), format!("{}:{}", show.seated, show.seats[0])),
            ("email".to_string(), "karen@example.dk".to_string()),
        ];
        let placed = no_redirects().post(app.url(&format!("/shop/royal/events/{}", show.event))).form(&form).send().await.expect("sent");
        assert_eq!(placed.status(), 303);
        let location = placed.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
        let id = location.rsplit('/').next().unwrap_or_default();
        let (_, order) = app.get(&format!("/api/v1/checkout/orders/{id}"), &org.token).await;
        assert_eq!(order["total_minor"], 24000, "{order}");
        let (s, page) = html(&app, &location).await;
        assert_eq!(s, 200, "{page}");
        let list = page.find("id=\"order-list-total\"").expect("the list prices are itemized");
        let discount = page.find("id=\"order-discount\"").expect("the discount is itemized");
        let total = page.find("id=\"order-total\"").expect("the total");
        assert!(list < discount && discount < total, "list prices, discount, total: {page}");
        assert!(page[list..total].contains("300.00") && page[discount..total].contains("Friends of the house") && page[discount..total].contains("60.00"), "{page}");
        app.finish().await;
    }

    async fn the_organizations_colour_and_logo_are_on_every_shop_page_and_bad_ones_are_refused(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let t = &org.token;
        let (s, body) = app.call(Method::PUT, "/api/v1/settings/branding", t, Some(json!({"brand_color": "red"}))).await;
        assert!(assert_error(s, &body, 422, "validation").contains("brand_color"), "{body}");
        let (s, branding) = app.call(Method::PUT, "/api/v1/settings/branding", t, Some(json!({"brand_color": "#7A1F3D"}))).await;
        assert_eq!(s, 200, "{branding}");
        assert_eq!((branding["brand_color"].as_str(), branding["text_color"].as_str()), (Some("#7a1f3d"), Some("#ffffff")), "white reads better on a dark red");

        let mut big = PNG.to_vec();
        big.resize(300 * 1024, 0);
        let (s, body) = put_logo(&app, &org, big, "image/png").await;
        assert!(assert_error(s, &body, 422, "validation").contains("logo"), "{body}");
        let (s, body) = put_logo(&app, &org, b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(), "image/svg+xml").await;
        assert!(assert_error(s, &body, 422, "validation").contains("logo"), "{body}");
        let (s, branding) = put_logo(&app, &org, PNG.to_vec(), "image/png").await;
        assert_eq!(s, 200, "{branding}");
        let logo_url = branding["logo_url"].as_str().unwrap_or_default().to_string();
        assert!(logo_url.starts_with("/shop/royal/logo?v="), "{branding}");

        let logo = app.client.get(app.url(&logo_url)).send().await.expect("sent");
        assert_eq!(logo.status(), 200);
        assert_eq!(logo.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
        assert!(logo.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().starts_with("public"));
        assert_eq!(logo.bytes().await.map(|b| b.to_vec()).unwrap_or_default(), PNG.to_vec());

        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]});
        let (s, order) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{order}");
        let order_page = format!("/shop/royal/orders/{}", order["id"].as_str().unwrap_or_default());
        let mut css_url = String::new();
        for path in ["/shop/royal".to_string(), format!("/shop/royal/events/{}", show.event), order_page] {
            let (s, page) = html(&app, &path).await;
            assert_eq!(s, 200, "{path}: {page}");
            assert!(page.contains(&format!("src=\"{logo_url}\"")) && page.contains("id=\"shop-name\">Org royal<"), "{path}: logo and name in the header: {page}");
            let at = page.find("/shop/royal/brand.css?v=").expect("the brand stylesheet is linked");
            css_url = page[at..].split('"').next().unwrap_or_default().to_string();
        }
        let css = app.client.get(app.url(&css_url)).send().await.expect("sent").text().await.unwrap_or_default();
        assert!(css.contains("--brand:#7a1f3d") && css.contains("--brand-text:#ffffff"), "{css}");
        app.finish().await;
    }
}
