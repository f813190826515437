//! The district console: the hub's web pages for the district office (docs/console.md).
//!
//! Served by `nac-hub serve` itself at `/console/`, on the same listener (HTTPS when the hub
//! has a certificate), with its stylesheet embedded in the binary: nothing else to install or
//! run. Every page reads the hub's storage traits ([`Store`], [`ConsoleStore`]), so it works on
//! SQLite and PostgreSQL alike; `--no-console` leaves the routes out.
//!
//! Every response carries the security headers (a CSP of `default-src 'self'` with no inline
//! script or style, `frame-ancestors 'none'`, `nosniff`, `no-referrer`, `no-store`). Who may do
//! what is decided here, on the server: a viewer's change request is answered 403 whatever the
//! page showed. Every change (and every sign-in) is written to the hub's audit log, which the
//! command line's administration also writes to.
//!
//! The hub holds no identity and the console does not pretend otherwise: a person appears only
//! as the first 8 hex digits of a person key.

pub mod auth;
mod html;
mod overview;
mod qr;
mod records;
mod session;
mod stations;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub use auth::IDLE_SECS;
use auth::{AddressBackoff, Hasher};

use crate::store::console::{ConsoleStore, NewAuditEntry};
use crate::store::Store;
use crate::Hub;

/// The console's shared state.
pub struct Console<S: Store + ConsoleStore> {
    hub: Hub<S>,
    /// Served over TLS: cookies are `Secure` and `__Host-` prefixed, origins `https`.
    tls: bool,
    /// The hub's clock when serving began, for the uptime.
    started_at: i64,
    hasher: Hasher,
    addresses: AddressBackoff,
}

/// Largest console form accepted (a station's name and area, a reason, a password).
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The stylesheet, embedded.
const CSS: &str = include_str!("console.css");

/// The console's routes, to be merged into the hub's router.
pub fn router<S: Store + ConsoleStore>(hub: Hub<S>, tls: bool) -> Router {
    let started_at = hub.clock.now();
    let state = Arc::new(Console {
        hub,
        tls,
        started_at,
        hasher: Hasher::default(),
        addresses: AddressBackoff::default(),
    });
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(overview::page::<S>))
        .route(
            "/console/signin",
            get(session::signin_form::<S>).post(session::signin::<S>),
        )
        .route("/console/signout", post(session::signout::<S>))
        .route(
            "/console/password",
            get(session::password_form).post(session::change_password::<S>),
        )
        .route("/console/lang", get(session::language::<S>))
        .route("/console/stations", get(stations::list::<S>))
        .route(
            "/console/stations/new",
            get(stations::new_form).post(stations::add::<S>),
        )
        .route("/console/stations/{id}", get(stations::detail::<S>))
        .route(
            "/console/stations/{id}/{action}",
            post(stations::change::<S>),
        )
        .route("/console/rejections", get(records::rejections::<S>))
        .route("/console/keys", get(records::keys::<S>))
        .route("/console/audit", get(records::audit::<S>))
        .route(
            "/console/assets/console.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    CSS,
                )
            }),
        )
        .route("/console/{*rest}", get(session::not_found::<S>))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The headers on every console response.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An HTML answer.
fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

impl<S: Store + ConsoleStore> Console<S> {
    /// Appends to the hub's audit log; a failure is logged and answered 500 by the caller.
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        address: &str,
    ) -> Result<(), crate::StoreError> {
        use crate::store::console::one_line;
        self.hub
            .store
            .append_audit(NewAuditEntry {
                at: self.hub.clock.now(),
                actor: one_line(&format!("console:{actor}")),
                action: action.to_owned(),
                subject: one_line(subject),
                address: one_line(address),
            })
            .await
            .map(|_| ())
    }
}

/// What a storage failure shows (the detail goes to the log only).
fn server_error(e: &crate::StoreError) -> Response {
    tracing::error!(error = %e.for_log(), "console: storage failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>500</title>\
         </head><body><h1>区平台出错，请稍后重试 / The hub failed; try again later</h1>\
         </body></html>"
            .to_owned(),
    )
}

/// The state type handlers take.
type ConsoleState<S> = State<Arc<Console<S>>>;
