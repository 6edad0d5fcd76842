//! Connectors and pushes (issue #19 points 2 and 3), over HTTP on both backends: a Meta connector
//! whose token is stored sealed and never shown, a saved view pushed to a local server that reads
//! requests as Meta's Graph API does, and a dry run after the view changed that counts one added
//! and one removed, with their customer ids in its CSV. Another organization reaches none of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::routing::post;
use axum::{Json, Router};
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::*;

const TOKEN: &str = "EAAB-system-user-token-9876";

/// One request the local Graph API received: its path, its session and its rows.
type Received = (String, Value, Vec<Vec<String>>);

/// What the local Graph API received, request by request.
#[derive(Clone, Default)]
struct Graph {
    seen: Arc<Mutex<Vec<Received>>>,
}

/// Answers like Meta: Meta's error JSON for a wrong token or a malformed payload, else its counts.
async fn users(
    State(graph): State<Graph>,
    Path((version, audience, edge)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let refuse = |message: &str, code: i64| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": message, "code": code}})),
        )
    };
    if form.get("access_token").map(String::as_str) != Some(TOKEN) {
        return refuse("Invalid OAuth access token.", 190);
    }
    let payload: Value =
        serde_json::from_str(form.get("payload").map_or("", String::as_str)).unwrap_or(Value::Null);
    let session: Value =
        serde_json::from_str(form.get("session").map_or("", String::as_str)).unwrap_or(Value::Null);
    if payload["schema"][0] != "EXTERN_ID"
        || payload["schema"][1] != "EMAIL"
        || session["batch_seq"].as_u64().is_none()
    {
        return refuse("Invalid parameter", 100);
    }
    let rows: Vec<Vec<String>> =
        serde_json::from_value(payload["data"].clone()).unwrap_or_default();
    let n = rows.len();
    graph
        .seen
        .lock()
        .expect("lock")
        .push((format!("/{version}/{audience}/{edge}"), session, rows));
    (
        axum::http::StatusCode::OK,
        Json(
            json!({"audience_id": audience, "num_received": n, "num_invalid_entries": 0, "invalid_entry_samples": {}}),
        ),
    )
}

async fn graph_api() -> (String, Graph) {
    let graph = Graph::default();
    let app = Router::new()
        .route("/{version}/{audience}/{edge}", post(users))
        .with_state(graph.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), graph)
}

/// The job, once run.
async fn finished(app: &TestApp, org: &TestOrg, job: &Value) -> Value {
    run_jobs(app).await;
    let (status, job) = app
        .get(&format!("/api/v1/jobs/{}", id(job)), &org.token)
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "succeeded", "{job}");
    job
}

