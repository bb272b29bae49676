//! Building and running the application.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::limits::BodyLimit;
use crate::openapi::ApiDoc;
use crate::state::AppState;
use anyhow::Context;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;
use store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

const WEBHOOK_MAX_BODY: usize = 16 * 1024 * 1024;
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// What can be swapped when building: the clock (tests move it).
pub struct Overrides {
    pub clock: Arc<dyn Clock>,
}

impl Default for Overrides {
    fn default() -> Self {
        Self { clock: Arc::new(SystemClock) }
    }
}

impl Application {
    /// Opens (and migrates) the store, binds the listener (port 0 picks a free port) and builds the router.
    pub async fn build(config: Config, overrides: Overrides) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
        let store = Store::open(&StoreOptions::new(&config.database_url)).await.context("opening the database")?;
        let ended = store.end_claims_of_a_previous_run().await.context("ending a previous run's claims")?;
        if ended > 0 {
            tracing::warn!(
                claims = ended,
                "the previous run stopped while working: its deliveries and sends are taken up again"
            );
        }
        let secrets = SecretBox::load(config.secret_key.as_ref(), &config.data_dir)?;
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let config_graph_base = config.graph_api_base.clone();
        let media_policy = config.media_policy.clone();
        let graph_timeout = config.graph_timeout;
        let media = crate::media_store::open(&config.media_store, &config.data_dir).await?;
        let workers = Arc::new(crate::supervisor::WorkerHealth::default());
        let journal = crate::inbound::journal_writer::JournalWriter::start(store.clone(), workers.clone());
        let state = AppState::new(crate::state::Services {
            store,
            journal,
            config: Arc::new(config),
            secrets: Arc::new(secrets),
            clock: overrides.clock,
            metrics: crate::ops::prometheus(),
            events: crate::realtime::EventHub::new(),
            graph: meta::graph::GraphClient::new(
                meta::graph::GraphConfig::with_base_url(config_graph_base)
                    .media_policy(media_policy)
                    .request_timeout(graph_timeout),
            )?,
            media,
            journal_wakeup: Arc::new(tokio::sync::Notify::new()),
            media_wakeup: Arc::new(tokio::sync::Notify::new()),
            outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
            profile_wakeup: Arc::new(tokio::sync::Notify::new()),
            hooks_wakeup: Arc::new(tokio::sync::Notify::new()),
            workers,
        });
        // Before serving: several processes on one PostgreSQL share their realtime events.
        crate::realtime::bridge::start(&state).await?;
        let router = build_router(state.clone());
        Ok(Self { listener, router, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "serving");
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        // Each worker under a supervisor: restarted if it panics, reported by /readyz meanwhile.
        macro_rules! supervised {
            ($name:literal, $run:path) => {{
                let (state, stop) = (self.state.clone(), workers_stop.clone());
                let health = self.state.workers.clone();
                tokio::spawn(crate::supervisor::supervise($name, health, workers_stop.clone(), move || {
                    $run(state.clone(), stop.clone())
                }))
            }};
        }
        let workers = [
            supervised!("inbound", crate::inbound::worker::run),
            supervised!("media_fetch", crate::inbound::media_fetch::run),
            supervised!("profile_fetch", crate::inbound::profile_fetch::run),
            supervised!("outbox", crate::outbound::worker::run),
            supervised!("retention", crate::retention::run),
            supervised!("scheduled", crate::scheduled::worker::run),
            supervised!("webhook_delivery", crate::hooks::worker::run),
            supervised!("wal_checkpoint", crate::wal_checkpoint::run),
        ];
        // The peer address is what login throttling counts by.
        let service = self.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        // No Nagle: an event for an agent's socket, or a webhook's answer, is written at once instead
        // of waiting for the peer's acknowledgement of the previous small write (up to 40 ms with
        // delayed acknowledgements: measured as the tail of the webhook → socket delay).
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
            }
        });
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
        let _ = stop_workers.send(true);
        for w in workers {
            let _ = w.await;
        }
        self.state.store.close().await;
        Ok(())
    }
}

