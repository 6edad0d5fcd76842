//! Two real `fullhouse serve` processes on one PostgreSQL: an order placed through one shows in
//! the other's segment count within a second (each process keeps its own segment index fresh
//! from the domain-event outbox).

use std::time::{Duration, Instant};

use fullhouse_core::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::processes::{setup, ServerProcess};

/// One process's API, as the tests' organization owner.
struct Api<'a> {
    client: reqwest::Client,
    server: &'a ServerProcess,
    token: &'a str,
}

impl Api<'_> {
    async fn call(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.server.base))
            .bearer_auth(self.token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POSTs and returns the new resource's id.
    async fn create(&self, path: &str, body: Value) -> String {
        let (status, created) = self.call(Method::POST, path, body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {created}");
        created["id"].as_str().unwrap_or_default().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_placed_through_one_server_shows_in_the_other_servers_segment_count_within_a_second(
) {
    let Some(s) = setup(Backend::Postgres).await else {
        return;
    };
    let first = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
    let second = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
    let client = reqwest::Client::new();
    let (one, two) = (
        Api {
            client: client.clone(),
            server: &first,
            token: &s.token,
        },
        Api {
            client,
            server: &second,
            token: &s.token,
        },
    );

    let venue = one
        .create("/api/v1/venues", json!({"name": "Main Stage"}))
        .await;
    let (status, map) = one
        .call(
            Method::PUT,
            &format!("/api/v1/venues/{venue}/seat-map"),
            json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{map}");
    let production = one
        .create("/api/v1/productions", json!({"name": "Carmen"}))
        .await;
    let event = one
        .create(
            "/api/v1/events",
            json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"}),
        )
        .await;
    let ticket_type = one
        .create(
            &format!("/api/v1/events/{event}/ticket-types"),
            json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]}),
        )
        .await;
    let customer = one
        .create(
            "/api/v1/customers",
            json!({"first_name": "Mette", "email": "mette@example.dk"}),
        )
        .await;
    let segment = one
        .create(
            "/api/v1/segments",
            json!({"name": "Carmen buyers", "event_filter": {"production_ids": [production]}}),
        )
        .await;
    let counts = format!("/api/v1/segments/{segment}/counts");
    // Counting on the second server builds its index now, before the order exists.
    let (status, before) = two.call(Method::POST, &counts, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["segment"], 0, "{before}");

    let (status, order) = one
        .call(
            Method::POST,
            "/api/v1/orders",
            json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": ticket_type, "ga_name": "Floor"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let placed = Instant::now();
    let after = loop {
        let (status, counts) = two.call(Method::POST, &counts, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{counts}");
        if counts["segment"] == 1 || placed.elapsed() > Duration::from_secs(3) {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let waited = placed.elapsed();
    assert_eq!(
        after["segment"], 1,
        "the second server never counted the order: {after}"
    );
    assert_eq!(after["customers"][0]["id"], customer.as_str(), "{after}");
    assert!(
        waited < Duration::from_secs(1),
        "the second server caught up after {waited:?}"
    );
}