fn sha256(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

both_backends! {
    setup = spawn_app;

    async fn a_view_pushed_to_meta_then_changed_dry_runs_as_one_added_and_one_removed(app: TestApp) {
        let (graph_base, graph) = graph_api().await;
        let org = app.new_org("segment-connectors").await;
        let other = app.new_org("segment-connectors-b").await;

        // Settings are checked by field; the token is sealed and shown only by its last four.
        let (status, refused) = app.post("/api/v1/segments/connectors", &org.token, json!({"kind": "meta", "name": "Meta", "settings": {"ad_account_id": "act_1"}, "credential": TOKEN})).await;
        assert_error(status, &refused, 422, "validation");
        assert_eq!(refused["error"]["details"]["fields"][0]["field"], "settings.audience_id", "{refused}");
        let connector = created(&app, &org, "/api/v1/segments/connectors", json!({
            "kind": "meta", "name": "Meta VIP audience",
            "settings": {"ad_account_id": "1234", "audience_id": "2385", "api_version": "v21.0", "base_url": graph_base},
            "credential": TOKEN,
        })).await;
        assert_eq!(connector["has_credential"], true, "{connector}");
        assert_eq!(connector["credential_last4"], "9876", "{connector}");
        assert_eq!(connector["settings"]["ad_account_id"], "act_1234", "{connector}");
        let (_, listed) = app.get("/api/v1/segments/connectors", &org.token).await;
        assert!(!listed.to_string().contains("EAAB"), "the token is never returned: {listed}");
        let connector = id(&connector);

        let venue = id(&created(&app, &org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
        let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
        let (status, map) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(map)).await;
        assert_eq!(status, 200, "{map}");
        let production = id(&created(&app, &org, "/api/v1/productions", json!({"name": "Carmen"})).await);
        let event = id(&created(&app, &org, "/api/v1/events", json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"})).await);
        let ticket_type = id(&created(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]})).await);
        let mut customers = Vec::new();
        for (name, tags) in [("Mette", json!(["vip"])), ("Lars", json!(["vip"])), ("Sofie", json!([]))] {
            let customer = id(&created(&app, &org, "/api/v1/customers", json!({
                "first_name": name, "email": format!(" {name}@Example.DK "), "phone": "20 12 34 56", "country": "DK", "tags": tags,
            })).await);
            created(&app, &org, "/api/v1/orders", json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": ticket_type, "ga_name": "Floor"}]})).await;
            customers.push(customer);
        }
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen buyers", "event_filter": {"production_ids": [production]}})).await);
        let view = id(&created(&app, &org, &format!("/api/v1/segments/{segment}/views"), json!({"name": "VIPs", "filters": [{"kind": "tag", "tag": "vip", "mode": "include"}]})).await);
        let push = format!("/api/v1/segments/{segment}/pushes");

        // Another organization can neither see the connector nor push with it.
        let (status, _) = app.get(&format!("/api/v1/segments/connectors/{connector}"), &other.token).await;
        assert_eq!(status, 404);
        let theirs = id(&created(&app, &other, "/api/v1/segments", json!({"name": "Theirs"})).await);
        let (status, body) = app.post(&format!("/api/v1/segments/{theirs}/pushes"), &other.token, json!({"selection": {}, "connector_id": connector})).await;
        assert_error(status, &body, 404, "not_found");

        // The view goes to Meta as a replacement: one batch, the last, rows hashed as Meta asks.
        let job = created(&app, &org, &push, json!({"selection": {"view_id": view}, "connector_id": connector})).await;
        let job = finished(&app, &org, &job).await;
        assert!(job["progress_message"].as_str().unwrap_or_default().contains("Meta received 2"), "{job}");
        assert!(job["files"].as_array().into_iter().flatten().any(|f| f["name"] == "meta-result.csv"), "{job}");
        let seen = graph.seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 1);
        let (path, session, rows) = &seen[0];
        assert_eq!(path, "/v21.0/2385/usersreplace");
        assert_eq!(session["batch_seq"], 1);
        assert_eq!(session["last_batch_flag"], true);
        assert_eq!(session["estimated_num_total"], 2);
        let mut extern_ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        extern_ids.sort();
        let mut vips = vec![customers[0].as_str(), customers[1].as_str()];
        vips.sort();
        assert_eq!(extern_ids, vips);
        let mette = rows.iter().find(|r| r[0] == customers[0]).expect("Mette's row");
        assert_eq!(mette[1], sha256("mette@example.dk"));
        assert_eq!(mette[2], sha256("4520123456"));
        assert_eq!(mette[3], sha256("mette"));

        // Lars leaves the view, Sofie joins: a dry run counts +1 / -1 and sends nothing.
        let (status, _) = app.call(reqwest::Method::DELETE, &format!("/api/v1/customers/{}/tags/vip", customers[1]), &org.token, None).await;
        assert!(status.is_success(), "{status}");
        let (status, tagged) = app.post(&format!("/api/v1/customers/{}/tags", customers[2]), &org.token, json!({"tag": "vip"})).await;
        assert!(status.is_success(), "{tagged}");
        let job = created(&app, &org, &push, json!({"selection": {"view_id": view}, "connector_id": connector, "dry_run": true})).await;
        let job = finished(&app, &org, &job).await;
        assert_eq!(job["progress_message"], "1 would be added · 1 would be removed", "{job}");
        let file = app.client.get(app.url(&format!("/api/v1/jobs/{}/files/dry-run.csv", id(&job)))).bearer_auth(&org.token).send().await.expect("file");
        assert_eq!(file.status(), 200);
        let csv = file.text().await.expect("text");
        assert_eq!(csv, format!("change,customer_id\nadded,{}\nremoved,{}\n", customers[2], customers[1]));
        assert_eq!(graph.seen.lock().expect("lock").len(), 1, "a dry run sends nothing");

        // Both are in the audit log, with the connector and whether it was a dry run.
        let (status, log) = app.get("/api/v1/audit-log?action=segment.pushed", &org.token).await;
        assert_eq!(status, 200, "{log}");
        let entries = log["items"].as_array().expect("entries");
        assert_eq!(entries.len(), 2, "{log}");
        assert_eq!(entries[0]["details"]["dry_run"], true, "{log}");
        assert_eq!(entries[1]["details"]["dry_run"], false, "{log}");
        assert_eq!(entries[1]["details"]["connector"], "Meta VIP audience", "{log}");
        assert_eq!(entries[1]["details"]["connector_kind"], "meta", "{log}");
        assert_eq!(entries[1]["details"]["customers"], 2, "{log}");
        app.finish().await;
    }
}

/// What the organizer's webhook received: each batch's contacts, after checking the signature.
#[derive(Clone, Default)]
struct Hook {
    contacts: Arc<Mutex<Vec<Value>>>,
}

const HOOK_SECRET: &str = "whsec-organizer-4321";

/// Verifies the signature as a receiver would, keeps the contacts and refuses one address.
async fn hook(
    State(hook): State<Hook>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, Json<Value>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let now = chrono::Utc::now().timestamp();
    let signed = fullhouse_segments::connectors::tools::webhook::verify(
        HOOK_SECRET,
        &header("x-fullhouse-timestamp"),
        &header("x-fullhouse-signature"),
        &body,
        now,
        300,
    );
    if !signed {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad signature"})),
        );
    }
    let batch: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    hook.contacts
        .lock()
        .expect("lock")
        .extend(batch["contacts"].as_array().cloned().unwrap_or_default());
    (
        axum::http::StatusCode::OK,
        Json(json!({"rejected": [{"email": "bo@example.dk", "reason": "mailbox unknown"}]})),
    )
}

