//! The signed HTTP client (feature `client`): how a station, the phone gateway, the hub's own
//! tools (`nac-hub phone renew --hub`, the benchmarks) and the tests send requests to a hub.
//!
//! # Why here, and behind a feature
//!
//! Every caller signs the same way ([`crate::auth`]), sends GET or POST with a JSON body and
//! reads the same answer headers (the hub's clock and epoch, `Retry-After`). One implementation
//! keeps the station and the tools that exercise the hub from drifting apart. It lives in the
//! protocol crate because both sides already depend on it and neither may depend on the other;
//! it is a feature because the hub's server and the fuzz targets need the wire types but no
//! HTTP client.
//!
//! # What it is
//!
//! Blocking (ureq): a station syncs from a worker thread and the tools are short commands.
//! HTTPS through rustls (ring): a district that issues its hub's certificate itself gives its
//! CA certificate (PEM, [`HubClient::with_ca`]) and only that CA is trusted for the hub;
//! otherwise the public web roots. Every HTTP status is an answer ([`HubResponse`]); only a
//! request that got no answer is an error ([`ClientError`]). What an answer means (a refusal,
//! the hub being busy, …) is the caller's to decide: the station maps it to its
//! `TransportError`, the tests assert on the status.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nac_credential::StationKey;

use crate::auth::{Method, RequestSigner};
use crate::{random_hex, HEADER_HUB_EPOCH, HEADER_HUB_TIME};

/// How long a request may take and how much of an answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Time to open the connection; `None`: only [`ClientLimits::timeout`] applies.
    pub connect_timeout: Option<Duration>,
    /// Time for the whole exchange, answer included.
    pub timeout: Duration,
    /// The largest answer body read; a longer one fails the request.
    pub max_answer_bytes: u64,
}

impl ClientLimits {
    /// A station's: 10 s to connect, 60 s in all, answers up to 2 MiB (the protocol caps bodies
    /// at 1 MiB; the rest is margin).
    pub const STATION: ClientLimits = ClientLimits {
        connect_timeout: Some(Duration::from_secs(10)),
        timeout: Duration::from_secs(60),
        max_answer_bytes: 2 * 1024 * 1024,
    };

    /// The hub's tools and tests: 60 s in all, answers up to 16 MiB (they also read answers
    /// no station would ask for).
    pub const TOOLS: ClientLimits = ClientLimits {
        connect_timeout: None,
        timeout: Duration::from_secs(60),
        max_answer_bytes: 16 * 1024 * 1024,
    };
}

/// What every hub answer says about the hub itself (headers `x-nac-hub-time`,
/// `x-nac-hub-epoch`), refusals included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubHeaders {
    /// The hub's clock when it answered (unix s).
    pub hub_time: i64,
    /// The hub database's epoch (a new one after a restore from a backup).
    pub epoch: Option<String>,
}

/// An answer, whatever its status.
#[derive(Debug, Clone)]
pub struct HubResponse {
    /// HTTP status.
    pub status: u16,
    /// The body as received.
    pub body: Vec<u8>,
    /// `Retry-After`, if present.
    pub retry_after: Option<String>,
    /// The hub's time and epoch, if the answer carried them.
    pub hub: Option<HubHeaders>,
}

impl HubResponse {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: the connection failed, timed out or broke before the status line.
    #[error("http: {0}")]
    Http(ureq::Error),
    /// The status line and headers arrived but the body could not be read (cut off, too
    /// long); what the headers said about the hub is kept.
    #[error("http: {source}")]
    Unreadable {
        hub: Option<HubHeaders>,
        source: ureq::Error,
    },
    /// No random nonce for the signature.
    #[error("random source: {0}")]
    Random(String),
    /// The CA certificate given for the hub holds no certificate.
    #[error("the hub's CA file holds no certificate (PEM expected)")]
    NoCertificate,
}

/// HTTP to one hub at a base URL (e.g. `https://hub.example:8700`).
#[derive(Clone)]
pub struct HubClient {
    base: String,
    agent: ureq::Agent,
    max_answer_bytes: u64,
}

impl HubClient {
    /// A client trusting the public web roots for an `https://` hub.
    pub fn new(base: &str, limits: ClientLimits) -> HubClient {
        HubClient::build(base, limits, None)
    }

