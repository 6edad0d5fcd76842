//! The purchase intents' pages over HTTP, on both backends: the organizer makes an intent on the
//! form (the seat ticked on the map, the customer picked), finds it in the list, and the
//! customer pays through the link and is sent to the tickets; refused input comes back beside
//! its field; invoice and cancelled links say what they are; an event's default strategy is
//! saved from the list; the organizer's digest goes out once a day.

use std::sync::Arc;

use fullhouse_checkout::{Checkout, ManualClock};
use fullhouse_core::Backend;
use fullhouse_intents::model::{
    Deadline, Delivery, IntentItem, NewIntent, Strategy, StrategyChoice,
};
use fullhouse_intents::{Intents, Sweep};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::{CustomerId, EventId, SeatId, TicketTypeId};
use reqwest::redirect::Policy;

use crate::browser::{page_session, PageSession};
use crate::buyer_sign_in::customer;
use crate::checkout::{show, Show};
use crate::common::{spawn_app, TestApp, TestOrg};

/// A customer client that follows no redirect (to read where paying sends the customer).
fn visitor() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

async fn visit(app: &TestApp, path: &str) -> (u16, String) {
    let response = visitor().get(app.url(path)).send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Posts the new-intent form; the status and where it sends the organizer (or the page).
async fn make(app: &TestApp, session: &PageSession, fields: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("csrf_token", session.csrf.as_str())];
    all.extend_from_slice(fields);
    session.post(app, "/intents/new", &all).await
}

async fn make_located(app: &TestApp, session: &PageSession, fields: &[(&str, &str)]) -> String {
    let mut all = vec![("csrf_token", session.csrf.as_str())];
    all.extend_from_slice(fields);
    let response = session.post_located(app, "/intents/new", &all).await;
    assert_eq!(response.0, 303, "{}", response.2);
    response.1
}

