//! Stripe as an organization's payment provider, against a loopback server that plays Stripe: it
//! checks each request's shape (method, path, bearer key, idempotency key, form fields) and
//! answers as Stripe does; the tests sign webhooks the way Stripe documents
//! (`t=…,v1=HMAC-SHA256("{t}.{body}")`), computed here with the HMAC crate, not with the code
//! under test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use axum::{Form, Json, Router};
use chrono::{Duration, Utc};
use fullhouse_checkout::Checkout;
use fullhouse_core::db::statement;
use fullhouse_testkit::both_backends;
use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::checkout::{buyer, public, show, Show};
use crate::common::*;

const PUBLISHABLE: &str = "pk_test_51Fullhouse";
const SECRET_KEY: &str = "sk_test_51FullhouseSecret9731";
const WEBHOOK_SECRET: &str = "whsec_FullhouseSigning4420";

/// A request the fake Stripe received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    authorization: String,
    idempotency_key: String,
    form: Vec<(String, String)>,
}

impl Received {
    fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct FakeStripe {
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeStripe {
    async fn start() -> (Self, String) {
        let fake = FakeStripe::default();
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/refunds", post(create_refund))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, format!("http://{addr}"))
    }

    fn received(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn stripe_error(message: &str) -> (AxumStatus, Json<Value>) {
    (
        AxumStatus::BAD_REQUEST,
        Json(json!({"error": {"type": "invalid_request_error", "message": message}})),
    )
}

/// Records a request and checks what every Stripe call needs: the secret key as a bearer token
/// and an idempotency key.
fn record(
    fake: &FakeStripe,
    path: &str,
    headers: &HeaderMap,
    form: Vec<(String, String)>,
) -> Result<Received, (AxumStatus, Json<Value>)> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let received = Received {
        path: path.to_string(),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
        form,
    };
    fake.received.lock().expect("lock").push(received.clone());
    if received.authorization != format!("Bearer {SECRET_KEY}") {
        return Err((
            AxumStatus::UNAUTHORIZED,
            Json(
                json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
            ),
        ));
    }
    if received.idempotency_key.is_empty() {
        return Err(stripe_error("an Idempotency-Key was expected"));
    }
    if !header("content-type").starts_with("application/x-www-form-urlencoded") {
        return Err(stripe_error("Stripe takes form-encoded bodies"));
    }
    Ok(received)
}

async fn create_session(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Json<Value>, (AxumStatus, Json<Value>)> {
    let got = record(&fake, "/v1/checkout/sessions", &headers, form)?;
    let order = got
        .field("client_reference_id")
        .unwrap_or_default()
        .to_string();
    if got.field("mode") != Some("payment")
        || order.is_empty()
        || got.field("metadata[order_id]") != Some(order.as_str())
        || got.field("metadata[organization_id]").is_none()
    {
        return Err(stripe_error(
            "mode, client_reference_id and metadata expected",
        ));
    }
    let expires: i64 = got
        .field("expires_at")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let now = Utc::now().timestamp();
    if expires < now + 30 * 60 - 5 || expires > now + 24 * 3600 {
        return Err(stripe_error(
            "expires_at must be 30 minutes to 24 hours from now",
        ));
    }
    let mut total = 0;
    let mut i = 0;
    while let Some(amount) = got.field(&format!("line_items[{i}][price_data][unit_amount]")) {
        let item = |f: &str| {
            got.field(&format!("line_items[{i}]{f}"))
                .map(str::to_string)
        };
        if item("[price_data][currency]").as_deref() != Some("dkk")
            || item("[quantity]").as_deref() != Some("1")
            || item("[price_data][product_data][name]").is_none_or(|n| n.is_empty())
        {
            return Err(stripe_error(
                "a line item needs currency, quantity and name",
            ));
        }
        total += amount.parse::<i64>().unwrap_or(-1_000_000);
        i += 1;
    }
    if i == 0
        || !got
            .field("success_url")
            .is_some_and(|u| u.contains(&format!("/shop/royal/orders/{order}")))
        || !got
            .field("cancel_url")
            .is_some_and(|u| u.contains(&format!("/shop/royal/orders/{order}")))
    {
        return Err(stripe_error("line items and return urls expected"));
    }
    Ok(Json(json!({
        "id": format!("cs_test_{order}"),
        "object": "checkout.session",
        "amount_total": total,
        "currency": "dkk",
        "url": format!("https://checkout.stripe.test/c/pay/cs_test_{order}"),
    })))
}

async fn create_refund(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Json<Value>, (AxumStatus, Json<Value>)> {
    let got = record(&fake, "/v1/refunds", &headers, form)?;
    let intent = got.field("payment_intent").unwrap_or_default();
    if !intent.starts_with("pi_") {
        return Err(stripe_error("payment_intent expected"));
    }
    if intent == "pi_refusing" {
        return Err((
            AxumStatus::PAYMENT_REQUIRED,
            Json(
                json!({"error": {"type": "invalid_request_error", "message": "Charge has been disputed"}}),
            ),
        ));
    }
    Ok(Json(json!({
        "id": format!("re_{intent}"),
        "object": "refund",
        "payment_intent": intent,
        "status": "succeeded",
    })))
}

/// The `Stripe-Signature` header as Stripe documents it.
fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// A `checkout.session.completed` event for an order.
fn completed(event: &str, org: &TestOrg, order: &str, intent: &str, amount: i64) -> String {
    json!({
        "id": event,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_test_{order}"),
            "object": "checkout.session",
            "client_reference_id": order,
            "payment_status": "paid",
            "status": "complete",
            "payment_intent": intent,
            "amount_total": amount,
            "currency": "dkk",
            "metadata": {"order_id": order, "organization_id": org.id.to_string()},
        }},
    })
    .to_string()
}

/// Posts a webhook with a signature header; returns the status and the JSON body.
async fn webhook(app: &TestApp, org: &TestOrg, body: &str, signature: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/webhooks/stripe/{}", org.id)))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An organization paying through Stripe, whose Stripe is the fake at `base`.
async fn stripe_org(app: &TestApp, base: &str) -> TestOrg {
    let org = app.new_org("royal").await;
    let (s, saved) = app
        .call(
            Method::PUT,
            "/api/v1/settings/payments",
            &org.token,
            Some(json!({"provider": "stripe", "stripe": {
                "publishable_key": PUBLISHABLE, "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET,
            }})),
        )
        .await;
    assert_eq!(s, 200, "{saved}");
    // The hidden override of Stripe's address: the operator's (not the API's) to set.
    Checkout::new(app.db.db.clone())
        .set_stripe_api_base(&org.id, Some(base))
        .await
        .expect("api base");
    org
}

/// A storefront order of `n` standing places (200 DKK each), awaiting payment.
async fn shop_order(app: &TestApp, show: &Show, n: u32) -> String {
    let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": n}]});
    let (s, order) = public(
        app,
        Method::POST,
        "/api/v1/storefront/royal/orders",
        Some(json!({"cart": cart, "buyer": buyer()})),
    )
    .await;
    assert_eq!(s, 201, "{order}");
    assert_eq!(order["payment_provider"], "stripe", "{order}");
    assert_eq!(order["test_payment"], false, "{order}");
    order["id"].as_str().unwrap_or_default().to_string()
}

/// Checkout's state and payment reference of an order.
async fn state(app: &TestApp, org: &TestOrg, id: &str) -> (String, Value) {
    let (s, sold) = app
        .get(&format!("/api/v1/checkout/orders/{id}"), &org.token)
        .await;
    assert_eq!(s, 200, "{sold}");
    (
        sold["status"].as_str().unwrap_or_default().to_string(),
        sold["payment_reference"].clone(),
    )
}

/// The buyer presses "pay" on the order page: the storefront answers with a redirect to Stripe.
async fn press_pay(app: &TestApp, id: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .post(app.url(&format!("/shop/royal/orders/{id}")))
        .form(&[("token", "")])
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 303, "{body}");
    location
}

/// A paid order: pay pressed, then Stripe's correctly signed webhook.
async fn paid_order(app: &TestApp, org: &TestOrg, show: &Show, intent: &str) -> String {
    let id = shop_order(app, show, 1).await;
    press_pay(app, &id).await;
    let body = completed(&format!("evt_{intent}"), org, &id, intent, 20000);
    let (s, answer) = webhook(
        app,
        org,
        &body,
        &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &body),
    )
    .await;
    assert_eq!(
        (s, answer["outcome"].clone()),
        (200, json!("paid")),
        "{answer}"
    );
    id
}

both_backends! {
    setup = spawn_app;

    async fn a_stripe_order_becomes_paid_only_on_a_correctly_signed_webhook(app: TestApp) {
        let (stripe, base) = FakeStripe::start().await;
        let org = stripe_org(&app, &base).await;
        let show = show(&app, &org).await;
        let id = shop_order(&app, &show, 2).await;

        // The pay step sends the buyer to Stripe's hosted page; the order still awaits payment.
        let location = press_pay(&app, &id).await;
        assert_eq!(location, format!("https://checkout.stripe.test/c/pay/cs_test_{id}"));
        let sessions = stripe.received("/v1/checkout/sessions");
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        let session = &sessions[0];
        assert_eq!(session.field("client_reference_id"), Some(id.as_str()));
        assert_eq!(session.field("metadata[organization_id]"), Some(org.id.as_str()));
        assert_eq!(session.field("line_items[0][price_data][unit_amount]"), Some("20000"));
        assert_eq!(session.field("line_items[1][price_data][unit_amount]"), Some("20000"));
        assert!(session.idempotency_key.contains(&id), "{}", session.idempotency_key);
        assert_eq!(state(&app, &org, &id).await, ("awaiting_payment".to_string(), Value::Null));
        // Stripe's session closes before the (lengthened) hold does.
        let (_, sold) = app.get(&format!("/api/v1/checkout/orders/{id}"), &org.token).await;
        let hold: chrono::DateTime<Utc> = serde_json::from_value(sold["expires_at"].clone()).expect("hold");
        let closes: i64 = session.field("expires_at").and_then(|v| v.parse().ok()).unwrap_or_default();
        assert!(closes < hold.timestamp(), "session closes at {closes}, hold ends {hold}");

        let body = completed("evt_1", &org, &id, "pi_1", 40000);
        let now = Utc::now().timestamp();
        // A signature made with another secret: refused, nothing changes.
        let (s, answer) = webhook(&app, &org, &body, &signature("whsec_someone_else", now, &body)).await;
        assert_eq!(s, 400, "{answer}");
        assert_eq!(answer["error"]["details"]["fields"][0]["field"], "Stripe-Signature", "{answer}");
        // The right signature over another body (an attacker changing the amount): refused.
        let forged = body.replace("40000", "1");
        let (s, _) = webhook(&app, &org, &forged, &signature(WEBHOOK_SECRET, now, &body)).await;
        assert_eq!(s, 400);
        // No signature at all.
        let (s, _) = webhook(&app, &org, &body, "").await;
        assert_eq!(s, 400);
        // A correct signature ten minutes old (a captured request replayed later): refused.
        let (s, answer) = webhook(&app, &org, &body, &signature(WEBHOOK_SECRET, now - 600, &body)).await;
        assert_eq!(s, 400, "{answer}");
        assert_eq!(state(&app, &org, &id).await, ("awaiting_payment".to_string(), Value::Null));

        // Stripe's own delivery: paid, with the PaymentIntent as the reference.
        let (s, answer) = webhook(&app, &org, &body, &signature(WEBHOOK_SECRET, now, &body)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("paid")), "{answer}");
        assert_eq!(state(&app, &org, &id).await, ("paid".to_string(), json!("pi_1")));
        let (_, order) = app.get(&format!("/api/v1/orders/{id}"), &org.token).await;
        assert_eq!(order["status"], "paid", "{order}");

        // The same event again (Stripe redelivers, or someone replays it in time): 200, ignored.
        let (s, answer) = webhook(&app, &org, &body, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &body)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("replay")), "{answer}");
        assert_eq!(state(&app, &org, &id).await, ("paid".to_string(), json!("pi_1")));
        assert!(stripe.received("/v1/refunds").is_empty());

