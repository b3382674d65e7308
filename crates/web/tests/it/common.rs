//! Test helpers: a running server on an ephemeral port with its store, clock
//! and catalog sender, plus clients and sign-in shortcuts.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::redirect::Policy;
use shipshape_catalog::Catalog;
use shipshape_clock::{ManualClock, SharedClock};
use shipshape_store::{NewUser, Role, Store, StoreOptions, User};
use shipshape_web::{AppState, BuildInfo, WebConfig, auth, launch};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// A password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A server under test. Dropping it asks the server to stop.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's store.
    pub store: Store,
    /// The server's clock.
    pub clock: ManualClock,
    /// Swaps in a new catalog.
    pub catalog: watch::Sender<Arc<Catalog>>,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with metrics behind a token and a 16 KiB body limit.
    pub async fn start() -> Self {
        Self::start_with(Catalog::default(), |_| {}).await
    }

    /// A server over `catalog`, with the web config adjusted by `tweak`.
    pub async fn start_with(catalog: Catalog, tweak: impl FnOnce(&mut WebConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("shipshape.db").display());
        let store = Store::open(&url, StoreOptions::default())
            .await
            .expect("open store");
        let clock = ManualClock::new("2026-11-30T09:00:00Z".parse::<Timestamp>().expect("time"));
        let shared: SharedClock = Arc::new(clock.clone());
        let mut config = WebConfig::from_catalog(&catalog);
        config.metrics_public = false;
        config.max_body_bytes = 16 * 1024;
        tweak(&mut config);
        let (catalog_tx, catalog_rx) = watch::channel(Arc::new(catalog));
        let build = BuildInfo {
            version: "0.0.0-test".into(),
            commit: "abc1234".into(),
        };
        let state = AppState::new(store.clone(), catalog_rx, shared, config, build);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(launch(state.clone(), listener, None, async move {
            let _ = rx.await;
        }));
        Self {
            base,
            store,
            clock,
            catalog: catalog_tx,
            state,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// A copy of the server's state (to launch a second server on it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Asks the server to stop and waits until `launch` returns.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().expect("task");
        tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .expect("launch returned within the grace period")
            .expect("launch task did not panic")
    }

    /// A user with [`PASSWORD`].
    pub async fn user(&self, email: &str, role: Role) -> User {
        let hash = auth::hash_password(PASSWORD).expect("hash");
        self.store
            .create_user(NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap_or(email).into(),
                role,
                password_hash: Some(hash),
                created_at: self.clock.now_ts(),
            })
            .await
            .expect("create user")
    }

    /// A plain API token with `role`.
    pub async fn token(&self, role: Role) -> String {
        auth::issue_api_token(
            &self.store,
            &format!("{role:?} test token"),
            role,
            "cli",
            self.clock.now_ts(),
        )
        .await
        .expect("issue token")
        .1
    }

    /// Signs `client` in through the login form; returns the response to the POST.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let form_page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("GET /login");
        let csrf = hidden_csrf(&form_page.text().await.expect("body"));
        client
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", csrf.as_str()),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// A browser-like client signed in as a fresh user with `role`, and its
    /// session CSRF token.
    pub async fn signed_in(&self, email: &str, role: Role) -> (reqwest::Client, String) {
        self.user(email, role).await;
        let client = browser();
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), 303, "login should redirect");
        let me: serde_json::Value = client
            .get(self.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        let csrf = me["csrf_token"].as_str().expect("csrf token").to_owned();
        (client, csrf)
    }

    /// Audit actions recorded so far, newest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        self.store
            .list_audit(1000, None)
            .await
            .expect("audit")
            .into_iter()
            .map(|record| record.entry.action)
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The clock's current time (the trait method, named for readability).
pub trait NowTs {
    /// Now.
    fn now_ts(&self) -> Timestamp;
}

impl NowTs for ManualClock {
    fn now_ts(&self) -> Timestamp {
        shipshape_clock::Clock::now(self)
    }
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The value of the first hidden `csrf` field in a page.
pub fn hidden_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("page has a csrf field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// Calls the JSON API: `method path` with an optional bearer token and
/// JSON body; answers the status and the JSON body (`null` if none).
pub async fn call_with(
    server: &TestServer,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// [`call_with`] with a token.
pub async fn call(
    server: &TestServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    call_with(server, method, Some(token), path, body).await
}

/// A page fetched with `client` (a browser-like session): status and HTML.
pub async fn page(client: &reqwest::Client, server: &TestServer, path: &str) -> (u16, String) {
    let response = client.get(server.url(path)).send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The `message` of an API error body.
pub fn message(body: &serde_json::Value) -> &str {
    body["message"].as_str().unwrap_or("")
}
