//! Starting the simulator: bind (port 0 by default), assemble the router — the Graph API under
//! `/v24.0`, media downloads under `/whatsapp_business/attachments/` (Meta's lookaside path), the CDN
//! under `/cdn/v/`, the control API under `/_sim` — and serve until the handle shuts it down.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::graph::{self, GRAPH_VERSION};
use crate::handle::SimHandle;
use crate::record::{self, MAX_BODY};
use crate::state::{lock, SimState};
use crate::{control, graph_error::GraphError};

/// The Meta simulator.
pub struct Simulator;

impl Simulator {
    /// Binds `config.listen` (or `127.0.0.1:0`) and serves in the background.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let addr = config.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState::new(config, format!("http://{addr}")));
        let app = app(Arc::clone(&state));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "simulator server stopped");
            }
        });
        tracing::info!(%addr, "Meta simulator listening");
        Ok(SimHandle::new(state, addr, Arc::new(Mutex::new(Some(tx)))))
    }
}

fn app(state: Arc<SimState>) -> Router {
    Router::new()
        .nest(&format!("/{GRAPH_VERSION}"), graph::router())
        .route("/whatsapp_business/attachments/", get(graph::media_download))
        .route("/cdn/v/{file}", get(cdn))
        .nest("/_sim", control::router())
        .fallback(|uri: axum::http::Uri| async move { GraphError::unknown_path(uri.path()).into_response() })
        .layer(from_fn_with_state(Arc::clone(&state), record::record))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn cdn(State(state): State<Arc<SimState>>, Path(file): Path<String>) -> Response {
    let found = lock(&state.cdn).get(&file).cloned();
    match found {
        Some(f) => ([(header::CONTENT_TYPE, f.mime_type)], f.bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
