//! The client against a local server on 127.0.0.1 that checks every request the way Meta reads
//! it (path, form fields, schema, 64-hex hashes, session order) and answers like Meta.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::client::{MetaClient, Operation, MAX_BATCH};
use super::normalize::{self, Person, SCHEMA};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    session: Value,
    rows: usize,
}

#[derive(Clone, Default)]
struct Graph {
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Checks one request and answers as Meta does; a malformed request gets Meta's error JSON.
async fn edge(
    State(graph): State<Graph>,
    method: Method,
    Path((version, audience, edge)): Path<(String, String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let error = |message: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": message, "type": "OAuthException", "code": 100}})),
        )
    };
    if form.get("access_token").map(String::as_str) != Some("EAAB-token") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "Invalid OAuth access token.", "code": 190}})),
        );
    }
    let Some(payload) = form
        .get("payload")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    else {
        return error("payload is not JSON");
    };
    let Some(session) = form
        .get("session")
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return error("session is not JSON");
    };
    if version != "v21.0" || audience != "2385" {
        return error("unknown audience");
    }
    let schema: Vec<&str> = payload["schema"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if schema != SCHEMA {
        return error("schema");
    }
    let data = payload["data"].as_array().cloned().unwrap_or_default();
    if data.is_empty() || data.len() > MAX_BATCH {
        return error("a batch holds 1 to 10000 rows");
    }
    let hashed_ok = data.iter().all(|row| {
        let cells = row.as_array().cloned().unwrap_or_default();
        cells.len() == SCHEMA.len()
            && cells.iter().skip(1).all(|c| {
                let c = c.as_str().unwrap_or("x");
                c.is_empty()
                    || (c.len() == 64
                        && c.chars()
                            .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()))
            })
    });
    if !hashed_ok {
        return error("every value but EXTERN_ID is a SHA-256 in lowercase hex");
    }
    let invalid = data
        .iter()
        .filter(|row| row[1].as_str().unwrap_or_default().is_empty())
        .count();
    graph.seen.lock().expect("lock").push(Seen {
        method,
        path: format!("/{version}/{audience}/{edge}"),
        session: session.clone(),
        rows: data.len(),
    });
    (
        StatusCode::OK,
        Json(json!({
            "audience_id": audience,
            "session_id": session["session_id"].to_string(),
            "num_received": data.len(),
            "num_invalid_entries": invalid,
            "invalid_entry_samples": if invalid > 0 { json!({"": "EMAIL missing"}) } else { json!({}) },
        })),
    )
}

async fn serve() -> (String, Graph) {
    let graph = Graph::default();
    let app = Router::new()
        .route("/{version}/{audience}/{edge}", post(edge).delete(edge))
        // 10,000 hashed rows are some 10 MB of form data; Meta takes them, axum's default
        // limit (2 MB) would not.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
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

fn rows(n: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let id = format!("cus_{i:026}");
            let email = format!("Customer{i}@Example.com");
            normalize::row(&Person {
                customer_id: &id,
                email: (i % 1000 != 7).then_some(email.as_str()),
                phone: Some("20 12 34 56"),
                country: Some("DK"),
                ..Person::default()
            })
        })
        .collect()
}

#[tokio::test]
async fn twenty_five_thousand_customers_go_in_three_batches_of_one_session() {
    let (base, graph) = serve().await;
    let client = MetaClient::new(reqwest::Client::new(), &base, "v21.0", "EAAB-token");
    let rows = rows(25_000);
    let mut progress = Vec::new();
    let report = client
        .upload(Operation::Replace, "2385", &SCHEMA, &rows, 42, |done| {
            progress.push(done);
            async { Ok(()) }
        })
        .await
        .expect("uploaded");
    assert_eq!(progress, [10_000, 20_000, 25_000]);
    assert_eq!(report.batches, 3);
    assert_eq!(report.num_received, 25_000);
    assert_eq!(
        report.num_invalid_entries, 25,
        "one missing email per thousand"
    );
    let seen = graph.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3);
    for (i, request) in seen.iter().enumerate() {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/v21.0/2385/usersreplace");
        assert_eq!(request.session["session_id"], 42);
        assert_eq!(request.session["batch_seq"], i + 1);
        assert_eq!(request.session["last_batch_flag"], i == 2);
        assert_eq!(request.session["estimated_num_total"], 25_000);
    }
    assert_eq!(
        seen.iter().map(|s| s.rows).collect::<Vec<_>>(),
        [10_000, 10_000, 5_000]
    );
}

#[tokio::test]
async fn adding_posts_and_removing_deletes_on_the_users_edge() {
    let (base, graph) = serve().await;
    let client = MetaClient::new(reqwest::Client::new(), &base, "v21.0", "EAAB-token");
    let rows = rows(3);
    for operation in [Operation::Add, Operation::Remove] {
        let report = client
            .upload(operation, "2385", &SCHEMA, &rows, 7, |_| async { Ok(()) })
            .await
            .expect("sent");
        assert_eq!((report.batches, report.num_received), (1, 3));
    }
    let seen = graph.seen.lock().expect("lock").clone();
    assert_eq!(seen[0].method, Method::POST);
    assert_eq!(seen[1].method, Method::DELETE);
    assert!(seen.iter().all(|s| s.path == "/v21.0/2385/users"));
    assert!(seen.iter().all(|s| s.session["last_batch_flag"] == true));
}

#[tokio::test]
async fn a_refused_token_is_a_clear_error_naming_the_credential() {
    let (base, _) = serve().await;
    let client = MetaClient::new(reqwest::Client::new(), &base, "v21.0", "wrong");
    let err = client
        .upload(Operation::Add, "2385", &SCHEMA, &rows(1), 1, |_| async {
            Ok(())
        })
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("Invalid OAuth access token") && text.contains("code 190"),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_to_send_is_said_before_any_request() {
    let client = MetaClient::new(reqwest::Client::new(), "http://127.0.0.1:9", "v21.0", "t");
    let err = client
        .upload(Operation::Replace, "2385", &SCHEMA, &[], 1, |_| async {
            Ok(())
        })
        .await
        .expect_err("nothing to send");
    assert!(err.to_string().contains("no customers"), "{err}");
}
