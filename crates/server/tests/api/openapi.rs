//! The API answers what its OpenAPI document says (issue #13, finding 6): the regressions
//! schemathesis found, each pinned over HTTP.

use crate::common::*;
use fullhouse_core::Backend;
use serde_json::{json, Value};

async fn app() -> Option<(TestApp, TestOrg)> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let org = app.new_org("documented").await;
    Some((app, org))
}

#[tokio::test]
async fn an_error_without_details_answers_an_empty_object_not_null() {
    let Some((app, org)) = app().await else {
        return;
    };
    let (status, body) = app
        .get(
            "/api/v1/audiences/aud_01JD8Q3W6M4Z1T0R5Y7X2B9C4E",
            &org.token,
        )
        .await;
    assert_error(status, &body, 404, "not_found");
    assert_eq!(body["error"]["details"], json!({}), "{body}");
    let (status, body) = app.get("/api/v1/audiences", "not-a-token").await;
    assert_error(status, &body, 401, "unauthorized");
    assert_eq!(body["error"]["details"], json!({}), "{body}");
    app.finish().await;
}

#[tokio::test]
async fn a_wrong_kind_of_id_in_the_path_answers_its_kind_value_and_reason() {
    let Some((app, org)) = app().await else {
        return;
    };
    // One path parameter (axum reports a bare message) and two (it reports the key).
    for path in [
        "/api/v1/ticket-types/shp_01M90SQ4VZZ3BJP65BGH974AVK",
        "/api/v1/audiences/shp_01M90SQ4VZZ3BJP65BGH974AVK/members/mem_01M90SQ4VZZ3BJP65BGH974AVK",
    ] {
        let (status, body) = app.get(path, &org.token).await;
        let message = assert_error(status, &body, 400, "invalid_id");
        assert!(
            message.starts_with("`shp_01M90SQ4VZZ3BJP65BGH974AVK` is not a valid ")
                && message.ends_with("id: it belongs to another kind of resource"),
            "{path}: {message}"
        );
        assert_eq!(
            body["error"]["details"]["value"], "shp_01M90SQ4VZZ3BJP65BGH974AVK",
            "{path}: {body}"
        );
        assert_ne!(body["error"]["details"]["kind"], "path", "{path}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn an_id_whose_ulid_overflows_128_bits_is_not_another_id() {
    let Some((app, org)) = app().await else {
        return;
    };
    let (status, created) = app
        .post("/api/v1/productions", &org.token, json!({"name": "Carmen"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap_or_default().to_string();
    // `0` and `8` differ only in the two bits above 128 that the ULID decoder dropped.
    let alias = id.replacen("prd_0", "prd_8", 1);
    assert_ne!(alias, id);
    let (status, body) = app
        .get(&format!("/api/v1/productions/{alias}"), &org.token)
        .await;
    assert_error(status, &body, 400, "invalid_id");
    app.finish().await;
}

#[tokio::test]
async fn a_definition_count_reads_the_view_for_fields() {
    let Some((app, org)) = app().await else {
        return;
    };
    let (status, body) = app
        .post(
            "/api/v1/segment-counts",
            &org.token,
            json!({"definition": {}, "filters": [], "event_id": null, "production_id": null}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/segment-counts",
            &org.token,
            json!({"definition": {}, "unexpected": 1}),
        )
        .await;
    assert_error(status, &body, 422, "validation");
    app.finish().await;
}

#[tokio::test]
async fn an_import_and_a_preview_keep_their_choices_beside_the_upload_id() {
    let Some((app, org)) = app().await else {
        return;
    };
    let (status, upload) = app
        .upload(
            "/api/v1/uploads?name=codes.csv",
            &org.token,
            "text/csv",
            b"code,quantity\nVIP-1,2\n".to_vec(),
        )
        .await;
    assert_eq!(status, 201, "{upload}");
    let upload = upload["id"].clone();
    let choices =
        json!({"upload_id": upload, "header_rows": {"count": 1}, "columns": ["code", "quantity"]});
    let (status, preview) = app
        .post("/api/v1/audiences/preview", &org.token, choices.clone())
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["header_rows"], 1, "{preview}");
    let mut import = choices.clone();
    import["name"] = json!("Friends");
    let (status, job) = app
        .post("/api/v1/audiences/import", &org.token, import)
        .await;
    assert_eq!(status, 201, "{job}");
    let mut unknown = choices;
    unknown["unexpected"] = json!(1);
    let (status, body) = app
        .post("/api/v1/audiences/preview", &org.token, unknown)
        .await;
    assert_error(status, &body, 422, "validation");
    app.finish().await;
}

#[tokio::test]
async fn a_template_preview_without_variables_is_documented_and_answered() {
    let Some((app, org)) = app().await else {
        return;
    };
    let (status, body) = app
        .post(
            "/api/v1/mail/templates/job_finished/da/preview",
            &org.token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, doc) = app.get("/api/openapi.json", &org.token).await;
    let required = &doc["components"]["schemas"]["PreviewBody"]["required"];
    assert!(
        !required
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r == "variables"),
        "{required}"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_served_document_lists_error_answers_and_id_patterns() {
    let Some((app, _org)) = app().await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("document");
    let doc: Value = response.json().await.expect("JSON document");
    let get_audience = &doc["paths"]["/api/v1/audiences/{id}"]["get"]["responses"];
    for status in ["400", "401", "403", "404", "429", "500"] {
        assert!(
            get_audience.get(status).is_some(),
            "{status}: {get_audience}"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["AudienceId"]["pattern"],
        "^aud_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"
    );
    assert!(doc["components"]["schemas"].get("ExportFormat").is_some());
    app.finish().await;
}