/// The API's routes with their OpenAPI description, collected from the same declarations.
/// JSON bodies are capped at `max_body` and answered within `timeout`; uploads stream up to the
/// largest file a channel accepts and have no timeout (a 100 MB file on a slow line takes minutes).
pub fn api_router(max_body: usize, timeout: Duration) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let upload_limit = crate::api::uploads::MAX_UPLOAD_BYTES as usize + 1024 * 1024;
    let import_limit = crate::api::contacts_csv::MAX_IMPORT_BYTES + 1024 * 1024;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(
            crate::api::router()
                .limited(BodyLimit { max: max_body, code: "body_too_large" })
                .layer(axum::middleware::from_fn(move |req, next| crate::limits::timeout(timeout, req, next))),
        )
        .merge(
            crate::api::uploads::router()
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit))
                .limited(BodyLimit { max: upload_limit, code: "media_too_large" }),
        )
        // A CSV import may be larger than a JSON request (the handler holds it to the exact limit and
        // its row count) and, at 10 000 rows, take longer than the request timeout: no timeout here.
        .merge(
            crate::api::contacts_csv::router()
                .layer(axum::extract::DefaultBodyLimit::max(import_limit))
                .limited(BodyLimit { max: import_limit, code: "import_too_large" }),
        )
        .split_for_parts()
}

/// Caps a router's request bodies: a declared length over `limit` is refused before reading, a body
/// without one is cut at `limit` while streaming.
trait BodyLimited {
    fn limited(self, limit: BodyLimit) -> Self;
}

impl BodyLimited for OpenApiRouter<AppState> {
    fn limited(self, limit: BodyLimit) -> Self {
        self.layer(RequestBodyLimitLayer::new(limit.max))
            .layer(axum::middleware::from_fn(move |req, next| crate::limits::declared_body_limit(limit, req, next)))
    }
}

impl BodyLimited for Router<AppState> {
    fn limited(self, limit: BodyLimit) -> Self {
        self.layer(RequestBodyLimitLayer::new(limit.max))
            .layer(axum::middleware::from_fn(move |req, next| crate::limits::declared_body_limit(limit, req, next)))
    }
}

fn build_router(state: AppState) -> Router {
    let config = state.config.clone();
    let timeout = config.request_timeout;
    let (api, openapi) = api_router(config.max_body_bytes, timeout);
    let openapi = Arc::new(openapi);
    // History chunks from coexistence onboarding can be larger than an API request.
    let webhook_limit = config.max_body_bytes.max(WEBHOOK_MAX_BODY);
    let timed = Router::new()
        .route("/api/openapi.json", get(move || std::future::ready(Json(openapi.as_ref().clone()))))
        .merge(
            crate::webhooks::router()
                .layer(axum::extract::DefaultBodyLimit::max(webhook_limit))
                .limited(BodyLimit { max: webhook_limit, code: "body_too_large" }),
        )
        // The API keeps answering JSON 404s; every other path is the web UI's.
        .route("/api/{*rest}", axum::routing::any(|| async { crate::error::ApiError::NotFound }))
        .fallback(crate::web::serve)
        .layer(axum::middleware::from_fn(move |req, next| crate::limits::timeout(timeout, req, next)));
    let concurrency = crate::limits::Concurrency::new(config.max_concurrent_requests, config.queue_timeout);
    let limited = Router::new()
        .merge(api)
        .merge(timed)
        // An upgraded socket lives outside the request: only the handshake takes a slot.
        .route("/api/v1/events", get(crate::realtime::events_socket))
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::limits::limit_concurrency(concurrency.clone(), req, next)
        }));
    Router::new()
        .merge(limited)
        // Health and metrics stay answerable when the instance is saturated.
        .merge(crate::ops::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::csrf::reject_cross_site))
        .layer(axum::middleware::from_fn(crate::ops::track_http))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
