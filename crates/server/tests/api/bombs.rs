//! Hostile uploads against a real `fullhouse serve` process: spreadsheet bombs previewed and
//! imported leave it answering with its memory bounded, and every import job fails once with a
//! clear reason; exports and rejected rows carry no formulas.

use std::time::Duration;

use fullhouse_core::jobs::{self, JobStatus};
use fullhouse_core::tabular::bombs;
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

use crate::common::{spawn_app, TestApp};
use crate::processes::{setup, ServerProcess, Setup};

/// A process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Every bomb, with the words its refusal must contain.
fn bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut long_line = b"code,quantity\nA,1\n".to_vec();
    long_line.extend(std::iter::repeat_n(b'z', 50 << 20));
    long_line.extend_from_slice(b",2\n");
    vec![
        (
            "dimension.xlsx",
            bombs::dimension_bomb().expect("bomb"),
            "column XFD; this import reads at most 1,000 columns",
        ),
        (
            "unpacks.xlsx",
            bombs::sheet_unpacking_to(1 << 30).expect("bomb"),
            "the sheet unpacks to more than 512 MB",
        ),
        (
            "cell.xlsx",
            bombs::single_cell_of(1 << 30).expect("bomb"),
            "a cell longer than 32,767 characters",
        ),
        (
            "repeats.ods",
            bombs::ods_repeat_bomb().expect("bomb"),
            "more than 2,000,000 cells",
        ),
        ("line.csv", long_line, "a line longer than 1 MiB"),
    ]
}

async fn healthy(client: &reqwest::Client, base: &str) {
    let health = client
        .get(format!("{base}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the server still answers");
    assert!(health.status().is_success(), "{}", health.status());
}

both_backends! {
    setup = setup;

    async fn spreadsheet_bombs_previewed_and_imported_leave_the_server_up_and_its_memory_bounded(s: Setup) {
        let server = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
        let client = reqwest::Client::new();
        let base = server.base.clone();
        healthy(&client, &base).await;
        let idle = peak_rss(server.pid());
        for (name, bytes, reason) in bombs() {
            let upload: Value = client
                .post(format!("{base}/api/v1/uploads?name={name}"))
                .bearer_auth(&s.token)
                .header("content-type", "application/octet-stream")
                .body(bytes)
                .send().await.expect("uploaded").json().await.expect("json");
            let upload_id = upload["id"].as_str().unwrap_or_default().to_string();
            assert!(!upload_id.is_empty(), "{name}: {upload}");

            let preview = client
                .post(format!("{base}/api/v1/audiences/preview"))
                .bearer_auth(&s.token)
                .json(&json!({"upload_id": upload_id}))
                .send().await.expect("previewed");
            assert_eq!(preview.status().as_u16(), 422, "{name}");
            let body = preview.text().await.unwrap_or_default();
            assert!(body.contains(reason), "{name}: {body}");
            assert!(body.len() < 8 * 1024, "{name}: the refusal is {} bytes", body.len());
            healthy(&client, &base).await;

            let job: Value = client
                .post(format!("{base}/api/v1/audiences/import"))
                .bearer_auth(&s.token)
                // The columns are chosen, so that the import reads on to the bomb's rows.
                .json(&json!({"upload_id": upload_id, "name": name, "columns": ["code", "quantity"]}))
                .send().await.expect("imported").json().await.expect("json");
            let id = jobs::JobId::parse(job["id"].as_str().unwrap_or_default()).expect("job id");
            let job = s.wait_for_job(&id, Duration::from_secs(120), |j| j.status.is_finished()).await;
            assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1), "{name}: {job:?}");
            let error = job.error.unwrap_or_default();
            assert!(error.contains(reason), "{name}: {error}");
            assert!(error.len() < 8 * 1024, "{name}: the job's error is {} bytes", error.len());
            healthy(&client, &base).await;
        }
        let listed = client
            .get(format!("{base}/api/v1/jobs"))
            .bearer_auth(&s.token)
            .send().await.expect("jobs").text().await.unwrap_or_default();
        assert!(listed.len() < 64 * 1024, "GET /jobs weighs {} bytes", listed.len());
        let grown = peak_rss(server.pid()).saturating_sub(idle);
        eprintln!("peak memory: idle {} MB, grown by {} MB", idle >> 20, grown >> 20);
        assert!(grown < 300 << 20, "the server's peak memory grew by {} MB", grown >> 20);
        s.test_db.finish().await;
    }
}

