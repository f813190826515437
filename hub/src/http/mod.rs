//! The HTTP face of the hub (axum): routes, limits, timeouts, request logging.
//!
//! Every request first passes its client address's token bucket ([`ServeLimits::address`]),
//! before its body is read, its signature checked or the database asked anything: a flood from
//! one address is answered 429 for the price of a hash-map lookup. Then it has
//! [`ServeLimits::request_timeout`] to arrive whole and be answered (408 otherwise); the listener
//! itself caps connections and times out slow request heads (`server.rs`).
//!
//! Every station endpoint reads the raw body (at most [`MAX_BODY_BYTES`]) *before* parsing it,
//! because the signature covers the exact bytes; only then is the JSON decoded. Checks run from
//! cheapest and least revealing to most: size (413), signature and time (401), station status
//! and endpoint (403), rate (429), replay (401), JSON and version (400), scope (403), and only
//! then the store. A refused request never reaches a write, with one exception: a request
//! refused as stale whose signature is the station's own reports the station's clock to the
//! district, once a day per station (`auth.rs`); a forged one names no one and writes nothing.

mod auth;
mod error;
mod handlers;
mod keys;
mod limits;
mod server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use nac_protocol::{
    MAX_BODY_BYTES, PATH_AUDIT_ANCHOR, PATH_ENROL, PATH_PHONE_RENEW, PATH_PULL, PATH_PUSH,
    PATH_REVOCATIONS, PATH_ROTATE_KEY, PATH_SUBSCRIBE, PATH_TRUST,
};
use tokio::net::TcpListener;

pub use error::ApiError;
pub use limits::{ClientAddress, RateLimiter, Refused, MAX_TRACKED};

use crate::store::console::ConsoleStore;
use crate::store::Store;
use crate::Hub;

/// A token bucket's rates: `rate_per_sec` on average, `burst` at once. Per station by default
/// (what [`serve`] takes); [`ServeLimits`] uses it for the per-address buckets too.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Average requests per second.
    pub rate_per_sec: f64,
    /// Burst size.
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

/// Everything [`serve`] and [`serve_tls`] enforce: rate limits per station, per client address
/// and per address for enrolments, the timeouts, and the connection cap.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Per station, checked once the signature verified.
    pub station: Limits,
    /// Per client address (an IPv4 address or an IPv6 /64), every request, before anything
    /// else. Default 20/s, bursts of 60.
    pub address: Limits,
    /// Per client address, enrolments only (on top of `address`). Default 1/s, bursts of 20.
    pub enrol: Limits,
    /// How long a client has to send a request's head (also how long a kept-alive connection
    /// may sit idle, and the TLS handshake's limit). Default 10 s.
    pub header_timeout: Duration,
    /// How long a request may take from its head to its answer, the body included (408
    /// after); also how long an answer may wait for a client that stopped reading. Default 30 s.
    pub request_timeout: Duration,
    /// Connections open at once; beyond, new ones are closed at once. Default 512.
    pub max_connections: usize,
    /// Serve the district console at `/console/` (`serve --no-console` turns it off).
    pub console: bool,
}

impl ServeLimits {
    /// The per-address default: 20 requests/s, bursts of 60.
    pub const ADDRESS: Limits = Limits {
        rate_per_sec: 20.0,
        burst: 60,
    };
    /// The per-address enrolment default: 1/s, bursts of 20.
    pub const ENROL: Limits = Limits {
        rate_per_sec: 1.0,
        burst: 20,
    };
    /// The default header timeout.
    pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default request timeout.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default connection cap.
    pub const MAX_CONNECTIONS: usize = 512;

    /// The per-address limits for `station` limits: the default, but never stricter than one
    /// station's, so raising the station limits (tests, benchmarks, many stations behind one
    /// address) raises the address limits with them unless set apart.
    pub fn address_for(station: Limits) -> Limits {
        Limits {
            rate_per_sec: Self::ADDRESS.rate_per_sec.max(station.rate_per_sec),
            burst: Self::ADDRESS.burst.max(station.burst),
        }
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Limits::default().into()
    }
}

impl From<Limits> for ServeLimits {
    /// `station` limits and the defaults for the rest ([`ServeLimits::address_for`]).
    fn from(station: Limits) -> Self {
        Self {
            station,
            address: Self::address_for(station),
            enrol: Self::ENROL,
            header_timeout: Self::HEADER_TIMEOUT,
            request_timeout: Self::REQUEST_TIMEOUT,
            max_connections: Self::MAX_CONNECTIONS,
            console: true,
        }
    }
}

/// Shared by every request.
pub struct AppState<S: Store> {
    hub: Hub<S>,
    limiter: RateLimiter,
    enrol_limiter: RateLimiter<ClientAddress>,
    clock_alerts: auth::ClockAlerts,
}

