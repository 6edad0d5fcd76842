//! Campaigns as a marketing manager uses them (#20): the report of a campaign whose codes were
//! used in a paid box-office order and in an online order awaiting payment — revenue, discount,
//! paid vs held, redemption rate, the orders linked, the CSV in the reader's conventions — and
//! the form: every mistake at once beside its field, pickers that filter, a summary in words,
//! a success message, Pause behind a confirmation.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the tests leave PNGs at 1400 and 390 pixels wide there.

use fantoccini::Locator;
use reqwest::Method;
use serde_json::json;

use super::{app_and_browser, page_session};
use crate::checkout::{buyer, code_campaign, public, show};
use crate::common::{id, TestApp, TestOrg};

/// A campaign of 20 % off on the show's event with codes VIP-PAID (2 uses), VIP-HELD (1) and
/// VIP-SPARE (1); VIP-PAID is used by a box-office sale paid at the counter, VIP-HELD by a shop
/// order awaiting payment. Returns (campaign, paid order, held order).
async fn used_campaign(app: &TestApp, org: &TestOrg, slug: &str) -> (String, String, String) {
    let show = show(app, org).await;
    let campaign = code_campaign(
        app,
        org,
        &show.event,
        ("VIP-PAID", 2, json!({})),
        json!({"name": "VIP 2027", "effects": {"discount": {"kind": "percent", "percent": 20}}}),
    )
    .await;
    let (_, found) = app
        .get(&format!("/api/v1/campaigns/{campaign}"), &org.token)
        .await;
    let audience = found["audience_ids"][0].as_str().unwrap_or_default();
    for code in ["VIP-HELD", "VIP-SPARE"] {
        let (s, member) = app
            .post(
                &format!("/api/v1/audiences/{audience}/members"),
                &org.token,
                json!({"code": code, "quantity": 1}),
            )
            .await;
        assert_eq!(s, 201, "{member}");
    }
    let cart = |code: &str| json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}], "codes": [code]});
    let (s, paid) = app
        .post(
            "/api/v1/box-office/orders",
            &org.token,
            json!({"cart": cart("VIP-PAID"), "paid_at_counter": true, "payment_method": "cash",
                   "buyer": {"email": "ida@example.dk", "first_name": "Ida", "last_name": "Holm"}}),
        )
        .await;
    assert_eq!(s, 201, "{paid}");
    assert_eq!(paid["total_minor"], 16000, "20 % off 200.00: {paid}");
    let (s, held) = public(
        app,
        Method::POST,
        &format!("/api/v1/storefront/{slug}/orders"),
        Some(json!({"cart": cart("VIP-HELD"), "buyer": buyer()})),
    )
    .await;
    assert_eq!(s, 201, "{held}");
    assert_eq!(held["status"], "awaiting_payment");
    (campaign, id(&paid), id(&held))
}

#[tokio::test]
async fn the_campaign_report_shows_revenue_discount_paid_and_held_uses_and_links_the_orders() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("report-house").await;
    let (campaign, paid, held) = used_campaign(&app, &org, "report-house").await;
    browser.log_in(&app, &org).await;
    browser.goto(&app, &format!("/campaigns/{campaign}")).await;

    assert_eq!(browser.text("#report-revenue").await, "160.00 DKK");
    assert_eq!(
        browser.text("#report-held-revenue").await,
        "+ 160.00 DKK awaiting payment"
    );
    assert_eq!(browser.text("#report-discount").await, "40.00 DKK");
    assert_eq!(browser.text("#report-paid-held").await, "1 / 1");
    assert_eq!(browser.text("#report-rate").await, "50 %");
    assert_eq!(
        browser.text("#report-rate-detail").await,
        "2 uses taken of 4 available"
    );
    // Each use with its order (linked to the order page), state, channel and buyer.
    let uses = browser.text("#uses-table tbody").await;
    for expected in [
        "VIP-PAID",
        "VIP-HELD",
        "Box office",
        "Shop",
        "Ida Holm",
        "Karen Blixen",
    ] {
        assert!(uses.contains(expected), "{expected} in {uses}");
    }
    for order in [&paid, &held] {
        let link = browser
            .find(&format!("#uses-table a[href='/orders/{order}']"))
            .await;
        assert_eq!(link.text().await.expect("text"), *order);
    }
    let unused = browser.text("#unused-codes summary").await;
    assert_eq!(unused, "Unused codes (1)");
    assert!(browser
        .client
        .find(Locator::Css("#uses-chart svg rect.chart-bar"))
        .await
        .is_ok());
    assert!(browser
        .text("#campaign-summary")
        .await
        .starts_with("Members of Holders of VIP-PAID get 20 % off for Hamlet"));
    browser.screenshots("campaign-report").await;
    browser.finish().await;

    // The CSV: one row per use and per unused code; in Danish with `;`, a decimal comma and
    // Danish headers.
    let session = page_session(&app, &org).await;
    let (status, csv) = session
        .get(&app, &format!("/campaigns/{campaign}/report.csv"))
        .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("Time,Code,Uses,State,Order,Channel,Buyer,Email,Order total,Discount,Currency")
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines.iter().any(|l| l.contains(&format!(
            "VIP-PAID,1,paid,{paid},Box office,Ida Holm,ida@example.dk,160.00,40.00,DKK"
        ))),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(",VIP-SPARE,0,unused")),
        "{csv}"
    );
    session
        .post_located(
            &app,
            "/language",
            &[
                ("csrf_token", &session.csrf),
                ("language", "da"),
                ("return_to", "/"),
            ],
        )
        .await;
    let (_, csv) = session
        .get(&app, &format!("/campaigns/{campaign}/report.csv"))
        .await;
    let danish = csv.trim_start_matches('\u{feff}');
    assert!(
        danish.starts_with("Tidspunkt;Kode;Anvendelser;Status;Ordre;Kanal;Køber;"),
        "{danish}"
    );
    assert!(danish.contains(";160,00;40,00;DKK"), "{danish}");
    app.finish().await;
}

