//! Segment exports end to end, over HTTP on both backends: all customer data exported and
//! imported back into another organization as the same customers, formulas neutralized on the
//! way; a filtered customer list with its purchase figures as XLSX; 20,000 customers loaded in
//! bulk and exported through the database in pages, whole and filtered; the audit record; and
//! another organization's segment answering 404.

use fullhouse_core::tenancy::store::audit_log;
use fullhouse_testkit::both_backends;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::common::*;

/// A future event with a standing ticket type at 300.00; its id.
async fn ticket_type(app: &TestApp, org: &TestOrg) -> String {
    let venue = id(&created(app, org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
    let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
    let (status, map) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/venues/{venue}/seat-map"),
            &org.token,
            Some(map),
        )
        .await;
    assert_eq!(status, 200, "{map}");
    let production = id(&created(app, org, "/api/v1/productions", json!({"name": "Carmen"})).await);
    let event = id(&created(
        app,
        org,
        "/api/v1/events",
        json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"}),
    )
    .await);
    id(&created(
        app,
        org,
        &format!("/api/v1/events/{event}/ticket-types"),
        json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]}),
    )
    .await)
}

/// A customer who bought `tickets` tickets of `ticket_type` (a segment is its ticket holders).
async fn buyer(
    app: &TestApp,
    org: &TestOrg,
    ticket_type: &str,
    customer: Value,
    tickets: usize,
) -> String {
    let customer = id(&created(app, org, "/api/v1/customers", customer).await);
    let lines: Vec<Value> = (0..tickets)
        .map(|_| json!({"ticket_type_id": ticket_type, "ga_name": "Floor"}))
        .collect();
    created(
        app,
        org,
        "/api/v1/orders",
        json!({"customer_id": customer, "channel": "online", "tickets": lines}),
    )
    .await;
    customer
}

/// Starts an export, runs it, and downloads its file: (file name, bytes).
async fn export(app: &TestApp, org: &TestOrg, segment: &str, body: Value) -> (String, Vec<u8>) {
    let job = created(
        app,
        org,
        &format!("/api/v1/segments/{segment}/exports"),
        body,
    )
    .await;
    run_jobs(app).await;
    let (_, job) = app
        .get(&format!("/api/v1/jobs/{}", id(&job)), &org.token)
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let name = job["files"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let bytes = app
        .client
        .get(app.url(&format!("/api/v1/jobs/{}/files/{name}", id(&job))))
        .bearer_auth(&org.token)
        .send()
        .await
        .expect("file")
        .bytes()
        .await
        .unwrap_or_default();
    (name, bytes.to_vec())
}

/// Every row of a CSV or XLSX file, as the import engine reads it.
fn table_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    fullhouse_core::tabular::TableReader::from_bytes(bytes)
        .expect("readable")
        .map(|row| row.expect("row").cells)
        .collect()
}

