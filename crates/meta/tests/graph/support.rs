//! Test fixtures: a simulator with the demo assets and a webhook sink (so simulated customers can
//! write and open windows), a client pointed at it, and raw HTTP servers for what the simulator
//! does not imitate (an endless chunked body).

use std::time::Duration;

use inbox_meta::graph::{GraphClient, GraphConfig, MediaPolicy};
use simulator::{SimConfig, SimHandle, Simulator, StatusPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub use simulator::demo;

pub struct Meta {
    pub sim: SimHandle,
    pub graph: GraphClient,
}

/// The demo simulator (no automatic status webhooks) and a client with a short request timeout.
pub async fn meta() -> Meta {
    meta_with(Duration::from_secs(5)).await
}

pub async fn meta_with(request_timeout: Duration) -> Meta {
    let config = SimConfig::demo("test-app-secret").statuses(StatusPolicy::disabled());
    let sim = Simulator::start(config).await.expect("simulator starts");
    sim.set_webhook_url(webhook_sink().await);
    // The simulator serves media over plain HTTP on loopback, which only a local policy allows.
    let local = MediaPolicy::local("127.0.0.1").expect("policy");
    let graph = GraphClient::new(
        GraphConfig::with_base_url(sim.graph_base()).request_timeout(request_timeout).media_policy(local),
    )
    .expect("client");
    Meta { sim, graph }
}

/// Reads one HTTP/1.1 request (headers and a `Content-Length` body).
async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < end + 4 + length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        return Some(());
    }
}

/// An inbox stand-in that acknowledges every webhook with `200`.
async fn webhook_sink() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_some() {
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                }
            });
        }
    });
    format!("http://{addr}/webhooks/meta")
}

/// A server answering every request with a chunked body of `total` bytes and no `Content-Length`,
/// as a CDN may: only the streaming limit can stop it.
pub async fn chunked_server(total: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_none() {
                    return;
                }
                let head =
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 8192];
                let mut sent = 0;
                while sent < total {
                    let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                    if stream.write_all(&frame).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}/v/t39.1997-6/big.bin")
}

/// A server answering every request with a `302` to `location(n)` for its n-th request (from 0),
/// recording each request's head (lower case).
pub async fn redirect_server(
    location: impl Fn(usize, &str) -> String + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (log, location, own) = (seen.clone(), std::sync::Arc::new(location), base.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (log, location, own) = (log.clone(), location.clone(), own.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let Ok(n) = stream.read(&mut buffer).await else { return };
                let head = String::from_utf8_lossy(&buffer[..n]).to_ascii_lowercase();
                let index = {
                    let mut log = log.lock().expect("log");
                    log.push(head);
                    log.len() - 1
                };
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nlocation: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    location(index, &own)
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("{base}/start"), seen)
}

/// A local address nothing listens on.
pub async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/v24.0")
}