/// The customer's link on an intent's page.
fn link_path(page: &str, slug: &str) -> String {
    let marker = format!("/shop/{slug}/intents/fhi_");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no link in {page}"));
    page[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The intents service as the server runs it, for the sweep's digest.
fn intents_of(app: &TestApp) -> Intents {
    let state = &app.server.state;
    Intents::new(
        state.db.clone(),
        fullhouse_checkout::CheckoutModule::new().serving(state),
        &state.settings.public_url,
    )
}

async fn setup(app: &TestApp, slug: &str) -> (TestOrg, Show, String, PageSession) {
    let org = app.new_org(slug).await;
    let show = show(app, &org).await;
    let customer = customer(app, &org, "ida@example.dk").await;
    let session = page_session(app, &org).await;
    (org, show, customer, session)
}

both_backends! {
    setup = spawn_app;

    async fn an_intent_made_on_the_form_is_listed_paid_through_its_link_and_completed(app: TestApp) {
        let (_org, show, customer, session) = setup(&app, "royal-intents").await;
        let (status, form) = session.get(&app, "/intents/new").await;
        assert_eq!(status, 200, "{form}");
        assert!(form.contains("id=\"event_id\""), "{form}");
        // The customer search and the event's tickets answer as htmx partials.
        let (status, found) = session.get(&app, "/intents/new/customers?customer_q=ida").await;
        assert_eq!(status, 200);
        assert!(found.contains(&customer), "{found}");
        let (status, tickets) = session
            .get(&app, &format!("/intents/new/tickets?event_id={}", show.event))
            .await;
        assert_eq!(status, 200);
        let seat = format!("{}:{}", show.seated, show.seats[0]);
        assert!(tickets.contains(&seat), "{tickets}");
        assert!(tickets.contains(&format!("qty_{}", show.standing)), "{tickets}");

        let location = make_located(&app, &session, &[
            ("customer_id", &customer),
            ("event_id", &show.event),
            ("seat", &seat),
            (&format!("qty_{}", show.standing), "1"),
            ("strategy", "pay_by_link"),
            ("pay_days", "3"),
            ("company", "Nordisk Film"),
        ]).await;
        assert!(location.starts_with("/intents/int_") && location.ends_with("?created=1"), "{location}");
        let intent_path = location.trim_end_matches("?created=1").to_string();
        let (status, page) = session.get(&app, &location).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("data-status=\"pending\""), "{page}");
        assert!(page.contains("500.00"), "a seat at 300 and a standing place at 200: {page}");
        assert!(page.contains("Seat 1"), "{page}");
        assert!(page.contains("id=\"mark-paid\"") && page.contains("id=\"extend\"") && page.contains("id=\"cancel\""), "{page}");
        assert!(!page.contains("id=\"reopen\""), "{page}");
        let link = link_path(&page, "royal-intents");

        let (status, list) = session.get(&app, "/intents?status=pending").await;
        assert_eq!(status, 200);
        assert!(list.contains(&intent_path) && list.contains("Ida"), "{list}");
        assert!(list.contains("id=\"count-pending\">1<"), "{list}");

        // The customer's page: the booking, the deadline and a Pay button.
        let (status, customer_page) = visit(&app, &link).await;
        assert_eq!(status, 200, "{customer_page}");
        assert!(customer_page.contains("data-state=\"to_pay\""), "{customer_page}");
        assert!(customer_page.contains("id=\"pay\"") && customer_page.contains("Nordisk Film"), "{customer_page}");
        assert!(customer_page.contains("20:30"), "the venue's clock: {customer_page}");
        let paid = visitor().post(app.url(&format!("{link}/pay"))).send().await.expect("pay");
        assert_eq!(paid.status().as_u16(), 303);
        let tickets_at = paid.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(tickets_at.starts_with("/shop/royal-intents/orders/"), "{tickets_at}");
        let (status, order) = visit(&app, &tickets_at).await;
        assert_eq!(status, 200, "{order}");
        assert!(order.contains("id=\"confirmation\""), "{order}");

        let (_, page) = session.get(&app, &intent_path).await;
        assert!(page.contains("data-status=\"completed\""), "{page}");
        assert!(!page.contains("id=\"cancel\""), "{page}");
        let (_, customer_page) = visit(&app, &link).await;
        assert!(customer_page.contains("data-state=\"done\"") && customer_page.contains("id=\"see-tickets\""), "{customer_page}");
        // Paying again sends nothing twice: the page shows the booking as paid.
        let again = visitor().post(app.url(&format!("{link}/pay"))).send().await.expect("pay");
        assert_eq!(again.status().as_u16(), 200);
    }

    async fn the_form_puts_each_refusal_beside_its_field_and_checks_the_csrf_token(app: TestApp) {
        let (_org, show, customer, session) = setup(&app, "intents-refused").await;
        let (status, page) = make(&app, &session, &[("event_id", "")]).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"customer-error\""), "{page}");
        let (status, page) = make(&app, &session, &[("customer_id", &customer), ("event_id", "")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("id=\"event-error\""), "{page}");
        let (status, page) = make(&app, &session, &[("customer_id", &customer), ("event_id", &show.event)]).await;
        assert_eq!(status, 422);
        assert!(page.contains("id=\"tickets-error\""), "no tickets chosen: {page}");
        let seat = format!("{}:{}", show.seated, show.seats[0]);
        let (status, page) = make(&app, &session, &[
            ("customer_id", &customer), ("event_id", &show.event), ("seat", &seat),
            ("strategy", "pay_by_link"), ("pay_until", "2020-01-01T10:00"),
        ]).await;
        assert_eq!(status, 422);
        assert!(page.contains("id=\"deadline-error\""), "a deadline in the past: {page}");
        assert!(page.contains(&format!("value=\"{seat}\"")) && page.contains("checked"), "the seat stays ticked");
        // A new customer made inline stays chosen when the rest is refused.
        let (status, page) = make(&app, &session, &[
            ("new_email", "new@example.dk"), ("new_first_name", "Nora"), ("event_id", &show.event),
        ]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Nora") && page.contains("name=\"customer_id\" value=\"cus_"), "{page}");
        let (status, _) = session.post(&app, "/intents/new", &[("customer_id", &customer)]).await;
        assert_eq!(status, 403, "no CSRF token");
    }

    async fn invoice_and_cancelled_links_say_what_they_are_and_reopening_holds_again(app: TestApp) {
        let (_org, show, customer, session) = setup(&app, "intents-links").await;
        let seat = format!("{}:{}", show.seated, show.seats[1]);
        let location = make_located(&app, &session, &[
            ("customer_id", &customer), ("event_id", &show.event), ("seat", &seat), ("strategy", "invoice"),
        ]).await;
        let path = location.trim_end_matches("?created=1").to_string();
        let (_, page) = session.get(&app, &path).await;
        let link = link_path(&page, "intents-links");
        let (status, customer_page) = visit(&app, &link).await;
        assert_eq!(status, 200);
        assert!(customer_page.contains("id=\"intent-invoiced\"") && !customer_page.contains("id=\"pay\""), "{customer_page}");

        // Cancelling asks for the confirmation box first.
        let act = format!("{path}/act");
        let (status, page) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "cancel")]).await;
        assert_eq!(status, 409, "{page}");
        assert!(page.contains("id=\"intent-problem\""), "{page}");
        let (status, _) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "cancel"), ("confirm", "yes")]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, &path).await;
        assert!(page.contains("data-status=\"cancelled\"") && page.contains("id=\"reopen\""), "{page}");
        let (status, customer_page) = visit(&app, &link).await;
        assert_eq!(status, 200);
        assert!(customer_page.contains("id=\"intent-cancelled\"") && !customer_page.contains("id=\"pay\""), "{customer_page}");

        let (status, _) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "reopen")]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, &path).await;
        assert!(page.contains("data-status=\"pending\""), "{page}");
        assert!(page.contains("Reopened"), "the history says so: {page}");

        let (status, unknown) = visit(&app, "/shop/intents-links/intents/fhi_nothing").await;
        assert_eq!(status, 404);
        assert!(unknown.contains("does not lead to a booking"), "{unknown}");
        // The customer's language, chosen in the address.
        let (_, french) = visit(&app, &format!("{link}?lang=fr")).await;
        assert!(french.contains("Votre réservation"), "{french}");
    }

    async fn an_expired_link_says_to_ask_the_organizer_who_finds_it_listed_with_reopen(app: TestApp) {
        let (org, show, customer, session) = setup(&app, "intents-expired").await;
        let clock = ManualClock::starting_at(chrono::Utc::now());
        let checkout = Checkout::new(app.db.db.clone()).with_clock(Arc::new(clock.clone()));
        let intents = Intents::new(app.db.db.clone(), checkout, &app.base);
        let intent = intents
            .create(&org.id, NewIntent {
                customer_id: CustomerId::from_db(customer.clone()),
                event_id: EventId::from_db(show.event.clone()),
                shop_id: None,
                items: vec![IntentItem {
                    ticket_type_id: TicketTypeId::from_db(show.seated.clone()),
                    quantity: None,
                    seat_ids: vec![SeatId::from_db(show.seats[5].clone())],
                    seats: Vec::new(),
                    ga_name: None,
                }],
                coupon: None,
                company: None,
                delivery: Delivery::Virtual,
                strategy: StrategyChoice { strategy: Some(Strategy::PayByLink), deadline: Some(Deadline::Days(1)) },
                send_mail: false,
                import_id: None,
                created_by: "owner@test".into(),
            })
            .await
            .expect("intent");
        clock.advance(chrono::Duration::days(2));
        assert_eq!(intents.checkout().expire_due_holds().await.expect("expiry"), 1);
        Sweep::new(intents.clone()).round().await.expect("round");
        let link = intent.link.trim_start_matches(&app.base).to_string();
        let (status, page) = visit(&app, &link).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"intent-expired\"") && page.contains("Ask the organizer to reopen it"), "{page}");
        assert!(!page.contains("id=\"pay\""), "{page}");
        let paid = visitor().post(app.url(&format!("{link}/pay"))).send().await.expect("pay");
        assert_eq!(paid.status().as_u16(), 200, "a late payment only shows the page again");
        let (_, list) = session.get(&app, "/intents?status=expired").await;
        assert!(list.contains(&format!("/intents/{}", intent.id)), "{list}");
        let (_, page) = session.get(&app, &format!("/intents/{}", intent.id)).await;
        assert!(page.contains("id=\"reopen\"") && page.contains("Expired"), "{page}");
    }

    async fn the_intent_page_extends_resends_and_marks_paid(app: TestApp) {
        let (_org, show, customer, session) = setup(&app, "intents-actions").await;
        let seat = format!("{}:{}", show.seated, show.seats[6]);
        let location = make_located(&app, &session, &[
            ("customer_id", &customer), ("event_id", &show.event), ("seat", &seat),
            ("strategy", "pay_by_link"), ("pay_days", "2"), ("filled", "1"),
        ]).await;
        let path = location.trim_end_matches("?created=1").to_string();
        let (_, page) = session.get(&app, &path).await;
        assert!(page.contains("id=\"no-mails\"") || page.contains("No mail has been sent."), "unticked: no mail: {page}");
        let act = format!("{path}/act");
        // The new deadline is typed on the venue's clock and shown on it.
        let (status, _) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "extend"), ("deadline", "2030-06-01T12:00")]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, &format!("{path}?done=extend")).await;
        assert!(page.contains("id=\"intent-deadline\">2030-06-01 12:00<"), "{page}");
        assert!(page.contains("The deadline is moved."), "{page}");
        let (status, page) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "extend"), ("deadline", "soon")]).await;
        assert_eq!(status, 409);
        assert!(page.contains("Give the deadline as a date and time."), "{page}");
        let (status, _) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "resend")]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, &path).await;
        assert!(page.contains("Purchase intent: the booking (with the payment link) → ida@example.dk"), "the mail is listed: {page}");
        let (status, _) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "mark_paid"), ("payment_method", "invoice"), ("reference", "F-2031-7")]).await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&app, &path).await;
        assert!(page.contains("data-status=\"completed\"") && page.contains("Marked paid"), "{page}");
        let (status, page) = session.post(&app, &act, &[("csrf_token", &session.csrf), ("action", "cancel"), ("confirm", "yes")]).await;
        assert_eq!(status, 409, "a paid intent is not cancelled here: {page}");
    }

    async fn an_events_default_strategy_is_saved_from_the_list(app: TestApp) {
        let (_org, show, _customer, session) = setup(&app, "intents-defaults").await;
        let path = format!("/intents/defaults/{}", show.event);
        let (status, page) = session.post(&app, &path, &[
            ("csrf_token", &session.csrf), ("strategy", "pay_by_link"), ("pay_days", "3"), ("remind_days", "3"),
        ]).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("aria-invalid=\"true\""), "{page}");
        let (status, _) = session.post(&app, &path, &[
            ("csrf_token", &session.csrf), ("strategy", "invoice"), ("pay_days", "5"), ("remind_days", "2"),
        ]).await;
        assert_eq!(status, 303);
        let (_, list) = session.get(&app, &format!("/intents?event_id={}&saved=1", show.event)).await;
        assert!(list.contains("id=\"defaults-saved\""), "{list}");
        assert!(list.contains("<option value=\"invoice\" selected>"), "{list}");
        let (_, form) = session.get(&app, &format!("/intents/new?event_id={}", show.event)).await;
        assert!(form.contains("Reserve and invoice"), "the form names the event's default: {form}");
    }

    async fn the_digest_lists_links_running_out_and_goes_once_a_day(app: TestApp) {
        let (_org, show, customer, session) = setup(&app, "intents-digest").await;
        // Read on Copenhagen's clock (one or two hours ahead of UTC): in 8 or 9 hours.
        let soon = (chrono::Utc::now() + chrono::Duration::hours(10))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let seat = format!("{}:{}", show.seated, show.seats[2]);
        make_located(&app, &session, &[
            ("customer_id", &customer), ("event_id", &show.event), ("seat", &seat),
            ("strategy", "pay_by_link"), ("pay_until", &soon),
        ]).await;
        let later = format!("{}:{}", show.seated, show.seats[3]);
        make_located(&app, &session, &[
            ("customer_id", &customer), ("event_id", &show.event), ("seat", &later),
            ("strategy", "pay_by_link"), ("pay_days", "5"),
        ]).await;
        let intents = intents_of(&app);
        assert_eq!(intents.send_due_digests().await.expect("digest"), 1, "one mail, to the owner");
        assert_eq!(intents.send_due_digests().await.expect("digest"), 0, "once a day");
    }

    async fn a_file_imported_through_the_wizard_books_its_good_rows(app: TestApp) {
        let (org, show, _customer, session) = setup(&app, "intents-wizard").await;
        let (status, list) = session.get(&app, "/intents").await;
        assert_eq!(status, 200);
        assert!(list.contains("id=\"import-intents\""), "{list}");
        let (status, form) = session.get(&app, "/intents/import").await;
        assert_eq!(status, 200, "{form}");
        // Three rows, one naming a ticket type that does not exist.
        let csv = format!(
            "Email,First name,Last name,Event,Ticket type\n\
             ada@example.dk,Ada,Holm,{event},{standing}\n\
             bo@example.dk,Bo,Berg,{event},{standing}\n\
             cy@example.dk,Cy,Lund,{event},tt_nonexistent\n",
            event = show.event,
            standing = show.standing,
        );
        let upload = reqwest::multipart::Form::new()
            .text("csrf_token", session.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes())
                    .file_name("intents.csv")
                    .mime_str("text/csv")
                    .expect("mime"),
            );
        let response = session
            .client
            .post(app.url("/intents/import"))
            .multipart(upload)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status().as_u16(), 303);
        let mapping_path = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(mapping_path.starts_with("/intents/import/"), "{mapping_path}");
        // The columns are mapped from their headers, and the rows previewed.
        let (status, mapping) = session.get(&app, &mapping_path).await;
        assert_eq!(status, 200, "{mapping}");
        for (column, field) in [
            (0, "customerEmail"),
            (1, "firstName"),
            (2, "lastName"),
            (3, "eventId"),
            (4, "ticketTypeId"),
        ] {
            let select = mapping
                .split(&format!("name=\"column_{column}\""))
                .nth(1)
                .and_then(|rest| rest.split("</select>").next())
                .unwrap_or_default();
            assert!(
                select.contains(&format!("value=\"{field}\" selected")),
                "column {column} maps to {field}: {select}"
            );
        }
        assert!(mapping.contains("cy@example.dk"), "{mapping}");
        // A change redraws the preview (htmx); an unknown strategy is refused beside its field.
        let mapped = [
            ("csrf_token", session.csrf.as_str()),
            ("column_0", "customerEmail"),
            ("column_1", "firstName"),
            ("column_2", "lastName"),
            ("column_3", "eventId"),
            ("column_4", "ticketTypeId"),
        ];
        let (status, partial) = session
            .post(&app, &format!("{mapping_path}/preview"), &mapped)
            .await;
        assert_eq!(status, 200, "{partial}");
        assert!(partial.contains("id=\"preview-table\""), "{partial}");
        // A mapping without the event is refused before anything is queued.
        let mut no_event = mapped.to_vec();
        no_event[4] = ("column_3", "ignore");
        let (status, page) = session.post(&app, &mapping_path, &no_event).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"missing-fields\""), "{page}");
        let mut refused = mapped.to_vec();
        refused.push(("strategy", "barter"));
        let (status, page) = session.post(&app, &mapping_path, &refused).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"strategy-error\""), "{page}");
        let mut chosen = mapped.to_vec();
        chosen.extend([("strategy", "complimentary"), ("source", "wizard")]);
        let (status, started, page) =
            session.post_located(&app, &mapping_path, &chosen).await;
        assert_eq!(status, 303, "{page}");
        assert!(started.starts_with("/jobs?started="), "{started}");
        let job = started.trim_start_matches("/jobs?started=");
        let state = &app.server.state;
        fullhouse_core::jobs::Worker::new(
            state.db.clone(),
            state.files.clone(),
            fullhouse_server::job_registry(state),
        )
        .with_public_url(&state.settings.public_url)
        .run_until_idle()
        .await
        .expect("jobs run");
        let (_, job) = app.get(&format!("/api/v1/jobs/{job}"), &org.token).await;
        let (status, booked) = app
            .get(&format!("/api/v1/intents?event_id={}", show.event), &org.token)
            .await;
        assert_eq!(status, 200, "{booked}");
        assert_eq!(booked["total"], 2, "two of three rows booked: {job} {booked}");
    }
}

