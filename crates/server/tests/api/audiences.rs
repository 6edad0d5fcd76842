//! Audiences over HTTP: uploads in any encoding and separator, the preview, all-or-nothing
//! imports as jobs that report every bad row (API, Jobs page data, mail), members by hand,
//! exports and generated audiences.

use fullhouse_core::jobs::Worker;
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

use crate::common::{assert_error, spawn_app, TestApp, TestOrg};

/// Uploads `bytes` and returns the upload id.
async fn upload(app: &TestApp, org: &TestOrg, name: &str, bytes: Vec<u8>) -> String {
    let (status, body) = app
        .upload(
            &format!("/api/v1/uploads?name={name}"),
            &org.token,
            "application/octet-stream",
            bytes,
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_string()
}

/// Runs every queued job (imports, then mail delivery) to the end.
async fn run_jobs(app: &TestApp) {
    let state = &app.server.state;
    Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    )
    .with_public_url(&state.settings.public_url)
    .run_until_idle()
    .await
    .expect("jobs run");
}

/// Uploads and imports a file as a new audience with the org's API token; returns the finished job.
async fn import(app: &TestApp, org: &TestOrg, name: &str, bytes: Vec<u8>) -> Value {
    import_as(app, org, &org.token, name, bytes).await
}

/// Like [`import`], as the caller `token` names.
async fn import_as(app: &TestApp, org: &TestOrg, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let upload_id = upload(app, org, "file.csv", bytes).await;
    let (status, job) = app
        .post(
            "/api/v1/audiences/import",
            token,
            json!({"upload_id": upload_id, "name": name}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{job}");
    run_jobs(app).await;
    let id = job["id"].as_str().unwrap_or_default();
    app.get(&format!("/api/v1/jobs/{id}"), &org.token).await.1
}

async fn audience_named(app: &TestApp, org: &TestOrg, name: &str) -> Option<Value> {
    let (_, page) = app
        .get(&format!("/api/v1/audiences?q={name}"), &org.token)
        .await;
    page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["name"] == name).cloned())
}

