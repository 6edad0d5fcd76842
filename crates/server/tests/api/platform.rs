//! Login, tokens, health, metrics, the OpenAPI document, the error shape.

use crate::common::*;
use fullhouse_testkit::both_backends;
use serde_json::json;

both_backends! {
    setup = spawn_app;

    async fn an_owner_logs_in_and_uses_the_session_token(app: TestApp) {
        let org = app.new_org("login").await;
        let (status, body) = app
            .post("/api/v1/auth/login", "", json!({"email": org.admin_email, "password": org.admin_password}))
            .await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap_or_default().to_string();
        assert!(token.starts_with("fhs_"));
        let (status, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(status, 200);
        assert_eq!(me["organization"]["slug"], "login");
        assert_eq!(me["role"], "owner");
        app.finish().await;
    }

    async fn a_wrong_password_is_refused_with_the_error_shape(app: TestApp) {
        let org = app.new_org("wrongpw").await;
        let (status, body) = app
            .post("/api/v1/auth/login", "", json!({"email": org.admin_email, "password": "not the password"}))
            .await;
        assert_error(status, &body, 401, "unauthorized");
        app.finish().await;
    }

    async fn a_revoked_api_token_stops_working(app: TestApp) {
        let org = app.new_org("revoke").await;
        let (status, created) = app.post("/api/v1/api-tokens", &org.token, json!({"name": "ci", "role": "viewer"})).await;
        assert_eq!(status, 201, "{created}");
        let secret = created["secret"].as_str().unwrap_or_default().to_string();
        assert_eq!(app.get("/api/v1/me", &secret).await.0, 200);
        let (status, _) = app.post("/api/v1/productions", &secret, json!({"name": "Hamlet"})).await;
        assert_eq!(status, 403, "a viewer token cannot write");
        let id = created["id"].as_str().unwrap_or_default();
        assert_eq!(app.delete(&format!("/api/v1/api-tokens/{id}"), &org.token).await.0, 204);
        let (status, body) = app.get("/api/v1/me", &secret).await;
        assert_error(status, &body, 401, "unauthorized");
        app.finish().await;
    }

    async fn health_metrics_and_openapi_answer(app: TestApp) {
        let health = app.client.get(app.url("/healthz")).send().await.expect("healthz");
        assert_eq!(health.status(), 200);
        let _ = app.client.get(app.url("/api/v1/me")).send().await;
        let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics");
        let text = metrics.text().await.unwrap_or_default();
        assert!(text.contains("fullhouse_http_requests_total"), "{text}");
        let doc: serde_json::Value = app.client.get(app.url("/api/openapi.json")).send().await.expect("doc").json().await.unwrap_or_default();
        assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3.1"));
        assert!(doc["paths"]["/api/v1/productions"].is_object());
        app.finish().await;
    }

    async fn malformed_bodies_get_a_4xx_that_names_the_field(app: TestApp) {
        let org = app.new_org("badinput").await;
        let raw = app.client.post(app.url("/api/v1/productions")).bearer_auth(&org.token)
            .header("content-type", "application/json").body("{\"name\": ").send().await.expect("sent");
        let status = raw.status();
        let body: serde_json::Value = raw.json().await.unwrap_or_default();
        assert_error(status, &body, 400, "malformed_body");

        let (status, body) = app.post("/api/v1/productions", &org.token, json!({"name": 5})).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("name"), "{message}");

        let (status, body) = app.post("/api/v1/productions", &org.token, json!({"name": "x", "colour": "red"})).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("colour"), "{message}");

        let (status, body) = app.get("/api/v1/productions/not-an-id", &org.token).await;
        assert_error(status, &body, 400, "invalid_id");

        // Its own client: the server answers 413 and closes the connection while the body is still
        // being written, which must not poison the shared client's connection pool.
        let huge = json!({"name": "x".repeat(3 * 1024 * 1024)});
        let response = reqwest::Client::new().post(app.url("/api/v1/productions")).bearer_auth(&org.token)
            .json(&huge).send().await.expect("sent");
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert_error(status, &body, 413, "payload_too_large");

        let (status, body) = app.get("/api/v1/nope", &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }
}

/// SQLite allows one writer; Fullhouse queues writers on its single write connection, so a burst
/// of concurrent writes all succeed instead of failing with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_writers_on_sqlite_all_succeed() {
    let app = TestApp::spawn(fullhouse_core::Backend::Sqlite)
        .await
        .expect("sqlite app");
    let org = app.new_org("writers").await;
    let writes = (0..200).map(|i| {
        let app = &app;
        let token = org.token.clone();
        async move {
            if i % 2 == 0 {
                app.post(
                    "/api/v1/productions",
                    &token,
                    json!({"name": format!("Show {i}")}),
                )
                .await
            } else {
                app.patch(
                    "/api/v1/organization",
                    &token,
                    json!({"name": format!("Renamed {i}")}),
                )
                .await
            }
        }
    });
    let results = futures::future::join_all(writes).await;
    let failures: Vec<_> = results
        .iter()
        .filter(|(status, _)| !status.is_success())
        .collect();
    assert!(
        failures.is_empty(),
        "{} writes failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    let (_, page) = app.get("/api/v1/productions?limit=500", &org.token).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(100));
    app.finish().await;
}

both_backends! {
    setup = spawn_app;

    async fn password_guessing_is_rate_limited(app: TestApp) {
        let org = app.new_org("guessing").await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let (status, _) = app.post("/api/v1/auth/login", "", json!({"email": org.admin_email, "password": "guess guess guess"})).await;
            statuses.push(status.as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
        let (status, body) = app.post("/api/v1/auth/login", "", json!({"email": org.admin_email, "password": org.admin_password})).await;
        assert_error(status, &body, 429, "rate_limited");
        app.finish().await;
    }
}
