//! The audience upload screens over HTTP (issue #20): a file that is no spreadsheet is refused
//! at upload with what it is; a field chosen for two columns marks both and keeps the table; the
//! Import button says what the whole file gives; the finished job links to the audience; the
//! members list shows each code's used and remaining uses; exports follow the reader's
//! spreadsheet conventions.

use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

use crate::browser::{page_session, PageSession};
use crate::checkout::{category_code, show};
use crate::common::{run_jobs, spawn_app, TestApp, TestOrg};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Uploads `bytes` through the API; the status and body.
async fn api_upload(app: &TestApp, org: &TestOrg, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let (status, body) = app
        .upload(
            &format!("/api/v1/uploads?name={name}"),
            &org.token,
            "application/octet-stream",
            bytes,
        )
        .await;
    (status.as_u16(), body)
}

/// Uploads `bytes` through the page's form; the status, where it sends the browser, the page.
async fn page_upload(
    app: &TestApp,
    session: &PageSession,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", session.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    let response = session
        .client
        .post(app.url("/audiences/upload"))
        .multipart(form)
        .send()
        .await
        .expect("uploaded");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, response.text().await.unwrap_or_default())
}

/// The `<select>` tag of column `column` in a mapping page.
fn select_tag(html: &str, column: usize) -> String {
    let start = format!("<select id=\"column_{column}\"");
    html.split(&start)
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .map(|attributes| format!("{start}{attributes}>"))
        .unwrap_or_default()
}

/// A zip archive whose first part is `name` (enough for the first bytes to tell).
fn zip_with(name: &str) -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[
        20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    bytes.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    bytes
}

