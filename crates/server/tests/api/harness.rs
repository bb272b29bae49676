//! Spawning the server for a test, on either store, and talking to it.

use reqwest::{Client, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use server::clock::OffsetClock;
use server::config::Config;
use server::provisioning::{self, AccountSpec};
use server::startup::{Application, Overrides};
use std::path::PathBuf;
use std::sync::Arc;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const PASSWORD: &str = "a-good-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod NAME { sqlite, postgres }` tests that run `async fn NAME(app: TestApp)` on each store.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await).await
            }
        }
    )*};
}
pub(crate) use on_both_stores;

/// Like `on_both_stores!`, with the configuration changed by `$tweak` (a `fn(&mut Config)` of the
/// calling module).
macro_rules! on_both_stores_with {
    ($tweak:ident => $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::TestApp::spawn_with($crate::harness::Backend::Sqlite, super::$tweak).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::TestApp::spawn_with($crate::harness::Backend::Postgres, super::$tweak).await).await
            }
        }
    )*};
}
pub(crate) use on_both_stores_with;

pub struct TestApp {
    pub base: String,
    /// The Meta simulator this server talks to (Graph API) and that posts its webhooks.
    pub sim: simulator::SimHandle,
    pub state: server::state::AppState,
    pub clock: Arc<OffsetClock>,
    /// A client without cookies; use `session_client` for a browser-like one.
    pub http: Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    data_dir: PathBuf,
    pg_database: Option<String>,
    database_url: String,
    snapshotter: tokio::sync::Mutex<Option<Snapshotter>>,
    /// How this server was configured, for another process on the same database.
    config: Config,
}

/// A second server process on the same database (see `TestApp::another_process`); stopped when dropped.
pub struct OtherProcess {
    pub base: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// An account created for a test, with its administrator's API token.
pub struct TestAccount {
    pub account_id: String,
    pub admin_id: String,
    pub admin_email: String,
    pub admin_token: String,
}

pub fn pg_admin_url() -> String {
    std::env::var("INBOX_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn pg_prefix() -> String {
    std::env::var("INBOX_TEST_DB_PREFIX").unwrap_or_else(|_| "inbox_test".into())
}

async fn create_pg_database() -> (String, String) {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let name = format!("{}_{}", pg_prefix(), uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the test-suite ({admin}): {e}. Run scripts/test, which starts it.")
    });
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let _ = conn.close().await;
    let url = match admin.rsplit_once('/') {
        Some((server, _db)) => format!("{server}/{name}"),
        None => panic!("INBOX_TEST_PG_URL must end with a database name"),
    };
    (name, url)
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with `tweak` applied to the configuration last (limits, retention, media hosts).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        // Server logs go to the test's captured output (shown when it fails); RUST_LOG filters them.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let data_dir = std::env::temp_dir().join(format!("inbox-test-{}", uuid::Uuid::now_v7()));
        let mut config = Config::for_data_dir(&data_dir);
        let mut pg_database = None;
        if backend == Backend::Postgres {
            let (name, url) = create_pg_database().await;
            pg_database = Some(name);
            config.database_url = url;
        }
        config.listen = ([127, 0, 0, 1], 0).into();
        config.meta_app_secret = Some(SecretString::from(APP_SECRET));
        config.meta_verify_token = Some(SecretString::from(VERIFY_TOKEN));
        config.secret_key = Some(SecretString::from("test-secret-key"));
        config.retry_base = std::time::Duration::from_millis(20);
        let sim = simulator::Simulator::start(simulator::SimConfig::demo(APP_SECRET)).await.expect("simulator");
        config.graph_api_base = sim.graph_base();
        // The simulator serves media over plain HTTP on loopback.
        config.media_policy = meta::graph::MediaPolicy::local("127.0.0.1").expect("media policy");
        // Outgoing webhooks reach receivers the tests run on loopback, and retry at once.
        config.webhook_allow_private = true;
        config.webhook_retry_base = std::time::Duration::from_millis(20);
        tweak(&mut config);
        let clock = Arc::new(OffsetClock::default());
        let database_url = config.database_url.clone();
        let kept = config.clone();
        let app = Application::build(config, Overrides { clock: clock.clone() }).await.expect("build application");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        sim.set_webhook_url(format!("{base}/webhooks/meta"));
        TestApp {
            base,
            sim,
            state,
            clock,
            http: Client::new(),
            shutdown: Some(tx),
            data_dir,
            pg_database,
            database_url,
            snapshotter: tokio::sync::Mutex::new(None),
            config: kept,
        }
    }

