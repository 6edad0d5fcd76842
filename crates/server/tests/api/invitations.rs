//! Settings → Users over HTTP (issue #20): people are invited by email and choose their own
//! password through a one-time link that expires (mailed through the outbox to a loopback SMTP
//! server); disabling and removing a user ask first; the organization's time zone and currency
//! are picked from lists.

use std::time::Duration;

use chrono::Utc;
use fullhouse_core::tenancy::invitations::store::user_invitations;
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use sea_orm::sea_query::Expr;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::browser::{page_session, PageSession};
use crate::buyer_sign_in::quoted_printable;
use crate::common::{spawn_app, TestApp, TestOrg};
use crate::mail::{deliver, use_smtp};

/// Invites `email` from the users page; where the page sends the browser.
async fn invite(app: &TestApp, session: &PageSession, email: &str, language: &str) -> String {
    let (status, location, html) = session
        .post_located(
            app,
            "/settings/users",
            &[
                ("csrf_token", session.csrf.as_str()),
                ("email", email),
                ("name", "Bo Berg"),
                ("role", "marketer"),
                ("language", language),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    location
}

/// The invitation link of the newest mail to `email`, once `count` mails reached the server.
async fn mailed_invitation(
    app: &TestApp,
    smtp: &SmtpServer,
    email: &str,
    count: usize,
) -> (String, String) {
    deliver(app).await;
    let messages = smtp.wait_for(count, Duration::from_secs(10));
    let message = messages
        .iter()
        .rev()
        .find(|m| header_value(m, "To").unwrap_or_default().contains(email))
        .unwrap_or_else(|| panic!("no mail to {email}: {messages:#?}"))
        .clone();
    let html = message
        .split("Content-Type: text/html")
        .nth(1)
        .unwrap_or_else(|| panic!("no HTML part: {message}"));
    let body = quoted_printable(html)
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/");
    let path = "/invitation/fhinv_";
    let start = body
        .find(path)
        .unwrap_or_else(|| panic!("no link in {body}"));
    let link: String = body[start..].chars().take(path.len() + 64).collect();
    assert!(
        body[..start].ends_with(&app.base),
        "the link is on the server's address: {body}"
    );
    (link, message)
}

/// Logs in through the API; the status.
async fn login(app: &TestApp, email: &str, password: &str) -> u16 {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login sent");
    response.status().as_u16()
}

async fn set_password(app: &TestApp, link: &str, password: &str, again: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(link))
        .form(&[("password", password), ("password_again", again)])
        .send()
        .await
        .expect("posted");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn user_named(app: &TestApp, org: &TestOrg, email: &str) -> Option<Value> {
    let (_, users) = app.get("/api/v1/users", &org.token).await;
    users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["email"] == email)
        .cloned()
}

async fn save_organization(
    app: &TestApp,
    session: &PageSession,
    timezone: &str,
    currency: &str,
) -> (u16, String, String) {
    let fields = [
        ("csrf_token", session.csrf.as_str()),
        ("name", "Pickers"),
        ("default_language", "en"),
        ("timezone", timezone),
        ("currency", currency),
    ];
    session
        .post_located(app, "/settings/organization", &fields)
        .await
}

both_backends! {
    setup = spawn_app;

    async fn an_invited_user_chooses_their_own_password_through_the_mailed_link_and_logs_in(app: TestApp) {
        let org = app.new_org("invites").await;
        let smtp = SmtpServer::start();
        use_smtp(&app, &org, &smtp).await;
        let session = page_session(&app, &org).await;
        // The form asks for no password.
        let (_, page) = session.get(&app, "/settings/users").await;
        let form = page.split("id=\"invite-form\"").nth(1).unwrap_or_default();
        assert!(!form.contains("type=\"password\""), "{form}");

        let location = invite(&app, &session, "bo@invites.example", "da").await;
        assert_eq!(location, "/settings/users?done=invited&email=bo%40invites.example");
        let (_, page) = session.get(&app, &location).await;
        assert!(page.contains("Invitation sent to bo@invites.example."), "{page}");
        let row = page.split("bo@invites.example</td>").nth(1).unwrap_or_default();
        assert!(row.split("</tr>").next().unwrap_or_default().contains("Invited"), "{row}");
        // Nobody can log in as the invitee before the link is used.
        assert_eq!(login(&app, "bo@invites.example", "any password at all").await, 401);

        // The mail is in the invitee's language, with a one-time link.
        let (link, message) = mailed_invitation(&app, &smtp, "bo@invites.example", 1).await;
        let subject = header_value(&message, "Subject").unwrap_or_default();
        assert!(subject.contains("inviteret"), "{subject}");
        let response = app.client.get(app.url(&link)).send().await.expect("opened");
        assert_eq!(response.status().as_u16(), 200);
        let page = response.text().await.unwrap_or_default();
        assert!(page.contains("Vælg den adgangskode") && page.contains("bo@invites.example"), "{page}");

        // Two different passwords, or a short one, are refused and the link still works.
        let (status, page) = set_password(&app, &link, "a long enough password", "another long password").await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("De to adgangskoder er forskellige."), "{page}");
        let (status, _) = set_password(&app, &link, "short", "short").await;
        assert_eq!(status, 422);
        let (status, page) = set_password(&app, &link, "bo's own long password", "bo's own long password").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Din adgangskode er gemt"), "{page}");
        assert_eq!(login(&app, "bo@invites.example", "bo's own long password").await, 200);

        // The link worked once.
        let response = app.client.get(app.url(&link)).send().await.expect("opened");
        assert_eq!(response.status().as_u16(), 410);
        let (status, _) = set_password(&app, &link, "someone else's password", "someone else's password").await;
        assert_eq!(status, 410);
        assert_eq!(login(&app, "bo@invites.example", "someone else's password").await, 401);
        let (_, page) = session.get(&app, "/settings/users").await;
        let row = page.split("bo@invites.example</td>").nth(1).unwrap_or_default();
        assert!(row.split("</tr>").next().unwrap_or_default().contains("Active"), "{row}");
        app.finish().await;
    }

    async fn an_expired_invitation_link_is_refused(app: TestApp) {
        let org = app.new_org("expired").await;
        let smtp = SmtpServer::start();
        use_smtp(&app, &org, &smtp).await;
        let session = page_session(&app, &org).await;
        invite(&app, &session, "late@expired.example", "en").await;
        let (link, message) = mailed_invitation(&app, &smtp, "late@expired.example", 1).await;
        assert!(header_value(&message, "Subject").unwrap_or_default().contains("You are invited to"), "{message}");
        user_invitations::Entity::update_many()
            .col_expr(user_invitations::Column::ExpiresAt, Expr::value(Utc::now() - chrono::Duration::minutes(1)))
            .exec(app.server.state.db.writer())
            .await
            .expect("expired");
        let response = app.client.get(app.url(&link)).send().await.expect("opened");
        assert_eq!(response.status().as_u16(), 410);
        let page = response.text().await.unwrap_or_default();
        assert!(page.contains("This link no longer works"), "{page}");
        let (status, _) = set_password(&app, &link, "a long enough password", "a long enough password").await;
        assert_eq!(status, 410);
        assert_eq!(login(&app, "late@expired.example", "a long enough password").await, 401);
        // A token nobody was sent is refused the same way.
        let response = app.client.get(app.url(&format!("/invitation/fhinv_{}", "0".repeat(64)))).send().await.expect("opened");
        assert_eq!(response.status().as_u16(), 410);
        app.finish().await;
    }

    async fn disabling_and_removing_a_user_ask_first(app: TestApp) {
        let org = app.new_org("confirms").await;
        let session = page_session(&app, &org).await;
        invite(&app, &session, "cy@confirms.example", "en").await;
        let cy = user_named(&app, &org, "cy@confirms.example").await.expect("invited");
        let id = cy["id"].as_str().unwrap_or_default().to_string();
        // The list offers links to a confirmation step, no button that acts at once.
        let (_, page) = session.get(&app, "/settings/users").await;
        assert!(page.contains(&format!("href=\"/settings/users/{id}/confirm?action=disable\"")), "{page}");
        assert!(page.contains(&format!("href=\"/settings/users/{id}/confirm?action=remove\"")), "{page}");
        assert!(!page.contains("value=\"disable\""), "{page}");

        let (status, page) = session.get(&app, &format!("/settings/users/{id}/confirm?action=disable")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Disable Bo Berg?") && page.contains("value=\"disable\""), "{page}");
        let (status, _, _) = session.post_located(&app, &format!("/settings/users/{id}"), &[("csrf_token", session.csrf.as_str()), ("action", "disable")]).await;
        assert_eq!(status, 303);
        assert_eq!(user_named(&app, &org, "cy@confirms.example").await.expect("still there")["disabled"], true);

        let (status, page) = session.get(&app, &format!("/settings/users/{id}/confirm?action=remove")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Remove Bo Berg?") && page.contains(&format!("action=\"/settings/users/{id}/remove\"")), "{page}");
        let (status, location, _) = session.post_located(&app, &format!("/settings/users/{id}/remove"), &[("csrf_token", session.csrf.as_str())]).await;
        assert_eq!((status, location.as_str()), (303, "/settings/users?done=removed&email=cy%40confirms.example"));
        assert!(user_named(&app, &org, "cy@confirms.example").await.is_none(), "removed");
        // Without the session's CSRF token nothing is removed.
        let (status, _, _) = session.post_located(&app, &format!("/settings/users/{id}/remove"), &[("csrf_token", "wrong")]).await;
        assert_eq!(status, 403);
        app.finish().await;
    }

    async fn the_time_zone_and_currency_are_picked_from_lists(app: TestApp) {
        let org = app.new_org("pickers").await;
        let session = page_session(&app, &org).await;
        let (_, page) = session.get(&app, "/settings/organization").await;
        assert!(page.contains("<select id=\"timezone\" name=\"timezone\""), "{page}");
        assert!(page.contains("<option value=\"Europe/Copenhagen\" selected>"), "{page}");
        assert!(page.contains("<option value=\"America/Sao_Paulo\">"), "every zone is offered");
        assert!(page.contains("<select id=\"currency\" name=\"currency\""), "{page}");
        assert!(page.contains("<option value=\"DKK\" selected>"), "{page}");
        let (status, _, page) = save_organization(&app, &session, "Europe/Copenhagen", "XYZ").await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"currency-error\""), "{page}");
        let (status, _, page) = save_organization(&app, &session, "Mars/Olympus", "EUR").await;
        assert_eq!(status, 422, "{page}");
        let (status, _, _) = save_organization(&app, &session, "America/Sao_Paulo", "EUR").await;
        assert_eq!(status, 303);
        let (_, organization) = app.get("/api/v1/organization", &org.token).await;
        assert_eq!((organization["timezone"].as_str(), organization["currency"].as_str()), (Some("America/Sao_Paulo"), Some("EUR")));
        let (_, page) = session.get(&app, "/settings/organization").await;
        assert!(page.contains("<option value=\"America/Sao_Paulo\" selected>") && page.contains("<option value=\"EUR\" selected>"), "{page}");
        app.finish().await;
    }
}
