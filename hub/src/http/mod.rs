//! The HTTP face of the hub (axum): routes, body limits, request logging.
//!
//! Every station endpoint reads the raw body (at most [`MAX_BODY_BYTES`]) *before* parsing it,
//! because the signature covers the exact bytes; only then is the JSON decoded. Checks run from
//! cheapest and least revealing to most: size (413), signature and time (401), station status
//! and endpoint (403), rate (429), replay (401), JSON and version (400), scope (403), and only
//! then the store. A refused request never reaches a write.

mod auth;
mod error;
mod handlers;
mod keys;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use nac_protocol::{
    MAX_BODY_BYTES, PATH_AUDIT_ANCHOR, PATH_ENROL, PATH_PHONE_RENEW, PATH_PULL, PATH_PUSH,
    PATH_REVOCATIONS, PATH_ROTATE_KEY, PATH_SUBSCRIBE, PATH_TRUST,
};
use tokio::net::TcpListener;

pub use auth::RateLimiter;
pub use error::ApiError;

use crate::store::Store;
use crate::Hub;

/// Rate limits, configurable so tests and benchmarks can raise them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Average requests per second per station.
    pub rate_per_sec: f64,
    /// Burst size per station.
    pub burst: u32,
}

impl Default for Limits {
    /// 20 requests/s per station with bursts of 40: a station syncing 10,000 events sends 20
    /// pushes, far below; a runaway loop is slowed at once.
    fn default() -> Self {
        Self {
            rate_per_sec: 20.0,
            burst: 40,
        }
    }
}

/// Shared by every request.
pub struct AppState<S: Store> {
    hub: Hub<S>,
    limiter: RateLimiter,
    enrol_limiter: RateLimiter,
}

/// The router over `hub`.
pub fn router<S: Store>(hub: Hub<S>, limits: Limits) -> Router {
    let state = Arc::new(AppState {
        hub,
        limiter: RateLimiter::new(limits.rate_per_sec, limits.burst),
        enrol_limiter: RateLimiter::new(1.0, 20),
    });
    Router::new()
        .route(PATH_ENROL, post(handlers::enrol::<S>))
        .route(PATH_PUSH, post(handlers::push::<S>))
        .route(PATH_SUBSCRIBE, post(handlers::subscribe::<S>))
        .route(PATH_PULL, get(handlers::pull::<S>))
        .route(PATH_TRUST, get(handlers::trust::<S>))
        .route(PATH_REVOCATIONS, get(handlers::revocations::<S>))
        .route(PATH_PHONE_RENEW, post(handlers::phone_renew::<S>))
        .route(PATH_ROTATE_KEY, post(keys::rotate::<S>))
        .route(
            PATH_AUDIT_ANCHOR,
            post(keys::anchor::<S>).get(keys::anchor::<S>),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { ApiError::not_found() })
        // The body is read by the handlers with their own cap; this only stops axum's
        // extractors from buffering more than that.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            hub_headers::<S>,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Every answer, refusals included, carries the hub's clock and its database's epoch: a
/// station checks its own clock against the first (even from a 401 for a stale timestamp) and
/// learns from the second that the hub was restored.
async fn hub_headers<S: Store>(
    axum::extract::State(app): axum::extract::State<Arc<AppState<S>>>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if let Ok(v) = axum::http::HeaderValue::from_str(&app.hub.clock.now().to_string()) {
        headers.insert(nac_protocol::HEADER_HUB_TIME, v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&app.hub.epoch().name) {
        headers.insert(nac_protocol::HEADER_HUB_EPOCH, v);
    }
    response
}

/// Logs one line per request at info: method, path (never the query or the body: no person
/// keys or credentials), the station header, status and time.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let station = req
        .headers()
        .get(nac_protocol::HEADER_STATION)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(32).collect::<String>())
        .unwrap_or_default();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        path,
        station,
        status = response.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serves `hub` on `listener` until `shutdown` completes.
pub async fn serve<S: Store>(
    hub: Hub<S>,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(hub, limits))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The TLS configuration from a PEM certificate chain and key (rustls with the ring
/// provider; TLS 1.2 and 1.3).
pub async fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<axum_server::tls_rustls::RustlsConfig> {
    // One crypto provider for the process; a second install (tests) changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await
}

/// Serves `hub` over HTTPS on `listener` until `shutdown` completes (then lets requests in
/// flight finish for up to 10 s).
pub async fn serve_tls<S: Store>(
    hub: Hub<S>,
    listener: TcpListener,
    config: axum_server::tls_rustls::RustlsConfig,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    axum_server::from_tcp_rustls(listener.into_std()?, config)?
        .handle(handle)
        .serve(router(hub, limits).into_make_service())
        .await
}
