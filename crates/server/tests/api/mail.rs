//! Mail through a real SMTP server on loopback: consent, unsubscribe, no duplicates.

use std::time::Duration;

use crate::common::*;
use fullhouse_core::jobs::Worker;
use fullhouse_core::mail::{self, MarketingConsent, NewMessage, QueuedMessage};
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use serde_json::{json, Value};

/// Points the organization's mail at the loopback SMTP server.
async fn use_smtp(app: &TestApp, org: &TestOrg, smtp: &SmtpServer) {
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

async fn deliver(app: &TestApp) {
    let state = &app.server.state;
    let worker = Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::jobs::registry(state),
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
