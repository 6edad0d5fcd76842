//! The segment dashboard in a real browser (issue #20): the counts stay in view while the
//! filters scroll (beside them at 1400 px, a bar along the bottom at 390 px), moving a slider
//! turns its filter on, the tag and permission filters pick from what the customers hold, saving
//! a view says so; and the segment form keeps a days back beyond its slider's two years.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the tests leave PNGs of the pages at 1400 and 390 pixels
//! wide there.

use serde_json::{json, Value};

use super::app_and_browser;
use crate::chromium::Browser;
use crate::common::{created, id, TestApp, TestOrg};
use crate::segments_sends::stage;

/// Three customers of the held event: Karen (born 1950, VIP, newsletter), Tove (born 2000,
/// press) and Mette (age unknown); the segment of everyone, its id.
async fn three_customers(app: &TestApp, org: &TestOrg) -> String {
    let stage = stage(app, org).await;
    for customer in [
        json!({"first_name": "Karen", "last_name": "Blixen", "birth_date": "1950-04-17",
               "tags": ["vip"], "permissions": {"newsletter": true}}),
        json!({"first_name": "Tove", "last_name": "Ditlevsen", "birth_date": "2000-12-14",
               "tags": ["press"], "permissions": {"newsletter": false}}),
        json!({"first_name": "Mette", "last_name": "Frederiksen"}),
    ] {
        let customer = id(&created(app, org, "/api/v1/customers", customer).await);
        created(
            app,
            org,
            "/api/v1/orders",
            json!({"customer_id": customer, "channel": "online",
                   "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}),
        )
        .await;
    }
    id(&created(app, org, "/api/v1/segments", json!({"name": "Carmen"})).await)
}

/// Runs `script` (a function body of `arguments`) and returns what it returns.
async fn run(browser: &Browser, script: &str) -> Value {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("`{script}` failed: {e}"))
}

/// Where `css` is in the window, and whether it is what a person sees at its middle (not
/// under a bar or out of the window).
async fn placement(browser: &Browser, css: &str) -> Value {
    let script = format!(
        "const e = document.querySelector({css:?}); const r = e.getBoundingClientRect(); \
         const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
         return {{top: r.top, bottom: r.bottom, height: window.innerHeight, \
                  seen: r.top >= 0 && r.bottom <= window.innerHeight && e.contains(hit)}};"
    );
    run(browser, &script).await
}

/// The segment's days back, as the API reads it.
async fn days_back(app: &TestApp, org: &TestOrg, segment: &str) -> Option<u64> {
    let (status, segment) = app
        .get(&format!("/api/v1/segments/{segment}"), &org.token)
        .await;
    assert_eq!(status, 200, "{segment}");
    segment["days_back"].as_u64()
}

#[tokio::test]
async fn the_count_stays_in_view_while_the_filters_scroll_and_a_slider_turns_its_filter_on() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("segment-dashboard").await;
    let segment = three_customers(&app, &org).await;
    browser.log_in(&app, &org).await;

    for (width, height) in [(1400, 900), (390, 800)] {
        browser.resize(width, height).await;
        browser.goto(&app, &format!("/segments/{segment}")).await;
        browser.wait_text("#total", |t| t == "3").await;
        assert_eq!(
            run(&browser, "return document.getElementById('age_on').checked").await,
            false
        );

        // The age slider, the first of the filters, moved below 70 without ticking "Age":
        // the filter turns on and the count leaves out Karen, born 1950.
        run(
            &browser,
            "const s = document.getElementById('age_max'); s.scrollIntoView({block: 'center'}); \
             s.value = 60; s.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
        browser.wait_text("#total", |t| t == "2").await;
        assert_eq!(
            run(&browser, "return document.getElementById('age_on').checked").await,
            json!(true),
            "moving the slider turned the age filter on at {width} px"
        );
        browser
            .wait_text("#filter-counts li[data-kind=age] strong", |t| t == "2")
            .await;
        let at_slider = placement(&browser, "#total").await;
        assert_eq!(
            at_slider["seen"], true,
            "{width} px, at the slider: {at_slider}"
        );

        // Down to the last filter: the slider has scrolled out of the window, the counts have
        // not.
        run(
            &browser,
            "document.getElementById('filter-distance').scrollIntoView({block: 'end'});",
        )
        .await;
        let slider = placement(&browser, "#age_max").await;
        assert!(
            slider["bottom"].as_f64().unwrap_or_default() < 0.0,
            "the filters scroll at {width} px: {slider}"
        );
        for css in ["#total", "#filter-counts li[data-kind=age]"] {
            let seen = placement(&browser, css).await;
            assert_eq!(
                seen["seen"], true,
                "{css} at {width} px, filters scrolled: {seen}"
            );
        }
        // Moving the slider back from down there counts again, in view.
        run(
            &browser,
            "const s = document.getElementById('age_max'); s.value = 100; \
             s.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
        browser.wait_text("#total", |t| t == "3").await;
        let seen = placement(&browser, "#total").await;
        assert_eq!(seen["seen"], true, "{width} px: {seen}");
        assert!(
            browser.horizontal_overflow().await <= 0,
            "the dashboard scrolls sideways at {width} px"
        );
    }
    browser.resize(1400, 900).await;
    run(&browser, "window.scrollTo(0, 0)").await;
    browser.screenshots("segment-dashboard-1-top").await;
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn tags_and_permissions_are_chosen_from_the_customers_and_saving_a_view_says_so() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("segment-choices").await;
    let segment = three_customers(&app, &org).await;
    browser.log_in(&app, &org).await;
    browser.resize(1400, 900).await;
    browser.goto(&app, &format!("/segments/{segment}")).await;
    browser.wait_text("#total", |t| t == "3").await;

    // The selects offer what the customers hold, nothing typed.
    let options = "return [document.getElementById('tag'), document.getElementById('permission')]\
                   .map(s => Array.from(s.options).map(o => o.value))";
    assert_eq!(
        run(&browser, options).await,
        json!([["", "press", "vip"], ["", "newsletter"]])
    );

    browser
        .find("#tag")
        .await
        .select_by_value("vip")
        .await
        .expect("tag chosen");
    browser.wait_text("#total", |t| t == "1").await;
    browser
        .find("#permission")
        .await
        .select_by_value("newsletter")
        .await
        .expect("permission chosen");
    browser
        .wait_text("#filter-counts li[data-kind=permission] strong", |t| {
            t == "1"
        })
        .await;

    browser.type_into("#view_name", "VIPs by mail").await;
    browser.click("#save-view button[type=submit]").await;
    let saved = browser.wait_text("#view-saved", |t| !t.is_empty()).await;
    assert_eq!(saved, "View “VIPs by mail” saved.");
    // The view opens with its filters chosen.
    assert_eq!(
        run(&browser, "return [document.getElementById('tag').value, document.getElementById('permission').value]").await,
        json!(["vip", "newsletter"])
    );
    browser.wait_text("#total", |t| t == "1").await;
    browser.screenshots("segment-dashboard-2-saved-view").await;
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn a_segment_saved_with_ten_years_back_keeps_them_after_an_edit() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("segment-days-back").await;
    let segment = id(&created(
        &app,
        &org,
        "/api/v1/segments",
        json!({"name": "Ten years of opera", "days_back": 3650}),
    )
    .await);
    browser.log_in(&app, &org).await;
    browser.resize(1400, 900).await;

    // Opened and saved without touching days back: still 3,650, shown as such.
    browser
        .goto(&app, &format!("/segments/{segment}/edit"))
        .await;
    let shown = run(
        &browser,
        "return [document.getElementById('days_back').value, document.getElementById('days_back_slider').value]",
    )
    .await;
    assert_eq!(shown, json!(["3650", "3650"]), "number and slider");
    browser.screenshots("segment-dashboard-3-edit").await;
    browser.click_in_view("#save-segment").await;
    // The dashboard (only it counts).
    browser.find("#total").await;
    assert!(browser
        .path()
        .await
        .starts_with(&format!("/segments/{segment}")));
    assert_eq!(days_back(&app, &org, &segment).await, Some(3650));
    browser.goto(&app, "/segments").await;
    let list = browser.text("#segments-table").await;
    assert!(list.contains("3,650"), "{list}");

    // The slider still moves the number: a year back.
    browser
        .goto(&app, &format!("/segments/{segment}/edit"))
        .await;
    run(
        &browser,
        "const s = document.getElementById('days_back_slider'); s.value = 365; \
         s.dispatchEvent(new Event('input', {bubbles: true}));",
    )
    .await;
    assert_eq!(
        run(
            &browser,
            "return document.getElementById('days_back').value"
        )
        .await,
        json!("365")
    );
    browser.click_in_view("#save-segment").await;
    // The dashboard (only it counts).
    browser.find("#total").await;
    assert_eq!(days_back(&app, &org, &segment).await, Some(365));
    browser.finish().await;
    app.finish().await;
}
