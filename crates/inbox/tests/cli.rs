//! The `inbox` binary as a user runs it: account and token creation print their JSON line, the
//! token works against `inbox serve`, and `inbox demo` starts with conversations of every channel.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn inbox(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inbox"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INBOX_DATA_DIR", data_dir)
        .env("INBOX_LOG", "warn");
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(base: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

fn json_line(output: std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap()
}

#[tokio::test]
async fn account_and_token_commands_print_json_and_the_token_authenticates() {
    let dir = tempfile::tempdir().unwrap();
    let created = json_line(
        inbox(dir.path())
            .args([
                "account",
                "create",
                "--name",
                "Acme",
                "--plan",
                "pro",
                "--addon",
                "whatsapp",
                "--admin-email",
                "Admin@Acme.test",
                "--admin-password",
                "a-long-password",
            ])
            .output()
            .unwrap(),
    );
    assert!(created["account_id"].is_string() && created["user_id"].is_string(), "{created}");
    let token = json_line(inbox(dir.path()).args(["token", "create", "--email", "admin@acme.test"]).output().unwrap());
    let token = token["token"].as_str().unwrap().to_string();
    let refused = inbox(dir.path()).args(["token", "create", "--email", "nobody@acme.test"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nobody@acme.test"));
    let short = inbox(dir.path())
        .args([
            "account",
            "create",
            "--name",
            "B",
            "--plan",
            "basic",
            "--admin-email",
            "b@b.test",
            "--admin-password",
            "short",
        ])
        .output()
        .unwrap();
    assert!(!short.status.success(), "weak passwords are refused");

    let port = free_port();
    let _server = Server(
        inbox(dir.path())
            .env("INBOX_LISTEN", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "admin@acme.test");
    assert_eq!(me["account"]["plan"], "pro");
}

#[tokio::test]
async fn demo_starts_with_conversations_on_every_channel() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _demo = Server(
        inbox(dir.path())
            .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = browser
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "admin@demo.escala.test", "password": "demo-password"}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let start = Instant::now();
    loop {
        let page: serde_json::Value =
            browser.get(format!("{base}/api/v1/conversations?status=all")).send().await.unwrap().json().await.unwrap();
        let mut kinds: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["channel"]["kind"].as_str().unwrap().to_string())
            .collect();
        kinds.sort();
        kinds.dedup();
        if kinds.len() == 4 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "demo conversations on every channel kind, got {kinds:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn login(base: &str, email: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = browser
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": "demo-password"}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success(), "{email} logs in");
    browser
}

async fn conversations(browser: &reqwest::Client, base: &str) -> Vec<serde_json::Value> {
    let page: serde_json::Value =
        browser.get(format!("{base}/api/v1/conversations?status=all")).send().await.unwrap().json().await.unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn demo_sellers_have_conversations_and_every_window_state_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _demo = Server(
        inbox(dir.path())
            .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let admin = login(&base, "admin@demo.escala.test").await;
    let ana = login(&base, "ana@demo.escala.test").await;
    let bruno = login(&base, "bruno@demo.escala.test").await;
    let start = Instant::now();
    loop {
        let all = conversations(&admin, &base).await;
        let (mine_ana, mine_bruno) = (conversations(&ana, &base).await, conversations(&bruno, &base).await);
        let state_of =
            |kind: &str, state: &str| all.iter().any(|c| c["channel"]["kind"] == kind && c["window"]["state"] == state);
        let social_named = all
            .iter()
            .filter(|c| matches!(c["channel"]["kind"].as_str(), Some("messenger" | "instagram")))
            .all(|c| c["handle"]["profile_name"].is_string());
        let done = !mine_ana.is_empty()
            && !mine_bruno.is_empty()
            && all.iter().any(|c| c["assignee"].is_null())
            && state_of("whatsapp_cloud", "open")
            && (state_of("messenger", "human_agent") || state_of("instagram", "human_agent"))
            && state_of("whatsapp_cloud", "closed")
            && state_of("whatsapp_business_app", "closed")
            && social_named;
        if done {
            let ana_id = ana_user_id(&ana, &base).await;
            assert!(mine_ana.iter().all(|c| c["assignee"]["id"] == ana_id), "a seller sees only their own");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "sellers' lists, unassigned conversations, every window state and named social customers; got {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn ana_user_id(browser: &reqwest::Client, base: &str) -> serde_json::Value {
    let me: serde_json::Value = browser.get(format!("{base}/api/v1/me")).send().await.unwrap().json().await.unwrap();
    me["user"]["id"].clone()
}
