//! The buyer's whole purchase in a real browser, on a desktop and on a phone's width: seats on
//! the map, a code whose price shows at once, sign-in by the mailed link in the middle of the
//! purchase (the basket kept), the member price, payment, the tickets, and "My tickets".

use fullhouse_testkit::smtp::SmtpServer;
use serde_json::json;

use super::app_and_browser;
use crate::buyer_sign_in::{customer, loyalty, mailed_link};
use crate::checkout::{code_campaign, show};
use crate::mail::use_smtp;

#[tokio::test]
async fn a_buyer_picks_seats_sees_the_code_price_signs_in_mid_purchase_pays_and_finds_the_tickets()
{
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let smtp = SmtpServer::start();
    let org = app.new_org("royal").await;
    use_smtp(&app, &org, &smtp).await;
    let show = show(&app, &org).await;
    customer(&app, &org, "loyal@example.dk").await;
    // 25 % for the member, without a code; 20 % for anyone who types SPRING20.
    loyalty(&app, &org, &show.event, "loyal@example.dk").await;
    code_campaign(
        &app,
        &org,
        &show.event,
        ("SPRING20", 10, json!({})),
        json!({"public_label": "Spring offer", "effects": {"discount": {"kind": "percent", "percent": 20}}}),
    )
    .await;
    let event_page = format!("/shop/royal/events/{}", show.event);
    browser.resize(1400, 1000).await;

    // The show starts 19:30 UTC on 1 January 2031: 20:30 on the venue's clock.
    browser.goto(&app, &event_page).await;
    let when = browser.text("#shop-event header time").await;
    assert!(when.contains("20.30") || when.contains("20:30"), "{when}");
    assert!(!when.contains("UTC"), "{when}");

    // A code shows its price on the ticket types at once, named.
    browser.type_into("#codes", "SPRING20").await;
    browser.click("#apply-code").await;
    let seated = browser
        .wait_text(
            &format!("#ticket-types li[data-ticket-type='{}']", show.seated),
            |t| t.contains("Spring offer"),
        )
        .await;
    assert!(seated.contains("240.00"), "300.00 less 20 %: {seated}");

    // A seat picked on the map goes into the basket with its running total.
    browser.click("#seat-map label.seat-available").await;
    browser.wait_text("#basket-count", |t| t == "1").await;
    browser
        .wait_text("#basket-total", |t| t.contains("240.00"))
        .await;

    // Signing in in the middle of the purchase keeps the seat and the code.
    browser.click("#sign-in-for-prices").await;
    browser
        .type_into("#sign-in-email", "loyal@example.dk")
        .await;
    browser.click("#send-link").await;
    browser.find("#sign-in-notice").await;
    let link = mailed_link(&app, &smtp, "loyal@example.dk", 1).await;
    browser.goto_url(&link).await;
    browser.click("#use-link").await;
    browser
        .wait_text("#signed-in", |t| t.contains("loyal@example.dk"))
        .await;
    assert!(browser.path().await.starts_with(&event_page));
    let member = browser.text("#member-prices").await;
    assert!(member.contains("Friends of the house"), "{member}");
    let kept = browser
        .find("#seat-map input[name=seat]:checked")
        .await
        .attr("value")
        .await
        .expect("value");
    assert!(
        kept.is_some(),
        "the seat chosen before signing in is still chosen"
    );
    let codes = browser
        .find("#codes")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(codes.as_deref(), Some("SPRING20"));

    // To payment: the member's price (25 % off beats 20 %), then the tickets.
    browser.click("#to-payment").await;
    let pay = browser.text("#pay").await;
    assert!(pay.contains("225.00"), "{pay}");
    browser.click("#pay").await;
    browser.find("#confirmation").await;
    browser.find("#tickets figure.ticket svg").await;
    browser.find("#tickets-pdf").await;
    let order_page = browser.path().await;
    let reference = browser.text("#order-reference").await;

    // "My tickets", from the link in every shop page's header, lists the order.
    browser.click("#my-tickets-link").await;
    browser.find("#my-tickets").await;
    let mine = browser.text("main").await;
    assert!(mine.contains("Hamlet"), "{mine}");

    // On a phone's width nothing scrolls sideways, and the map still takes a seat.
    browser.resize(390, 900).await;
    for path in [
        "/shop/royal",
        &event_page,
        &order_page,
        "/shop/royal/my-tickets",
    ] {
        browser.goto(&app, path).await;
        browser.find("main").await;
        let overflow = browser.horizontal_overflow().await;
        assert!(
            overflow <= 0,
            "{path} scrolls sideways by {overflow} px at 390 px"
        );
    }
    browser.goto(&app, &event_page).await;
    browser
        .click_in_view("#seat-map label.seat-available")
        .await;
    browser.wait_text("#basket-count", |t| t == "1").await;
    assert!(!reference.is_empty());
    browser.finish().await;
    app.finish().await;
}