    /// Starts another server process on this one's database (as a second `inbox serve` behind the
    /// same load balancer would be); webhooks keep going to the first.
    pub async fn another_process(&self) -> OtherProcess {
        let mut config = self.config.clone();
        config.listen = ([127, 0, 0, 1], 0).into();
        let app = Application::build(config, Overrides { clock: self.clock.clone() }).await.expect("build application");
        let base = format!("http://127.0.0.1:{}", app.port());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        OtherProcess { base, _shutdown: tx }
    }

    /// Where this server keeps its SQLite file and media.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// This test's PostgreSQL database, on PostgreSQL.
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_database.as_deref()
    }

    /// Runs SQL on the server's database over a connection of its own, to put rows in a state the API
    /// cannot (e.g. as an older version of the server wrote them).
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection;
        if self.pg_database.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.database_url).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.database_url).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
        }
    }

    /// Runs `sql` where the webhook journal is: its own file on SQLite, the database on PostgreSQL.
    pub async fn execute_journal_sql(&self, sql: &str) {
        use sqlx::Connection;
        if self.pg_database.is_some() {
            return self.execute_sql(sql).await;
        }
        let options: sqlx::sqlite::SqliteConnectOptions =
            std::str::FromStr::from_str(&self.database_url).expect("sqlite url");
        let journal = store::journal_path(options.get_filename());
        let mut c = sqlx::SqliteConnection::connect_with(&options.filename(journal)).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn session_client(&self) -> Client {
        Client::builder().cookie_store(true).build().expect("client")
    }

    pub async fn create_account(&self, plan: &str, addons: &[&str]) -> TestAccount {
        let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
        let spec = AccountSpec {
            name: "Acme".into(),
            plan: domain::account::Plan::parse(plan).expect("plan"),
            addons: addons.iter().filter_map(|a| domain::account::Addon::parse(a)).collect(),
            admin_email: email.clone(),
            admin_name: Some("Admin".into()),
            admin_password: SecretString::from(PASSWORD),
        };
        let (account_id, admin_id) =
            provisioning::create_account(&self.state.store, spec, self.state.now_ms()).await.expect("account");
        let admin_token =
            provisioning::create_token(&self.state.store, &email, "test", self.state.now_ms()).await.expect("token");
        TestAccount {
            account_id: account_id.to_string(),
            admin_id: admin_id.to_string(),
            admin_email: email,
            admin_token,
        }
    }

    /// A Pro account with the WhatsApp add-on: everything enabled.
    pub async fn full_account(&self) -> TestAccount {
        self.create_account("pro", &["whatsapp"]).await
    }

    /// Creates a user through the API and returns (user id, API token).
    pub async fn create_user(&self, admin_token: &str, role: &str) -> (String, String) {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let res = self
            .post(
                admin_token,
                "/api/v1/users",
                json!({"email": email, "name": "Vendedor Uno", "password": PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "creating a {role} user");
        let body: Value = res.json().await.expect("json");
        let token =
            provisioning::create_token(&self.state.store, &email, "test", self.state.now_ms()).await.expect("token");
        (body["id"].as_str().expect("id").to_string(), token)
    }

    /// Connects the simulator's four demo channels; returns their JSON (cloud, business app, page, instagram).
    pub async fn connect_demo_channels(&self, token: &str) -> DemoChannels {
        use simulator::demo;
        let mut made = vec![];
        for body in [
            json!({"kind": "whatsapp_cloud", "name": "WhatsApp Ventas", "access_token": demo::CLOUD_TOKEN, "phone_number_id": demo::CLOUD_PHONE_NUMBER_ID, "waba_id": demo::WABA_ID, "display_phone_number": demo::CLOUD_DISPLAY_NUMBER}),
            json!({"kind": "whatsapp_business_app", "name": "WhatsApp App", "access_token": demo::APP_TOKEN, "phone_number_id": demo::APP_PHONE_NUMBER_ID, "waba_id": demo::WABA_ID, "display_phone_number": demo::APP_DISPLAY_NUMBER}),
            json!({"kind": "messenger", "name": "Facebook", "access_token": demo::PAGE_TOKEN, "page_id": demo::PAGE_ID}),
            json!({"kind": "instagram", "name": "Instagram", "access_token": demo::IG_TOKEN, "instagram_account_id": demo::IG_ID}),
        ] {
            let res = self.post(token, "/api/v1/channels", body).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            made.push(res.json::<Value>().await.expect("json"));
        }
        let mut it = made.into_iter();
        let mut next = || it.next().expect("channel");
        DemoChannels { cloud: next(), app: next(), page: next(), instagram: next() }
    }

    /// Posts a webhook payload signed with the app secret; returns the status.
    pub async fn post_webhook(&self, payload: &Value) -> StatusCode {
        let body = serde_json::to_vec(payload).expect("json");
        let sig = meta::sign(APP_SECRET.as_bytes(), &body);
        let res = self
            .http
            .post(self.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .expect("request");
        res.status()
    }

    /// Waits until at least `n` message sends reached the simulator's Graph API; returns them all.
    pub async fn wait_for_sends(&self, n: usize) -> Vec<simulator::RecordedRequest> {
        for _ in 0..400 {
            let sends: Vec<_> = self
                .sim
                .requests()
                .into_iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
                .collect();
            if sends.len() >= n {
                return sends;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("fewer than {n} sends reached the simulator");
    }

    /// Meta's final word on a sent message, as the API shows it once it arrived. Waits (bounded, on the
    /// events themselves, never a fixed sleep) until the send was answered (the message left
    /// `pending`), every status webhook the simulator scheduled was POSTed and processed, and the message
    /// shows the furthest of them (`delivered`, `read`, `played`, or `failed` with Meta's code); then
    /// returns the message. A message Meta never gave an id (refused, or its answer lost) is returned as
    /// soon as it left `pending`.
    pub async fn verdict(&self, token: &str, conversation: &str, message: &str) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut answered = crate::outbound_wait(self, token, conversation, message).await;
        let Some(external_id) = answered["external_id"].as_str().map(str::to_string) else {
            return answered;
        };
        assert!(self.sim.wait_statuses_posted(std::time::Duration::from_secs(15)).await, "status webhooks still due");
        self.settle().await;
        let Some(expected) = self.sim.final_status(&external_id) else {
            return answered;
        };
        // The worker applies statuses that beat Meta's answer right after storing it: wait for that too.
        while answered["status"] != expected.as_str() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "Meta said {} for {external_id}; the API still shows {answered}",
                expected.as_str()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            answered = self.message(token, conversation, message).await;
        }
        answered
    }

    /// One message of a conversation, as the message list shows it.
    pub async fn message(&self, token: &str, conversation: &str, message: &str) -> Value {
        self.messages(token, conversation)
            .await
            .into_iter()
            .find(|m| m["id"] == message)
            .unwrap_or_else(|| panic!("message {message} is not in conversation {conversation}"))
    }

    /// Waits until every acknowledged delivery has been processed.
    pub async fn settle(&self) {
        for _ in 0..500 {
            if self.state.store.pending_webhooks().await.expect("pending") == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("webhook deliveries still pending after 5 s");
    }

    /// The only conversation the admin sees (asserting there is exactly one).
    pub async fn only_conversation(&self, token: &str) -> Value {
        let page = self.get_json(token, "/api/v1/conversations?status=all").await;
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "conversations: {page}");
        items[0].clone()
    }

    pub async fn messages(&self, token: &str, conversation_id: &str) -> Vec<Value> {
        let page = self.get_json(token, &format!("/api/v1/conversations/{conversation_id}/messages")).await;
        page["items"].as_array().expect("items").clone()
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(token).json(&body).send().await.expect("request")
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Response {
        self.http.patch(self.url(path)).bearer_auth(token).json(&body).send().await.expect("request")
    }

    pub async fn delete(&self, token: &str, path: &str) -> Response {
        self.http.delete(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let res = self.get(token, path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("json")
    }

    /// Creates a channel of `kind` with fresh Meta ids and returns its JSON.
    pub async fn create_channel(&self, token: &str, kind: &str) -> Value {
        let res = self.post(token, "/api/v1/channels", self.channel_body(kind)).await;
        assert_eq!(res.status(), StatusCode::CREATED, "creating a {kind} channel");
        res.json().await.expect("json")
    }

    /// The body connecting a fresh Meta asset of `kind` — a number, Page or Instagram account that the
    /// simulator now has, with its own token (`EAAG-secret-token-…`), so the inbox can prove ownership.
    pub fn channel_body(&self, kind: &str) -> Value {
        let token = format!("EAAG-secret-token-{}", uuid::Uuid::new_v4().simple());
        match kind {
            "whatsapp_cloud" | "whatsapp_business_app" => {
                let (phone_number_id, waba_id) = (meta_id(), meta_id());
                let mut number = simulator::WhatsAppNumber::new(&phone_number_id, &waba_id, "525510000001", &token);
                number.coexistence = kind == "whatsapp_business_app";
                self.sim.add_whatsapp_number(number);
                json!({
                    "kind": kind, "name": format!("WA {kind}"), "access_token": token,
                    "phone_number_id": phone_number_id, "waba_id": waba_id, "display_phone_number": "+52 55 1000 0001"
                })
            }
            "messenger" => {
                let page_id = meta_id();
                self.sim.add_page(simulator::PageAsset::new(&page_id, "Página", &token));
                json!({"kind": kind, "name": "Página", "access_token": token, "page_id": page_id})
            }
            "instagram" => {
                let ig_id = meta_id();
                self.sim.add_instagram(simulator::InstagramAccount::new(&ig_id, "tienda.ig", &token));
                json!({"kind": kind, "name": "IG", "access_token": token, "instagram_account_id": ig_id})
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

/// Every row of every table (but sqlx's migration ledger), as text, by table: two snapshots that
/// are equal prove that nothing was written in between.
pub type DbSnapshot = std::collections::BTreeMap<String, Vec<String>>;

/// A connection of the test's own to its database and the one query that reads every row.
struct Snapshotter {
    conn: SnapshotConn,
    tables: Vec<String>,
    /// `SELECT table, row-as-text FROM each table UNION ALL …`: one round trip per snapshot.
    sql: String,
}

enum SnapshotConn {
    Pg(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

impl Snapshotter {
    async fn open(database_url: &str, postgres: bool) -> Snapshotter {
        use sqlx::{Connection, Row};
        if postgres {
            let mut conn = sqlx::PgConnection::connect(database_url).await.expect("connect for snapshots");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' \
                 ORDER BY 1",
            )
            .fetch_all(&mut conn)
            .await
            .expect("tables");
            let sql = tables
                .iter()
                .map(|t| format!("SELECT '{t}'::text AS t, x::text AS r FROM \"{t}\" x"))
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            Snapshotter { conn: SnapshotConn::Pg(conn), tables, sql }
        } else {
            let options: sqlx::sqlite::SqliteConnectOptions =
                std::str::FromStr::from_str(database_url).expect("sqlite url");
            let mut conn =
                sqlx::SqliteConnection::connect_with(&options.read_only(true)).await.expect("connect for snapshots");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name <> '_sqlx_migrations' ORDER BY 1",
            )
            .fetch_all(&mut conn)
            .await
            .expect("tables");
            let mut selects = vec![];
            for t in &tables {
                let columns: Vec<String> = sqlx::query(&format!("SELECT name FROM pragma_table_info('{t}')"))
                    .fetch_all(&mut conn)
                    .await
                    .expect("columns")
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect();
                let row = columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
                selects.push(format!("SELECT '{t}' AS t, {row} AS r FROM \"{t}\""));
            }
            Snapshotter { conn: SnapshotConn::Sqlite(conn), tables, sql: selects.join(" UNION ALL ") }
        }
    }

    async fn take(&mut self) -> DbSnapshot {
        let rows: Vec<(String, String)> = match &mut self.conn {
            SnapshotConn::Pg(c) => sqlx::query_as(&self.sql).fetch_all(c).await,
            SnapshotConn::Sqlite(c) => sqlx::query_as(&self.sql).fetch_all(c).await,
        }
        .expect("snapshot");
        let mut snapshot: DbSnapshot = self.tables.iter().map(|t| (t.clone(), vec![])).collect();
        for (table, row) in rows {
            snapshot.entry(table).or_default().push(row);
        }
        snapshot.values_mut().for_each(|rows| rows.sort());
        snapshot
    }
}

impl TestApp {
    /// Reads the whole database through a connection of its own (not the server's pools).
    pub async fn db_snapshot(&self) -> DbSnapshot {
        let mut snapshotter = self.snapshotter.lock().await;
        if snapshotter.is_none() {
            *snapshotter = Some(Snapshotter::open(&self.database_url, self.pg_database.is_some()).await);
        }
        snapshotter.as_mut().expect("opened").take().await
    }
}

impl TestApp {
    /// Changes an account's plan the way the billing side does: in the database, outside the API.
    pub async fn set_plan(&self, account_id: &str, plan: &str, addons: &[&str]) {
        use sqlx::Connection;
        let sql = "UPDATE accounts SET plan = $1, addons = $2 WHERE id = $3";
        let addons = serde_json::to_string(addons).expect("json");
        let done = if self.pg_database.is_some() {
            let mut conn = sqlx::PgConnection::connect(&self.database_url).await.expect("connect");
            sqlx::query(sql)
                .bind(plan)
                .bind(&addons)
                .bind(account_id)
                .execute(&mut conn)
                .await
                .map(|r| r.rows_affected())
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.database_url).await.expect("connect");
            sqlx::query(sql)
                .bind(plan)
                .bind(&addons)
                .bind(account_id)
                .execute(&mut conn)
                .await
                .map(|r| r.rows_affected())
        };
        assert_eq!(done.expect("update the plan"), 1);
    }
}

/// The tables whose rows differ between two snapshots (empty: nothing was written).
pub fn changed_tables(before: &DbSnapshot, after: &DbSnapshot) -> Vec<String> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names.into_iter().filter(|t| before.get(*t) != after.get(*t)).cloned().collect()
}

pub struct DemoChannels {
    pub cloud: Value,
    pub app: Value,
    pub page: Value,
    pub instagram: Value,
}

/// A unique numeric Meta id.
pub fn meta_id() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000_000;
    format!("1{n:015}")
}

/// Asserts an API error answer: status and `error.code`.
pub async fn assert_error(res: Response, status: StatusCode, code: &str) {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "body: {body}");
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a human message: {body}");
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.sim.shutdown();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(name) = self.pg_database.take() {
            // Drop is synchronous: use a short-lived runtime on another thread to drop the database.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                })
            })
            .join();
        }
    }
}
