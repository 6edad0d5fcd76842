//! HTTP tests of the venues routes: venues, seat maps and seat-map CSV imports.

use crate::common::*;
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

async fn create_venue(app: &TestApp, org: &TestOrg, name: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/venues",
            &org.token,
            json!({"name": name, "city": "Aarhus", "latitude": 56.15, "longitude": 10.21}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_string()
}

fn small_map() -> Value {
    json!({
        "sections": [
            {"name": "Parket", "groups": [
                {"name": "Venstre", "rows": [
                    {"name": "1", "seats": [{"label": "1", "category": "A"}, {"label": "2", "category": "A"}]},
                    {"name": "2", "seats": [{"label": "1", "category": "B"}]}
                ]}
            ]},
            {"name": "Balkon", "groups": [{"name": "Midt", "rows": [{"name": "1", "seats": [{"label": "7", "category": null}]}]}]}
        ],
        "ga_areas": [{"name": "Gulv", "capacity": 250, "category": null}]
    })
}

fn without_ids(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                fields.remove("id");
                fields.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

both_backends! {
    setup = spawn_app;

    async fn a_venue_is_created_listed_fetched_changed_and_deleted(app: TestApp) {
        let org = app.new_org("venues").await;
        let id = create_venue(&app, &org, "Musikhuset").await;
        let (status, list) = app.get("/api/v1/venues", &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(list["items"][0]["id"], id.as_str());
        assert_eq!(list["items"][0]["timezone"], "Europe/Copenhagen");
        assert_eq!(list["next_cursor"], Value::Null);
        let path = format!("/api/v1/venues/{id}");
        let (status, got) = app.get(&path, &org.token).await;
        assert_eq!((status.as_u16(), got["name"].as_str()), (200, Some("Musikhuset")));
        let (status, changed) = app.patch(&path, &org.token, json!({"name": "Musikhuset Aarhus", "postal_code": "8000"})).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["postal_code"], "8000");
        assert_eq!(changed["latitude"], 56.15);
        let (status, _) = app.delete(&path, &org.token).await;
        assert_eq!(status, 204);
        let (status, body) = app.get(&path, &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn bad_venue_input_gets_the_error_shape_naming_the_field(app: TestApp) {
        let org = app.new_org("badvenue").await;
        let (status, body) = app.post("/api/v1/venues", &org.token, json!({"name": "  "})).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("name"), "{message}");
        let (status, body) = app.post("/api/v1/venues", &org.token, json!({"name": "X", "latitude": 91, "longitude": 0})).await;
        assert_eq!(assert_error(status, &body, 422, "validation"), "latitude: must be between -90 and 90");
        let (status, body) = app.post("/api/v1/venues", &org.token, json!({"name": "X", "timezone": "Mars Base"})).await;
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "timezone", "{body}");
        assert_eq!(status, 422);
        let (status, body) = app.post("/api/v1/venues", &org.token, json!({"name": "X", "seats": 5})).await;
        assert!(assert_error(status, &body, 422, "validation").contains("seats"));
        let (status, body) = app.get("/api/v1/venues/evt_01JD8Q3W6M4Z1T0R5Y7X2B9C4E", &org.token).await;
        assert_error(status, &body, 400, "invalid_id");
        let (status, body) = app.get("/api/v1/venues/ven_01JD8Q3W6M4Z1T0R5Y7X2B9C4E", &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn a_viewer_reads_venues_but_cannot_change_them(app: TestApp) {
        let org = app.new_org("viewer").await;
        let id = create_venue(&app, &org, "Musikhuset").await;
        let (_, token) = app.post("/api/v1/api-tokens", &org.token, json!({"name": "ro", "role": "viewer"})).await;
        let viewer = token["secret"].as_str().unwrap_or_default().to_string();
        assert_eq!(app.get(&format!("/api/v1/venues/{id}/seat-map"), &viewer).await.0, 200);
        let (status, body) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{id}/seat-map"), &viewer, Some(small_map())).await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = app.upload(&format!("/api/v1/venues/{id}/seat-map/import"), &viewer, "text/csv", b"ga,capacity\nFloor,10\n".to_vec()).await;
        assert_error(status, &body, 403, "forbidden");
        app.finish().await;
    }

    async fn a_seat_map_put_as_nested_json_comes_back_the_same(app: TestApp) {
        let org = app.new_org("seatmap").await;
        let id = create_venue(&app, &org, "Musikhuset").await;
        let path = format!("/api/v1/venues/{id}/seat-map");
        let (status, empty) = app.get(&path, &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(empty, json!({"sections": [], "ga_areas": [], "seat_count": 0}));
        let (status, put) = app.call(reqwest::Method::PUT, &path, &org.token, Some(small_map())).await;
        assert_eq!(status, 200, "{put}");
        let (status, got) = app.get(&path, &org.token).await;
        assert_eq!(status, 200);
        assert_eq!(got, put);
        let mut expected = small_map();
        expected["seat_count"] = json!(4);
        assert_eq!(without_ids(got.clone()), expected);
        assert!(got["sections"][0]["groups"][0]["rows"][0]["seats"][0]["id"].as_str().unwrap_or_default().starts_with("seat_"));
        // Sending the fetched map back as it is changes nothing, ids included.
        let (status, again) = app.call(reqwest::Method::PUT, &path, &org.token, Some(got.clone())).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again, got);
        let (status, body) = app.call(reqwest::Method::PUT, &path, &org.token, Some(json!({"sections": [{"name": "P", "groups": []}]}))).await;
        assert_eq!(assert_error(status, &body, 422, "validation").split(':').next(), Some("sections[0].groups"));
        app.finish().await;
    }

    async fn a_danish_windows_1252_csv_with_semicolons_becomes_the_seat_map(app: TestApp) {
        let org = app.new_org("csvimport").await;
        let id = create_venue(&app, &org, "Musikhuset").await;
        let text = "Sektion;Blok;Række;Plads;Kategori;Ståplads;Kapacitet\r\n\
                    Parket;Venstre;1;1;A;;\r\n\
                    Parket;Venstre;1;2;A;;\r\n\
                    Parket;Venstre;2;1;B;;\r\n\
                    Balkon;Midt;1;7;;;\r\n\
                    ;;;;;Gulv;250\r\n";
        let bytes: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect();
        let (status, map) = app.upload(&format!("/api/v1/venues/{id}/seat-map/import"), &org.token, "text/csv", bytes).await;
        assert_eq!(status, 200, "{map}");
        let mut expected = small_map();
        expected["seat_count"] = json!(4);
        assert_eq!(without_ids(map), expected);
        let (_, fetched) = app.get(&format!("/api/v1/venues/{id}/seat-map"), &org.token).await;
        assert_eq!(fetched["seat_count"], 4);
        app.finish().await;
    }

    async fn a_csv_with_a_bad_row_reports_row_and_column_and_changes_nothing(app: TestApp) {
        let org = app.new_org("badcsv").await;
        let id = create_venue(&app, &org, "Musikhuset").await;
        let path = format!("/api/v1/venues/{id}/seat-map");
        let (_, before) = app.call(reqwest::Method::PUT, &path, &org.token, Some(small_map())).await;
        let csv = b"section,group,row,seat\nStalls,Left,A,1\nStalls,Left,,2\n".to_vec();
        let (status, body) = app.upload(&format!("{path}/import"), &org.token, "text/csv", csv).await;
        let message = assert_error(status, &body, 422, "validation");
        assert_eq!(message, "row 3, row: cannot be empty");
        assert_eq!(body["error"]["details"]["fields"], json!([{"field": "row", "row": 3, "reason": "cannot be empty"}]));
        let (_, after) = app.get(&path, &org.token).await;
        assert_eq!(after, before);
        let (status, body) = app.upload(&format!("{path}/import"), &org.token, "application/json", b"{}".to_vec()).await;
        assert_error(status, &body, 415, "unsupported_media_type");
        app.finish().await;
    }

    async fn organization_b_gets_not_found_on_a_venue_of_organization_a(app: TestApp) {
        let a = app.new_org("org-a").await;
        let b = app.new_org("org-b").await;
        let id = create_venue(&app, &a, "Musikhuset").await;
        let path = format!("/api/v1/venues/{id}");
        app.call(reqwest::Method::PUT, &format!("{path}/seat-map"), &a.token, Some(small_map())).await;
        let (status, body) = app.get(&path, &b.token).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.patch(&path, &b.token, json!({"name": "Mine"})).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.get(&format!("{path}/seat-map"), &b.token).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.call(reqwest::Method::PUT, &format!("{path}/seat-map"), &b.token, Some(json!({}))).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.upload(&format!("{path}/seat-map/import"), &b.token, "text/csv", b"ga,capacity\nFloor,10\n".to_vec()).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.delete(&path, &b.token).await;
        assert_error(status, &body, 404, "not_found");
        let (_, list) = app.get("/api/v1/venues", &b.token).await;
        assert_eq!(list["items"], json!([]));
        let (_, map) = app.get(&format!("{path}/seat-map"), &a.token).await;
        assert_eq!(map["seat_count"], 4, "A's map is untouched");
        app.finish().await;
    }

    async fn the_venue_routes_are_in_the_openapi_document(app: TestApp) {
        let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.expect("doc").json().await.unwrap_or_default();
        for path in ["/api/v1/venues", "/api/v1/venues/{id}", "/api/v1/venues/{id}/seat-map", "/api/v1/venues/{id}/seat-map/import"] {
            assert!(doc["paths"][path].is_object(), "{path} is missing");
        }
        assert!(doc["paths"]["/api/v1/venues/{id}/seat-map"]["put"].is_object());
        assert!(doc["paths"]["/api/v1/venues/{id}/seat-map/import"]["post"]["requestBody"]["content"]["text/csv"].is_object());
        assert!(doc["components"]["schemas"]["SeatMap"].is_object());
        app.finish().await;
    }
}
