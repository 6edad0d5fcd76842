//! Purchase intents in a real browser: the organizer finds the customer with the search, picks
//! the event and a seat on the map, chooses pay by link with "send by email", and makes the
//! intent; the customer opens the payment link from the mail (read off the loopback SMTP
//! server), pays with the test provider and sees the tickets; the organizer's intent page shows
//! it completed. Nothing scrolls sideways at a phone's width.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of the list, the form, the intent
//! and the customer's page at 1400 and 390 pixels wide there, to look at.

use fullhouse_testkit::smtp::{header_value, SmtpServer};
use std::time::Duration;

use super::app_and_browser;
use crate::buyer_sign_in::{customer, quoted_printable};
use crate::checkout::show;
use crate::mail::{deliver, use_smtp};

/// The payment link of the booking mailed to `email` (its HTML part).
async fn mailed_intent_link(
    app: &crate::common::TestApp,
    smtp: &SmtpServer,
    email: &str,
) -> String {
    deliver(app).await;
    let messages = smtp.wait_for(1, Duration::from_secs(10));
    let message = messages
        .iter()
        .rev()
        .find(|m| header_value(m, "To").unwrap_or_default().contains(email))
        .unwrap_or_else(|| panic!("no mail to {email}: {messages:#?}"));
    assert!(
        header_value(message, "Subject")
            .unwrap_or_default()
            .contains("Your booking for Hamlet"),
        "{message}"
    );
    let html = message
        .split("Content-Type: text/html")
        .nth(1)
        .unwrap_or_else(|| panic!("no HTML part: {message}"));
    let body = quoted_printable(html)
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/");
    let path = "/shop/intents-browser/intents/fhi_";
    let start = body
        .find(path)
        .unwrap_or_else(|| panic!("no link in {body}"));
    let link: String = body[start..].chars().take(path.len() + 64).collect();
    format!("{}{link}", app.base)
}

#[tokio::test]
async fn an_organizer_books_a_seat_for_a_customer_who_pays_through_the_mailed_link() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let smtp = SmtpServer::start();
    let org = app.new_org("intents-browser").await;
    use_smtp(&app, &org, &smtp).await;
    let show = show(&app, &org).await;
    let customer_id = customer(&app, &org, "ida@example.dk").await;
    browser.resize(1400, 1000).await;
    browser.log_in(&app, &org).await;

    browser.goto(&app, "/intents").await;
    browser.find("#new-intent").await;
    browser.screenshots("intents-1-list-empty").await;
    browser.click("#new-intent").await;

    // The customer, found by typing part of the name.
    browser.type_into("#customer_q", "Ida").await;
    let choice = format!("#customer-matches input[value='{customer_id}']");
    browser.click(&choice).await;
    // The event: its seat map comes in without a reload.
    browser
        .click(&format!("#event_id option[value='{}']", show.event))
        .await;
    let seat = format!(
        "#seat-map label.seat:has(input[value='{}:{}'])",
        show.seated, show.seats[4]
    );
    browser.click(&seat).await;
    browser.click("#strategy-pay_by_link").await;
    browser.type_into("#pay_days", "5").await;
    let send = browser.find("#send_mail").await;
    assert_eq!(
        send.prop("checked").await.expect("prop").as_deref(),
        Some("true")
    );
    browser.screenshots("intents-2-new").await;
    browser.click_in_view("#create-intent").await;

    let status = browser
        .wait_text("#intent-status", |t| t == "Pending")
        .await;
    assert_eq!(status, "Pending");
    let tickets = browser.text("#intent-tickets").await;
    assert!(
        tickets.contains("Seat 5") && tickets.contains("300.00"),
        "{tickets}"
    );
    let mails = browser.text("#intent-mails").await;
    assert!(mails.contains("ida@example.dk"), "{mails}");
    let intent_page = browser.path().await;
    browser.screenshots("intents-3-detail").await;

    // The customer's side, from the mail.
    let link = mailed_intent_link(&app, &smtp, "ida@example.dk").await;
    browser.goto_url(&link).await;
    let when = browser.text("#intent-event").await;
    assert!(when.contains("20:30"), "the venue's clock: {when}");
    browser.find("#intent-deadline").await;
    browser.screenshots("intents-4-customer").await;
    browser.click("#pay").await;
    browser.find("#confirmation").await;
    browser.find("#tickets figure.ticket svg").await;
    let order_page = browser.path().await;

    // The organizer sees it completed, with who paid in the history.
    browser.goto(&app, &intent_page).await;
    browser
        .wait_text("#intent-status", |t| t == "Completed")
        .await;
    browser.screenshots("intents-6-detail-completed").await;
    let history = browser.text("#intent-history").await;
    assert!(
        history.contains("Paid") && history.contains("The customer"),
        "{history}"
    );
    browser.goto(&app, "/intents").await;
    let list = browser.text("#intents-table").await;
    assert!(list.contains("Completed") && list.contains("Ida"), "{list}");
    browser.screenshots("intents-5-list").await;

    // On a phone's width nothing scrolls sideways.
    browser.resize(390, 900).await;
    let customer_page = link.trim_start_matches(&app.base).to_string();
    for path in [
        "/intents",
        "/intents/new",
        intent_page.as_str(),
        customer_page.as_str(),
        order_page.as_str(),
    ] {
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
