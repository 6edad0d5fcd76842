//! Role rules (nobody manages a user above their own role, the last owner stays an owner),
//! API tokens that die with their creator, and the login limits and answers.

use std::net::{IpAddr, Ipv4Addr};

use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

/// A session token for `email`, made by the service directly so that the tests' many logins do
/// not spend the per-address login budget.
async fn session(app: &TestApp, email: &str, password: &str) -> String {
    app.server
        .state
        .tenancy()
        .login(email, password, None)
        .await
        .expect("login")
        .token
}

/// Adds a user with `role` through the API; returns its id.
async fn add_user(app: &TestApp, token: &str, email: &str, role: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/users",
            token,
            json!({"email": email, "name": "Someone", "password": PASSWORD, "role": role}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_string()
}

/// The id of the organization's first owner (made by `new_org`).
async fn owner_id(app: &TestApp, org: &TestOrg) -> String {
    let token = session(app, &org.admin_email, &org.admin_password).await;
    let (_, me) = app.get("/api/v1/me", &token).await;
    me["user"]["id"].as_str().unwrap_or_default().to_string()
}

/// A client whose requests come from `127.0.0.<n>`: another address on the loopback, as a
/// guesser spreading over many addresses would.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn api_login(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (StatusCode, Option<String>, Value) {
    let response = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login sent");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// Posts the HTML login form as a browser would (form first, for its CSRF cookie); returns the
/// status, the `Retry-After` header and the error paragraph of the page.
async fn form_login(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (u16, Option<String>, String) {
    let form = client.get(app.url("/login")).send().await.expect("form");
    let csrf = hidden_csrf(&form.text().await.unwrap_or_default());
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("login sent");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let html = response.text().await.unwrap_or_default();
    let alert = html
        .split("role=\"alert\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .unwrap_or_default()
        .to_string();
    (status, retry_after, alert)
}

both_backends! {
    setup = spawn_app;

    async fn an_admin_cannot_reset_disable_rename_or_delete_an_owner(app: TestApp) {
        let org = app.new_org("takeover").await;
        let owner = owner_id(&app, &org).await;
        add_user(&app, &org.token, "admin@takeover.example", "admin").await;
        let admin = session(&app, "admin@takeover.example", PASSWORD).await;
        let path = format!("/api/v1/users/{owner}");
        for patch in [
            json!({"password": "the attacker's password"}),
            json!({"disabled": true}),
            json!({"name": "Mallory"}),
            json!({"language": "fr"}),
            json!({"role": "viewer"}),
        ] {
            let (status, body) = app.patch(&path, &admin, patch.clone()).await;
            assert_error(status, &body, 403, "forbidden");
        }
        let (status, body) = app.delete(&path, &admin).await;
        assert_error(status, &body, 403, "forbidden");
        // Nothing changed: the owner logs in with the old password, still an enabled owner.
        let owner_session = session(&app, &org.admin_email, &org.admin_password).await;
        let (_, me) = app.get("/api/v1/me", &owner_session).await;
        assert_eq!(me["role"], "owner");
        assert_eq!(me["user"]["name"], "Owner");
        assert_eq!(me["user"]["language"], "en");
        assert_eq!(me["user"]["disabled"], false);
        // An admin's token is held to the same rules.
        let (status, created) = app.post("/api/v1/api-tokens", &admin, json!({"name": "ci", "role": "admin"})).await;
        assert_eq!(status, 201, "{created}");
        let admin_token = created["secret"].as_str().unwrap_or_default().to_string();
        let (status, body) = app.patch(&path, &admin_token, json!({"disabled": true})).await;
        assert_error(status, &body, 403, "forbidden");
        // Nor may an admin revoke the owner's token, or make an owner.
        let (_, tokens) = app.get("/api/v1/api-tokens", &admin).await;
        let owner_token_id = tokens.as_array().into_iter().flatten()
            .find(|t| t["role"] == "owner").map(|t| t["id"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        let (status, body) = app.delete(&format!("/api/v1/api-tokens/{owner_token_id}"), &admin).await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = app.post("/api/v1/users", &admin,
            json!({"email": "o2@takeover.example", "name": "O", "password": PASSWORD, "role": "owner"})).await;
        assert_error(status, &body, 403, "forbidden");
        assert_eq!(app.get("/api/v1/me", &org.token).await.0, 200, "the owner's token still works");
        // An admin still manages users up to admin.
        let marketer = add_user(&app, &admin, "m@takeover.example", "marketer").await;
        let (status, body) = app.patch(&format!("/api/v1/users/{marketer}"), &admin,
            json!({"password": "a brand new password", "disabled": true, "role": "viewer"})).await;
        assert_eq!(status, 200, "{body}");
        app.finish().await;
    }

    async fn the_last_enabled_owner_stays_an_owner(app: TestApp) {
        let org = app.new_org("lastowner").await;
        let first = owner_id(&app, &org).await;
        let first_session = session(&app, &org.admin_email, &org.admin_password).await;
        let path = format!("/api/v1/users/{first}");
        for patch in [json!({"role": "admin"}), json!({"disabled": true})] {
            let (status, body) = app.patch(&path, &first_session, patch).await;
            let message = assert_error(status, &body, 409, "conflict");
            assert!(message.contains("last enabled owner"), "{message}");
        }
        // A second owner who is disabled does not count.
        let second = add_user(&app, &org.token, "o2@lastowner.example", "owner").await;
        let (status, body) = app.patch(&format!("/api/v1/users/{second}"), &org.token, json!({"disabled": true})).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app.patch(&path, &first_session, json!({"role": "admin"})).await;
        assert_error(status, &body, 409, "conflict");
        // Enabled again, the second owner may take over and the first may step down...
        let (status, body) = app.patch(&format!("/api/v1/users/{second}"), &org.token, json!({"disabled": false})).await;
        assert_eq!(status, 200, "{body}");
        let second_session = session(&app, "o2@lastowner.example", PASSWORD).await;
        let (status, body) = app.patch(&path, &first_session, json!({"role": "admin"})).await;
        assert_eq!(status, 200, "{body}");
        // ...but the one left can neither be demoted, disabled nor deleted.
        let (status, body) = app.patch(&format!("/api/v1/users/{second}"), &second_session, json!({"role": "viewer"})).await;
        assert_error(status, &body, 409, "conflict");
        let (status, body) = app.patch(&path, &second_session, json!({"role": "owner"})).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app.delete(&path, &second_session).await;
        assert_eq!(status, 204, "{body}");
        // Not even an owner token may delete the last owner.
        let (status, created) = app.post("/api/v1/api-tokens", &second_session, json!({"name": "ops", "role": "owner"})).await;
        assert_eq!(status, 201, "{created}");
        let owner_token = created["secret"].as_str().unwrap_or_default().to_string();
        let (status, body) = app.delete(&format!("/api/v1/users/{second}"), &owner_token).await;
        let message = assert_error(status, &body, 409, "conflict");
        assert!(message.contains("last enabled owner"), "{message}");
        let (_, me) = app.get("/api/v1/me", &second_session).await;
        assert_eq!(me["role"], "owner");
        app.finish().await;
    }

    async fn two_owners_demoting_each_other_at_once_leave_one_owner(app: TestApp) {
        let org = app.new_org("duel").await;
        let first = owner_id(&app, &org).await;
        let second = add_user(&app, &org.token, "o2@duel.example", "owner").await;
        let first_session = session(&app, &org.admin_email, &org.admin_password).await;
        let second_session = session(&app, "o2@duel.example", PASSWORD).await;
        let (first_path, second_path) = (format!("/api/v1/users/{first}"), format!("/api/v1/users/{second}"));
        for _ in 0..5 {
            let (a, b) = futures::join!(
                app.patch(&second_path, &first_session, json!({"role": "admin"})),
                app.patch(&first_path, &second_session, json!({"role": "admin"})),
            );
            let succeeded = [a.0, b.0].iter().filter(|s| s.is_success()).count();
            assert_eq!(succeeded, 1, "exactly one demotion wins: {a:?} {b:?}");
            let (_, users) = app.get("/api/v1/users", &org.token).await;
            let owners = users.as_array().into_iter().flatten().filter(|u| u["role"] == "owner").count();
            assert_eq!(owners, 1, "{users}");
            // Make both owners again for the next round.
            let winner = if a.0.is_success() { &first_session } else { &second_session };
            let loser = if a.0.is_success() { &second } else { &first };
            let (status, body) = app.patch(&format!("/api/v1/users/{loser}"), winner, json!({"role": "owner"})).await;
            assert_eq!(status, 200, "{body}");
        }
        app.finish().await;
    }

    async fn a_deleted_admins_token_can_no_longer_create_admins(app: TestApp) {
        let org = app.new_org("deadtoken").await;
        let admin = add_user(&app, &org.token, "admin@deadtoken.example", "admin").await;
        let admin_session = session(&app, "admin@deadtoken.example", PASSWORD).await;
        let (status, created) = app.post("/api/v1/api-tokens", &admin_session, json!({"name": "backdoor", "role": "admin"})).await;
        assert_eq!(status, 201, "{created}");
        let token = created["secret"].as_str().unwrap_or_default().to_string();
        // A token made by that token belongs to the admin too.
        let (status, created) = app.post("/api/v1/api-tokens", &token, json!({"name": "backdoor 2", "role": "admin"})).await;
        assert_eq!(status, 201, "{created}");
        let token_of_token = created["secret"].as_str().unwrap_or_default().to_string();
        add_user(&app, &token, "a2@deadtoken.example", "admin").await;

        let (status, body) = app.delete(&format!("/api/v1/users/{admin}"), &org.token).await;
        assert_eq!(status, 204, "{body}");
        for secret in [&token, &token_of_token] {
            let (status, body) = app.post("/api/v1/users", secret,
                json!({"email": "a3@deadtoken.example", "name": "A", "password": PASSWORD, "role": "admin"})).await;
            assert_error(status, &body, 401, "unauthorized");
        }
        let (status, body) = app.get("/api/v1/me", &admin_session).await;
        assert_error(status, &body, 401, "unauthorized");
        let (_, tokens) = app.get("/api/v1/api-tokens", &org.token).await;
        assert_eq!(tokens.as_array().map(Vec::len), Some(1), "the admin's tokens are revoked: {tokens}");
        app.finish().await;
    }

    async fn a_disabled_or_demoted_creator_takes_their_tokens_rights_with_them(app: TestApp) {
        let org = app.new_org("cappedtoken").await;
        let admin = add_user(&app, &org.token, "admin@cappedtoken.example", "admin").await;
        let admin_session = session(&app, "admin@cappedtoken.example", PASSWORD).await;
        let (status, created) = app.post("/api/v1/api-tokens", &admin_session, json!({"name": "ci", "role": "admin"})).await;
        assert_eq!(status, 201, "{created}");
        let token = created["secret"].as_str().unwrap_or_default().to_string();
        let path = format!("/api/v1/users/{admin}");

        let (status, body) = app.patch(&path, &org.token, json!({"disabled": true})).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app.get("/api/v1/me", &token).await;
        assert_error(status, &body, 401, "unauthorized");
        let (status, body) = app.get("/api/v1/me", &admin_session).await;
        assert_error(status, &body, 401, "unauthorized");

        // Re-enabled, the token works again; demoted, it holds the creator's lower role.
        let (status, body) = app.patch(&path, &org.token, json!({"disabled": false})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(app.get("/api/v1/me", &token).await.1["role"], "admin");
        let (status, body) = app.patch(&path, &org.token, json!({"role": "viewer"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(app.get("/api/v1/me", &token).await.1["role"], "viewer");
        let (status, body) = app.post("/api/v1/users", &token,
            json!({"email": "x@cappedtoken.example", "name": "X", "password": PASSWORD, "role": "viewer"})).await;
        assert_error(status, &body, 403, "forbidden");
        app.finish().await;
    }

    async fn distributed_guessing_of_one_account_is_stopped(app: TestApp) {
        let org = app.new_org("spread").await;
        let other = app.new_org("bystander").await;
        // Ten addresses, one guess each: the per-address limit never triggers.
        for n in 2..12 {
            let (status, _, body) = api_login(&app, &client_from(n), &org.admin_email, "guess guess guess").await;
            assert_error(status, &body, 401, "unauthorized");
        }
        let upper = org.admin_email.to_uppercase();
        let (status, retry_after, body) = api_login(&app, &client_from(12), &upper, "guess guess guess").await;
        let message = assert_error(status, &body, 429, "rate_limited");
        assert!(message.contains("try again in 15 minutes"), "{message}");
        let seconds: u64 = retry_after.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!((890..=900).contains(&seconds), "Retry-After {retry_after:?}");
        // Within the window even the right password waits; other accounts are not touched.
        let (status, _, body) = api_login(&app, &client_from(13), &org.admin_email, &org.admin_password).await;
        assert_error(status, &body, 429, "rate_limited");
        let (status, _, body) = api_login(&app, &client_from(13), &other.admin_email, &other.admin_password).await;
        assert_eq!(status, 200, "{body}");
        app.finish().await;
    }

    async fn the_per_address_limit_says_when_to_try_again(app: TestApp) {
        let client = client_from(40);
        for n in 0..10 {
            let (status, _, body) = api_login(&app, &client, &format!("nobody{n}@example.com"), "guess guess guess").await;
            assert_error(status, &body, 401, "unauthorized");
        }
        let (status, retry_after, body) = api_login(&app, &client, "someone@example.com", "guess guess guess").await;
        let message = assert_error(status, &body, 429, "rate_limited");
        assert!(message.contains("from your address; try again in"), "{message}");
        let seconds: u64 = retry_after.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!((1..=6).contains(&seconds), "Retry-After {retry_after:?}");
        app.finish().await;
    }

    async fn the_login_form_is_limited_per_account_too(app: TestApp) {
        let org = app.new_org("formspread").await;
        for n in 2..12 {
            let (status, _, alert) = form_login(&app, &client_from(n), &org.admin_email, "guess guess guess").await;
            assert_eq!(status, 401, "{alert}");
        }
        let (status, retry_after, alert) = form_login(&app, &client_from(12), &org.admin_email, &org.admin_password).await;
        assert_eq!(status, 429, "{alert}");
        assert!(alert.contains("Try again in 15 min"), "{alert}");
        assert!(retry_after.is_some());
        app.finish().await;
    }

    async fn a_disabled_accounts_right_password_answers_like_a_wrong_one(app: TestApp) {
        let org = app.new_org("quiet").await;
        let user = add_user(&app, &org.token, "gone@quiet.example", "marketer").await;
        let (status, body) = app.patch(&format!("/api/v1/users/{user}"), &org.token, json!({"disabled": true})).await;
        assert_eq!(status, 200, "{body}");
        let client = client_from(20);
        let disabled = api_login(&app, &client, "gone@quiet.example", PASSWORD).await;
        let wrong = api_login(&app, &client, "gone@quiet.example", "not the password").await;
        let unknown = api_login(&app, &client, "nobody@quiet.example", PASSWORD).await;
        assert_error(disabled.0, &disabled.2, 401, "unauthorized");
        assert_eq!(disabled, wrong);
        assert_eq!(disabled, unknown);

        let client = client_from(21);
        let disabled = form_login(&app, &client, "gone@quiet.example", PASSWORD).await;
        let wrong = form_login(&app, &client, "gone@quiet.example", "not the password").await;
        assert_eq!(disabled.0, 401);
        assert!(!disabled.2.is_empty());
        assert_eq!(disabled, wrong);
        app.finish().await;
    }

    async fn an_admin_cannot_disable_an_owner_through_the_settings_page(app: TestApp) {
        let org = app.new_org("pagetakeover").await;
        let owner = owner_id(&app, &org).await;
        add_user(&app, &org.token, "admin@pagetakeover.example", "admin").await;
        let client = client_from(30);
        let (status, _, alert) = form_login(&app, &client, "admin@pagetakeover.example", PASSWORD).await;
        assert_eq!(status, 303, "{alert}");
        let home = client.get(app.url("/settings/users")).send().await.expect("users page");
        let csrf = hidden_csrf(&home.text().await.unwrap_or_default());
        for action in ["disable", "role"] {
            let response = client.post(app.url(&format!("/settings/users/{owner}")))
                .form(&[("csrf_token", csrf.as_str()), ("action", action), ("role", "viewer")])
                .send().await.expect("change");
            assert_eq!(response.status(), 403);
        }
        let (_, me) = app.get("/api/v1/me", &org.token).await;
        assert_eq!(me["role"], "owner");
        let owner_session = session(&app, &org.admin_email, &org.admin_password).await;
        assert_eq!(app.get("/api/v1/me", &owner_session).await.0, 200, "the owner is still enabled");
        app.finish().await;
    }
}
