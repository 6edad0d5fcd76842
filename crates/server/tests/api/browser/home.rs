//! The start page's sales figures and the events list in a real browser (issue #20): with
//! sales today, the start page shows tickets sold and revenue today, this week and this season
//! and a bar chart of the last days, and the events list is in date order with sold / capacity,
//! whatever order the events were created in.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of the pages at 1400 and 390 pixels.

use serde_json::json;

use super::app_and_browser;
use crate::common::{created, id};
use crate::segments_sends::stage;

#[tokio::test]
async fn the_start_page_shows_todays_sales_and_chart_and_events_come_in_date_order() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("home-figures").await;
    // Carmen on 1 March and 1 April 2031, Floor tickets at 300.00 for the first.
    let stage = stage(&app, &org).await;
    let (_, held) = app
        .get(&format!("/api/v1/events/{}", stage.held), &org.token)
        .await;
    // Two more, the later one created first: the list must not follow creation.
    let event = |starts: &str| json!({"production_id": stage.production, "venue_id": held["venue_id"], "starts_at": starts});
    created(&app, &org, "/api/v1/events", event("2027-03-16T19:00:00Z")).await;
    let february = id(&created(&app, &org, "/api/v1/events", event("2027-02-17T19:00:00Z")).await);
    let adult = id(&created(
        &app,
        &org,
        &format!("/api/v1/events/{february}/ticket-types"),
        json!({"name": "Adult", "price_minor": 25000, "capacity": 100}),
    )
    .await);
    // Sold today: 3 Floor tickets for Carmen and 1 Adult ticket for February.
    for (ticket_type, count) in [
        (&stage.ticket_type, 2),
        (&stage.ticket_type, 1),
        (&adult, 1),
    ] {
        let tickets: Vec<_> = (0..count)
            .map(|_| json!({"ticket_type_id": ticket_type, "ga_name": "Floor"}))
            .collect();
        let (status, order) = app
            .post(
                "/api/v1/orders",
                &org.token,
                json!({"channel": "box_office", "tickets": tickets}),
            )
            .await;
        assert_eq!(status, 201, "{order}");
    }

    browser.log_in(&app, &org).await;
    browser.resize(1400, 1000).await;
    for period in ["#home-today", "#home-this-week", "#home-this-season"] {
        let figure = browser.text(period).await;
        assert!(
            figure.contains("4 tickets sold") && figure.contains("1,150.00 DKK revenue"),
            "{period}: {figure}"
        );
    }
    let bars = browser
        .client
        .execute(
            "const bars = document.querySelectorAll('#sales-chart svg[role=img] rect.chart-bar');
             const last = bars[bars.length - 1];
             return [bars.length, last && last.querySelector('title').textContent,
                     Number(last && last.getAttribute('height'))];",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(bars[0], json!(30), "a bar per day of the last 30: {bars}");
    assert!(
        bars[1].as_str().is_some_and(|t| t.ends_with(": 4")),
        "today's bar says 4: {bars}"
    );
    assert!(bars[2].as_f64().is_some_and(|h| h > 0.0), "{bars}");
    let upcoming = browser.text("#upcoming-events").await;
    let (feb, mar) = (
        upcoming.find("2027-02-17").expect("February listed"),
        upcoming.find("2027-03-16").expect("March listed"),
    );
    assert!(feb < mar, "the start page lists by date: {upcoming}");
    assert!(upcoming.contains("Sold: 1 / 100"), "{upcoming}");
    browser.screenshots("home-1-start").await;

    browser.goto(&app, "/events").await;
    let rows = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#events-table tbody tr')].map(r => r.textContent.replace(/\\s+/g, ' ').trim());",
            vec![],
        )
        .await
        .expect("script");
    let rows: Vec<String> = rows
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let starts: Vec<&str> = ["2027-02-17", "2027-03-16", "2031-03-01", "2031-04-01"].into();
    assert_eq!(rows.len(), 4, "{rows:#?}");
    for (row, day) in rows.iter().zip(starts) {
        assert!(row.contains(day), "date order: {rows:#?}");
    }
    assert!(
        rows[0].contains("1 / 100") && rows[0].contains("250.00 DKK"),
        "{rows:#?}"
    );
    assert!(rows[2].contains("900.00 DKK"), "{rows:#?}");
    assert_eq!(browser.text("#events-total").await, "4 events");
    browser.screenshots("home-2-events").await;

    // Latest first by the date header; the event page offers its actions.
    browser.click("#events-table th a.sort").await;
    browser
        .wait_text("#events-table tbody tr:first-child", |t| {
            t.contains("2031-04-01")
        })
        .await;
    browser.goto(&app, &format!("/events/{february}")).await;
    let actions = browser.text("#event-actions").await;
    for action in [
        "Sell at the box office",
        "Open in the shop",
        "Campaigns for this event",
        "Export ticket holders (CSV)",
    ] {
        assert!(actions.contains(action), "{actions}");
    }
    let campaigns = browser.find("#action-campaigns").await;
    assert_eq!(
        campaigns.attr("href").await.expect("href").as_deref(),
        Some(format!("/campaigns?event_id={february}").as_str())
    );
    assert_eq!(browser.text("#event-sold").await, "1 / 100");
    browser.screenshots("home-3-event").await;
    browser.finish().await;
    app.finish().await;
}
