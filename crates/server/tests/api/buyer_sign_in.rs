//! Buyers sign in to one shop by a one-time link mailed to them (loopback SMTP), and only then
//! do loyalty prices and codes bound to a customer work online; links are single use and short
//! lived, asking for them is throttled and never tells whether an address is known, the buyer's
//! cookie opens nothing of the organizer's, My tickets shows the buyer's own orders, and a
//! sign-in in the middle of a purchase keeps the basket without ever redirecting elsewhere.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::checkout::{code_campaign, public, show};
use crate::common::*;
use crate::mail::{deliver, use_smtp};
use chrono::Utc;
use fullhouse_checkout::buyers::store::buyer_sign_in_links;
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

/// One buyer's browser: its own cookies, from its own loopback address (`127.0.0.<n>`), showing
/// redirects rather than following them.
fn browser(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) async fn customer(app: &TestApp, org: &TestOrg, email: &str) -> String {
    let (s, body) = app
        .post(
            "/api/v1/customers",
            &org.token,
            json!({"first_name": "Ida", "email": email}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_string()
}

/// Asks for a sign-in link at the shop `royal`; the status and the page.
async fn ask(
    client: &reqwest::Client,
    app: &TestApp,
    email: &str,
    return_to: &str,
) -> (u16, String) {
    let mut form = vec![("email", email)];
    if !return_to.is_empty() {
        form.push(("return_to", return_to));
    }
    let response = client
        .post(app.url("/shop/royal/sign-in"))
        .header("accept-language", "en")
        .form(&form)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The sign-in link of the newest message to `email` (the server's address, then the path),
/// once `count` messages have reached the SMTP server.
pub(crate) async fn mailed_link(
    app: &TestApp,
    smtp: &SmtpServer,
    email: &str,
    count: usize,
) -> String {
    deliver(app).await;
    let messages = smtp.wait_for(count, Duration::from_secs(10));
    let message = messages
        .iter()
        .rev()
        .find(|m| header_value(m, "To").unwrap_or_default().contains(email))
        .unwrap_or_else(|| panic!("no mail to {email}: {messages:#?}"));
    assert!(
        header_value(message, "Subject")
            .unwrap_or_default()
            .contains("Sign in to Org royal"),
        "{message}"
    );
    // The HTML part's link (the text part wraps long lines).
    let html = message
        .split("Content-Type: text/html")
        .nth(1)
        .unwrap_or_else(|| panic!("no HTML part: {message}"));
    let body = quoted_printable(html)
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/");
    let path = "/shop/royal/sign-in/fhl_";
    let start = body
        .find(path)
        .unwrap_or_else(|| panic!("no link in {body}"));
    let link: String = body[start..].chars().take(path.len() + 64).collect();
    assert!(
        body[..start].ends_with(&app.base),
        "the link is on the server's address: {body}"
    );
    format!("{}{link}", app.base)
}

/// A message as read: quoted-printable soft line breaks joined and `=XX` bytes decoded.
pub(crate) fn quoted_printable(message: &str) -> String {
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(*b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Signs `client` in as `email` by the mailed link (the `count`-th message); the address the
/// link's button sends the buyer to, and the session token of the cookie it sets.
async fn sign_in(
    app: &TestApp,
    smtp: &SmtpServer,
    client: &reqwest::Client,
    email: &str,
    count: usize,
) -> (String, String) {
    let (s, _) = ask(client, app, email, "").await;
    assert_eq!(s, 200);
    let link = mailed_link(app, smtp, email, count).await;
    // A mail scanner's fetch shows the button and spends nothing.
    for _ in 0..2 {
        let page = client.get(&link).send().await.expect("sent");
        assert_eq!(
            page.status().as_u16(),
            200,
            "{link}: {:#?}",
            smtp.messages()
        );
        assert!(page
            .text()
            .await
            .unwrap_or_default()
            .contains("id=\"use-link\""));
    }
    let used = client.post(&link).send().await.expect("sent");
    assert_eq!(used.status().as_u16(), 303);
    let location = used
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let cookie = used
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fullhouse_buyer="))
        .unwrap_or_default()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie
        .trim_start_matches("fullhouse_buyer=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(token.starts_with("fhb_"), "{cookie}");
    (location, token)
}

async fn json_call(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = client
        .request(method, app.url(path))
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Orders one standing ticket on the event page; the new order's id.
async fn order_on_page(
    client: &reqwest::Client,
    app: &TestApp,
    event: &str,
    standing: &str,
    email: &str,
    codes: &str,
) -> String {
    let response = client
        .post(app.url(&format!("/shop/royal/events/{event}")))
        .form(&[
            (format!("qty_{standing}"), "1"),
            ("email".to_string(), email),
            ("codes".to_string(), codes),
        ])
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(status, 303, "{}", response.text().await.unwrap_or_default());
    location.rsplit('/').next().unwrap_or_default().to_string()
}

/// The loyalty campaign "Friends of the house": 25 % off for the customer `email`, no code.
pub(crate) async fn loyalty(app: &TestApp, org: &TestOrg, event: &str, email: &str) {
    code_campaign(
        app,
        org,
        event,
        ("LOYAL-1", 100, json!({"customer": email})),
        json!({"public_label": "Friends of the house", "effects": {"loyalty": true, "discount": {"kind": "percent", "percent": 25}}}),
    )
    .await;
}

both_backends! {
    setup = spawn_app;

    async fn a_loyalty_member_signed_in_by_the_mailed_link_gets_the_loyalty_price_online_and_a_non_member_does_not(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        let member = customer(&app, &org, "loyal@example.dk").await;
        customer(&app, &org, "other@example.dk").await;
        loyalty(&app, &org, &show.event, "loyal@example.dk").await;
        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]});

        // Signed out, typing the member's address proves nothing.
        let stranger = browser(2);
        let (s, quote) = json_call(&stranger, &app, Method::POST, "/api/v1/storefront/royal/quote", cart.clone()).await;
        assert_eq!((s, quote["total_minor"].clone()), (200, json!(20000)), "{quote}");
        let typed = order_on_page(&stranger, &app, &show.event, &show.standing, "loyal@example.dk", "").await;
        let (_, order) = app.get(&format!("/api/v1/checkout/orders/{typed}"), &org.token).await;
        assert_eq!(order["total_minor"], 20000, "a typed email gets no loyalty: {order}");

        let ida = browser(3);
        let (location, _) = sign_in(&app, &smtp, &ida, "loyal@example.dk", 1).await;
        assert_eq!(location, "/shop/royal/my-tickets");
        let (s, quote) = json_call(&ida, &app, Method::POST, "/api/v1/storefront/royal/quote", cart.clone()).await;
        assert_eq!((s, quote["total_minor"].clone()), (200, json!(15000)), "{quote}");
        let (s, html) = page(&ida, &app, &format!("/shop/royal/events/{}", show.event)).await;
        assert_eq!(s, 200);
        assert!(html.contains("Signed in as loyal@example.dk"), "{html}");
        assert!(html.contains("Member price — Friends of the house") && html.contains("150.00"), "the member price, named: {html}");
        assert!(html.contains("value=\"loyal@example.dk\" readonly"), "the order's address is the member's: {html}");
        // Placed on the page, even with another address typed: the member's order, at their price.
        let placed = order_on_page(&ida, &app, &show.event, &show.standing, "someone-else@example.dk", "").await;
        let (_, order) = app.get(&format!("/api/v1/checkout/orders/{placed}"), &org.token).await;
        assert_eq!(order["total_minor"], 15000, "{order}");
        assert_eq!(order["order"]["customer_id"], json!(member), "{order}");

        let other = browser(4);
        sign_in(&app, &smtp, &other, "other@example.dk", 2).await;
        let (_, quote) = json_call(&other, &app, Method::POST, "/api/v1/storefront/royal/quote", cart).await;
        assert_eq!(quote["total_minor"], 20000, "no loyalty for a customer who is not a member: {quote}");
        let (_, html) = page(&other, &app, &format!("/shop/royal/events/{}", show.event)).await;
        assert!(!html.contains("Friends of the house"), "{html}");
        app.finish().await;
    }

    async fn a_customer_bound_code_works_for_its_signed_in_customer_only_and_is_a_wrong_code_to_anyone_else(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        customer(&app, &org, "ida@example.dk").await;
        customer(&app, &org, "karen@example.dk").await;
        code_campaign(
            &app, &org, &show.event,
            ("ONLY-IDA", 5, json!({"customer": "ida@example.dk"})),
            json!({"public_label": "Ida's half price", "effects": {"discount": {"kind": "percent", "percent": 50}}}),
        ).await;
        let path = format!("/api/v1/storefront/royal/events/{}/code-check", show.event);
        let cart = |code: &str| json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}], "codes": [code]});
        let order = |code: &str| json!({"cart": cart(code), "buyer": {"email": "ida@example.dk"}});
        // What a wrong code gets, with the code's own name taken out.
        let same = |answer: &Value, code: &str| answer.to_string().replace(code, "CODE");

        let anonymous = browser(2);
        let karen = browser(3);
        sign_in(&app, &smtp, &karen, "karen@example.dk", 1).await;
        for client in [&anonymous, &karen] {
            let (s, bound) = json_call(client, &app, Method::POST, &path, json!({"code": "ONLY-IDA"})).await;
            let (_, wrong) = json_call(client, &app, Method::POST, &path, json!({"code": "NOPE-123"})).await;
            assert_eq!(s, 200);
            assert_eq!(bound["status"], "unknown", "{bound}");
            assert_eq!(same(&bound, "ONLY-IDA"), same(&wrong, "NOPE-123"));
            let (s, bound) = json_call(client, &app, Method::POST, "/api/v1/storefront/royal/quote", cart("ONLY-IDA")).await;
            let (_, wrong) = json_call(client, &app, Method::POST, "/api/v1/storefront/royal/quote", cart("NOPE-123")).await;
            assert_eq!(s, 200);
            assert_eq!(bound["total_minor"], 20000, "{bound}");
            assert_eq!(same(&bound, "ONLY-IDA"), same(&wrong, "NOPE-123"));
            // Even with Ida's own address typed into the order.
            let (s, bound) = json_call(client, &app, Method::POST, "/api/v1/storefront/royal/orders", order("ONLY-IDA")).await;
            let (s2, wrong) = json_call(client, &app, Method::POST, "/api/v1/storefront/royal/orders", order("NOPE-123")).await;
            assert_eq!((s, s2), (422, 422), "{bound} / {wrong}");
            assert_eq!(same(&bound, "ONLY-IDA"), same(&wrong, "NOPE-123"));
        }

        let ida = browser(4);
        sign_in(&app, &smtp, &ida, "ida@example.dk", 2).await;
        let (_, bound) = json_call(&ida, &app, Method::POST, &path, json!({"code": "ONLY-IDA"})).await;
        assert_eq!(bound["status"], "valid", "{bound}");
        let (_, quote) = json_call(&ida, &app, Method::POST, "/api/v1/storefront/royal/quote", cart("ONLY-IDA")).await;
        assert_eq!(quote["total_minor"], 10000, "{quote}");
        let (s, placed) = json_call(&ida, &app, Method::POST, "/api/v1/storefront/royal/orders", order("ONLY-IDA")).await;
        assert_eq!((s, placed["total_minor"].clone()), (201, json!(10000)), "{placed}");
        app.finish().await;
    }

    async fn a_used_sign_in_link_and_an_expired_one_are_refused(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let ida = browser(2);
        sign_in(&app, &smtp, &ida, "ida@example.dk", 1).await;
        let used = mailed_link(&app, &smtp, "ida@example.dk", 1).await;
        let late = browser(3);
        for response in [late.get(&used).send().await.expect("sent"), late.post(&used).send().await.expect("sent")] {
            assert_eq!(response.status().as_u16(), 410);
            assert!(response.headers().get(SET_COOKIE).is_none());
            assert!(response.text().await.unwrap_or_default().contains("This sign-in link no longer works"));
        }

        let (s, _) = ask(&late, &app, "karen@example.dk", "").await;
        assert_eq!(s, 200);
        let link = mailed_link(&app, &smtp, "karen@example.dk", 2).await;
        // Another site cannot post the button for a visitor (signing them in as someone else).
        let forged = late.post(&link).header("origin", "https://evil.example").send().await.expect("sent");
        assert_eq!(forged.status().as_u16(), 403);
        assert!(forged.headers().get(SET_COOKIE).is_none());
        assert_eq!(late.get(&link).send().await.expect("sent").status().as_u16(), 200, "the forged post spent nothing");
        // Sixteen minutes later.
        buyer_sign_in_links::Entity::update_many()
            .col_expr(buyer_sign_in_links::Column::ExpiresAt, Expr::value(Utc::now() - chrono::Duration::minutes(1)))
            .exec(app.server.state.db.writer())
            .await
            .expect("aged");
        for response in [late.get(&link).send().await.expect("sent"), late.post(&link).send().await.expect("sent")] {
            assert_eq!(response.status().as_u16(), 410);
            assert!(response.headers().get(SET_COOKIE).is_none());
        }
        let (s, _) = page(&late, &app, "/shop/royal/my-tickets").await;
        assert_eq!(s, 303, "not signed in");
        app.finish().await;
    }

    async fn asking_for_links_is_throttled_per_address_and_per_client_and_never_tells_whether_an_address_is_known(app: TestApp) {
        let org = app.new_org("royal").await;
        customer(&app, &org, "known@example.dk").await;
        let client = browser(2);
        let (s_known, known) = ask(&client, &app, "known@example.dk", "").await;
        let (s_unknown, unknown) = ask(&client, &app, "unknown@example.dk", "").await;
        assert_eq!((s_known, s_unknown), (200, 200));
        assert_eq!(known, unknown, "byte for byte the same answer");
        assert!(known.contains("If this address can receive mail"), "{known}");

        // Per address: five an hour, from any client.
        for n in 0..4u8 {
            let (s, _) = ask(&browser(10 + n), &app, "known@example.dk", "").await;
            assert_eq!(s, 200);
        }
        let (s_known, known) = ask(&browser(20), &app, "known@example.dk", "").await;
        for n in 0..4u8 {
            ask(&browser(30 + n), &app, "unknown@example.dk", "").await;
        }
        let (s_unknown, unknown) = ask(&browser(40), &app, "unknown@example.dk", "").await;
        assert_eq!((s_known, s_unknown), (429, 429));
        assert_eq!(known, unknown, "throttled alike, known or not");
        assert!(known.contains("Too many sign-in links"), "in plain words: {known}");

        // Per client: a new address each time still runs out.
        let guesser = browser(50);
        let mut statuses = Vec::new();
        for n in 0..40 {
            let (s, _) = ask(&guesser, &app, &format!("guess{n}@example.dk"), "").await;
            statuses.push(s);
        }
        assert!(statuses.iter().take(30).all(|s| *s == 200), "{statuses:?}");
        assert!(statuses.iter().skip(30).all(|s| *s == 429), "{statuses:?}");
        app.finish().await;
    }

    async fn the_buyer_cookie_opens_no_organizer_page_or_api(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        let ida = browser(2);
        let (_, token) = sign_in(&app, &smtp, &ida, "owner@royal.example", 1).await;
        let anonymous = browser(3);
        for path in ["/", "/events", &format!("/box-office/{}", show.event), "/settings/templates/campaign_link/en"] {
            let (nobody, _) = page(&anonymous, &app, path).await;
            let (buyer, _) = page(&ida, &app, path).await;
            assert_eq!(buyer, nobody, "{path}: the buyer is nobody to the organizer's pages");
            assert_ne!(buyer, 200, "{path}");
        }
        for path in ["/api/v1/events", "/api/v1/customers", "/api/v1/me"] {
            let by_cookie = ida.get(app.url(path)).send().await.expect("sent").status().as_u16();
            let as_bearer = anonymous.get(app.url(path)).bearer_auth(&token).send().await.expect("sent").status().as_u16();
            let as_session = anonymous.get(app.url(path)).header("cookie", format!("fullhouse_session={token}")).send().await.expect("sent").status().as_u16();
            assert_eq!((by_cookie, as_bearer, as_session), (401, 401, 401), "{path}");
        }
        app.finish().await;
    }

    async fn my_tickets_lists_the_buyers_orders_and_not_anothers(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        let ida = browser(2);
        let (s, _) = page(&ida, &app, "/shop/royal/my-tickets").await;
        assert_eq!(s, 303);
        let signed_out = ida.get(app.url("/shop/royal/my-tickets")).send().await.expect("sent");
        assert_eq!(
            signed_out.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
            Some("/shop/royal/sign-in?return_to=%2Fshop%2Froyal%2Fmy-tickets")
        );
        sign_in(&app, &smtp, &ida, "ida@example.dk", 1).await;
        let mine = order_on_page(&ida, &app, &show.event, &show.standing, "", "").await;
        let karen = browser(3);
        sign_in(&app, &smtp, &karen, "karen@example.dk", 2).await;
        let hers = order_on_page(&karen, &app, &show.event, &show.standing, "", "").await;
        let (_, typed) = public(&app, Method::POST, "/api/v1/storefront/royal/orders",
            Some(json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]}, "buyer": {"email": "karen@example.dk"}}))).await;
        let typed = typed["id"].as_str().unwrap_or_default().to_string();

        let (s, html) = page(&ida, &app, "/shop/royal/my-tickets").await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("/shop/royal/orders/{mine}")), "{html}");
        assert!(html.contains("Hamlet") && html.contains("2031-01-01 20:30"), "the event at the venue's time: {html}");
        assert!(html.contains("Awaiting payment"), "{html}");
        assert!(!html.contains(&hers) && !html.contains(&typed), "{html}");
        let (_, html) = page(&karen, &app, "/shop/royal/my-tickets").await;
        assert!(html.contains(&hers) && html.contains(&typed) && !html.contains(&mine), "{html}");

        // Signed out, My tickets asks to sign in again.
        let out = ida.post(app.url("/shop/royal/sign-out")).send().await.expect("sent");
        assert_eq!(out.status().as_u16(), 303);
        let (s, _) = page(&ida, &app, "/shop/royal/my-tickets").await;
        assert_eq!(s, 303);
        app.finish().await;
    }

    async fn signing_in_mid_purchase_keeps_the_basket_and_refuses_foreign_return_addresses(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let other = app.new_org("other").await;
        let show = show(&app, &org).await;
        let seat = format!("{}:{}", show.seated, show.seats[7]);
        let ida = browser(2);

        // "Sign in for member prices" sends the order form to the sign-in form.
        let (s, html) = page(&ida, &app, &format!("/shop/royal/events/{}", show.event)).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"sign-in-for-prices\""), "{html}");
        let query = [("from_event", show.event.as_str()), ("seat", seat.as_str()), (&format!("qty_{}", show.standing), "2"), ("codes", "SPRING"), ("email", "ida@example.dk")];
        let form = ida.get(app.url("/shop/royal/sign-in")).query(&query).send().await.expect("sent");
        assert_eq!(form.status().as_u16(), 200);
        let html = form.text().await.unwrap_or_default();
        let start = html.find("name=\"return_to\" value=\"").map(|i| i + 24).expect("return_to carried");
        let return_to = html[start..].split('"').next().unwrap_or_default().replace("&amp;", "&").replace("&#38;", "&");
        assert!(return_to.starts_with(&format!("/shop/royal/events/{}?", show.event)), "{return_to}");
        assert!(html.contains("value=\"ida@example.dk\""), "the address typed is kept: {html}");

        let (s, _) = ask(&ida, &app, "ida@example.dk", &return_to).await;
        assert_eq!(s, 200);
        let link = mailed_link(&app, &smtp, "ida@example.dk", 1).await;
        let used = ida.post(&link).send().await.expect("sent");
        assert_eq!(used.status().as_u16(), 303);
        let back = used.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(back, return_to);
        let (s, html) = page(&ida, &app, &back).await;
        assert_eq!(s, 200);
        let seat_input = html
            .split(&format!("value=\"{seat}\""))
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .unwrap_or_default();
        assert!(seat_input.contains(" checked"), "the seat is still chosen: {html}");
        assert!(html.contains(&format!("name=\"qty_{}\" min=\"0\" max=\"50\" value=\"2\"", show.standing)), "the quantity is kept ({back}): {}", &html[html.len().saturating_sub(900)..]);
        assert!(html.contains("value=\"SPRING\""), "the codes are kept: {html}");
        assert!(html.contains("Signed in as ida@example.dk"), "{html}");

        // Anything but a path of this shop is refused, and no link is mailed for it.
        drop(other);
        for foreign in ["https://evil.example/", "//evil.example/shop/royal", "/shop/other/events/x", "/shop/royal/../../login", "/\\evil.example"] {
            let response = ida.get(app.url("/shop/royal/sign-in")).query(&[("return_to", foreign)]).header("accept-language", "en").send().await.expect("sent");
            assert_eq!(response.status().as_u16(), 422, "{foreign}");
            let html = response.text().await.unwrap_or_default();
            assert!(!html.contains("evil.example"), "{foreign}: {html}");
            let (s, _) = ask(&browser(3), &app, "ida@example.dk", foreign).await;
            assert_eq!(s, 422, "{foreign}");
        }
        deliver(&app).await;
        assert_eq!(smtp.messages().len(), 1, "no link for a foreign return address");
        app.finish().await;
    }
}
