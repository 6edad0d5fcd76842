//! A segment view feeds an audience (issue #19 point 6): made from a saved view, members bound to
//! its customers, refreshed when the view's customers change, kept in step daily by the sweep,
//! and every step in the audit log.

use crate::common::*;
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

/// The customers bound to the audience's members, sorted.
async fn member_customers(app: &TestApp, org: &TestOrg, audience: &str) -> Vec<String> {
    let (status, page) = app
        .get(
            &format!("/api/v1/audiences/{audience}/members?limit=500"),
            &org.token,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut customers: Vec<String> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["customer_id"].as_str().unwrap_or("unbound").to_string())
        .collect();
    customers.sort();
    customers
}

both_backends! {
    setup = spawn_app;

    async fn a_saved_view_feeds_an_audience_that_follows_it_and_every_step_is_audited(app: TestApp) {
        let org = app.new_org("segment-audiences").await;
        let venue = id(&created(&app, &org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
        let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
        let (status, map) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(map)).await;
        assert_eq!(status, 200, "{map}");
        let production = id(&created(&app, &org, "/api/v1/productions", json!({"name": "Carmen"})).await);
        let event = id(&created(&app, &org, "/api/v1/events", json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"})).await);
        let ticket_type = id(&created(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]})).await);
        let mut customers = Vec::new();
        for (name, tags) in [("Mette", json!(["vip"])), ("Lars", json!(["vip"])), ("Sofie", json!([]))] {
            let customer = id(&created(&app, &org, "/api/v1/customers", json!({"first_name": name, "email": format!("{}@example.dk", name.to_lowercase()), "tags": tags})).await);
            created(&app, &org, "/api/v1/orders", json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": ticket_type, "ga_name": "Floor"}]})).await;
            customers.push(customer);
        }
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen buyers", "event_filter": {"production_ids": [production]}})).await);
        let view = id(&created(&app, &org, &format!("/api/v1/segments/{segment}/views"), json!({"name": "VIPs", "filters": [{"kind": "tag", "tag": "vip", "mode": "include"}]})).await);

        // A quantity out of range, a view and filters at once: refused by
        // field, and nothing is made.
        let (status, taken) = app.post(&format!("/api/v1/segments/{segment}/audiences"), &org.token, json!({"selection": {"view_id": view}, "name": "Loyal VIPs", "quantity": 0})).await;
        assert_error(status, &taken, 422, "validation");
        assert_eq!(taken["error"]["details"]["fields"][0]["field"], "quantity", "{taken}");
        let (status, both) = app.post(&format!("/api/v1/segments/{segment}/audiences"), &org.token, json!({"selection": {"view_id": view, "filters": [{"kind": "tag", "tag": "vip", "mode": "include"}]}, "name": "Loyal VIPs"})).await;
        assert_error(status, &both, 422, "validation");

        let started = created(&app, &org, &format!("/api/v1/segments/{segment}/audiences"), json!({"selection": {"view_id": view}, "name": "Loyal VIPs", "quantity": 2, "sync": "daily"})).await;
        let audience = started["audience"]["audience_id"].as_str().expect("audience id").to_string();
        assert_eq!(started["job"]["status"], "queued", "{started}");
        run_jobs(&app).await;
        let mut vips = vec![customers[0].clone(), customers[1].clone()];
        vips.sort();
        assert_eq!(member_customers(&app, &org, &audience).await, vips);
        let (_, made) = app.get(&format!("/api/v1/audiences/{audience}"), &org.token).await;
        assert_eq!(made["source"], "segment", "{made}");
        assert_eq!(made["total_quantity"], 4, "two uses each: {made}");

        // Lars is no VIP any more, Sofie is: a refresh follows the view.
        let (status, _) = app.call(reqwest::Method::DELETE, &format!("/api/v1/customers/{}/tags/vip", customers[1]), &org.token, None).await;
        assert!(status.is_success(), "{status}");
        let (status, tagged) = app.post(&format!("/api/v1/customers/{}/tags", customers[2]), &org.token, json!({"tag": "vip"})).await;
        assert_eq!(status, 200, "{tagged}");
        let job = created(&app, &org, &format!("/api/v1/segments/audiences/{audience}/refresh"), json!({})).await;
        run_jobs(&app).await;
        let (_, job) = app.get(&format!("/api/v1/jobs/{}", id(&job)), &org.token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let mut now_vips = vec![customers[0].clone(), customers[2].clone()];
        now_vips.sort();
        assert_eq!(member_customers(&app, &org, &audience).await, now_vips);
        let (_, listed) = app.get("/api/v1/segments/audiences", &org.token).await;
        assert_eq!(listed["items"][0]["last_sync"]["added"], 1, "{listed}");
        assert_eq!(listed["items"][0]["last_sync"]["removed"], 1, "{listed}");
        assert_eq!(listed["items"][0]["last_sync"]["members"], 2, "{listed}");

        // The daily sweep claims a due audience once, however many times it runs.
        let db = &app.server.state.db;
        {
            use sea_orm::{ConnectionTrait, Statement};
            db.writer()
                .execute(Statement::from_sql_and_values(
                    db.db_backend(),
                    match db.db_backend() {
                        sea_orm::DbBackend::Postgres => "UPDATE segment_audiences SET next_sync_at = $1",
                        _ => "UPDATE segment_audiences SET next_sync_at = ?",
                    },
                    [sea_orm::Value::ChronoDateTimeUtc(Some(Box::new(chrono::Utc::now() - chrono::Duration::hours(1))))],
                ))
                .await
                .expect("made due");
        }
        assert_eq!(fullhouse_segments::jobs::audience::sweep_once(db).await.expect("sweep"), 1);
        assert_eq!(fullhouse_segments::jobs::audience::sweep_once(db).await.expect("sweep"), 0);
        run_jobs(&app).await;
        let (_, listed) = app.get("/api/v1/segments/audiences", &org.token).await;
        assert_eq!(listed["items"][0]["last_sync"]["added"], 0, "an unchanged view changes nothing: {listed}");
        assert_eq!(listed["items"][0]["last_sync"]["removed"], 0, "{listed}");

        // Manual from now on: the sweep leaves it alone.
        let (status, manual) = app.call(reqwest::Method::PUT, &format!("/api/v1/segments/audiences/{audience}/sync"), &org.token, Some(json!({"sync": "manual"}))).await;
        assert_eq!(status, 200, "{manual}");
        assert_eq!(manual["next_sync_at"], Value::Null, "{manual}");

        // The audit log has the making and the asked-for refresh, with who, which view and how many.
        let (status, log) = app.get("/api/v1/audit-log?action=segment.", &org.token).await;
        assert_eq!(status, 200, "{log}");
        let entries = log["items"].as_array().expect("entries");
        assert_eq!(entries.len(), 2, "{log}");
        assert!(entries.iter().all(|e| e["action"] == "segment.audience"), "{log}");
        assert_eq!(entries[1]["details"]["view"], "VIPs", "{log}");
        assert_eq!(entries[1]["details"]["customers"], 2, "{log}");
        assert_eq!(entries[1]["details"]["audience"], "Loyal VIPs", "{log}");
        assert_eq!(entries[0]["details"]["refresh"], true, "{log}");
        app.finish().await;
    }
}