#[tokio::test]
async fn the_intents_pages_answer_in_danish_and_french() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let (org, show, customer, session) = setup(&app, "intents-lang").await;
    let seat = format!("{}:{}", show.seated, show.seats[0]);
    let location = make_located(
        &app,
        &session,
        &[
            ("customer_id", &customer),
            ("event_id", &show.event),
            ("seat", &seat),
            ("strategy", "complimentary"),
        ],
    )
    .await;
    let _ = &org;
    // The mails are editable under Settings → Templates, named, with a preview of the samples.
    let (status, templates) = session.get(&app, "/settings/templates").await;
    assert_eq!(status, 200);
    for name in [
        "Purchase intent: the booking",
        "Purchase intent: payment reminder",
        "daily digest",
    ] {
        assert!(templates.contains(name), "{name}: {templates}");
    }
    let (status, booking) = session
        .get(&app, "/settings/templates/intent_booking/da")
        .await;
    assert_eq!(status, 200, "{booking}");
    assert!(booking.contains("Betal nu"), "{booking}");
    for (code, words) in [
        (
            "da",
            [
                "Ny købsintention",
                "Opret reservationen",
                "Historik",
                "Importér reservationer",
            ],
        ),
        (
            "fr",
            [
                "Nouvelle intention",
                "Créer",
                "Historique",
                "Importer des intentions",
            ],
        ),
    ] {
        let (status, _) = session
            .post(
                &app,
                "/language",
                &[
                    ("csrf_token", &session.csrf),
                    ("language", code),
                    ("return_to", "/intents"),
                ],
            )
            .await;
        assert!(status == 303 || status == 200, "{status}");
        for (path, word) in [
            "/intents",
            "/intents/new",
            location.as_str(),
            "/intents/import",
        ]
        .into_iter()
        .zip(words)
        {
            let (status, page) = session.get(&app, path).await;
            assert_eq!(status, 200, "{path}: {page}");
            assert!(page.contains(word), "{code} {path}: {word}");
        }
    }
    app.finish().await;
}