        // Other event types are acknowledged and ignored.
        let other = json!({"id": "evt_2", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}).to_string();
        let (s, answer) = webhook(&app, &org, &other, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &other)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("ignored")), "{answer}");

        // A paid session whose amount is not the order's leaves the order for the organizer.
        let second = shop_order(&app, &show, 1).await;
        press_pay(&app, &second).await;
        let short = completed("evt_3", &org, &second, "pi_3", 100);
        let (s, answer) = webhook(&app, &org, &short, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &short)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("amount_mismatch")), "{answer}");
        assert_eq!(state(&app, &org, &second).await, ("awaiting_payment".to_string(), Value::Null));

        // Another organization's webhook address does not take this organization's events.
        let other_org = app.new_org("other").await;
        let (s, _) = webhook(&app, &other_org, &body, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &body)).await;
        assert_eq!(s, 400);
        app.finish().await;
    }

    async fn a_refunded_stripe_order_asks_stripe_for_the_refund_exactly_once(app: TestApp) {
        let (stripe, base) = FakeStripe::start().await;
        let org = stripe_org(&app, &base).await;
        let show = show(&app, &org).await;
        let id = paid_order(&app, &org, &show, "pi_42").await;

        for _ in 0..2 {
            let (s, cancelled) = app
                .post(&format!("/api/v1/checkout/orders/{id}/cancel"), &org.token, json!({}))
                .await;
            assert_eq!(s, 200, "{cancelled}");
            assert_eq!(cancelled["status"], "refunded", "{cancelled}");
        }
        let refunds = stripe.received("/v1/refunds");
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0].field("payment_intent"), Some("pi_42"));
        assert!(refunds[0].idempotency_key.contains(&id), "{}", refunds[0].idempotency_key);
        let (s, listed) = app.get("/api/v1/payments/refunds", &org.token).await;
        assert_eq!(s, 200, "{listed}");
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        assert_eq!(listed[0]["status"], "refunded", "{listed}");
        assert_eq!(listed[0]["refund_reference"], "re_pi_42", "{listed}");

        // A refund Stripe refuses is recorded as failed and listed, not swallowed; a retry asks
        // again with the same idempotency key.
        let refused = paid_order(&app, &org, &show, "pi_refusing").await;
        let (s, cancelled) = app
            .post(&format!("/api/v1/checkout/orders/{refused}/cancel"), &org.token, json!({}))
            .await;
        assert_eq!((s, cancelled["status"].clone()), (reqwest::StatusCode::OK, json!("refunded")));
        let (_, failed) = app.get("/api/v1/payments/refunds?status=failed", &org.token).await;
        assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
        assert_eq!(failed[0]["order_id"], refused.as_str());
        assert!(failed[0]["error"].as_str().is_some_and(|e| e.contains("disputed")), "{failed}");
        let (s, retried) = app
            .post(&format!("/api/v1/checkout/orders/{refused}/refund/retry"), &org.token, json!({}))
            .await;
        assert_eq!((s, retried["status"].clone()), (reqwest::StatusCode::OK, json!("failed")), "{retried}");
        assert_eq!(retried["attempts"], 2);
        let keys: Vec<String> = stripe.received("/v1/refunds").iter().skip(1).map(|r| r.idempotency_key.clone()).collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], keys[1]);
        app.finish().await;
    }

    async fn a_payment_that_arrives_after_the_hold_ran_out_is_refunded_once(app: TestApp) {
        let (stripe, base) = FakeStripe::start().await;
        let org = stripe_org(&app, &base).await;
        let show = show(&app, &org).await;
        let id = shop_order(&app, &show, 1).await;
        press_pay(&app, &id).await;
        let writer = app.db.db.writer();
        writer
            .execute(statement(
                writer.get_database_backend(),
                "UPDATE checkout_orders SET expires_at = $1 WHERE id = $2",
                vec![(Utc::now() - Duration::minutes(1)).into(), id.clone().into()],
            ))
            .await
            .expect("hold ran out");
        assert_eq!(Checkout::new(app.db.db.clone()).expire_due_holds().await.expect("sweep"), 1);

        let body = completed("evt_late", &org, &id, "pi_late", 20000);
        let (s, answer) = webhook(&app, &org, &body, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &body)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("late_refunded")), "{answer}");
        assert_eq!(state(&app, &org, &id).await.0, "expired");
        let (s, answer) = webhook(&app, &org, &body, &signature(WEBHOOK_SECRET, Utc::now().timestamp(), &body)).await;
        assert_eq!((s, answer["outcome"].clone()), (200, json!("replay")), "{answer}");
        let refunds = stripe.received("/v1/refunds");
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0].field("payment_intent"), Some("pi_late"));
        let (_, listed) = app.get("/api/v1/payments/refunds", &org.token).await;
        assert_eq!(listed[0]["reason"], "late", "{listed}");
        app.finish().await;
    }

    async fn stripe_secrets_are_stored_encrypted_and_never_returned(app: TestApp) {
        let (_stripe, base) = FakeStripe::start().await;
        let org = stripe_org(&app, &base).await;
        let (s, settings) = app.get("/api/v1/settings/payments", &org.token).await;
        assert_eq!(s, 200, "{settings}");
        let text = settings.to_string();
        assert!(!text.contains(SECRET_KEY) && !text.contains(WEBHOOK_SECRET), "{text}");
        assert_eq!(settings["provider"], "stripe");
        assert_eq!(settings["stripe"]["publishable_key"], PUBLISHABLE);
        assert_eq!(settings["stripe"]["secret_key"], json!({"set": true, "last4": "9731"}));
        assert_eq!(settings["stripe"]["webhook_secret"], json!({"set": true, "last4": "4420"}));
        assert_eq!(settings["webhook_url"], format!("{}/webhooks/stripe/{}", app.base, org.id));

        let reader = app.db.db.reader();
        let rows = reader
            .query_all(statement(
                reader.get_database_backend(),
                "SELECT stripe_secret_key, stripe_webhook_secret FROM checkout_payment_settings WHERE organization_id = $1",
                vec![org.id.to_string().into()],
            ))
            .await
            .expect("raw row");
        assert_eq!(rows.len(), 1);
        for column in ["stripe_secret_key", "stripe_webhook_secret"] {
            let stored: String = rows[0].try_get("", column).expect("column");
            assert!(stored.starts_with("v1:"), "{stored}");
            for plain in [SECRET_KEY, WEBHOOK_SECRET, "FullhouseSecret", "FullhouseSigning"] {
                assert!(!stored.contains(plain), "{column} holds plaintext: {stored}");
            }
        }

        // Saving without the secrets keeps them; the settings page shows only the last four.
        let (s, kept) = app
            .call(Method::PUT, "/api/v1/settings/payments", &org.token, Some(json!({"provider": "stripe"})))
            .await;
        assert_eq!(s, 200, "{kept}");
        assert_eq!(kept["stripe"]["secret_key"]["last4"], "9731");
        let session = crate::browser::page_session(&app, &org).await;
        let (s, page) = session.get(&app, "/settings/payments").await;
        assert_eq!(s, 200);
        assert!(page.contains("9731") && !page.contains(SECRET_KEY) && !page.contains(WEBHOOK_SECRET), "{page}");
        app.finish().await;
    }

    async fn payment_settings_refuse_wrong_or_missing_keys_field_by_field(app: TestApp) {
        let org = app.new_org("royal").await;
        let put = |body: Value| app.call(Method::PUT, "/api/v1/settings/payments", &org.token, Some(body));
        let (s, err) = put(json!({"provider": "stripe"})).await;
        assert_eq!(s, 422, "{err}");
        let fields: Vec<&str> = err["error"]["details"]["fields"].as_array().map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect()).unwrap_or_default();
        assert_eq!(fields, ["stripe.publishable_key", "stripe.secret_key", "stripe.webhook_secret"], "{err}");
        let (s, err) = put(json!({"provider": "stripe", "stripe": {"publishable_key": "sk_test_x", "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}})).await;
        assert_eq!(s, 422, "{err}");
        assert_eq!(err["error"]["details"]["fields"][0]["field"], "stripe.publishable_key", "{err}");
        let (s, err) = put(json!({"provider": "stripe", "stripe": {"publishable_key": "pk_live_x", "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}})).await;
        assert_eq!(s, 422, "{err}");
        assert_eq!(err["error"]["details"]["fields"][0]["field"], "stripe.secret_key", "{err}");
        let (s, err) = put(json!({"provider": "paypal"})).await;
        assert_eq!(s, 422, "{err}");
        let (s, err) = put(json!({"provider": "test", "surprise": 1})).await;
        assert_eq!(s, 422, "{err}");
        // Nothing was stored: still the test provider, and its orders are paid at once.
        let (_, settings) = app.get("/api/v1/settings/payments", &org.token).await;
        assert_eq!(settings["provider"], "test", "{settings}");
        assert_eq!(settings["stripe"]["secret_key"]["set"], false, "{settings}");
        // Without a login, no settings.
        let (s, _) = public(&app, Method::GET, "/api/v1/settings/payments", None).await;
        assert_eq!(s, 401);
        app.finish().await;
    }
}
