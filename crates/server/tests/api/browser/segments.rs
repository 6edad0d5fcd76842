//! Segment actions in a real browser (issue #19): from the dashboard, shown for an event, the
//! organizer exports the view, tags it, makes an audience of it and mails it a campaign link —
//! each by the Actions panel's buttons, each ending on the Jobs page — and Settings → Audit log
//! lists all four with the segment, how many customers and the file.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of every page it opens at 1400 and 390
//! pixels wide there.

use std::time::{Duration, Instant};

use serde_json::json;

use super::app_and_browser;
use crate::segments_sends::{campaign, link, stage};

#[tokio::test]
async fn a_view_is_exported_tagged_made_an_audience_and_mailed_from_the_dashboard_and_audited() {
    let Some((app, browser)) = app_and_browser(1).await else {
        return;
    };
    let org = app.new_org("segment-actions").await;
    let stage = stage(&app, &org).await;
    for (name, consent) in [("Ida", true), ("Jonas", true), ("Karen", false)] {
        let (status, customer) = app
            .post("/api/v1/customers", &org.token, json!({"first_name": name, "last_name": "Holm",
                "email": format!("{}@example.dk", name.to_lowercase()), "permissions": {"newsletter": consent}}))
            .await;
        assert_eq!(status, 201, "{customer}");
        let (status, order) = app
            .post(
                "/api/v1/orders",
                &org.token,
                json!({"customer_id": customer["id"], "channel": "online",
                "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}),
            )
            .await;
        assert_eq!(status, 201, "{order}");
    }
    let (status, segment) = app
        .post(
            "/api/v1/segments",
            &org.token,
            json!({"name": "Carmen, March", "event_filter": {"event_ids": [stage.held]}}),
        )
        .await;
    assert_eq!(status, 201, "{segment}");
    let segment = segment["id"].as_str().unwrap_or_default().to_string();
    let campaign = campaign(&app, &org, &stage, false).await;
    link(&app, &org, &campaign, &stage).await;

    browser.log_in(&app, &org).await;
    browser.resize(1400, 1000).await;
    let dashboard = format!("/segments/{segment}?for_event={}", stage.offered);

    // Export: the customer list as XLSX.
    browser.goto(&app, &dashboard).await;
    browser.wait_text("#total", |t| t == "3").await;
    browser.find("#segment-actions").await;
    browser.screenshots("segments-actions-1-dashboard").await;
    browser.click_in_view("#action-export").await;
    assert_eq!(browser.text("#chosen-total").await, "3");
    browser.screenshots("segments-actions-2-export").await;
    browser
        .click_in_view("#export-form button[type=submit]")
        .await;
    browser.wait_text("h1", |t| t == "Jobs").await;

    // Tag: every customer of the view gets "spring-mail".
    browser.goto(&app, &dashboard).await;
    browser.click_in_view("#action-tag").await;
    browser.type_into("#tag", "spring-mail").await;
    browser.screenshots("segments-actions-3-tag").await;
    browser.click_in_view("#apply-tag").await;
    browser.wait_text("h1", |t| t == "Jobs").await;

    // An audience of the view, kept in step daily.
    browser.goto(&app, &dashboard).await;
    browser.click_in_view("#action-audience").await;
    browser.find("#audience-form").await;
    browser.screenshots("segments-actions-4-audience").await;
    browser.click_in_view("#make-audience").await;
    browser.wait_text("h1", |t| t == "Jobs").await;

    // The campaign link, mailed: a preview first, then Send.
    browser.goto(&app, &dashboard).await;
    browser.click_in_view("#action-mail").await;
    browser
        .type_into("#send-form input[name=subject]", "Spring at the opera")
        .await;
    browser.click_in_view("#send-preview").await;
    browser.find("#send-preview-mail").await;
    browser.screenshots("segments-actions-5-mail").await;
    browser.click_in_view("#send-start").await;
    browser.wait_text("h1", |t| t == "Jobs").await;

    // Every job finishes.
    let started = Instant::now();
    loop {
        let (status, jobs) = app.get("/api/v1/jobs", &org.token).await;
        assert_eq!(status, 200, "{jobs}");
        let items = jobs["items"].as_array().cloned().unwrap_or_default();
        let ours: Vec<_> = items
            .iter()
            .filter(|j| {
                j["kind"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("segments."))
            })
            .collect();
        if ours.len() == 4 && ours.iter().all(|j| j["status"] == "succeeded") {
            break;
        }
        assert!(
            ours.iter().all(|j| j["status"] != "failed"),
            "a segment job failed: {jobs}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "jobs still running: {jobs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.goto(&app, "/jobs").await;
    browser.screenshots("segments-actions-6-jobs").await;

    // The audit log shows all four, with the segment and how many customers.
    browser.goto(&app, "/settings/audit").await;
    let log = browser.text("#audit-log").await;
    for what in [
        "Exported",
        "Tagged",
        "Audience made or refreshed",
        "Campaign link mailed",
    ] {
        assert!(
            log.contains(what),
            "{what} is missing from the audit log: {log}"
        );
    }
    assert!(log.contains("Carmen, March"), "{log}");
    assert!(log.contains(".xlsx"), "the export's file is named: {log}");
    browser.screenshots("segments-actions-7-audit").await;

    // On a phone's width nothing scrolls sideways.
    browser.resize(390, 900).await;
    for path in [dashboard.as_str(), "/settings/audit"] {
        browser.goto(&app, path).await;
        browser.find("main").await;
        let overflow = browser.horizontal_overflow().await;
        assert!(
            overflow <= 0,
            "{path} scrolls sideways by {overflow} px at 390 px"
        );
    }
    browser.finish().await;
    app.finish().await;
}
