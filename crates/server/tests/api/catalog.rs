//! HTTP tests of the catalog routes: events, ticket types and shops.

use crate::common::*;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::store::ticket_types;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// Creates a resource and returns its id; the test fails with the body otherwise.
async fn create(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> String {
    let (status, created) = app.post(path, &org.token, body).await;
    assert_eq!(status, 201, "POST {path}: {created}");
    created["id"].as_str().unwrap_or_default().to_string()
}

/// A production, a venue and an event on 1 May 2026 at 19:30 UTC.
async fn event_of(app: &TestApp, org: &TestOrg) -> (String, String, String) {
    let production = create(app, org, "/api/v1/productions", json!({"name": "Hamlet"})).await;
    let venue = create(app, org, "/api/v1/venues", json!({"name": "Operaen"})).await;
    let event = create(
        app,
        org,
        "/api/v1/events",
        json!({"production_id": production, "venue_id": venue, "starts_at": "2026-05-01T19:30:00Z"}),
    )
    .await;
    (production, venue, event)
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

both_backends! {
    setup = spawn_app;

    async fn an_event_is_created_listed_fetched_changed_and_deleted(app: TestApp) {
        let org = app.new_org("events").await;
        let (production, venue, id) = event_of(&app, &org).await;
        let path = format!("/api/v1/events/{id}");
        let (status, event) = app.get(&path, &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(event["production_id"], production.as_str());
        assert_eq!(event["venue_id"], venue.as_str());
        assert_eq!(event["production_name"], "Hamlet");
        assert_eq!(event["venue_name"], "Operaen");
        assert_eq!(event["title"], "Hamlet");
        assert_eq!(event["status"], "scheduled");
        let (status, list) = app.get("/api/v1/events", &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), vec![id.clone()]);
        assert_eq!(list["items"][0]["venue_name"], "Operaen");
        let (status, changed) = app.patch(&path, &org.token, json!({"name": "Hamlet (premiere)", "status": "cancelled", "ends_at": "2026-05-01T22:30:00Z"})).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["title"], "Hamlet (premiere)");
        assert_eq!(changed["status"], "cancelled");
        assert_eq!(app.delete(&path, &org.token).await.0, 204);
        let (status, body) = app.get(&path, &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn bad_event_input_gets_a_422_naming_the_field(app: TestApp) {
        let a = app.new_org("badevent-a").await;
        let b = app.new_org("badevent-b").await;
        let (_, venue, _) = event_of(&app, &a).await;
        let foreign = create(&app, &b, "/api/v1/productions", json!({"name": "Theirs"})).await;
        let (status, body) = app.post("/api/v1/events", &a.token, json!({"production_id": foreign, "venue_id": venue, "starts_at": "2026-05-01T19:30:00Z"})).await;
        assert_error(status, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "production_id");
        let production = create(&app, &a, "/api/v1/productions", json!({"name": "Lear"})).await;
        let (status, body) = app.post("/api/v1/events", &a.token, json!({"production_id": production, "venue_id": venue, "starts_at": "2026-05-01T19:30:00Z", "ends_at": "2026-05-01T18:00:00Z"})).await;
        assert!(assert_error(status, &body, 422, "validation").starts_with("ends_at"));
        let (status, body) = app.post("/api/v1/events", &a.token, json!({"production_id": production, "venue_id": venue, "starts_at": "tomorrow"})).await;
        assert!(assert_error(status, &body, 422, "validation").contains("starts_at"));
        let (status, body) = app.post("/api/v1/events", &a.token, json!({"production_id": production, "venue_id": venue, "starts_at": "2026-05-01T19:30:00Z", "status": "postponed"})).await;
        assert!(assert_error(status, &body, 422, "validation").contains("status"));
        let (status, body) = app.get("/api/v1/events?from=yesterday", &a.token).await;
        assert_error(status, &body, 422, "validation");
        let (status, body) = app.get("/api/v1/events?venue_id=prd_01JD8Q3W6M4Z1T0R5Y7X2B9C4E", &a.token).await;
        assert_error(status, &body, 422, "validation");
        app.finish().await;
    }

    async fn events_are_listed_by_date_range(app: TestApp) {
        let org = app.new_org("eventrange").await;
        let production = create(&app, &org, "/api/v1/productions", json!({"name": "Hamlet"})).await;
        let venue = create(&app, &org, "/api/v1/venues", json!({"name": "Operaen"})).await;
        let mut events = Vec::new();
        for day in ["2026-04-30", "2026-05-01", "2026-05-15", "2026-06-01"] {
            events.push(create(&app, &org, "/api/v1/events", json!({"production_id": production, "venue_id": venue, "starts_at": format!("{day}T19:30:00Z")})).await);
        }
        let (status, may) = app.get("/api/v1/events?from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z", &org.token).await;
        assert_eq!(status, 200, "{may}");
        assert_eq!(ids(&may), [events[1].clone(), events[2].clone()]);
        let (_, later) = app.get(&format!("/api/v1/events?venue_id={venue}&from=2026-05-02T00:00:00Z&limit=1"), &org.token).await;
        assert_eq!(ids(&later), [events[2].clone()]);
        let cursor = later["next_cursor"].as_str().unwrap_or_default().to_string();
        let (_, next) = app.get(&format!("/api/v1/events?venue_id={venue}&from=2026-05-02T00:00:00Z&limit=1&cursor={cursor}"), &org.token).await;
        assert_eq!(ids(&next), [events[3].clone()]);
        assert_eq!(next["next_cursor"], Value::Null);
        app.finish().await;
    }

    async fn a_ticket_type_is_created_listed_fetched_changed_and_deleted(app: TestApp) {
        let org = app.new_org("tickettypes").await;
        let (_, _, event) = event_of(&app, &org).await;
        let list_path = format!("/api/v1/events/{event}/ticket-types");
        let id = create(&app, &org, &list_path, json!({"name": "Adult", "category": "A", "price_minor": 34500, "capacity": 200})).await;
        let (status, list) = app.get(&list_path, &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), vec![id.clone()]);
        let path = format!("/api/v1/ticket-types/{id}");
        let (status, got) = app.get(&path, &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(got["currency"], "DKK");
        assert_eq!((got["sold"].as_i64(), got["available"].as_i64()), (Some(0), Some(200)));
        assert_eq!(got["hidden"], false);
        let (status, changed) = app.patch(&path, &org.token, json!({"price_minor": 29500, "hidden": true, "category": ""})).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((changed["price_minor"].as_i64(), changed["hidden"].as_bool()), (Some(29500), Some(true)));
        assert_eq!(changed["category"], Value::Null);
        let (status, body) = app.patch(&path, &org.token, json!({"price_minor": -5})).await;
        assert!(assert_error(status, &body, 422, "validation").starts_with("price_minor"));
        assert_eq!(app.delete(&path, &org.token).await.0, 204);
        let (status, body) = app.get(&path, &org.token).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.post("/api/v1/events/evt_01JD8Q3W6M4Z1T0R5Y7X2B9C4E/ticket-types", &org.token, json!({"name": "x", "price_minor": 1})).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn ticket_type_capacity_cannot_go_below_sold_over_http(app: TestApp) {
        let org = app.new_org("capacity").await;
        let (_, _, event) = event_of(&app, &org).await;
        let id = create(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Adult", "price_minor": 100, "capacity": 10})).await;
        // What checkout does when it sells seven.
        ticket_types::Entity::update_many()
            .col_expr(ticket_types::Column::Sold, sea_orm::sea_query::Expr::value(7))
            .filter(ticket_types::Column::Id.eq(id.as_str()))
            .exec(app.db.db.writer())
            .await
            .expect("sold");
        let path = format!("/api/v1/ticket-types/{id}");
        let (status, body) = app.patch(&path, &org.token, json!({"capacity": 6})).await;
        assert_eq!(assert_error(status, &body, 422, "validation"), "capacity: cannot be lower than the 7 tickets already sold");
        let (status, body) = app.patch(&path, &org.token, json!({"capacity": 8})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["capacity"].as_i64(), body["sold"].as_i64(), body["available"].as_i64()), (Some(8), Some(7), Some(1)));
        app.finish().await;
    }

    async fn a_shop_is_created_listed_fetched_changed_and_deleted(app: TestApp) {
        let org = app.new_org("shops").await;
        let (_, _, event) = event_of(&app, &org).await;
        let id = create(&app, &org, "/api/v1/shops", json!({"name": "Friends of the house", "kind": "secret"})).await;
        let ticket_type = create(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Friend", "price_minor": 0, "shop_id": id})).await;
        let (status, list) = app.get("/api/v1/shops", &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(list["items"][0]["ticket_type_ids"], json!([ticket_type]));
        let path = format!("/api/v1/shops/{id}");
        let (status, shop) = app.get(&path, &org.token).await;
        assert_eq!((status.as_u16(), shop["kind"].as_str()), (200, Some("secret")));
        let (status, changed) = app.patch(&path, &org.token, json!({"kind": "public"})).await;
        assert_eq!((status.as_u16(), changed["kind"].as_str()), (200, Some("public")));
        let (status, body) = app.delete(&path, &org.token).await;
        assert_error(status, &body, 409, "conflict");
        let (status, body) = app.post("/api/v1/shops", &org.token, json!({"name": "x", "kind": "hidden"})).await;
        assert!(assert_error(status, &body, 422, "validation").contains("kind"));
        assert_eq!(app.delete(&format!("/api/v1/ticket-types/{ticket_type}"), &org.token).await.0, 204);
        assert_eq!(app.delete(&path, &org.token).await.0, 204);
        let (status, body) = app.get(&path, &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn deleting_what_is_in_use_is_a_conflict(app: TestApp) {
        let org = app.new_org("inuse").await;
        let (_, venue, event) = event_of(&app, &org).await;
        let (status, body) = app.delete(&format!("/api/v1/venues/{venue}"), &org.token).await;
        assert_error(status, &body, 409, "conflict");
        let area = {
            let (status, map) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(json!({"ga_areas": [{"name": "Floor", "capacity": 100}]}))).await;
            assert_eq!(status, 200, "{map}");
            map["ga_areas"][0]["id"].as_str().unwrap_or_default().to_string()
        };
        create(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Floor", "price_minor": 100, "ga_area_id": area})).await;
        let (status, body) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(json!({}))).await;
        assert_error(status, &body, 409, "conflict");
        let other_venue = create(&app, &org, "/api/v1/venues", json!({"name": "Elsewhere"})).await;
        let (status, body) = app.patch(&format!("/api/v1/events/{event}"), &org.token, json!({"venue_id": other_venue})).await;
        assert_error(status, &body, 409, "conflict");
        app.finish().await;
    }

    async fn organization_b_gets_not_found_on_events_ticket_types_and_shops_of_a(app: TestApp) {
        let a = app.new_org("cat-a").await;
        let b = app.new_org("cat-b").await;
        let (_, _, event) = event_of(&app, &a).await;
        let ticket_type = create(&app, &a, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Adult", "price_minor": 100})).await;
        let shop = create(&app, &a, "/api/v1/shops", json!({"name": "Public", "kind": "public"})).await;
        for path in [
            format!("/api/v1/events/{event}"),
            format!("/api/v1/events/{event}/ticket-types"),
            format!("/api/v1/ticket-types/{ticket_type}"),
            format!("/api/v1/shops/{shop}"),
        ] {
            let (status, body) = app.get(&path, &b.token).await;
            assert_error(status, &body, 404, "not_found");
        }
        for path in [format!("/api/v1/events/{event}"), format!("/api/v1/ticket-types/{ticket_type}"), format!("/api/v1/shops/{shop}")] {
            let (status, body) = app.patch(&path, &b.token, json!({"name": "Mine"})).await;
            assert_error(status, &body, 404, "not_found");
            let (status, body) = app.delete(&path, &b.token).await;
            assert_error(status, &body, 404, "not_found");
        }
        let (status, body) = app.post(&format!("/api/v1/events/{event}/ticket-types"), &b.token, json!({"name": "x", "price_minor": 1})).await;
        assert_error(status, &body, 404, "not_found");
        let (_, events) = app.get("/api/v1/events", &b.token).await;
        assert_eq!(events["items"], json!([]));
        let (_, shops) = app.get("/api/v1/shops", &b.token).await;
        assert_eq!(shops["items"], json!([]));
        let (status, _) = app.get(&format!("/api/v1/ticket-types/{ticket_type}"), &a.token).await;
        assert_eq!(status, 200, "A still has it");
        app.finish().await;
    }

    async fn the_catalog_routes_are_in_the_openapi_document(app: TestApp) {
        let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.expect("doc").json().await.unwrap_or_default();
        for (path, method) in [
            ("/api/v1/events", "get"), ("/api/v1/events", "post"),
            ("/api/v1/events/{id}", "patch"), ("/api/v1/events/{id}", "delete"),
            ("/api/v1/events/{id}/ticket-types", "get"), ("/api/v1/events/{id}/ticket-types", "post"),
            ("/api/v1/ticket-types/{id}", "get"), ("/api/v1/ticket-types/{id}", "patch"), ("/api/v1/ticket-types/{id}", "delete"),
            ("/api/v1/shops", "get"), ("/api/v1/shops", "post"), ("/api/v1/shops/{id}", "delete"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path} is missing");
        }
        let params: Vec<&str> = doc["paths"]["/api/v1/events"]["get"]["parameters"].as_array().map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
        for name in ["production_id", "venue_id", "from", "to", "status", "cursor", "limit"] {
            assert!(params.contains(&name), "{name} is not documented: {params:?}");
        }
        app.finish().await;
    }
}
