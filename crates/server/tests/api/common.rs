//! `TestApp::spawn`: the whole server on `127.0.0.1:0` against a fresh database of one backend,
//! and helpers that talk to it over HTTP like any client would.

use fullhouse_core::tenancy::model::{Caller, Credential, Role};
use fullhouse_core::tenancy::service::{NewOrganization, NewUser};
use fullhouse_core::{Backend, OrgId};
use fullhouse_server::{RunningServer, ServerConfig};
use fullhouse_testkit::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub server: RunningServer,
}

/// An organization with an owner who can log in and an owner API token.
#[derive(Clone, Debug)]
pub struct TestOrg {
    pub id: OrgId,
    pub admin_email: String,
    pub admin_password: String,
    pub token: String,
}

/// Templates render in `fullhouse template-sandbox` children; a test binary is not `fullhouse`,
/// so the process-wide renderer is pointed at the built binary.
pub fn use_template_sandbox() {
    let configured =
        fullhouse_core::mail::sandbox::configure(fullhouse_core::mail::sandbox::SandboxConfig {
            executable: env!("CARGO_BIN_EXE_fullhouse").into(),
        });
    assert!(
        configured,
        "the template sandbox was set up with another executable"
    );
}

/// The fixture of `both_backends!` for HTTP tests.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    TestApp::spawn(backend).await
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_configured(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with `configure` changing the server's configuration first.
    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Option<TestApp> {
        use_template_sandbox();
        let db = TestDb::new(backend, fullhouse_server::migrations()).await?;
        let data_dir = tempfile::tempdir().expect("temp dir").keep();
        let mut config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir,
            database_url: Some(db.url.clone()),
            public_url: None,
            secure_cookies: false,
            job_workers: 0,
            job_lease_seconds: 30,
            files_url: None,
            upload_limit_mb: fullhouse_core::uploads::DEFAULT_UPLOAD_LIMIT_MB,
            metrics_token: None,
        };
        configure(&mut config);
        let server = fullhouse_server::start(&config, db.db.clone())
            .await
            .expect("server starts");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Some(TestApp {
            base: format!("http://{}", server.addr),
            client,
            db,
            server,
        })
    }

    /// Creates an organization with an owner user and an owner API token.
    pub async fn new_org(&self, slug: &str) -> TestOrg {
        let tenancy = self.server.state.tenancy();
        let org = tenancy
            .create_organization(NewOrganization {
                name: format!("Org {slug}"),
                slug: slug.to_string(),
                default_language: "en".into(),
                timezone: "Europe/Copenhagen".into(),
                currency: "DKK".into(),
            })
            .await
            .expect("organization");
        let admin_email = format!("owner@{slug}.example");
        let admin_password = "correct horse battery staple".to_string();
        let user = tenancy
            .create_user(
                &org.id,
                NewUser {
                    email: admin_email.clone(),
                    name: "Owner".into(),
                    password: admin_password.clone(),
                    role: Role::Owner,
                    language: "en".into(),
                },
            )
            .await
            .expect("user");
        let caller = Caller {
            org: org.id.clone(),
            user: Some(user.id),
            role: Role::Owner,
            language: "en".into(),
            credential: Credential::Session {
                csrf_token: String::new(),
                via_cookie: false,
            },
        };
        let (_, token) = tenancy
            .create_api_token(&caller, "tests", Role::Owner)
            .await
            .expect("token");
        TestOrg {
            id: org.id,
            admin_email,
            admin_password,
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a JSON request with a bearer token; returns the status and the JSON body (or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Posts raw bytes (a CSV upload) with a content type.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Stops the server and removes the test database.
    pub async fn finish(self) {
        self.server.shutdown.cancel();
        let _ = self.server.handle.await;
        self.db.finish().await;
    }
}

/// Asserts a response is an error of the one shape with `code`, and returns its message.
pub fn assert_error(status: StatusCode, body: &Value, expected_status: u16, code: &str) -> String {
    assert_eq!(
        status.as_u16(),
        expected_status,
        "unexpected status; body: {body}"
    );
    assert_eq!(body["error"]["code"], code, "unexpected code; body: {body}");
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!message.is_empty(), "error without message: {body}");
    message
}

impl TestApp {
    /// Like [`TestApp::spawn`], with `workers` job loops running in the server, for tests that
    /// watch background jobs finish (the browser's Jobs page).
    pub async fn spawn_with_workers(backend: Backend, workers: usize) -> Option<TestApp> {
        use_template_sandbox();
        let db = TestDb::new(backend, fullhouse_server::migrations()).await?;
        let data_dir = tempfile::tempdir().expect("temp dir").keep();
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir,
            database_url: Some(db.url.clone()),
            public_url: None,
            secure_cookies: false,
            job_workers: workers,
            job_lease_seconds: 30,
            files_url: None,
            upload_limit_mb: fullhouse_core::uploads::DEFAULT_UPLOAD_LIMIT_MB,
            metrics_token: None,
        };
        let server = fullhouse_server::start(&config, db.db.clone())
            .await
            .expect("server starts");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Some(TestApp {
            base: format!("http://{}", server.addr),
            client,
            db,
            server,
        })
    }
}

/// POSTs `body` to `path` as the organization and asserts `201 Created`; the created resource.
pub async fn created(app: &TestApp, org: &TestOrg, path: &str, body: Value) -> Value {
    let (status, created) = app.post(path, &org.token, body).await;
    assert_eq!(status, 201, "POST {path}: {created}");
    created
}

/// The `id` of a resource as the API answered it ("" when it has none).
pub fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

/// Runs every queued job to the end with the server's own job kinds.
pub async fn run_jobs(app: &TestApp) {
    let state = &app.server.state;
    fullhouse_core::jobs::Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    )
    .run_until_idle()
    .await
    .expect("jobs run");
}
