//! Tickets reach the buyer: the confirmation mail with the tickets as a PDF (one QR code per
//! ticket, decoded here), times on the venue's clock, the cancelled notice, the PDF download
//! and the QR codes on the order page. Through a real SMTP server on loopback.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::checkout::{buyer, code_campaign, public, show, Show};
use crate::common::*;
use fullhouse_checkout::{Checkout, Confirmations};
use fullhouse_core::jobs::Worker;
use fullhouse_core::mail::{self, Attachment, NewMessage, QueuedMessage};
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::SmtpServer;
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::Method;
use serde_json::{json, Value};

/// Points the organization's mail at the loopback SMTP server.
async fn use_smtp(app: &TestApp, org: &TestOrg, smtp: &SmtpServer) {
    let settings = json!({
        "sender_name": "Royal Theatre",
        "sender_email": "tickets@royal.example",
        "reply_to": null,
        "transport": {"kind": "smtp", "host": "127.0.0.1", "port": smtp.port, "security": "plain", "username": null}
    });
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/settings/mail",
            &org.token,
            Some(settings),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// One round of the order-mail follower, as the server's background task runs it; returns how
/// many messages it queued.
async fn confirm(app: &TestApp) -> usize {
    Confirmations::new(
        Checkout::new(app.db.db.clone()),
        &app.server.state.settings.public_url,
    )
    .send_due()
    .await
    .expect("order mail queued")
}

/// Runs the queued jobs (the mail delivery) to the end.
async fn deliver(app: &TestApp) {
    let state = &app.server.state;
    let worker = Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    );
    worker.run_until_idle().await.expect("delivery runs");
}

/// A paid storefront order of a seat and two standing places with `codes`; returns the order as
/// the API answers it once paid.
async fn paid_order(app: &TestApp, show: &Show) -> Value {
    paid_order_with(app, show, &[]).await
}

async fn paid_order_with(app: &TestApp, show: &Show, codes: &[&str]) -> Value {
    let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[4]}]}, {"ticket_type_id": show.standing, "quantity": 2}], "codes": codes});
    let (s, order) = public(
        app,
        Method::POST,
        "/api/v1/storefront/royal/orders",
        Some(json!({"cart": cart, "buyer": buyer()})),
    )
    .await;
    assert_eq!(s, 201, "{order}");
    let id = order["id"].as_str().unwrap_or_default().to_string();
    let (s, paid) = public(
        app,
        Method::POST,
        &format!("/api/v1/storefront/royal/orders/{id}/pay"),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{paid}");
    paid
}

fn barcodes(order: &Value) -> BTreeSet<String> {
    order["order"]["tickets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["barcode"].as_str().map(str::to_string))
        .collect()
}

/// The QR codes in a PDF's grayscale images, decoded, and its page count.
fn qr_codes_in(pdf: &[u8]) -> (usize, BTreeSet<String>) {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let mut found = BTreeSet::new();
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let is_image = stream
            .dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .is_ok_and(|n| n == b"Image");
        if !is_image {
            continue;
        }
        let width = stream
            .dict
            .get(b"Width")
            .and_then(|w| w.as_i64())
            .expect("width");
        let height = stream
            .dict
            .get(b"Height")
            .and_then(|h| h.as_i64())
            .expect("height");
        let (width, height) = (width as usize, height as usize);
        let pixels = stream.decompressed_content().expect("image bytes");
        assert_eq!(pixels.len(), width * height, "one gray byte a pixel");
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels[y * width + x]
        });
        for grid in image.detect_grids() {
            if let Ok((_, text)) = grid.decode() {
                found.insert(text);
            }
        }
    }
    (doc.get_pages().len(), found)
}

