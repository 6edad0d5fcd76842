//! Referral rewards in a real browser: a buyer buys in the storefront and finds the share panel
//! below the tickets (the link, Copy, the share links); a friend buys through the link; the
//! buyer's progress page shows the ticket and what the next reward needs; the organizer's
//! promotion page draws both charts as SVG with the leaderboard. Nothing scrolls sideways at a
//! phone's width.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of the order page, the progress page
//! and the promotion's page at 1400 and 390 pixels wide there, to look at.

use serde_json::json;

use super::app_and_browser;
use crate::checkout::show;
use crate::referrals_pages::{attribute, hit_days_ago, paid_order};

/// The path of an absolute link on this server.
fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or_else(|| "/".to_string(), |i| after_scheme[i..].to_string())
}

#[tokio::test]
async fn a_buyer_shares_the_link_from_the_confirmation_and_the_organizer_sees_the_charts() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("ref-browser").await;
    let show = show(&app, &org).await;
    let (s, promotion) = app
        .post(
            "/api/v1/referrals/promotions",
            &org.token,
            json!({"name": "Bring a friend", "scope": {"kind": "event", "id": show.event},
                   "tiers": [{"tickets": 1, "reward": "A drink at the bar"}, {"tickets": 3, "reward": "VIP upgrade"}]}),
        )
        .await;
    assert_eq!(s, 201, "{promotion}");
    let promotion = promotion["id"].as_str().unwrap_or_default().to_string();
    browser.resize(1400, 1000).await;

    // Ana buys a seat in the storefront and pays.
    browser
        .goto(&app, &format!("/shop/ref-browser/events/{}", show.event))
        .await;
    browser
        .click_in_view("#seat-map label.seat-available")
        .await;
    browser.type_into("#email", "ana@example.dk").await;
    browser.click_in_view("#to-payment").await;
    browser.click_in_view("#pay").await;
    browser.find("#confirmation").await;

    // The panel, below the tickets: how it works, her link, Copy and the share links.
    let panel = browser.text("#referral-0").await;
    assert!(
        panel.contains("A drink at the bar") && panel.contains("VIP upgrade"),
        "{panel}"
    );
    let link = browser
        .find("#referral-0-link")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(link.contains("/r/"), "{link}");
    let whatsapp = browser
        .find("#referral-0-whatsapp")
        .await
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();
    assert!(whatsapp.starts_with("https://wa.me/?text="), "{whatsapp}");
    browser.find("#referral-0-copy").await;
    let order_page = browser.path().await;
    browser.screenshots("referrals-1-order-panel").await;
    let code = link.rsplit('/').next().unwrap_or_default().to_string();
    let progress = browser
        .find("#referral-0-progress")
        .await
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();

    // Ben clicks her link and buys; the sweep credits her.
    let (s, report) = app
        .get(
            &format!("/api/v1/referrals/promotions/{promotion}/report"),
            &org.token,
        )
        .await;
    assert_eq!(s, 200, "{report}");
    // A week of visits on her link, as the tracking redirect records them.
    let ana = report["leaderboard"][0]["participant_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for (days, class) in [
        (6, "human"),
        (5, "human"),
        (5, "preview"),
        (4, "bot"),
        (3, "human"),
        (3, "human"),
        (2, "duplicate"),
        (1, "human"),
        (0, "scanner"),
        (0, "human"),
    ] {
        hit_days_ago(&app, &org, &promotion, &ana, class, days).await;
    }
    paid_order(&app, "ref-browser", &show, "ben@example.dk", Some(&code)).await;
    attribute(&app).await;

    // Her progress page: one ticket, two more to the VIP upgrade.
    let progress_path = path_of(&progress);
    browser.goto(&app, &progress_path).await;
    browser.wait_text("#progress-tickets", |t| t == "1").await;
    let next = browser.text("#progress-next").await;
    assert!(
        next.contains("2 more tickets") && next.contains("VIP upgrade"),
        "{next}"
    );
    browser.screenshots("referrals-2-progress").await;

    // The organizer's page with its charts.
    browser.log_in(&app, &org).await;
    browser.goto(&app, "/referrals").await;
    browser
        .click(&format!("a[href='/referrals/{promotion}']"))
        .await;
    browser.find("svg#clicks-chart[role=img]").await;
    browser.find("svg#tickets-chart rect.chart-bar").await;
    let title = browser.text("#tickets-heading").await;
    assert_eq!(title, "Tickets sold per day");
    let points = browser
        .client
        .find_all(fantoccini::Locator::Css(
            "svg#clicks-chart circle.chart-point",
        ))
        .await
        .expect("points");
    assert_eq!(points.len(), 7, "a point per day of the week");
    let leaders = browser.text("#leaderboard-table").await;
    assert!(leaders.contains("ana@example.dk"), "{leaders}");
    browser.screenshots("referrals-3-report").await;
    browser.goto(&app, "/referrals/new").await;
    browser.find("#promotion-form").await;
    browser.screenshots("referrals-4-new").await;
    browser.goto(&app, "/referrals").await;
    browser.screenshots("referrals-5-list").await;

    // On a phone's width nothing scrolls sideways.
    browser.resize(390, 900).await;
    let report_page = format!("/referrals/{promotion}");
    for path in [
        order_page.as_str(),
        progress_path.as_str(),
        report_page.as_str(),
        "/referrals",
        "/referrals/new",
    ] {
        browser.goto(&app, path).await;
        browser.find("main").await;
        let overflow = browser.horizontal_overflow().await;
        assert!(
            overflow <= 0,
            "{path} scrolls sideways by {overflow} px at 390 px"
        );
    }
    let console = browser.console().await;
    assert!(
        console
            .iter()
            .all(|m| !m.contains("Content Security Policy")),
        "{console:#?}"
    );
    browser.finish().await;
    app.finish().await;
}