/// A customer as the API shows it, without what an import cannot carry (ids, times, the
/// source of a consent, withdrawn consents).
fn comparable(customer: &Value) -> Value {
    let mut kept = customer.clone();
    if let Some(fields) = kept.as_object_mut() {
        for field in ["id", "created_at", "updated_at", "permissions"] {
            fields.remove(field);
        }
    }
    let mut granted: Vec<String> = customer["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["granted"] == true)
        .filter_map(|p| {
            p["key"]
                .as_str()
                .or(p["permission"].as_str())
                .map(str::to_string)
        })
        .collect();
    granted.sort();
    kept["granted"] = json!(granted);
    kept
}

async fn customers_by_external_id(app: &TestApp, org: &TestOrg) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/customers?limit=100", &org.token).await;
    assert_eq!(status, 200, "{page}");
    let mut all: Vec<Value> = page["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(comparable)
        .collect();
    all.sort_by_key(|c| c["external_id"].as_str().unwrap_or_default().to_string());
    all
}

both_backends! {
    setup = spawn_app;

    async fn all_customer_data_exported_imports_back_as_the_same_customers(app: TestApp) {
        let org = app.new_org("exports-a").await;
        let tt = ticket_type(&app, &org).await;
        buyer(&app, &org, &tt, json!({
            "external_id": "K1", "first_name": "Søren", "last_name": "Ærø", "email": "soren@example.dk",
            "phone": "+45 12 34 56 78", "company": "=HYPERLINK(\"http://evil.example\")",
            "gender": "male", "birth_date": "1980-05-17", "address_line": "Gade 1, 2. tv",
            "postal_code": "8000", "city": "Aarhus", "country": "DK", "latitude": 48.39, "longitude": -4.48,
            "language": "da", "subscriber": true, "tags": ["vip", "abo-2025"],
            "permissions": {"newsletter": true, "sms": false},
        }), 1).await;
        buyer(&app, &org, &tt, json!({"external_id": "K2", "email": "ida@example.fr", "first_name": "Ida"}), 1).await;
        buyer(&app, &org, &tt, json!({"external_id": "K3", "first_name": "Åse", "last_name": "Grøn", "language": "fr", "tags": ["press"]}), 2).await;
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen buyers"})).await);

        let (name, bytes) = export(&app, &org, &segment, json!({"kind": "customers", "format": "csv"})).await;
        assert!(name.starts_with("carmen-buyers-customers-") && name.ends_with(".csv"), "{name}");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.starts_with("\u{feff}external_id,first_name,last_name,email,phone,"), "{text}");
        // Written neutralized, read back as it was.
        assert!(text.contains("'=HYPERLINK") && text.contains("'+45 12 34 56 78") && text.contains("'-4.48"), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");

        let other = app.new_org("exports-b").await;
        let (status, outcome) = app.upload("/api/v1/customers/import", &other.token, "text/csv", bytes).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["created"].as_u64(), Some(3), "{outcome}");
        let exported = customers_by_external_id(&app, &org).await;
        let imported = customers_by_external_id(&app, &other).await;
        assert_eq!(imported, exported);
        assert_eq!(exported[0]["granted"], json!(["newsletter"]), "{:?}", exported[0]);

        // The export is in the audit log, with its file.
        let audits = audit_log::Entity::find()
            .filter(audit_log::Column::OrganizationId.eq(org.id.as_str()))
            .filter(audit_log::Column::Action.eq("segment.exported"))
            .all(app.db.db.reader())
            .await
            .expect("audit");
        assert_eq!(audits.len(), 1);
        assert_eq!(audits[0].details["file"], name.as_str(), "{:?}", audits[0].details);
        assert_eq!((audits[0].details["kind"].as_str(), audits[0].details["customers"].as_u64()), (Some("customers"), Some(3)));

        // Another organization's segment is not found, and its customers are not exported.
        let (status, body) = app
            .post(&format!("/api/v1/segments/{segment}/exports"), &other.token, json!({"kind": "customers", "format": "csv"}))
            .await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app
            .post(&format!("/api/v1/segments/{segment}/exports"), &org.token, json!({"kind": "everything", "format": "csv"}))
            .await;
        assert_eq!(status, 422, "{body}");
        app.finish().await;
    }

    async fn a_filtered_customer_list_holds_the_members_with_their_purchase_figures(app: TestApp) {
        let org = app.new_org("exports-list").await;
        let tt = ticket_type(&app, &org).await;
        buyer(&app, &org, &tt, json!({"first_name": "Mette", "last_name": "Frederiksen", "email": "mette@example.dk", "phone": "+45 11 22 33 44", "city": "København", "tags": ["vip"]}), 2).await;
        buyer(&app, &org, &tt, json!({"first_name": "Lars", "email": "lars@example.dk"}), 1).await;
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen"})).await);
        let vip = json!([{"kind": "tag", "tag": "vip", "mode": "include"}]);

        let (name, bytes) = export(&app, &org, &segment, json!({"kind": "customer_list", "format": "xlsx", "selection": {"filters": vip}})).await;
        assert!(name.ends_with(".xlsx"), "{name}");
        let rows = table_rows(bytes);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0], ["Name", "Email", "Phone", "City", "Tickets", "Events", "Orders", "Revenue (DKK)", "Latest purchase"]);
        let today = chrono::Utc::now().with_timezone(&fullhouse_segments::model::Tz::Europe__Copenhagen).format("%Y-%m-%d").to_string();
        assert_eq!(rows[1], ["Mette Frederiksen", "mette@example.dk", "'+45 11 22 33 44", "København", "2", "1", "1", "600.00", today.as_str()]);

        // A saved view is exported with its filters, and both at once is refused.
        let view = id(&created(&app, &org, &format!("/api/v1/segments/{segment}/views"), json!({"name": "VIP", "filters": vip})).await);
        let (name, bytes) = export(&app, &org, &segment, json!({"kind": "customer_list", "format": "csv", "selection": {"view_id": view}})).await;
        assert!(name.starts_with("carmen-vip-customer-list-"), "{name}");
        assert_eq!(table_rows(bytes).len(), 2);
        let (status, body) = app
            .post(&format!("/api/v1/segments/{segment}/exports"), &org.token, json!({"kind": "customer_list", "format": "csv", "selection": {"view_id": view, "filters": vip}}))
            .await;
        assert_error(status, &body, 422, "validation");
        app.finish().await;
    }

    async fn twenty_thousand_customers_export_through_the_database_in_pages(app: TestApp) {
        let org = app.new_org("exports-bulk").await;
        // One in four bought (the segment's members), one in twenty is tagged vip.
        fullhouse_segments::bench_export::load(&app.db.db, &org.id, 20_000).await.expect("loaded");
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Bench"})).await);

        let (_, bytes) = export(&app, &org, &segment, json!({"kind": "customers", "format": "csv"})).await;
        let rows = table_rows(bytes);
        assert_eq!(rows.len(), 5_001, "the header and every fourth customer");
        let external = rows[0].iter().position(|h| h == "external_id").unwrap_or_default();
        let numbers: Vec<usize> = rows.iter().skip(1).filter_map(|r| r[external].strip_prefix('B')?.parse().ok()).collect();
        assert_eq!(numbers, (0..20_000).step_by(4).collect::<Vec<_>>(), "members in id order, once each");

        let vip = json!([{"kind": "tag", "tag": "vip", "mode": "include"}]);
        let (_, bytes) = export(&app, &org, &segment, json!({"kind": "customer_list", "format": "xlsx", "selection": {"filters": vip}})).await;
        let rows = table_rows(bytes);
        assert_eq!(rows.len(), 1_001);
        assert_eq!(rows[1][0], "Mette Kunde0");
        assert_eq!((rows[1][4].as_str(), rows[1][7].as_str()), ("2", "500.00"));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_export_page_exports_what_the_dashboard_shows_and_sends_the_browser_to_the_jobs() {
    let app = TestApp::spawn(fullhouse_core::Backend::Sqlite)
        .await
        .expect("app");
    let org = app.new_org("exports-page").await;
    let tt = ticket_type(&app, &org).await;
    buyer(
        &app,
        &org,
        &tt,
        json!({"first_name": "Mette", "email": "mette@example.dk", "tags": ["vip"]}),
        1,
    )
    .await;
    buyer(
        &app,
        &org,
        &tt,
        json!({"first_name": "Lars", "email": "lars@example.dk"}),
        1,
    )
    .await;
    let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen"})).await);
    let session = crate::browser::page_session(&app, &org).await;
    let page = format!("/segments/{segment}/actions/export?tag=vip&tag_mode=include");

    let (status, html) = session.get(&app, &page).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"chosen-total\">1<"), "{html}");
    // The form posts back with the dashboard's query (HTML-escaped `&`).
    assert!(
        html.contains(&format!(
            "action=\"/segments/{segment}/actions/export?tag=vip&#38;tag_mode=include\""
        )),
        "{html}"
    );

    let (status, location, body) = session
        .post_located(
            &app,
            &page,
            &[
                ("csrf_token", &session.csrf),
                ("kind", "customer_list"),
                ("format", "csv"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/jobs"), "{body}");
    run_jobs(&app).await;
    let (_, jobs) = app.get("/api/v1/jobs", &org.token).await;
    let job = &jobs["items"][0];
    assert_eq!(
        (job["kind"].as_str(), job["status"].as_str()),
        (Some("segments.export"), Some("succeeded")),
        "{job}"
    );
    let name = job["files"][0]["name"].as_str().unwrap_or_default();
    let text = app
        .client
        .get(app.url(&format!("/api/v1/jobs/{}/files/{name}", id(job))))
        .bearer_auth(&org.token)
        .send()
        .await
        .expect("file")
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("Mette,mette@example.dk"), "{text}");

    // Another organization's segment is not found.
    let stranger = app.new_org("exports-page-b").await;
    let other = crate::browser::page_session(&app, &stranger).await;
    let (status, _) = other.get(&app, &page).await;
    assert_eq!(status, 404);
    app.finish().await;
}
