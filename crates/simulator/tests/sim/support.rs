//! Test fixtures: a simulator with the demo assets, a webhook receiver that keeps what it gets, and a
//! Graph client.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use inbox_simulator::{demo, SimConfig, SimHandle, Simulator, StatusPolicy};
use serde_json::Value;
use time::macros::datetime;

pub const SECRET: &str = "test-app-secret";
pub const NUMBER: &str = demo::CLOUD_PHONE_NUMBER_ID;
pub const TOKEN: &str = demo::CLOUD_TOKEN;
pub const MARIA: &str = "5215512345678";

/// One webhook as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub raw: Bytes,
    pub json: Value,
}

/// A webhook receiver standing in for the inbox's `/webhooks/meta`.
#[derive(Clone, Default)]
pub struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn all(&self) -> Vec<Received> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Waits until `n` webhooks arrived (or 5 s passed) and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..500 {
            if self.all().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.all()
    }

    /// The WhatsApp statuses received so far, as (message id, status).
    pub fn statuses(&self) -> Vec<Value> {
        self.all()
            .iter()
            .flat_map(|r| r.json["entry"][0]["changes"][0]["value"]["statuses"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).map(str::to_string);
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Ok(mut got) = r.got.lock() {
        got.push(Received { signature, raw: body, json });
    }
    StatusCode::OK
}

async fn start_receiver() -> (Receiver, String) {
    let receiver = Receiver::default();
    let app = Router::new().route("/webhooks/meta", post(receive)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
    let url = format!("http://{}/webhooks/meta", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (receiver, url)
}

pub struct Env {
    pub sim: SimHandle,
    pub hooks: Receiver,
    pub http: reqwest::Client,
}

/// The demo assets, a frozen clock, no automatic statuses.
pub async fn env() -> Env {
    env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::disabled())).await
}

pub async fn env_with(config: SimConfig) -> Env {
    let config = config.frozen_clock(datetime!(2026-03-02 15:00 UTC));
    let (hooks, url) = start_receiver().await;
    let sim = Simulator::start(config.webhook_url(url)).await.expect("simulator starts");
    Env { sim, hooks, http: reqwest::Client::new() }
}

impl Env {
    /// POSTs JSON to a Graph path with a token; returns (status, body).
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/{path}", self.sim.graph_base())).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("graph reachable");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}/{path}", self.sim.graph_base()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("graph reachable");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A WhatsApp send from the demo Cloud number.
    pub async fn wa_send(&self, body: Value) -> (u16, Value) {
        self.post(&format!("{NUMBER}/messages"), Some(TOKEN), &body).await
    }

    /// María writes "Hola" so her window is open.
    pub async fn maria_writes(&self) -> inbox_simulator::WhatsAppCustomer {
        let maria = self.sim.whatsapp_customer(NUMBER, MARIA).expect("number").named("María López");
        let d = maria.text("Hola").await.expect("webhook delivered");
        assert_eq!(d.status, 200);
        maria
    }
}

pub fn text_to(to: &str, body: &str) -> Value {
    serde_json::json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                       "type": "text", "text": {"body": body}})
}

/// The `error.code` of an answer.
pub fn code(body: &Value) -> i64 {
    body["error"]["code"].as_i64().unwrap_or_default()
}