/// Shared by the layers that run before the router's state is reached.
struct Guard {
    addresses: RateLimiter<ClientAddress>,
    request_timeout: Duration,
}

/// The router over `hub`. Served without connection info (no [`ConnectInfo`]), it cannot limit
/// by address: [`serve`] and [`serve_tls`] always provide it.
pub fn router<S: Store + ConsoleStore>(hub: Hub<S>, limits: impl Into<ServeLimits>) -> Router {
    app(hub, limits.into(), false)
}

/// The router over plain HTTP (`tls` false) or behind TLS (the console's cookies are then
/// `Secure` and `__Host-` prefixed).
fn app<S: Store + ConsoleStore>(hub: Hub<S>, limits: ServeLimits, tls: bool) -> Router {
    let console = limits
        .console
        .then(|| crate::console::router(hub.clone(), tls));
    let state = Arc::new(AppState {
        hub,
        limiter: RateLimiter::new(limits.station.rate_per_sec, limits.station.burst),
        enrol_limiter: RateLimiter::new(limits.enrol.rate_per_sec, limits.enrol.burst),
        clock_alerts: auth::ClockAlerts::default(),
    });
    let guard = Arc::new(Guard {
        addresses: RateLimiter::new(limits.address.rate_per_sec, limits.address.burst),
        request_timeout: limits.request_timeout,
    });
    let routes = Router::new()
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
        .route("/healthz", get(healthz))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state.clone());
    let routes = match console {
        Some(console) => routes.merge(console),
        None => routes,
    };
    routes
        // The body is read by the handlers with their own cap; this only stops axum's
        // extractors from buffering more than that.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // From the inside out: the request timeout (so a 408 is logged), the log line, the
        // address's bucket (so a flood is not logged line by line), the hub's headers (on
        // every answer, a 429 for the address included).
        .layer(middleware::from_fn_with_state(
            guard.clone(),
            request_deadline,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(middleware::from_fn_with_state(guard, address_limit))
        .layer(middleware::from_fn_with_state(state, hub_headers::<S>))
}

/// `GET /healthz`: the process answers, with its release and the schema it writes (for
/// monitoring and for checking an upgrade took), as JSON.
async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            "{{\"status\":\"ok\",\"version\":\"{}\",\"schema\":{}}}",
            nac_protocol::APP_VERSION,
            crate::store::SCHEMA_VERSION
        ),
    )
        .into_response()
}

/// The client address's token bucket, before anything but the hub's headers. Passes the
/// address on (a [`ClientAddress`] extension) for the enrolment bucket.
async fn address_limit(
    axum::extract::State(guard): axum::extract::State<Arc<Guard>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let client = ClientAddress::of(peer.ip());
    if let Err(refused) = guard.addresses.take(&client) {
        if refused.log {
            tracing::warn!(
                address = %client,
                "address over its rate limit: refusing its requests (logged once a minute)"
            );
        }
        return ApiError::rate_limited(refused.retry_after).into_response();
    }
    req.extensions_mut().insert(client);
    next.run(req).await
}

/// A request must arrive whole and be answered within the request timeout: a body trickled in
/// a byte at a time cannot hold a connection (and its handler) longer. The answer is 408 and
/// the connection is closed. The work abandoned is safe to abandon: every write is one
/// transaction, committed whole or not at all, and a station that re-sends is answered
/// `duplicate` for what had committed.
async fn request_deadline(
    axum::extract::State(guard): axum::extract::State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(guard.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                code: "request_timeout",
                message: format!(
                    "the request did not arrive and get its answer within {} s",
                    guard.request_timeout.as_secs()
                ),
                retry_after: None,
            }
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
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

/// Serves `hub` on `listener` until `shutdown` completes (then lets requests in flight finish
/// for up to 10 s). `limits` may be just the per-station [`Limits`].
pub async fn serve<S: Store + ConsoleStore>(
    hub: Hub<S>,
    listener: TcpListener,
    limits: impl Into<ServeLimits>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = limits.into();
    server::plain(app(hub, limits, false), listener, &limits, shutdown).await
}

/// The TLS configuration from a PEM certificate chain and key (rustls with the ring
/// provider; TLS 1.2 and 1.3; HTTP/1.1 only, as the hub serves).
pub async fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<axum_server::tls_rustls::RustlsConfig> {
    // One crypto provider for the process; a second install (tests) changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let loaded = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    let mut config = (*loaded.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// Serves `hub` over HTTPS on `listener` until `shutdown` completes (then lets requests in
/// flight finish for up to 10 s).
pub async fn serve_tls<S: Store + ConsoleStore>(
    hub: Hub<S>,
    listener: TcpListener,
    config: axum_server::tls_rustls::RustlsConfig,
    limits: impl Into<ServeLimits>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = limits.into();
    server::tls(app(hub, limits, true), listener, config, &limits, shutdown).await
}