    /// A client trusting only the CA certificates in `ca_pem` for an `https://` hub. Refuses
    /// PEM text holding no certificate.
    pub fn with_ca(
        base: &str,
        limits: ClientLimits,
        ca_pem: &[u8],
    ) -> Result<HubClient, ClientError> {
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(ca_pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(ClientError::NoCertificate);
        }
        Ok(HubClient::build(
            base,
            limits,
            Some(ureq::tls::RootCerts::new_with_certs(&certs)),
        ))
    }

    fn build(base: &str, limits: ClientLimits, roots: Option<ureq::tls::RootCerts>) -> HubClient {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(limits.connect_timeout)
            .timeout_global(Some(limits.timeout));
        if let Some(roots) = roots {
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        HubClient {
            base: base.trim_end_matches('/').to_owned(),
            agent: config.build().new_agent(),
            max_answer_bytes: limits.max_answer_bytes,
        }
    }

    /// The hub's base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Signs a request as `signer` at `timestamp` (unix s, by the caller's clock) with a fresh
    /// nonce, and sends it.
    pub fn send_signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: &[u8],
        signer: &RequestSigner,
        timestamp: i64,
    ) -> Result<HubResponse, ClientError> {
        let nonce = random_hex(16).map_err(|e| ClientError::Random(e.to_string()))?;
        let signed = signer.sign(method, path_and_query, body, timestamp, &nonce);
        self.send(method, path_and_query, body, &signed.pairs())
    }

    /// Sends a request with exactly these extra headers: none for enrolment, or a signature
    /// made elsewhere (tests forge and replay with it). A POST carries `body` as JSON; a GET
    /// carries no body.
    pub fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Result<HubResponse, ClientError> {
        let url = format!("{}{path_and_query}", self.base);
        let sent = match method {
            Method::Get => {
                let mut request = self
                    .agent
                    .get(&url)
                    .header(crate::HEADER_APP_VERSION, crate::APP_VERSION);
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                request.call()
            }
            Method::Post => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json")
                    .header(crate::HEADER_APP_VERSION, crate::APP_VERSION);
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                request.send(body)
            }
        };
        let mut response = sent.map_err(ClientError::Http)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let hub = header(HEADER_HUB_TIME)
            .and_then(|v| v.parse().ok())
            .map(|hub_time| HubHeaders {
                hub_time,
                epoch: header(HEADER_HUB_EPOCH),
            });
        let retry_after = header("retry-after");
        let status = response.status().as_u16();
        let body = match response
            .body_mut()
            .with_config()
            .limit(self.max_answer_bytes)
            .read_to_vec()
        {
            Ok(body) => body,
            Err(source) => return Err(ClientError::Unreadable { hub, source }),
        };
        Ok(HubResponse {
            status,
            body,
            retry_after,
            hub,
        })
    }
}

/// Unix seconds for a request's signature.
pub type SigningClock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

/// A client that signs every request as one principal: the phone gateway (`nac-hub phone renew
/// --hub`, by the hub's clock), the hub's benchmarks and its HTTP tests (by the system clock
/// unless given another). A station signs by its own, injectable clock through
/// [`HubClient::send_signed`].
#[derive(Clone)]
pub struct SignedClient {
    client: HubClient,
    signer: RequestSigner,
    clock: SigningClock,
    /// Added to the signing time (tests make stale requests with it).
    pub clock_offset: i64,
}

impl SignedClient {
    /// A client for the hub at `base` (e.g. `http://127.0.0.1:8700`) signing as `principal`
    /// (a station id, or [`crate::PHONE_CHANNEL`]) with `key`, with the tools' limits.
    pub fn new(base: &str, principal: &str, key: StationKey) -> SignedClient {
        SignedClient {
            client: HubClient::new(base, ClientLimits::TOOLS),
            signer: RequestSigner {
                station: principal.to_owned(),
                key,
            },
            clock: std::sync::Arc::new(system_now),
            clock_offset: 0,
        }
    }

    /// The same client signing by `clock` (unix seconds).
    pub fn with_clock(mut self, clock: SigningClock) -> SignedClient {
        self.clock = clock;
        self
    }

    /// Signs and sends a request; `body` empty for a GET.
    pub fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<HubResponse, ClientError> {
        let now = (self.clock)();
        self.client.send_signed(
            method,
            path_and_query,
            body,
            &self.signer,
            now + self.clock_offset,
        )
    }

    /// Sends a request with exactly these extra headers, unsigned by this client (tests forge
    /// and replay with it).
    pub fn send_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Result<HubResponse, ClientError> {
        self.client.send(method, path_and_query, body, headers)
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the tools' and tests' default signing clock; the phone gateway passes the hub's"
)]
fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