both_backends! {
    setup = spawn_app;

    async fn an_email_tool_gets_only_consenting_customers_with_an_email_and_its_refusals_are_kept(app: TestApp) {
        let hook_state = Hook::default();
        let router = Router::new().route("/hook", post(hook)).with_state(hook_state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let org = app.new_org("segment-webhook").await;
        let connector = id(&created(&app, &org, "/api/v1/segments/connectors", json!({
            "kind": "webhook", "name": "Our CRM", "settings": {"url": format!("http://{addr}/hook")}, "credential": HOOK_SECRET,
        })).await);

        let venue = id(&created(&app, &org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
        let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
        let (status, map) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(map)).await;
        assert_eq!(status, 200, "{map}");
        let production = id(&created(&app, &org, "/api/v1/productions", json!({"name": "Tosca"})).await);
        let event = id(&created(&app, &org, "/api/v1/events", json!({"production_id": production, "venue_id": venue, "starts_at": "2031-04-01T19:30:00Z"})).await);
        let ticket_type = id(&created(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]})).await);
        let mut customers = Vec::new();
        for (name, email, newsletter) in [("Anna", Some("anna@example.dk"), true), ("Bo", Some("bo@example.dk"), true), ("Carl", Some("carl@example.dk"), false), ("Dan", None, true)] {
            let customer = id(&created(&app, &org, "/api/v1/customers", json!({
                "first_name": name, "email": email, "permissions": {"newsletter": newsletter}, "permission_source": "box-office",
            })).await);
            created(&app, &org, "/api/v1/orders", json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": ticket_type, "ga_name": "Floor"}]})).await;
            customers.push(customer);
        }
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Tosca buyers", "event_filter": {"production_ids": [production]}})).await);

        let job = created(&app, &org, &format!("/api/v1/segments/{segment}/pushes"), json!({"selection": {}, "connector_id": connector})).await;
        let job = finished(&app, &org, &job).await;
        assert_eq!(job["progress_message"], "1 accepted · 1 rejected · 2 without an email address or newsletter permission", "{job}");
        let received = hook_state.contacts.lock().expect("lock").clone();
        let mut emails: Vec<&str> = received.iter().filter_map(|c| c["email"].as_str()).collect();
        emails.sort();
        assert_eq!(emails, ["anna@example.dk", "bo@example.dk"]);
        assert!(received.iter().all(|c| c["tags"].as_array().is_some_and(|t| t.contains(&json!("Tosca buyers")))), "{received:?}");
        let file = app.client.get(app.url(&format!("/api/v1/jobs/{}/files/rejected.csv", id(&job)))).bearer_auth(&org.token).send().await.expect("file");
        assert_eq!(file.status(), 200);
        let csv = file.text().await.expect("text");
        assert_eq!(csv, format!("customer_id,email,reason\n{},bo@example.dk,mailbox unknown\n", customers[1]));

        // A dry run now: Anna is in the list already, Bo was refused, so Bo would be added again.
        let job = created(&app, &org, &format!("/api/v1/segments/{segment}/pushes"), json!({"selection": {}, "connector_id": connector, "dry_run": true})).await;
        let job = finished(&app, &org, &job).await;
        assert_eq!(job["progress_message"], "1 would be added · 0 would be removed", "{job}");
        app.finish().await;
    }
}