both_backends! {
    setup = spawn_app;

    async fn a_paid_storefront_order_mails_one_confirmation_with_its_tickets_as_a_pdf_of_qr_codes(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        code_campaign(&app, &org, &show.event, ("FRIENDS-1", 3, json!({})),
            json!({"name": "Friends", "public_label": "Friends of the house", "effects": {"discount": {"kind": "percent", "percent": 50.0}}})).await;
        let paid = paid_order_with(&app, &show, &["FRIENDS-1"]).await;
        let expected = barcodes(&paid);
        assert_eq!(expected.len(), 3, "{paid}");
        let total = paid["total_minor"].as_i64().unwrap_or_default();
        assert!(total < 70000, "the code took something off: {paid}");

        assert_eq!(confirm(&app).await, 1, "one confirmation for the paid order");
        assert_eq!(confirm(&app).await, 0, "read again, the order is not mailed twice");
        deliver(&app).await;
        let received = smtp.wait_for(1, Duration::from_secs(10));
        assert_eq!(received.len(), 1, "{received:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 1, "exactly one mail");

        let message = MessageParser::default().parse(received[0].as_bytes()).expect("a MIME message");
        assert!(message.to().and_then(|to| to.first()).and_then(|a| a.address()).is_some_and(|a| a == "karen@example.dk"));
        assert!(message.header("List-Unsubscribe").is_none(), "transactional: no unsubscribe");
        let subject = message.subject().unwrap_or_default().to_string();
        assert!(subject.contains("Hamlet") && subject.contains("20:30"), "{subject}");
        let html = message.body_html(0).expect("an HTML part").to_string();
        let text = message.body_text(0).expect("a text part").to_string();
        // 19:30 UTC on 1 January is 20:30 in Copenhagen, where the venue is.
        for body in [&html, &text] {
            assert!(body.contains("20:30"), "the venue's local time: {body}");
            assert!(!body.contains("19:30") && !body.contains("UTC"), "never UTC: {body}");
            assert!(body.contains("Main Stage") && body.contains("Seat 5") && body.contains("Row A"), "{body}");
            assert!(body.contains("Seated") && body.contains("Standing"), "{body}");
            let total = format!("{}.{:02} DKK", total / 100, total % 100);
            assert!(body.contains(&total), "the total paid, {total}: {body}");
            assert!(body.contains("Friends of the house") && body.contains("FRIENDS-1"), "the discount itemized: {body}");
            assert!(body.contains("Discounts in all"), "{body}");
        }
        let id = paid["id"].as_str().unwrap_or_default();
        let reference = fullhouse_checkout::tickets::order_reference(&fullhouse_ticketing::OrderId::from_db(id.to_string()));
        assert!(html.contains(&reference), "the readable reference {reference}: {html}");
        assert!(text.contains(&format!("{}/shop/royal/orders/{id}", app.base)), "a link to the order: {text}");

        let attachments: Vec<_> = message.attachments().collect();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].attachment_name(), Some(format!("tickets-{reference}.pdf").as_str()));
        assert_eq!(attachments[0].content_type().map(|c| (c.ctype().to_string(), c.subtype().unwrap_or_default().to_string())), Some(("application".into(), "pdf".into())));
        let (pages, decoded) = qr_codes_in(attachments[0].contents());
        assert_eq!(pages, 3, "a page per ticket");
        assert_eq!(decoded, expected, "every ticket's QR code reads as its barcode");
        app.finish().await;
    }

    async fn a_refunded_paid_order_mails_its_notice_once_and_an_unpaid_cancel_mails_nothing(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        let paid = paid_order(&app, &show).await;
        let id = paid["id"].as_str().unwrap_or_default().to_string();
        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[9]}]}]});
        let (s, unpaid) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": {"email": "unpaid@example.dk"}}))).await;
        assert_eq!(s, 201, "{unpaid}");
        let unpaid_id = unpaid["id"].as_str().unwrap_or_default().to_string();

        for order in [&id, &unpaid_id] {
            let (s, cancelled) = app.post(&format!("/api/v1/checkout/orders/{order}/cancel"), &org.token, json!({})).await;
            assert_eq!(s, 200, "{cancelled}");
        }
        // The paid order was confirmed and then refunded; the unpaid one was only cancelled.
        assert_eq!(confirm(&app).await, 1, "the refund notice (a confirmation of an order refunded since is not sent)");
        assert_eq!(confirm(&app).await, 0);
        deliver(&app).await;
        let received = smtp.wait_for(1, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 1, "{received:#?}");
        let message = MessageParser::default().parse(received[0].as_bytes()).expect("a MIME message");
        let subject = message.subject().unwrap_or_default().to_string();
        assert!(subject.contains("refunded"), "{subject}");
        let html = message.body_html(0).expect("HTML").to_string();
        assert!(html.contains("test payment"), "what happens with the money (the test provider took none): {html}");
        assert!(html.contains("20:30") && !html.contains("UTC"), "{html}");
        assert_eq!(message.attachments().count(), 0, "no tickets with a refund");
        assert!(message.to().and_then(|to| to.first()).and_then(|a| a.address()).is_some_and(|a| a == "karen@example.dk"));
        app.finish().await;
    }

    async fn a_box_office_sale_mails_a_buyer_with_an_email_in_their_language_and_no_one_else(app: TestApp) {
        let smtp = SmtpServer::start();
        let org = app.new_org("royal").await;
        use_smtp(&app, &org, &smtp).await;
        let show = show(&app, &org).await;
        let (s, customer) = app.post("/api/v1/customers", &org.token, json!({"first_name": "Søren", "email": "soren@example.dk", "language": "da"})).await;
        assert_eq!(s, 201, "{customer}");
        let sale = |seat: usize, buyer: Value| json!({"cart": {"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[seat]}]}]}, "buyer": buyer, "payment_method": "cash"});
        let (s, order) = app.post("/api/v1/box-office/orders", &org.token, sale(1, json!({"email": "soren@example.dk"}))).await;
        assert_eq!(s, 201, "{order}");
        let mut anonymous = sale(2, Value::Null);
        anonymous["buyer"] = Value::Null;
        let (s, body) = app.post("/api/v1/box-office/orders", &org.token, anonymous).await;
        assert_eq!(s, 201, "{body}");

        assert_eq!(confirm(&app).await, 1, "only the sale with a buyer's email");
        deliver(&app).await;
        let received = smtp.wait_for(1, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 1);
        let message = MessageParser::default().parse(received[0].as_bytes()).expect("a MIME message");
        let subject = message.subject().unwrap_or_default().to_string();
        assert!(subject.starts_with("Dine billetter til Hamlet") && subject.contains("kl. 20:30"), "in Danish: {subject}");
        let html = message.body_html(0).expect("HTML").to_string();
        assert!(html.contains("Kære Søren") && html.contains("Sæde 2") && html.contains("300,00 DKK"), "{html}");
        let pdf = message.attachments().next().expect("the tickets");
        let (_, decoded) = qr_codes_in(pdf.contents());
        assert_eq!(decoded, barcodes(&order));
        app.finish().await;
    }

    async fn the_tickets_download_for_a_paid_order_and_are_refused_for_an_unpaid_one(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let paid = paid_order(&app, &show).await;
        let id = paid["id"].as_str().unwrap_or_default();
        let response = app.client.get(app.url(&format!("/shop/royal/orders/{id}/tickets.pdf"))).send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
        let pdf = response.bytes().await.expect("bytes");
        let (pages, decoded) = qr_codes_in(&pdf);
        assert_eq!((pages, decoded), (3, barcodes(&paid)));

        let page = app.client.get(app.url(&format!("/shop/royal/orders/{id}"))).send().await.expect("sent").text().await.unwrap_or_default();
        assert!(page.contains(&format!("/shop/royal/orders/{id}/tickets.pdf")), "a download link: {page}");
        assert_eq!(page.matches("<svg role=\"img\" aria-label=\"QR code\"").count(), 3, "a QR code per ticket: {page}");
        for barcode in barcodes(&paid) {
            assert!(page.contains(&format!("data-barcode=\"{barcode}\"")), "{page}");
        }
        assert!(page.contains("Seat 5") && page.contains("Seated") && page.contains("Standing"), "{page}");

        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.seated, "seats": [{"seat_id": show.seats[7]}]}]});
        let (s, unpaid) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{unpaid}");
        let unpaid_id = unpaid["id"].as_str().unwrap_or_default();
        let response = app.client.get(app.url(&format!("/shop/royal/orders/{unpaid_id}/tickets.pdf"))).header("accept-language", "da").send().await.expect("sent");
        assert_eq!(response.status(), 404);
        let body = response.text().await.unwrap_or_default();
        assert!(body.contains("Billetterne kan hentes, når bestillingen er betalt."), "in plain words: {body}");
        let page = app.client.get(app.url(&format!("/shop/royal/orders/{unpaid_id}"))).send().await.expect("sent").text().await.unwrap_or_default();
        assert!(!page.contains("tickets.pdf") && !page.contains("<svg"), "no tickets before payment: {page}");
        let (s, _) = public(&app, Method::GET, "/shop/royal/orders/not-an-order/tickets.pdf", None).await;
        assert_eq!(s, 404);
        app.finish().await;
    }

    async fn a_queued_attachment_is_written_with_its_message_by_the_file_drop_once_and_a_bad_one_is_refused(app: TestApp) {
        let org = app.new_org("filedrop").await;
        let message = |key: &str, content_type: &str, bytes: &[u8]| QueuedMessage {
            message: NewMessage {
                to_email: "ida@example.dk".into(),
                to_name: None,
                subject: "Your tickets".into(),
                html: "<p>Attached.</p>".into(),
                text: None,
                marketing: None,
                idempotency_key: key.into(),
                attachments: vec![Attachment { file_name: "tickets.pdf".into(), content_type: content_type.into(), bytes: bytes.to_vec() }],
            },
            unsubscribe_token: None,
        };
        let (server, org_id) = (&app.server, &org.id);
        let queue = move |messages: Vec<QueuedMessage>| async move {
            let txn = server.state.db.begin_write().await.expect("txn");
            let queued = mail::queue(&txn, org_id, messages).await;
            txn.commit().await.expect("commit");
            queued
        };
        assert_eq!(queue(vec![message("t-1", "application/pdf", b"%PDF-first")]).await.expect("queued"), 1);
        assert_eq!(queue(vec![message("t-1", "application/pdf", b"%PDF-second")]).await.expect("queued"), 0, "the same key is queued once");
        let refused = queue(vec![message("t-2", "not a type", b"x")]).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("attachments[0].content_type"), "{refused}");
        deliver(&app).await;
        let dir = app.server.state.settings.data_dir.join("mail").join(org.id.as_str());
        let files: Vec<_> = std::fs::read_dir(&dir).expect("mail dir").filter_map(|e| e.ok()).collect();
        assert_eq!(files.len(), 1);
        let raw = std::fs::read(files[0].path()).expect("eml");
        let parsed = MessageParser::default().parse(&raw).expect("a MIME message");
        assert_eq!(parsed.body_text(0).map(|t| t.trim().to_string()).as_deref(), Some("Attached."));
        let attachments: Vec<_> = parsed.attachments().collect();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].attachment_name(), Some("tickets.pdf"));
        assert_eq!(attachments[0].contents(), b"%PDF-first", "the first queueing's file, intact");
        app.finish().await;
    }
}
