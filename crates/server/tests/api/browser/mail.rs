//! Mail in a real browser (issue #20): an outbox message opened from the list, a Danish template
//! whose typo the preview names as it is typed, a test sent to oneself, and a reset to the
//! built-in text after confirming.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of every page it opens at 1400 and 390
//! pixels wide there.

use fullhouse_core::mail::{self, NewMessage, QueuedMessage};

use super::app_and_browser;
use crate::common::run_jobs;

#[tokio::test]
async fn a_message_is_read_from_the_outbox_and_a_template_is_checked_tested_and_reset() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("mail-browser").await;
    let txn = app.server.state.db.begin_write().await.expect("txn");
    mail::queue(
        &txn,
        &org.id,
        vec![QueuedMessage {
            message: NewMessage {
                to_email: "ida@example.dk".into(),
                to_name: Some("Ida Holm".into()),
                subject: "Your tickets for Carmen".into(),
                html: "<h2 style=\"color:#7a1f3d\">Carmen</h2><p>Dear Ida, your two tickets are attached.</p>".into(),
                text: None,
                marketing: None,
                idempotency_key: "order-confirmation:ord_browser".into(),
                attachments: Vec::new(),
            },
            unsubscribe_token: None,
        }],
    )
    .await
    .expect("queued");
    txn.commit().await.expect("commit");
    run_jobs(&app).await;

    browser.log_in(&app, &org).await;
    browser.resize(1400, 1000).await;

    // The outbox links the message; its page shows who, what, when and the mail itself.
    browser.goto(&app, "/outbox").await;
    browser.screenshots("mail-1-outbox").await;
    browser.click("a[href^='/outbox/msg_']").await;
    browser
        .wait_text("#message-subject", |t| t == "Your tickets for Carmen")
        .await;
    assert_eq!(browser.text("#message-status").await, "Sent");
    assert_eq!(browser.text("#message-kind").await, "Order confirmation");
    assert!(browser.text("#message-to").await.contains("Ida Holm"));
    browser.find("iframe#message-html").await;
    let refused: Vec<String> = browser
        .console()
        .await
        .into_iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(
        refused.is_empty(),
        "the mail's inline style shows: {refused:#?}"
    );
    browser.screenshots("mail-2-message").await;

    // A Danish template, for a user who reads Danish: the preview names the typo and the
    // variable meant.
    browser
        .goto(&app, "/settings/templates/campaign_link/da")
        .await;
    browser.click("button[name=language][value=da]").await;
    browser
        .wait_text("#preview-heading", |t| t == "Forhåndsvisning")
        .await;
    browser
        .type_into(
            "#html",
            "<p>Kære {{ customer.frist_name }},</p><p>{{ custom_text }}</p><p><a href=\"{{ unsubscribe_url }}\">Afmeld</a></p>",
        )
        .await;
    let report = browser
        .wait_text("#unknown-variables", |t| t.contains("frist_name"))
        .await;
    assert!(
        report.contains("Mente du {{ customer.first_name }}?"),
        "{report}"
    );
    browser.screenshots("mail-3-typo").await;
    browser.click_in_view("#save-template").await;
    browser
        .wait_text("#html-error", |t| t.contains("frist_name"))
        .await;

    // Fixed, it is sent to the user as a test (Danish sample values), then saved.
    browser
        .type_into(
            "#html",
            "<p>Kære {{ customer.first_name }},</p><p>{{ custom_text }}</p><p><a href=\"{{ unsubscribe_url }}\">Afmeld</a></p>",
        )
        .await;
    browser.click_in_view("#send-test").await;
    let done = browser.wait_text("#done", |t| !t.is_empty()).await;
    assert!(done.contains(&org.admin_email), "{done}");
    browser.screenshots("mail-4-test-sent").await;
    browser.click_in_view("#save-template").await;
    browser.find("#reset-link").await;

    // Reset, after a page that asks.
    browser.click_in_view("#reset-link").await;
    browser.find("#confirm-reset").await;
    browser.screenshots("mail-5-reset").await;
    browser.click_in_view("#confirm-reset").await;
    browser.wait_text("#done", |t| !t.is_empty()).await;
    assert!(browser
        .find("#html")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .contains("{{ customer.first_name }}"));
    browser.finish().await;
    app.finish().await;
}
