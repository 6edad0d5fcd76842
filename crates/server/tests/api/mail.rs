//! Mail through a real SMTP server on loopback: consent, unsubscribe, no duplicates.

use std::time::Duration;

use crate::common::*;
use fullhouse_core::jobs::Worker;
use fullhouse_core::mail::{self, MarketingConsent, NewMessage, QueuedMessage};
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use serde_json::{json, Value};

/// Points the organization's mail at the loopback SMTP server.
pub(crate) async fn use_smtp(app: &TestApp, org: &TestOrg, smtp: &SmtpServer) {
    let settings = json!({
        "sender_name": "Demo Theatre",
        "sender_email": "tickets@demo-theatre.example",
        "reply_to": null,
        "transport": {"kind": "smtp", "host": "127.0.0.1", "port": smtp.port, "security": "plain", "username": null}
    });
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/settings/mail",
            &org.token,
            Some(settings),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn customer(app: &TestApp, org: &TestOrg, email: &str, newsletter: bool) -> String {
    let (status, body) = app
        .post(
            "/api/v1/customers",
            &org.token,
            json!({"first_name": "Ida", "email": email, "permissions": {"newsletter": newsletter}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_string()
}

fn marketing(app: &TestApp, to: &str, customer_id: &str, key: &str) -> QueuedMessage {
    let token = mail::service::new_unsubscribe_token();
    let url = mail::unsubscribe_url(&app.server.state.settings.public_url, &token);
    QueuedMessage {
        message: NewMessage {
            to_email: to.to_string(),
            to_name: None,
            subject: "Two for one on Friday".into(),
            html: format!("<p>Come on Friday!</p><p><a href=\"{url}\">Unsubscribe</a></p>"),
            text: None,
            marketing: Some(MarketingConsent {
                customer_id: customer_id.to_string(),
                permission: "newsletter".into(),
            }),
            idempotency_key: key.to_string(),
            attachments: Vec::new(),
        },
        unsubscribe_token: Some(token),
    }
}

fn transactional(to: &str, key: &str) -> QueuedMessage {
    QueuedMessage {
        message: NewMessage {
            to_email: to.to_string(),
            to_name: Some("Ida".into()),
            subject: "Your booking".into(),
            html: "<p>Your tickets are reserved.</p>".into(),
            text: None,
            marketing: None,
            idempotency_key: key.to_string(),
            attachments: Vec::new(),
        },
        unsubscribe_token: None,
    }
}

async fn queue(app: &TestApp, org: &TestOrg, messages: Vec<QueuedMessage>) -> usize {
    let txn = app.server.state.db.begin_write().await.expect("txn");
    let queued = mail::queue(&txn, &org.id, messages).await.expect("queue");
    txn.commit().await.expect("commit");
    queued
}

pub(crate) async fn deliver(app: &TestApp) {
    let state = &app.server.state;
    let worker = Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    );
    worker.run_until_idle().await.expect("delivery runs");
}

fn outbox_statuses(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|m| {
                    (
                        m["to_email"].as_str().unwrap_or_default().to_string(),
                        m["status"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

both_backends! {
    setup = spawn_app;

    async fn marketing_mail_reaches_only_consenting_customers_and_one_click_unsubscribe_works(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("mailer").await;
        use_smtp(&app, &org, &smtp).await;
        let yes = customer(&app, &org, "yes@example.dk", true).await;
        let no = customer(&app, &org, "no@example.dk", false).await;
        let queued = queue(&app, &org, vec![
            marketing(&app, "yes@example.dk", &yes, "m-yes"),
            marketing(&app, "no@example.dk", &no, "m-no"),
            transactional("no@example.dk", "t-no"),
        ]).await;
        assert_eq!(queued, 3);
        deliver(&app).await;

        let received = smtp.wait_for(2, Duration::from_secs(10));
        assert_eq!(received.len(), 2, "{received:#?}");
        let to_no: Vec<_> = received.iter().filter(|m| header_value(m, "To").unwrap_or_default().contains("no@example.dk")).collect();
        assert_eq!(to_no.len(), 1);
        assert_eq!(header_value(to_no[0], "Subject").as_deref(), Some("Your booking"), "only the booking mail reaches the customer without consent");
        let to_yes = received.iter().find(|m| header_value(m, "To").unwrap_or_default().contains("yes@example.dk")).expect("marketing mail to the consenting customer");
        assert!(to_yes.contains("Content-Type: multipart/alternative"), "HTML and text parts");
        assert_eq!(header_value(to_yes, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        let unsubscribe = header_value(to_yes, "List-Unsubscribe").unwrap_or_default();
        let url = unsubscribe.trim_start_matches('<').trim_end_matches('>').to_string();
        assert!(url.starts_with(&app.base), "{url}");

        let (_, outbox) = app.get("/api/v1/mail/outbox", &org.token).await;
        let statuses = outbox_statuses(&outbox);
        assert!(statuses.contains(&("no@example.dk".into(), "suppressed".into())), "{statuses:?}");
        assert_eq!(statuses.iter().filter(|(_, s)| s == "sent").count(), 2, "{statuses:?}");

        // The mail client's one-click POST (RFC 8058) withdraws the permission.
        let response = app.client.post(&url).header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click").send().await.expect("unsubscribe");
        assert_eq!(response.status(), 200);
        let (_, customer) = app.get(&format!("/api/v1/customers/{yes}"), &org.token).await;
        let newsletter = customer["permissions"].as_array().and_then(|p| p.iter().find(|p| p["permission"] == "newsletter")).cloned().unwrap_or_default();
        assert_eq!(newsletter["granted"], false, "{customer}");
        assert_eq!(newsletter["source"], "unsubscribe link");

        queue(&app, &org, vec![marketing(&app, "yes@example.dk", &yes, "m-yes-2")]).await;
        deliver(&app).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 2, "no marketing mail after unsubscribing");
        app.finish().await;
    }

    async fn queueing_the_same_message_twice_sends_it_once(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("once").await;
        use_smtp(&app, &org, &smtp).await;
        assert_eq!(queue(&app, &org, vec![transactional("a@example.dk", "booking-1")]).await, 1);
        assert_eq!(queue(&app, &org, vec![transactional("a@example.dk", "booking-1")]).await, 0);
        deliver(&app).await;
        deliver(&app).await;
        assert_eq!(smtp.wait_for(1, Duration::from_secs(10)).len(), 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 1);
        app.finish().await;
    }

    async fn the_file_drop_is_the_default_transport(app: TestApp) {
        let org = app.new_org("filedrop").await;
        queue(&app, &org, vec![transactional("a@example.dk", "booking-1")]).await;
        deliver(&app).await;
        let dir = app.server.state.settings.data_dir.join("mail").join(org.id.as_str());
        let files: Vec<_> = std::fs::read_dir(&dir).expect("mail dir").filter_map(|e| e.ok()).collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].path()).expect("eml");
        assert!(text.contains("Subject: Your booking"), "{text}");
        app.finish().await;
    }
}

/// A template whose strings double each step: 1.6 GB by the fifth `set`.
const MEMORY_BOMB: &str = r#"{% set a = "x" * 100000000 %}{% set b = a ~ a %}{% set c = b ~ b %}{% set d = c ~ c %}{% set e = d ~ d %}{{ e|length }}"#;

/// This test process's resident memory (the server runs in it), in MB.
fn resident_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

async fn preview(
    app: &TestApp,
    token: &str,
    subject: &str,
    html: &str,
) -> (reqwest::StatusCode, Value) {
    app.post(
        "/api/v1/mail/templates/campaign_link/en/preview",
        token,
        json!({"template": {"subject": subject, "html": html}, "variables": {"customer": {"first_name": "<Ø>"}}}),
    )
    .await
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port
}

async fn use_smtp_port(app: &TestApp, org: &TestOrg, port: u16) {
    let settings = json!({
        "sender_name": "Demo Theatre",
        "sender_email": "tickets@demo-theatre.example",
        "reply_to": null,
        "transport": {"kind": "smtp", "host": "127.0.0.1", "port": port, "security": "plain", "username": null}
    });
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/settings/mail",
            &org.token,
            Some(settings),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Runs the settings' connection test, failing the test if it takes longer than `limit`.
async fn connection_test(
    app: &TestApp,
    org: &TestOrg,
    limit: Duration,
) -> (reqwest::StatusCode, Value, Duration) {
    let started = std::time::Instant::now();
    let (status, body) = tokio::time::timeout(
        limit,
        app.post("/api/v1/settings/mail/test", &org.token, json!({})),
    )
    .await
    .unwrap_or_else(|_| panic!("the connection test took longer than {limit:?}"));
    (status, body, started.elapsed())
}

both_backends! {
    setup = spawn_app;

    async fn a_template_that_needs_gigabytes_is_refused_quickly_while_the_server_stays_responsive(app: TestApp) {
        let org = app.new_org("bomb").await;
        // Warm up: the first render starts a sandbox child.
        let (status, body) = preview(&app, &org.token, "Hi", "<p>Hi</p>").await;
        assert_eq!(status, 200, "{body}");
        let before = resident_mb();

        let started = std::time::Instant::now();
        let bomb = {
            let (client, url, token) = (app.client.clone(), app.url("/api/v1/mail/templates/campaign_link/en/preview"), org.token.clone());
            tokio::spawn(async move {
                let response = client.post(url).bearer_auth(token)
                    .json(&json!({"template": {"subject": "x", "html": MEMORY_BOMB}}))
                    .send().await.expect("preview sent");
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            })
        };
        // While it renders, the server keeps answering.
        let mut slowest = Duration::ZERO;
        let mut peak = before;
        while !bomb.is_finished() {
            let asked = std::time::Instant::now();
            let health = app.client.get(app.url("/healthz")).send().await.expect("healthz");
            assert!(health.status().is_success());
            slowest = slowest.max(asked.elapsed());
            peak = peak.max(resident_mb());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, body) = bomb.await.expect("preview task");
        let took = started.elapsed();
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("512 MB"), "{message}");
        assert!(took < Duration::from_secs(10), "the refusal took {took:?}");
        assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} during the render");
        assert!(peak.saturating_sub(before) < 100, "the server grew from {before} MB to {peak} MB");
        eprintln!("bomb refused in {took:?}; slowest /healthz {slowest:?}; RSS {before} MB → peak {peak} MB");

        // Saving it is refused the same way, and the next render gets a working sandbox.
        let (status, body) = app.call(reqwest::Method::PUT, "/api/v1/mail/templates/campaign_link/en", &org.token,
            Some(json!({"subject": "x", "html": MEMORY_BOMB}))).await;
        assert_error(status, &body, 422, "validation");
        let (_, saved) = app.get("/api/v1/mail/templates/campaign_link/en", &org.token).await;
        assert_eq!(saved["template"]["built_in"], true, "{saved}");
        let (status, body) = preview(&app, &org.token, "Hi", "<p>Hi</p>").await;
        assert_eq!(status, 200, "{body}");
        app.finish().await;
    }

    async fn a_template_that_runs_too_long_is_stopped_after_its_time(app: TestApp) {
        let org = app.new_org("slow").await;
        // Each step allocates and fills 100 MB and frees it: within the memory budget and the
        // fuel (a few instructions a step), but minutes of work. (`- i` keeps minijinja from
        // computing the string once at compile time.)
        let slow = r#"{% for i in range(5000) %}{% set a = "x" * (100000000 - i) %}{% endfor %}done"#;
        let started = std::time::Instant::now();
        let (status, body) = preview(&app, &org.token, "x", slow).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("2 s"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
        app.finish().await;
    }

    async fn a_normal_template_renders_as_before_and_sizes_are_capped(app: TestApp) {
        let org = app.new_org("normal").await;
        let (status, body) = preview(&app, &org.token, "Hello {{ customer.first_name }}\n", "<p>Hi {{ customer.first_name }}</p>").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"subject": "Hello <Ø>", "html": "<p>Hi &lt;Ø&gt;</p>", "text": "Hi <Ø>\n"}));

        let (status, body) = preview(&app, &org.token, "x", &"x".repeat(300 * 1024)).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("html:") && message.contains("256 KB"), "{message}");

        let (status, body) = preview(&app, &org.token, "x", r#"{{ "x" * 2000000 }}"#).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("html:") && message.contains("1 MB"), "{message}");

        let (status, body) = preview(&app, &org.token, "x", "<p>\n{% if %}</p>").await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.starts_with("html:") && message.contains("line 2"), "{message}");
        app.finish().await;
    }

    async fn a_viewer_previews_the_saved_template_but_not_a_source_of_their_own(app: TestApp) {
        let org = app.new_org("viewer").await;
        let (status, viewer) = app.post("/api/v1/api-tokens", &org.token, json!({"name": "ro", "role": "viewer"})).await;
        assert_eq!(status, 201, "{viewer}");
        let viewer = viewer["secret"].as_str().unwrap_or_default().to_string();
        let (status, body) = preview(&app, &viewer, "x", MEMORY_BOMB).await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = app.post("/api/v1/mail/templates/campaign_link/en/preview", &viewer, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["subject"].as_str().unwrap_or_default().contains("Demo Theatre"), "{body}");
        app.finish().await;
    }

    async fn the_smtp_connection_test_answers_alike_for_a_silent_and_a_closed_port(app: TestApp) {
        let org = app.new_org("probe").await;
        // A port that accepts connections and never says anything.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let silent_port = silent.local_addr().expect("address").port();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });

        use_smtp_port(&app, &org, silent_port).await;
        let (status, body, took) = connection_test(&app, &org, Duration::from_secs(20)).await;
        let silent_message = assert_error(status, &body, 422, "validation");
        assert!(took >= Duration::from_secs(5), "it gave up after {took:?}, before the greeting could come");

        let closed = closed_port();
        use_smtp_port(&app, &org, closed).await;
        let (status, body, _) = connection_test(&app, &org, Duration::from_secs(20)).await;
        let closed_message = assert_error(status, &body, 422, "validation");

        assert_eq!(silent_message, format!("transport: could not talk SMTP to 127.0.0.1:{silent_port}"));
        assert_eq!(closed_message, format!("transport: could not talk SMTP to 127.0.0.1:{closed}"));
        holder.abort();
        app.finish().await;
    }

    async fn the_smtp_connection_test_passes_against_a_real_smtp_server(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("probe-ok").await;
        use_smtp(&app, &org, &smtp).await;
        let (status, body, _) = connection_test(&app, &org, Duration::from_secs(20)).await;
        assert_eq!(status, 204, "{body}");
        app.finish().await;
    }
}

/// A sandbox child killed from outside (the OOM killer, an operator) is replaced: the next render
/// works. Uses its own renderer, so that the child it kills serves no other test.
#[tokio::test]
async fn a_killed_sandbox_child_is_replaced() {
    use fullhouse_core::mail::sandbox::{SandboxConfig, TemplateRenderer};
    let renderer = TemplateRenderer::new(SandboxConfig {
        executable: env!("CARGO_BIN_EXE_fullhouse").into(),
    });
    let template =
        fullhouse_core::mail::templates::built_in("job_finished", "da").expect("built in");
    let variables =
        json!({"organization": "Demo Theatre", "job": {"title": "Import", "status": "succeeded"}});
    let first = renderer
        .render(&template, &variables)
        .await
        .expect("renders");
    let pids = renderer.child_pids();
    assert_eq!(pids.len(), 1, "{pids:?}");
    let status = std::process::Command::new("kill")
        .args(["-9", &pids[0].to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let again = renderer
        .render(&template, &variables)
        .await
        .expect("renders after the kill");
    assert_eq!(first, again);
    assert_eq!(first.subject, "Import: fuldført");
    let now = renderer.child_pids();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now[0], pids[0], "a fresh child");

    // Batches: one exchange renders many messages, each with its own values.
    let many: Vec<Value> = (0..500)
        .map(|i| json!({"organization": "Demo Theatre", "recipient": format!("R{i}"), "job": {"title": "Import", "status": "failed", "error": format!("row {i}")}}))
        .collect();
    let started = std::time::Instant::now();
    let rendered = renderer
        .render_many(&template, many)
        .await
        .expect("batch renders");
    let batch = started.elapsed();
    assert_eq!(rendered.len(), 500);
    for (i, r) in rendered.iter().enumerate() {
        let r = r.as_ref().expect("message renders");
        assert!(
            r.html.contains(&format!("Hej R{i}")) && r.html.contains(&format!("row {i}")),
            "{}",
            r.html
        );
    }
    let started = std::time::Instant::now();
    for _ in 0..100 {
        renderer
            .render(&template, &variables)
            .await
            .expect("renders");
    }
    let single = started.elapsed();
    eprintln!(
        "sandbox renders: batch of 500 in {batch:?} ({:.0}/s); 100 one by one in {single:?} ({:.0}/s)",
        500.0 / batch.as_secs_f64(),
        100.0 / single.as_secs_f64()
    );
}

// The outbox's message page and the template editor's checks, test send and reset (issue #20).

/// The id of the newest outbox message of the organization.
async fn newest_message(app: &TestApp, org: &TestOrg) -> Value {
    let (status, outbox) = app.get("/api/v1/mail/outbox", &org.token).await;
    assert_eq!(status, 200, "{outbox}");
    outbox["items"][0].clone()
}

both_backends! {
    setup = spawn_app;

    async fn an_outbox_message_opens_in_its_organization_and_is_not_found_in_another(app: TestApp) {
        let org = app.new_org("outbox-page").await;
        let other = app.new_org("outbox-other").await;
        queue(&app, &org, vec![transactional("ida@example.dk", "order-confirmation:ord_1")]).await;
        deliver(&app).await;
        let message = newest_message(&app, &org).await;
        let id = message["id"].as_str().unwrap_or_default().to_string();
        assert_eq!(message["kind"], "order-confirmation", "{message}");

        let session = crate::browser::page_session(&app, &org).await;
        let (status, list) = session.get(&app, "/outbox").await;
        assert_eq!(status, 200);
        assert!(list.contains(&format!("href=\"/outbox/{id}\"")), "the list links the message: {list}");
        assert!(list.contains("Order confirmation"), "the kind in words: {list}");

        let response = session.client.get(app.url(&format!("/outbox/{id}"))).send().await.expect("page");
        assert_eq!(response.status(), 200);
        let policy = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(policy, fullhouse_web::pages::MAIL_PREVIEW_PAGE_CSP, "the mail's own styles may show");
        let page = response.text().await.unwrap_or_default();
        for expected in [
            "Your booking",
            "Ida &lt;ida@example.dk&gt;",
            "Order confirmation",
            "status-sent",
            "Europe/Copenhagen",
            // The HTML in a frame that runs nothing, the text as text.
            "sandbox=\"\" srcdoc=\"&#60;p&#62;Your tickets are reserved.",
            "Your tickets are reserved.\n",
        ] {
            assert!(page.contains(expected), "{expected} in {page}");
        }
        let (status, _) = session.get(&app, "/outbox/msg_doesnotexist").await;
        assert_eq!(status, 404);
        let theirs = crate::browser::page_session(&app, &other).await;
        let (status, page) = theirs.get(&app, &format!("/outbox/{id}")).await;
        assert_eq!(status, 404, "another organization's message: {page}");
        assert!(!page.contains("Your booking"));
        app.finish().await;
    }

    async fn a_typo_in_a_variable_is_named_by_the_preview_and_refused_on_save(app: TestApp) {
        let org = app.new_org("typo").await;
        let session = crate::browser::page_session(&app, &org).await;
        let typo = "<p>Dear {{ customer.frist_name }},</p><p><a href=\"{{ unsubscribe_url }}\">x</a></p>";
        let fields = |html: &'static str| vec![("csrf_token", session.csrf.clone()), ("subject", "Hi {{ customer.first_name }}".to_string()), ("html", html.to_string()), ("text", String::new())];
        let form: Vec<(&str, String)> = fields(typo);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();

        let (status, preview) = session.post(&app, "/settings/templates/campaign_link/en/preview", &form).await;
        assert_eq!(status, 200);
        assert!(preview.contains("id=\"unknown-variables\""), "{preview}");
        assert!(preview.contains("{{ customer.frist_name }} is not a variable of this template. Did you mean {{ customer.first_name }}?"), "{preview}");
        assert!(preview.contains("Hi Emma"), "the rest still previews: {preview}");

        let (status, page) = session.post(&app, "/settings/templates/campaign_link/en", &form).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"html-error\">HTML body: {{ customer.frist_name }} is not a variable"), "beside the field: {page}");
        let (_, saved) = app.get("/api/v1/mail/templates/campaign_link/en", &org.token).await;
        assert_eq!(saved["template"]["built_in"], true, "nothing saved: {saved}");

        // The API refuses it the same way, naming the variable and the likely one.
        let (status, body) = app.call(reqwest::Method::PUT, "/api/v1/mail/templates/campaign_link/en", &org.token,
            Some(json!({"subject": "Hi", "html": typo}))).await;
        let message = assert_error(status, &body, 422, "validation");
        assert!(message.contains("`customer.frist_name` is not a variable of this template; did you mean `customer.first_name`?"), "{message}");

        // A Danish template previews with Danish sample values; a Danish user reads Danish words.
        let (status, preview) = session.post(&app, "/settings/templates/campaign_link/da/preview", &form).await;
        assert_eq!(status, 200);
        assert!(preview.contains("Hi Søren") && preview.contains("Did you mean"), "{preview}");
        let (status, _) = session.post(&app, "/language", &[("csrf_token", &session.csrf), ("language", "da")]).await;
        assert_eq!(status, 303);
        let (status, preview) = session.post(&app, "/settings/templates/campaign_link/da/preview", &form).await;
        assert_eq!(status, 200);
        assert!(preview.contains("er ikke en variabel i denne skabelon. Mente du {{ customer.first_name }}?"), "{preview}");
        let (_, page) = session.get(&app, "/settings/templates/order_confirmation/da").await;
        assert!(page.contains("Maskarade") && page.contains("Voksen") && page.contains("540,00 DKK"), "{page}");
        let (_, page) = session.get(&app, "/settings/templates/order_confirmation/fr").await;
        assert!(page.contains("Le Misanthrope") && page.contains("Camille"), "{page}");
        app.finish().await;
    }

    async fn a_test_send_reaches_the_smtp_server_with_the_sample_data(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("test-send").await;
        use_smtp(&app, &org, &smtp).await;
        let session = crate::browser::page_session(&app, &org).await;
        let form = [
            ("csrf_token", session.csrf.as_str()),
            ("subject", "Offer for {{ customer.first_name }} {{ customer.last_name }}"),
            ("html", "<p>Dear {{ customer.first_name }}, {{ custom_text }}</p>"),
            ("text", ""),
        ];
        let (status, page) = session.post(&app, "/settings/templates/campaign_link/en/test", &form).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("A test was sent to owner@test-send.example."), "{page}");
        let (_, saved) = app.get("/api/v1/mail/templates/campaign_link/en", &org.token).await;
        assert_eq!(saved["template"]["built_in"], true, "a test saves nothing: {saved}");
        let message = newest_message(&app, &org).await;
        assert_eq!(message["kind"], "template-test", "{message}");
        assert!(page.contains(&format!("href=\"/outbox/{}\"", message["id"].as_str().unwrap_or_default())), "{page}");

        deliver(&app).await;
        let received = smtp.wait_for(1, Duration::from_secs(10));
        assert_eq!(received.len(), 1, "{received:#?}");
        let mail = &received[0];
        assert!(header_value(mail, "To").unwrap_or_default().contains("owner@test-send.example"), "{mail}");
        assert_eq!(header_value(mail, "Subject").as_deref(), Some("[Test] Offer for Emma Wilson"), "{mail}");
        assert!(mail.contains("Dear Emma, Two tickets for the price of one this Friday."), "{mail}");
        assert!(header_value(mail, "List-Unsubscribe").is_none(), "a test is not marketing");

        // A typo is refused before anything is sent.
        let typo = [
            ("csrf_token", session.csrf.as_str()),
            ("subject", "Hi {{ customer.frist_name }}"),
            ("html", "<p>x</p>"),
            ("text", ""),
        ];
        let (status, page) = session.post(&app, "/settings/templates/campaign_link/en/test", &typo).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"subject-error\">Subject: {{ customer.frist_name }}"), "{page}");
        assert_eq!(newest_message(&app, &org).await["id"], message["id"], "nothing queued");
        app.finish().await;
    }

    async fn resetting_a_template_after_confirming_brings_back_the_built_in_text(app: TestApp) {
        let org = app.new_org("reset").await;
        let session = crate::browser::page_session(&app, &org).await;
        let built_in = fullhouse_core::mail::templates::built_in("campaign_link", "da").expect("built in");
        let path = "/settings/templates/campaign_link/da";
        let (status, _, _) = session.post_located(&app, path, &[
            ("csrf_token", &session.csrf),
            ("subject", "Vores tilbud"),
            ("html", "<p>Kære {{ customer.first_name }}</p><p><a href=\"{{ unsubscribe_url }}\">Afmeld</a></p>"),
            ("text", ""),
        ]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, path).await;
        assert!(page.contains("id=\"reset-link\""), "{page}");

        let (status, confirm) = session.get(&app, &format!("{path}/reset")).await;
        assert_eq!(status, 200);
        assert!(confirm.contains("id=\"confirm-reset\"") && confirm.contains("cannot be undone"), "{confirm}");
        let (status, _) = session.post(&app, &format!("{path}/reset"), &[("csrf_token", "wrong")]).await;
        assert_eq!(status, 403, "the CSRF token is checked");
        let (_, saved) = app.get("/api/v1/mail/templates/campaign_link/da", &org.token).await;
        assert_eq!(saved["template"]["subject"], "Vores tilbud");

        let (status, location, _) = session.post_located(&app, &format!("{path}/reset"), &[("csrf_token", &session.csrf)]).await;
        assert_eq!((status, location.as_str()), (303, "/settings/templates/campaign_link/da?reset=1"));
        let (_, saved) = app.get("/api/v1/mail/templates/campaign_link/da", &org.token).await;
        assert_eq!(saved["template"]["built_in"], true, "{saved}");
        assert_eq!(saved["template"]["subject"], built_in.subject.as_str());
        assert_eq!(saved["template"]["html"], built_in.html.as_str());
        let (_, page) = session.get(&app, "/settings/templates/campaign_link/da?reset=1").await;
        assert!(page.contains("The built-in text is used again."), "{page}");
        assert!(!page.contains("id=\"reset-link\""), "nothing left to reset");
        let (status, _, _) = session.post_located(&app, "/settings/templates/campaign_link/de/reset", &[("csrf_token", &session.csrf)]).await;
        assert_eq!(status, 404);
        app.finish().await;
    }
}

/// Every variable the editor lists is explained in Danish and French (modules' locale files
/// included), not left in English.
#[tokio::test]
async fn every_documented_variable_is_explained_in_danish_and_french() {
    let app = TestApp::spawn(fullhouse_core::Backend::Sqlite)
        .await
        .expect("app");
    let mut missing = Vec::new();
    for key in fullhouse_core::mail::templates::BUILT_IN_KEYS {
        for (name, _) in fullhouse_core::mail::templates::documented_variables(key) {
            for lang in [fullhouse_web::Lang::Da, fullhouse_web::Lang::Fr] {
                if fullhouse_web::pages::variable_meaning(lang, key, name, "\u{1}") == "\u{1}" {
                    missing.push(format!("{lang}: {key} {name}"));
                }
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new());
    app.finish().await;
}