const FORMULAS: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example\")",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=TAB()",
];

both_backends! {
    setup = spawn_app;

    async fn audience_exports_and_rejected_rows_carry_no_formulas(app: TestApp) {
        let org = app.new_org("formulas").await;
        let mut csv = "Code,Quantity,Category\n".to_string();
        for (i, code) in FORMULAS.iter().enumerate() {
            csv.push_str(&format!("\"{code}\",1,=cat{i}\n"));
        }
        let (status, upload) = app
            .upload("/api/v1/uploads?name=f.csv", &org.token, "text/csv", csv.into_bytes())
            .await;
        assert_eq!(status.as_u16(), 201, "{upload}");
        let (status, job) = app
            .post("/api/v1/audiences/import", &org.token, json!({"upload_id": upload["id"], "name": "Formulas"}))
            .await;
        assert_eq!(status.as_u16(), 201, "{job}");
        run_jobs(&app).await;
        let (_, job) = app.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap_or_default()), &org.token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let (_, page) = app.get("/api/v1/audiences?q=Formulas", &org.token).await;
        let id = page["items"][0]["id"].as_str().unwrap_or_default().to_string();

        let text = app
            .client
            .get(app.url(&format!("/api/v1/audiences/{id}/export?format=csv")))
            .bearer_auth(&org.token)
            .send().await.expect("export").text().await.unwrap_or_default();
        let mut exported: Vec<(String, String)> = table_rows(text.into_bytes())
            .into_iter()
            .skip(1)
            .map(|cells| (cell(&cells, 0), cell(&cells, 2)))
            .collect();
        exported.sort();
        assert_eq!(exported.len(), FORMULAS.len());
        for (code, category) in &exported {
            assert!(code.starts_with('\''), "a formula left in the CSV: {code:?}");
            assert!(category.starts_with("'="), "a formula left in the CSV: {category:?}");
        }
        // The tab is trimmed from the code when it is stored; what is written is neutralized.
        assert!(exported.iter().any(|(code, _)| code == "'=TAB()"), "{exported:?}");

        let xlsx = app
            .client
            .get(app.url(&format!("/api/v1/audiences/{id}/export?format=xlsx")))
            .bearer_auth(&org.token)
            .send().await.expect("export").bytes().await.unwrap_or_default();
        let rows = table_rows(xlsx.to_vec());
        assert_eq!(rows.len(), FORMULAS.len() + 1);
        for cells in rows.iter().skip(1) {
            let code = cell(cells, 0);
            assert!(code.starts_with('\''), "a formula left in the XLSX: {code:?}");
        }

        let bad = "Code,Quantity\n=1+1,0\n@cmd,x\n".to_string();
        let (_, upload) = app.upload("/api/v1/uploads?name=bad.csv", &org.token, "text/csv", bad.into_bytes()).await;
        let (_, job) = app
            .post("/api/v1/audiences/import", &org.token, json!({"upload_id": upload["id"], "name": "Bad"}))
            .await;
        run_jobs(&app).await;
        let job_id = job["id"].as_str().unwrap_or_default();
        let rejected = app
            .client
            .get(app.url(&format!("/api/v1/jobs/{job_id}/files/rejected-rows.csv")))
            .bearer_auth(&org.token)
            .send().await.expect("file").text().await.unwrap_or_default();
        assert!(rejected.contains("\n'=1+1,0,") && rejected.contains("\n'@cmd,x,"), "{rejected}");
        app.finish().await;
    }
}

/// Runs every queued job to the end.
async fn run_jobs(app: &TestApp) {
    let state = &app.server.state;
    jobs::Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    )
    .run_until_idle()
    .await
    .expect("jobs run");
}

/// Every row of a CSV or XLSX file, as read back by the import engine.
fn table_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    fullhouse_core::tabular::TableReader::from_bytes(bytes)
        .expect("readable")
        .map(|row| row.expect("row").cells)
        .collect()
}

fn cell(cells: &[String], column: usize) -> String {
    cells.get(column).cloned().unwrap_or_default()
}
