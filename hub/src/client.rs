//! A small blocking HTTP client that signs requests like a station (or the phone gateway):
//! used by `nac-hub phone renew --hub`, the benchmarks and the HTTP tests. The station's own
//! transport lives in core; this one exists so the hub can be exercised without it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nac_credential::StationKey;
use nac_protocol::{random_hex, sign_request};

/// An answer: status, body bytes and the `Retry-After` header.
#[derive(Debug, Clone)]
pub struct HubResponse {
    /// HTTP status.
    pub status: u16,
    /// The body as received.
    pub body: Vec<u8>,
    /// `Retry-After`, if present.
    pub retry_after: Option<String>,
}

impl HubResponse {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request could not be made at all (no answer).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connection or protocol failure.
    #[error("http: {0}")]
    Http(#[from] ureq::Error),
    /// No random nonce.
    #[error("random source: {0}")]
    Random(String),
}

/// A client for one hub, signing as `principal` with `key`.
#[derive(Clone)]
pub struct HubClient {
    base: String,
    principal: String,
    key: StationKey,
    agent: ureq::Agent,
    /// Added to the signing time (tests make stale requests with it).
    pub clock_offset: i64,
}

impl HubClient {
    /// A client for the hub at `base` (e.g. `http://127.0.0.1:8700`).
    pub fn new(base: &str, principal: &str, key: StationKey) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            principal: principal.to_owned(),
            key,
            agent: agent(),
            clock_offset: 0,
        }
    }

    /// Signs and sends a request; `body` empty for a GET.
    pub fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<HubResponse, ClientError> {
        let nonce = random_hex(16).map_err(|e| ClientError::Random(e.to_string()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let headers = sign_request(
            &self.key,
            &self.principal,
            method,
            path_and_query,
            body,
            now + self.clock_offset,
            &nonce,
        );
        self.send_with(method, path_and_query, body, &headers.pairs())
    }

    /// Sends a request with exactly these extra headers (tests forge and replay with it).
    pub fn send_with(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Result<HubResponse, ClientError> {
        send_raw(
            &self.agent,
            &self.base,
            method,
            path_and_query,
            body,
            headers,
        )
    }
}

/// An agent that returns 4xx/5xx as answers rather than errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// Sends an unsigned (or pre-signed) request.
pub fn send_raw(
    agent: &ureq::Agent,
    base: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    headers: &[(&str, String)],
) -> Result<HubResponse, ClientError> {
    let url = format!("{}{path_and_query}", base.trim_end_matches('/'));
    let mut response = if method.eq_ignore_ascii_case("GET") {
        let mut req = agent.get(&url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.call()?
    } else {
        let mut req = agent.post(&url).header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send(body)?
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_vec()?;
    Ok(HubResponse {
        status,
        body,
        retry_after,
    })
}