both_backends! {
    setup = spawn_app;

    async fn a_file_that_is_no_spreadsheet_is_refused_at_upload_saying_what_it_is(app: TestApp) {
        let org = app.new_org("not-a-sheet").await;
        // The API refuses it as it arrives.
        let (status, body) = api_upload(&app, &org, "logo.png", PNG.to_vec()).await;
        assert_eq!(status, 422, "{body}");
        let reason = body["error"]["details"]["fields"][0]["reason"].as_str().unwrap_or_default();
        assert_eq!(reason, "This is a PNG image, not a spreadsheet: upload a CSV or XLSX file", "{body}");
        let (status, body) = api_upload(&app, &org, "photos.zip", zip_with("photos/1.jpg")).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("This is a ZIP archive, not a spreadsheet"), "{body}");
        let (status, body) = api_upload(&app, &org, "report.pdf", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj".to_vec()).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("This is a PDF document"), "{body}");

        // The upload page says it beside the file field, in the user's language.
        let session = page_session(&app, &org).await;
        let (status, location, html) = page_upload(&app, &session, "logo.png", PNG.to_vec()).await;
        assert_eq!((status, location.as_str()), (422, ""), "{html}");
        assert!(html.contains("id=\"file-error\">This is a PNG image, not a spreadsheet: upload a CSV or XLSX file."), "{html}");
        assert!(!html.contains("windows-1252"), "never previewed as text");
        let (status, _) = app.patch(&format!("/api/v1/users/{}", owner_id(&app, &org).await), &org.token, json!({"language": "da"})).await;
        assert_eq!(status, 200);
        let (status, _, html) = page_upload(&app, &session, "logo.png", PNG.to_vec()).await;
        assert_eq!(status, 422);
        assert!(html.contains("Dette er et PNG-billede, ikke et regneark: upload en CSV- eller XLSX-fil."), "{html}");

        // A spreadsheet still goes through to the mapping.
        let (status, location, html) = page_upload(&app, &session, "koder.csv", b"Kode;Antal\nK-1;2\n".to_vec()).await;
        assert_eq!(status, 303, "{html}");
        assert!(location.starts_with("/audiences/upload/upl_"), "{location}");
        app.finish().await;
    }

    async fn choosing_one_field_for_two_columns_marks_both_and_keeps_the_table(app: TestApp) {
        let org = app.new_org("twice").await;
        let (status, upload) = api_upload(&app, &org, "codes.csv", b"Code,Barcode,Quantity\nA-1,B-1,2\nA-2,B-2,3\n".to_vec()).await;
        assert_eq!(status, 201, "{upload}");
        let upload = upload["id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &org).await;
        let twice = [
            ("csrf_token", session.csrf.as_str()),
            ("name", "Twice"),
            ("header_rows", "auto"),
            ("column_0", "code"),
            ("column_1", "code"),
            ("column_2", "quantity"),
        ];
        // The live preview (htmx) marks both columns and still shows the rows.
        let (status, html) = session.post(&app, &format!("/audiences/upload/{upload}/preview"), &twice).await;
        assert_eq!(status, 200, "{html}");
        for column in [0, 1] {
            let tag = select_tag(&html, column);
            assert!(tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("aria-describedby=\"column_{column}-error\"")), "{tag}");
            assert!(html.contains(&format!("id=\"column_{column}-error\">This field is also chosen for another column")), "{html}");
        }
        assert!(!select_tag(&html, 2).contains("aria-invalid"), "the quantity column is fine");
        assert!(html.contains("id=\"preview-table\"") && html.contains("B-2"), "the table stays: {html}");
        assert!(html.contains("<option value=\"code\" selected>") , "each select keeps the person's choice");

        // Importing so is refused on the same page, both marked, and no job starts.
        let (status, html) = session.post(&app, &format!("/audiences/upload/{upload}"), &twice).await;
        assert_eq!(status, 422, "{html}");
        assert!(select_tag(&html, 0).contains("aria-invalid=\"true\"") && select_tag(&html, 1).contains("aria-invalid=\"true\""), "{html}");
        assert!(html.contains("id=\"preview-table\""), "{html}");
        let (_, jobs) = app.get("/api/v1/jobs", &org.token).await;
        assert_eq!(jobs["items"].as_array().map(Vec::len), Some(0), "{jobs}");
        app.finish().await;
    }

    async fn the_import_button_counts_the_whole_file_and_the_job_links_to_the_audience(app: TestApp) {
        let org = app.new_org("counted").await;
        // 1,200 codes (far more than the preview's 20 rows), 1,300 uses.
        let mut csv = String::from("Code;Quantity\n");
        for i in 0..1200 {
            csv.push_str(&format!("C-{i};{}\n", if i < 100 { 2 } else { 1 }));
        }
        let (status, upload) = api_upload(&app, &org, "many.csv", csv.into_bytes()).await;
        assert_eq!(status, 201, "{upload}");
        let upload = upload["id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &org).await;
        let (status, html) = session.get(&app, &format!("/audiences/upload/{upload}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Import 1,200 codes, 1,300 uses"), "{html}");
        // Without the quantity column, the button counts the codes only.
        let (_, html) = session
            .post(&app, &format!("/audiences/upload/{upload}/preview"), &[("csrf_token", session.csrf.as_str()), ("column_0", "code"), ("column_1", "ignore")])
            .await;
        assert!(html.contains(">Import 1,200 codes</button>"), "{html}");

        let (status, location, html) = session
            .post_located(&app, &format!("/audiences/upload/{upload}"), &[("csrf_token", session.csrf.as_str()), ("name", "Many"), ("column_0", "code"), ("column_1", "quantity")])
            .await;
        assert_eq!(status, 303, "{html}");
        let job = location.split("started=").nth(1).unwrap_or_default().to_string();
        run_jobs(&app).await;
        let (_, job) = app.get(&format!("/api/v1/jobs/{job}"), &org.token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let (_, audiences) = app.get("/api/v1/audiences?q=Many", &org.token).await;
        let audience = audiences["items"][0]["id"].as_str().unwrap_or_default().to_string();
        assert_eq!(job["link"], format!("/audiences/{audience}"), "{job}");
        let (_, jobs_page) = session.get(&app, "/jobs").await;
        assert!(jobs_page.contains(&format!("<a href=\"/audiences/{audience}\" class=\"job-result\">Open the result</a>")), "{jobs_page}");
        app.finish().await;
    }

    async fn members_show_used_and_remaining_and_exports_follow_the_readers_conventions(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        category_code(&app, &org, &show.event, "VIP", "VIP-DESK", 5).await;
        let sale = json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.vip, "seats": [{"seat_id": show.seats[44]}, {"seat_id": show.seats[45]}]}], "codes": ["VIP-DESK"]}, "buyer": crate::checkout::buyer(), "payment_method": "card"});
        let (status, order) = app.post("/api/v1/box-office/orders", &org.token, sale).await;
        assert_eq!(status, 201, "{order}");
        let (_, audiences) = app.get("/api/v1/audiences?q=Holders", &org.token).await;
        let audience = audiences["items"][0]["id"].as_str().unwrap_or_default().to_string();
        let session = page_session(&app, &org).await;
        let (status, html) = session.get(&app, &format!("/audiences/{audience}")).await;
        assert_eq!(status, 200, "{html}");
        let row = html.split("<code>VIP-DESK</code>").nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default();
        let cells: Vec<&str> = row.split("<td class=\"num\">").skip(1).map(|c| c.split('<').next().unwrap_or_default()).collect();
        assert_eq!(cells, ["5", "2", "3"], "quantity, used, remaining: {row}");
        assert!(html.contains(">Used</th>") && html.contains(">Remaining</th>"), "{html}");

        // English: commas and English headers; the API's export stays so for every caller.
        let (_, csv) = session.get(&app, &format!("/audiences/{audience}/export?format=csv")).await;
        assert!(csv.trim_start_matches('\u{feff}').starts_with("Code,Quantity,Category,Seat,Customer"), "{csv}");
        // Danish: semicolons and Danish headers the import reads back.
        let (status, _) = app.patch(&format!("/api/v1/users/{}", owner_id(&app, &org).await), &org.token, json!({"language": "da"})).await;
        assert_eq!(status, 200);
        let (_, csv) = session.get(&app, &format!("/audiences/{audience}/export?format=csv")).await;
        assert!(csv.trim_start_matches('\u{feff}').starts_with("Kode;Antal;Kategori;Plads;Kunde"), "{csv}");
        assert!(csv.contains("VIP-DESK;5;VIP;;"), "{csv}");
        let (status, upload) = api_upload(&app, &org, "back.csv", csv.into_bytes()).await;
        assert_eq!(status, 201, "{upload}");
        let (status, preview) = app.post("/api/v1/audiences/preview", &org.token, json!({"upload_id": upload["id"]})).await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["columns"], json!(["code", "quantity", "category", "seat", "customer"]), "{preview}");
        app.finish().await;
    }
}

/// The id of the org's owner.
async fn owner_id(app: &TestApp, org: &TestOrg) -> String {
    let (_, users) = app.get("/api/v1/users", &org.token).await;
    users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["email"] == org.admin_email.as_str())
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_string()
}
