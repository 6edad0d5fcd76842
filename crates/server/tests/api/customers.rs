//! HTTP tests of the customers routes.

use chrono::Utc;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::store::orders;
use fullhouse_ticketing::OrderId;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

use crate::common::*;

/// Windows-1252 agrees with Unicode on every character these tests use (Latin-1).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| c["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn total(app: &TestApp, token: &str) -> usize {
    let (status, page) = app.get("/api/v1/customers?limit=500", token).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().map_or(0, Vec::len)
}

both_backends! {
    setup = spawn_app;

    async fn customers_are_created_found_paged_and_patched(app: TestApp) {
        let org = app.new_org("cust-crud").await;
        let (status, ann) = app.post("/api/v1/customers", &org.token, json!({
            "first_name": "Ann", "last_name": "Hansen", "email": "Ann@Example.dk", "country": "dk",
            "birth_date": "1980-05-17", "gender": "female", "language": "da",
            "permissions": {"newsletter": true}, "permission_source": "box-office", "tags": ["VIP"]
        })).await;
        assert_eq!(status, 201, "{ann}");
        let id = ann["id"].as_str().unwrap_or_default().to_string();
        assert!(id.starts_with("cus_"));
        assert_eq!(ann["email"], "ann@example.dk");
        assert_eq!(ann["country"], "DK");
        assert_eq!(ann["birth_date"], "1980-05-17");
        assert_eq!(ann["gender"], "female");
        assert_eq!(ann["tags"], json!(["vip"]));
        assert_eq!(ann["permissions"][0]["permission"], "newsletter");
        assert_eq!(ann["permissions"][0]["source"], "box-office");

        for name in ["Bo", "Carl", "Dorte"] {
            let (status, body) = app.post("/api/v1/customers", &org.token, json!({"first_name": name, "last_name": "Berg", "tags": ["vip"]})).await;
            assert_eq!(status, 201, "{body}");
        }
        let (_, found) = app.get("/api/v1/customers?q=ANN%20hansen", &org.token).await;
        assert_eq!(ids(&found), vec![id.clone()]);
        let (_, first) = app.get("/api/v1/customers?tag=vip&limit=3", &org.token).await;
        assert_eq!(ids(&first).len(), 3);
        let cursor = first["next_cursor"].as_str().unwrap_or_default().to_string();
        let (_, second) = app.get(&format!("/api/v1/customers?tag=vip&limit=3&cursor={cursor}"), &org.token).await;
        assert_eq!(ids(&second).len(), 1);
        assert!(second["next_cursor"].is_null());

        let (status, patched) = app.patch(&format!("/api/v1/customers/{id}"), &org.token, json!({"city": "Aarhus", "language": null})).await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["city"], "Aarhus");
        assert!(patched["language"].is_null());
        assert_eq!(patched["first_name"], "Ann");

        let (status, body) = app.post("/api/v1/customers", &org.token, json!({"email": "nope", "birth_date": "2999-01-01", "phone": "call me"})).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("email"), "{message}");
        assert_eq!(field_names(&body), ["email", "phone", "birth_date"]);
        let (status, body) = app.post("/api/v1/customers", &org.token, json!({"first_name": "X", "nickname": "Y"})).await;
        assert_error(status, &body, 422, "validation");
        app.finish().await;
    }

    async fn consents_and_tags_change_over_http(app: TestApp) {
        let org = app.new_org("cust-consent").await;
        let (_, ann) = app.post("/api/v1/customers", &org.token, json!({"first_name": "Ann"})).await;
        let id = ann["id"].as_str().unwrap_or_default().to_string();
        let (status, changed) = app
            .call(reqwest::Method::PUT, &format!("/api/v1/customers/{id}/permissions/newsletter"), &org.token,
                Some(json!({"granted": true, "source": "web-form"})))
            .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["permissions"][0]["granted"], true);
        assert_eq!(changed["permissions"][0]["source"], "web-form");
        assert!(changed["permissions"][0]["changed_at"].is_string());

        for _ in 0..2 {
            let (status, tagged) = app.post(&format!("/api/v1/customers/{id}/tags"), &org.token, json!({"tag": "Season-2026"})).await;
            assert_eq!(status, 200, "{tagged}");
            assert_eq!(tagged["tags"], json!(["season-2026"]));
        }
        for _ in 0..2 {
            let (status, _) = app.delete(&format!("/api/v1/customers/{id}/tags/season-2026"), &org.token).await;
            assert_eq!(status, 204);
        }
        let (_, read) = app.get(&format!("/api/v1/customers/{id}"), &org.token).await;
        assert_eq!(read["tags"], json!([]));
        let (status, body) = app.post(&format!("/api/v1/customers/{id}/tags"), &org.token, json!({"tag": "not ok!"})).await;
        assert_error(status, &body, 422, "validation");
        app.finish().await;
    }

    async fn erasure_anonymizes_a_customer_with_orders_and_export_shows_them(app: TestApp) {
        let org = app.new_org("cust-gdpr").await;
        let (_, ann) = app.post("/api/v1/customers", &org.token, json!({
            "first_name": "Ann", "email": "ann@example.dk", "external_id": "EXT-1", "tags": ["vip"],
            "permissions": {"newsletter": true}
        })).await;
        let id = ann["id"].as_str().unwrap_or_default().to_string();
        let order_id = OrderId::generate();
        orders::ActiveModel {
            organization_id: Set(org.id.to_string()),
            id: Set(order_id.to_string()),
            external_id: Set(None),
            customer_id: Set(Some(id.clone())),
            channel: Set("box_office".into()),
            status: Set("completed".into()),
            total_minor: Set(30_000),
            currency: Set("DKK".into()),
            source: Set("test".into()),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            cancelled_at: Set(None),
            referral_code: Set(None),
        }
        .insert(app.db.db.writer())
        .await
        .expect("order");

        let (status, export) = app.get(&format!("/api/v1/customers/{id}/export"), &org.token).await;
        assert_eq!(status, 200, "{export}");
        assert_eq!(export["customer"]["email"], "ann@example.dk");
        assert_eq!(export["orders"][0]["id"], order_id.to_string());
        assert_eq!(export["orders"][0]["total_minor"], 30_000);

        let (status, erased) = app.delete(&format!("/api/v1/customers/{id}"), &org.token).await;
        assert_eq!(status, 200, "{erased}");
        assert_eq!(erased["outcome"], "anonymized");
        let (status, left) = app.get(&format!("/api/v1/customers/{id}"), &org.token).await;
        assert_eq!(status, 200);
        for personal in ["first_name", "email", "external_id"] {
            assert!(left[personal].is_null(), "{personal} should be gone: {left}");
        }
        assert_eq!(left["tags"], json!([]));
        assert_eq!(left["permissions"], json!([]));
        let (_, export) = app.get(&format!("/api/v1/customers/{id}/export"), &org.token).await;
        assert_eq!(export["orders"][0]["id"], order_id.to_string(), "sales history stays");

        let (_, bo) = app.post("/api/v1/customers", &org.token, json!({"first_name": "Bo"})).await;
        let bo_id = bo["id"].as_str().unwrap_or_default().to_string();
        let (_, erased) = app.delete(&format!("/api/v1/customers/{bo_id}"), &org.token).await;
        assert_eq!(erased["outcome"], "deleted");
        let (status, body) = app.get(&format!("/api/v1/customers/{bo_id}"), &org.token).await;
        assert_error(status, &body, 404, "not_found");
        app.finish().await;
    }

    async fn a_bulk_upserts_by_external_id_and_a_bad_item_writes_nothing(app: TestApp) {
        let org = app.new_org("cust-bulk").await;
        let (_, ann) = app.post("/api/v1/customers", &org.token, json!({"first_name": "Ann", "external_id": "EXT-0"})).await;
        let items: Vec<Value> = (0..5)
            .map(|i| json!({"external_id": format!("EXT-{i}"), "first_name": format!("Guest {i}"), "email": format!("g{i}@example.dk")}))
            .collect();
        let mut bad = items.clone();
        bad[3]["email"] = json!("g3-at-example.dk");
        let (status, body) = app.post("/api/v1/customers/bulk", &org.token, json!({"customers": bad})).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("customers[3].email"), "{message}");
        assert_eq!(field_names(&body), ["customers[3].email"]);
        assert_eq!(total(&app, &org.token).await, 1, "nothing written");

        let (status, outcome) = app.post("/api/v1/customers/bulk", &org.token, json!({"customers": items})).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!((outcome["created"].as_u64(), outcome["updated"].as_u64()), (Some(4), Some(1)));
        assert_eq!(outcome["ids"][0], ann["id"]);
        let (_, ann) = app.get(&format!("/api/v1/customers/{}", ann["id"].as_str().unwrap_or_default()), &org.token).await;
        assert_eq!(ann["first_name"], "Guest 0");
        assert_eq!(total(&app, &org.token).await, 5);
        app.finish().await;
    }

    async fn a_bulk_of_ten_thousand_customers_larger_than_two_megabytes_is_accepted(app: TestApp) {
        let org = app.new_org("cust-bulk-big").await;
        let items: Vec<Value> = (0..10_000)
            .map(|i| json!({
                "external_id": format!("EXT-{i:05}"), "first_name": "Guest", "last_name": format!("Number {i}"),
                "email": format!("guest-{i}@example.dk"), "address_line": "Kongens Nytorv 9, 1050 København K",
                "tags": ["imported"], "permissions": {"newsletter": i % 3 == 0}
            }))
            .collect();
        let body = json!({"customers": items});
        assert!(body.to_string().len() > 2 * 1024 * 1024);
        let started = std::time::Instant::now();
        let (status, outcome) = app.post("/api/v1/customers/bulk", &org.token, body).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["created"], 10_000);
        eprintln!("bulk of 10,000 customers took {:?}", started.elapsed());
        let (_, found) = app.get("/api/v1/customers?q=EXT-09999", &org.token).await;
        assert_eq!(found["items"][0]["tags"], json!(["imported"]));

        let too_many: Vec<Value> = (0..10_001).map(|_| json!({})).collect();
        let (status, body) = app.post("/api/v1/customers/bulk", &org.token, json!({"customers": too_many})).await;
        assert_error(status, &body, 422, "validation");
        app.finish().await;
    }

    async fn a_windows_1252_semicolon_file_with_danish_headers_round_trips(app: TestApp) {
        let org = app.new_org("cust-csv").await;
        let file = windows_1252(
            "Kundenummer;Fornavn;Efternavn;E-mail;Postnr.;By;Fødselsdato;Samtykker;Tags\r\n\
             1001;Søren;Ærøskøbing;soren@example.dk;5970;Ærø;17/05/1980;newsletter|partners;vip\r\n\
             1002;Åse;Grøn;ase@example.dk;8000;Århus C;1975-02-01;;\r\n",
        );
        let (status, dry) = app.upload("/api/v1/customers/import?dry_run=true", &org.token, "text/csv; charset=windows-1252", file.clone()).await;
        assert_eq!(status, 200, "{dry}");
        assert_eq!((dry["created"].as_u64(), dry["dry_run"].as_bool()), (Some(2), Some(true)));
        assert_eq!(total(&app, &org.token).await, 0);

        let (status, outcome) = app.upload("/api/v1/customers/import", &org.token, "text/csv", file.clone()).await;
        assert_eq!(status, 200, "{outcome}");
        assert_eq!((outcome["created"].as_u64(), outcome["updated"].as_u64(), outcome["rows"].as_u64()), (Some(2), Some(0), Some(2)));
        let (_, found) = app.get("/api/v1/customers?q=s%C3%B8ren", &org.token).await;
        let soren = &found["items"][0];
        assert_eq!(soren["first_name"], "Søren");
        assert_eq!(soren["last_name"], "Ærøskøbing");
        assert_eq!(soren["city"], "Ærø");
        assert_eq!(soren["external_id"], "1001");
        assert_eq!(soren["birth_date"], "1980-05-17");
        assert_eq!(soren["permissions"].as_array().map(Vec::len), Some(2));
        let (_, found) = app.get("/api/v1/customers?q=1002", &org.token).await;
        assert_eq!(found["items"][0]["city"], "Århus C");

        let (status, again) = app.upload("/api/v1/customers/import", &org.token, "text/csv", file).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(2)));
        assert_eq!(total(&app, &org.token).await, 2);

        let (status, body) = app.upload("/api/v1/customers/import", &org.token, "multipart/form-data; boundary=x", b"--x--".to_vec()).await;
        assert_error(status, &body, 415, "unsupported_media_type");
        app.finish().await;
    }

    async fn a_file_with_broken_quoting_or_a_bad_date_is_refused_whole(app: TestApp) {
        let org = app.new_org("cust-csv-bad").await;
        let unclosed = b"Kunde ID;Fornavn;F\xf8dselsdato\nK-1;Anne;1980-01-01\nK-2;\"Bo;1981-01-01\nK-3;Carl;1982-01-01\n".to_vec();
        let (status, body) = app.upload("/api/v1/customers/import", &org.token, "text/csv", unclosed).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("row 3, file:"), "{message}");

        let bad_date = windows_1252("Kunde ID;Fornavn;Fødselsdato\nK-1;Anne;1980-01-01\nK-2;Bo;32-01-1981\n");
        let (status, body) = app.upload("/api/v1/customers/import", &org.token, "text/csv", bad_date).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("row 3, Fødselsdato:"), "{message}");
        assert_eq!(body["error"]["details"]["fields"][0]["row"], 3);
        assert_eq!(total(&app, &org.token).await, 0, "nothing written");
        app.finish().await;
    }

    async fn another_organization_gets_404_and_a_viewer_cannot_write(app: TestApp) {
        let a = app.new_org("cust-org-a").await;
        let b = app.new_org("cust-org-b").await;
        let (_, ann) = app.post("/api/v1/customers", &a.token, json!({"first_name": "Ann", "email": "ann@example.dk"})).await;
        let id = ann["id"].as_str().unwrap_or_default().to_string();
        for path in [format!("/api/v1/customers/{id}"), format!("/api/v1/customers/{id}/export")] {
            let (status, body) = app.get(&path, &b.token).await;
            assert_error(status, &body, 404, "not_found");
        }
        let (status, body) = app.patch(&format!("/api/v1/customers/{id}"), &b.token, json!({"first_name": "Eve"})).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.delete(&format!("/api/v1/customers/{id}"), &b.token).await;
        assert_error(status, &body, 404, "not_found");
        let (status, body) = app.post(&format!("/api/v1/customers/{id}/tags"), &b.token, json!({"tag": "x"})).await;
        assert_error(status, &body, 404, "not_found");
        let (_, listed) = app.get(&format!("/api/v1/customers?q={id}"), &b.token).await;
        assert_eq!(ids(&listed), Vec::<String>::new());
        let (_, read) = app.get(&format!("/api/v1/customers/{id}"), &a.token).await;
        assert_eq!(read["first_name"], "Ann");

        let (status, viewer) = app.post("/api/v1/api-tokens", &a.token, json!({"name": "ro", "role": "viewer"})).await;
        assert_eq!(status, 201, "{viewer}");
        let secret = viewer["secret"].as_str().unwrap_or_default().to_string();
        assert_eq!(app.get(&format!("/api/v1/customers/{id}"), &secret).await.0, 200);
        let (status, body) = app.post("/api/v1/customers", &secret, json!({"first_name": "X"})).await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = app.upload("/api/v1/customers/import", &secret, "text/csv", b"email\na@b.dk\n".to_vec()).await;
        assert_error(status, &body, 403, "forbidden");

        let (status, body) = app.get("/api/v1/customers/prd_01JD8Q3W6M4Z1T0R5Y7X2B9C4E", &a.token).await;
        assert_error(status, &body, 400, "invalid_id");
        app.finish().await;
    }

    async fn the_customer_routes_are_documented(app: TestApp) {
        let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.expect("doc").json().await.unwrap_or_default();
        for path in [
            "/api/v1/customers", "/api/v1/customers/{id}", "/api/v1/customers/{id}/export",
            "/api/v1/customers/{id}/permissions/{permission}", "/api/v1/customers/{id}/tags",
            "/api/v1/customers/{id}/tags/{tag}", "/api/v1/customers/bulk", "/api/v1/customers/import",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is not documented");
        }
        assert!(doc["components"]["schemas"]["Customer"].is_object());
        app.finish().await;
    }

    async fn the_customer_page_says_how_a_gender_was_inferred(app: TestApp) {
        let org = app.new_org("royal").await;
        let session = crate::browser::page_session(&app, &org).await;
        let mut pages = Vec::new();
        for body in [
            json!({"first_name": "Bente"}),
            json!({"first_name": "Karen", "title": "Hr."}),
            json!({"first_name": "Dominique"}),
            json!({"first_name": "Dominique", "gender": "female"}),
        ] {
            let (s, created) = app.post("/api/v1/customers", &org.token, body).await;
            assert_eq!(s, 201, "{created}");
            let id = created["id"].as_str().unwrap_or_default().to_string();
            let (s, page) = session.get(&app, &format!("/customers/{id}")).await;
            assert_eq!(s, 200);
            pages.push(page);
        }
        let gender = |page: &str| {
            page.split("id=\"customer-gender\">")
                .nth(1)
                .and_then(|rest| rest.split("</dd>").next())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(gender(&pages[0]), "Female — inferred from the first name “Bente” (first-name dictionary by Jörg Michael)");
        assert_eq!(gender(&pages[1]), "Male — inferred from the title “hr.”");
        assert_eq!(gender(&pages[2]), "", "a unisex name infers nothing");
        assert_eq!(gender(&pages[3]), "Female");
        app.finish().await;
    }
}