/// (code, quantity, category, seat) of every member, in order.
async fn members(
    app: &TestApp,
    org: &TestOrg,
    audience: &Value,
) -> Vec<(String, i64, String, String)> {
    let id = audience["id"].as_str().unwrap_or_default();
    let (_, page) = app
        .get(
            &format!("/api/v1/audiences/{id}/members?limit=500"),
            &org.token,
        )
        .await;
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|m| {
                    (
                        m["code"].as_str().unwrap_or_default().to_string(),
                        m["quantity"].as_i64().unwrap_or_default(),
                        m["category"].as_str().unwrap_or_default().to_string(),
                        m["seat_label"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

/// The text of every mail the file-drop transport wrote for `org`, soft line breaks undone.
fn mails(app: &TestApp, org: &TestOrg) -> Vec<String> {
    let dir = app
        .server
        .state
        .settings
        .data_dir
        .join("mail")
        .join(org.id.as_str());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|text| text.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

both_backends! {
    setup = spawn_app;

    async fn the_seeds_examples_import_as_the_seeds_show_them(app: TestApp) {
        let org = app.new_org("seeds").await;
        let job = import(&app, &org, "Testing", b"Code,Quantity\ntesting1,1\n".to_vec()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let a = audience_named(&app, &org, "Testing").await.expect("audience");
        assert_eq!(members(&app, &org, &a).await, vec![("testing1".into(), 1, "".into(), "".into())]);

        let file = b"Barcode,Quantity,Category\n1231245,1,Section2\n1231246,1,Section3\n".to_vec();
        let job = import(&app, &org, "Barcodes", file).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let a = audience_named(&app, &org, "Barcodes").await.expect("audience");
        assert_eq!(
            members(&app, &org, &a).await,
            vec![
                ("1231245".into(), 1, "Section2".into(), "".into()),
                ("1231246".into(), 1, "Section3".into(), "".into()),
            ]
        );

        let file = b"Code,quantity,Seat Label\nVIP321,1,North-1\nVIP238,1,South-3\n".to_vec();
        let job = import(&app, &org, "Seats", file).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let a = audience_named(&app, &org, "Seats").await.expect("audience");
        assert_eq!(a["member_count"], 2);
        assert_eq!(
            members(&app, &org, &a).await,
            vec![
                ("VIP321".into(), 1, "".into(), "North-1".into()),
                ("VIP238".into(), 1, "".into(), "South-3".into()),
            ]
        );
        app.finish().await;
    }

    async fn danish_windows_1252_and_utf16_unicode_text_exports_import_untouched(app: TestApp) {
        let org = app.new_org("dansk").await;
        let (latin1, _, _) = encoding_rs::WINDOWS_1252
            .encode("Stregkode;Antal;Kategori\r\nA-1;2;Øst Balkon\r\nA-2;1;Æble Parket\r\nA-3;4;Åben Scene\r\n");
        let job = import(&app, &org, "Dansk", latin1.into_owned()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let a = audience_named(&app, &org, "Dansk").await.expect("audience");
        let categories: Vec<String> = members(&app, &org, &a).await.into_iter().map(|m| m.2).collect();
        assert_eq!(categories, vec!["Øst Balkon", "Æble Parket", "Åben Scene"]);

        let unicode = utf16le_with_bom("Code\tQuantité\tCatégorie\r\nÉTÉ-1\t3\tFauteuil d'orchestre\r\n");
        let job = import(&app, &org, "Français", unicode).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let a = audience_named(&app, &org, "Français").await.expect("audience");
        assert_eq!(
            members(&app, &org, &a).await,
            vec![("ÉTÉ-1".into(), 3, "Fauteuil d'orchestre".into(), "".into())]
        );
        app.finish().await;
    }

    async fn ten_thousand_rows_with_three_bad_ones_import_nothing_and_report_exactly_those_rows(app: TestApp) {
        let org = app.new_org("bad-rows").await;
        let mut file = String::from("Code;Quantity\n");
        for i in 0..10_000 {
            // Rows are numbered from 2 (the header is row 1).
            let row = i + 2;
            match row {
                501 => file.push_str("VIP-501;0\n"),
                5002 => file.push_str(";3\n"),
                9003 => file.push_str("VIP-42;1\n"),
                _ => file.push_str(&format!("VIP-{i};1\n")),
            }
        }
        // Signed in as a person (not an API token), who gets the outcome by mail.
        let (_, login) = app
            .post("/api/v1/auth/login", "", json!({"email": org.admin_email, "password": org.admin_password}))
            .await;
        let token = login["token"].as_str().unwrap_or_default().to_string();
        let job = import_as(&app, &org, &token, "Big", file.into_bytes()).await;
        assert_eq!(job["status"], "failed", "{job}");
        assert_eq!(job["attempts"], 1, "bad input is not retried: {job}");
        let error = job["error"].as_str().unwrap_or_default();
        let listed: Vec<&str> = error.lines().skip(1).collect();
        assert_eq!(
            listed,
            vec![
                "row 501, Quantity `0`: must be 1 or more (it is 0)",
                "row 5002, Code: is empty; every member needs a code",
                "row 9003, Code `VIP-42`: code VIP-42 appears twice in the file (first on row 44)",
            ],
            "{error}"
        );
        assert!(error.starts_with("nothing was imported: 3 rows of the file have errors."), "{error}");
        assert!(audience_named(&app, &org, "Big").await.is_none(), "nothing is imported");
        let files = job["files"].as_array().cloned().unwrap_or_default();
        assert_eq!(files.len(), 1, "{job}");
        assert_eq!(files[0]["name"], "rejected-rows.csv");

        let mail = mails(&app, &org).into_iter().find(|m| m.contains("row 9003")).unwrap_or_default();
        assert!(mail.contains(&org.admin_email), "the uploader gets the mail: {mail}");
        for row in ["row 501, Quantity", "row 5002, Code", "row 9003, Code"] {
            assert!(mail.contains(row), "{row} in {mail}");
        }
        app.finish().await;
    }

    async fn the_preview_shows_the_detected_layout_and_follows_the_users_choices(app: TestApp) {
        let org = app.new_org("preview").await;
        let upload_id = upload(&app, &org, "codes.csv", b"Navn|Kode|Antal\nIda|K-1|2\nBo|K-2|3\n".to_vec()).await;
        let (status, preview) = app
            .post("/api/v1/audiences/preview", &org.token, json!({"upload_id": upload_id}))
            .await;
        assert_eq!(status.as_u16(), 200, "{preview}");
        assert_eq!(preview["delimiter"], "|");
        assert_eq!(preview["header_rows"], 1);
        assert_eq!(preview["columns"], json!([null, "code", "quantity"]));
        assert_eq!(preview["rows"][0]["cells"], json!(["Ida", "K-1", "2"]));

        let (_, preview) = app
            .post(
                "/api/v1/audiences/preview",
                &org.token,
                json!({"upload_id": upload_id, "header_rows": {"count": 0}, "columns": ["code", "ignore", "ignore"]}),
            )
            .await;
        assert_eq!(preview["rows"][0]["values"][0], "Navn");
        let (status, body) = app
            .post(
                "/api/v1/audiences/preview",
                &org.token,
                json!({"upload_id": upload_id, "columns": ["code", "code"]}),
            )
            .await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("columns[1]"), "{message}");
        app.finish().await;
    }

    async fn members_are_added_edited_searched_deleted_and_exported(app: TestApp) {
        let org = app.new_org("members").await;
        let (status, audience) = app
            .post("/api/v1/audiences", &org.token, json!({"name": "VIP"}))
            .await;
        assert_eq!(status.as_u16(), 201, "{audience}");
        let (status, body) = app
            .post("/api/v1/audiences", &org.token, json!({"name": "vip"}))
            .await;
        assert_error(status, &body, 409, "conflict");
        let id = audience["id"].as_str().unwrap_or_default();
        let path = format!("/api/v1/audiences/{id}/members");
        let (status, member) = app
            .post(&path, &org.token, json!({"code": " VIP321 ", "quantity": 2, "seat_label": "North-1"}))
            .await;
        assert_eq!(status.as_u16(), 201, "{member}");
        assert_eq!(member["code"], "VIP321");
        let (status, body) = app
            .post(&path, &org.token, json!({"code": "vip321", "quantity": 1}))
            .await;
        let message = assert_error(status, &body, 409, "conflict");
        assert!(message.contains("code vip321 is already in this audience"), "{message}");
        let (status, body) = app
            .post(&path, &org.token, json!({"code": "X", "quantity": 0}))
            .await;
        assert_error(status, &body, 422, "validation");
        app.post(&path, &org.token, json!({"code": "ÆRØ-9", "quantity": 1})).await;

        let member_id = member["id"].as_str().unwrap_or_default();
        let (status, changed) = app
            .patch(&format!("{path}/{member_id}"), &org.token, json!({"quantity": 5, "category": "Loge"}))
            .await;
        assert_eq!(status.as_u16(), 200, "{changed}");
        assert_eq!(changed["quantity"], 5);
        let (_, found) = app.get(&format!("{path}?q=ærø"), &org.token).await;
        assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");

        let csv = app
            .client
            .get(app.url(&format!("/api/v1/audiences/{id}/export?format=csv")))
            .bearer_auth(&org.token)
            .send()
            .await
            .expect("export");
        let text = csv.text().await.unwrap_or_default();
        assert_eq!(text, "\u{feff}Code,Quantity,Category,Seat,Customer\nVIP321,5,Loge,North-1,\nÆRØ-9,1,,,\n");
        let xlsx = app
            .client
            .get(app.url(&format!("/api/v1/audiences/{id}/export?format=xlsx")))
            .bearer_auth(&org.token)
            .send()
            .await
            .expect("export")
            .bytes()
            .await
            .unwrap_or_default();
        assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip archive");

        let (status, _) = app.delete(&format!("{path}/{member_id}"), &org.token).await;
        assert_eq!(status.as_u16(), 204);
        let (_, audience) = app.get(&format!("/api/v1/audiences/{id}"), &org.token).await;
        assert_eq!(audience["member_count"], 1);
        assert_eq!(audience["total_quantity"], 1);
        app.finish().await;
    }

    async fn generated_codes_follow_the_pattern_without_collisions(app: TestApp) {
        let org = app.new_org("generated").await;
        let (status, audience) = app
            .post(
                "/api/v1/audiences/generate",
                &org.token,
                json!({"name": "Presale", "generate": {"kind": "codes", "pattern": "VIP-XXXX-XXXX", "count": 5000, "quantity": 2}}),
            )
            .await;
        assert_eq!(status.as_u16(), 201, "{audience}");
        assert_eq!(audience["member_count"], 5000);
        assert_eq!(audience["total_quantity"], 10000);
        let (status, body) = app
            .post(
                "/api/v1/audiences/generate",
                &org.token,
                json!({"name": "Tiny", "generate": {"kind": "codes", "pattern": "A-XXXX", "count": 1000}}),
            )
            .await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("too few `X`"), "{message}");
        app.finish().await;
    }

    async fn members_of_an_audience_tied_to_a_venue_need_its_seats_and_categories(app: TestApp) {
        let org = app.new_org("tied").await;
        let (status, venue) = app.post("/api/v1/venues", &org.token, json!({"name": "Aarhus Teater"})).await;
        assert_eq!(status.as_u16(), 201, "{venue}");
        let venue_id = venue["id"].as_str().unwrap_or_default();
        let map = json!({"sections": [{"name": "Nord", "groups": [{"name": "Parket", "rows": [{"name": "1", "seats": [
            {"label": "North-1", "category": "Loge"}, {"label": "North-2", "category": "Loge"}]}]}]}], "ga_areas": []});
        let (status, body) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue_id}/seat-map"), &org.token, Some(map)).await;
        assert_eq!(status.as_u16(), 200, "{body}");
        let (_, audience) = app
            .post("/api/v1/audiences", &org.token, json!({"name": "Loge", "venue_id": venue_id}))
            .await;
        let path = format!("/api/v1/audiences/{}/members", audience["id"].as_str().unwrap_or_default());
        let (status, _) = app
            .post(&path, &org.token, json!({"code": "L-1", "quantity": 1, "seat_label": "north-1", "category": "LOGE"}))
            .await;
        assert_eq!(status.as_u16(), 201, "seat labels and categories match without case");
        let (status, body) = app
            .post(&path, &org.token, json!({"code": "L-2", "quantity": 1, "seat_label": "South-9", "category": "Balkon"}))
            .await;
        assert_error(status, &body, 422, "validation");
        let fields: Vec<&str> = body["error"]["details"]["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, vec!["category", "seat"], "{body}");

        // The same rules for every row of an upload.
        let upload_id = upload(&app, &org, "loge.csv", b"Code;Quantity;Seat Label\nL-3;1;North-2\nL-4;1;Nowhere-1\n".to_vec()).await;
        let (status, job) = app
            .post(
                "/api/v1/audiences/import",
                &org.token,
                json!({"upload_id": upload_id, "audience_id": audience["id"]}),
            )
            .await;
        assert_eq!(status.as_u16(), 201, "{job}");
        run_jobs(&app).await;
        let (_, job) = app.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap_or_default()), &org.token).await;
        assert_eq!(job["status"], "failed", "{job}");
        let error = job["error"].as_str().unwrap_or_default();
        assert!(error.contains("row 3, Seat Label `Nowhere-1`: `Nowhere-1` is not a seat label"), "{error}");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_upload_over_the_configured_limit_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn_configured(fullhouse_core::Backend::Sqlite, |config| {
        config.upload_limit_mb = 1
    })
    .await
    .expect("app");
    let org = app.new_org("limit").await;
    let big = vec![b'x'; 1024 * 1024 + 1];
    let (status, body) = app
        .upload("/api/v1/uploads?name=big.csv", &org.token, "text/csv", big)
        .await;
    let message = assert_error(status, &body, 413, "payload_too_large");
    assert!(message.contains("1 MB"), "{message}");
    fn files_below(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| {
                        if e.path().is_dir() {
                            files_below(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    let uploads = app
        .server
        .state
        .settings
        .data_dir
        .join("files")
        .join("uploads");
    assert_eq!(
        files_below(&uploads),
        0,
        "a refused upload leaves no file behind"
    );
    app.finish().await;
}