#[tokio::test]
async fn a_campaign_form_with_three_mistakes_shows_all_three_beside_their_fields() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("form-house").await;
    let show = show(&app, &org).await;
    for name in ["VIP 2027", "Press", "Friends"] {
        let (s, made) = app
            .post("/api/v1/audiences", &org.token, json!({"name": name}))
            .await;
        assert_eq!(s, 201, "{made}");
    }
    browser.log_in(&app, &org).await;
    browser.goto(&app, "/campaigns/new").await;

    // Three mistakes: no name, no audience, a discount that is not a number.
    browser.type_into("#discount_value", "twenty").await;
    browser.click("#save-campaign").await;
    let name = browser.text("#name-error").await;
    assert_eq!(name, "Give the campaign a name.");
    assert_eq!(
        browser.text("#audience_ids-error").await,
        "Choose at least one audience whose members get the campaign."
    );
    assert_eq!(
        browser.text("#discount_value-error").await,
        "Write the percentage as a number, for example 20."
    );
    assert_eq!(
        browser.text("#event_ids-error").await,
        "Choose at least one event or production the campaign applies to."
    );
    // Each message sits right after its own field.
    let placed = browser
        .client
        .execute(
            "const name = document.getElementById('name').nextElementSibling;
             const value = document.getElementById('discount_value').parentElement.nextElementSibling;
             return name.id === 'name-error' && value.id === 'discount_value-error'
               && document.querySelector('#audiences #audience_ids-error') !== null
               && document.querySelector('#events #event_ids-error') !== null",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(placed, json!(true));
    assert_eq!(browser.text("#discount-unit").await, "%");
    browser.screenshots("campaign-form-errors").await;

    // The audience picker filters as one types; the unit follows the discount's kind.
    browser.type_into("#audiences .picker-filter", "vip").await;
    let visible = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#audience-list .picker-item')]
               .filter(l => !l.hidden).map(l => l.textContent.trim())",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(visible, json!(["VIP 2027 (0)"]));
    browser
        .client
        .execute(
            "const s = document.getElementById('discount_kind'); s.value = 'amount_off';
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .expect("script");
    browser.wait_text("#discount-unit", |t| t == "DKK").await;
    browser
        .client
        .execute(
            "const s = document.getElementById('discount_kind'); s.value = 'percent';
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .expect("script");

    // Fixed and saved.
    browser.type_into("#name", "Spring presale").await;
    browser
        .client
        .execute(
            "[...document.querySelectorAll('#audience-list .picker-item')]
               .find(l => l.textContent.includes('VIP 2027')).querySelector('input').click();
             return null",
            vec![],
        )
        .await
        .expect("script");
    // The summary follows the form before it is saved (htmx posts it on every change, and the
    // change of the name field, sent as the click leaves it, must not swallow the click's).
    browser
        .wait_text("#summary", |t| t.starts_with("Members of VIP 2027 get"))
        .await;
    browser
        .click(&format!("#event-list input[value='{}']", show.event))
        .await;
    browser.type_into("#discount_value", "20").await;
    browser.type_into("#max_tickets_per_order", "2").await;
    browser.click("#save-campaign").await;
    assert_eq!(
        browser.text("#done-message").await,
        "The campaign was created. Its codes work now."
    );
    // The summary says in words what the campaign does.
    let summary = browser.text("#campaign-summary").await;
    assert!(
        summary.starts_with(
            "Members of VIP 2027 get 20 % off on up to 2 tickets per order for Hamlet (1 Jan 2031)"
        ),
        "{summary}"
    );
    browser.screenshots("campaign-created").await;

    // Pause asks first; dismissed, nothing changes; accepted, the campaign is paused.
    browser.click("#pause-campaign").await;
    browser.client.dismiss_alert().await.expect("dismissed");
    assert_eq!(browser.text("#campaign-status").await, "Active");
    browser.click("#pause-campaign").await;
    browser.client.accept_alert().await.expect("accepted");
    browser
        .wait_text("#campaign-status", |t| t == "Paused")
        .await;
    assert!(browser
        .text("#done-message")
        .await
        .starts_with("The campaign is paused"));

    // The event's campaigns: the list narrowed to the event names this one.
    browser
        .goto(&app, &format!("/campaigns?event_id={}", show.event))
        .await;
    let rows = browser.text("#campaigns-table tbody").await;
    assert!(rows.contains("Spring presale"), "{rows}");
    browser.finish().await;
    app.finish().await;
}
