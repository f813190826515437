//! The HTTP transport: signs each request (docs/sync.md §3) and sends it with a blocking
//! client. The only place in the station that speaks HTTP.
//!
//! An `https://` hub is reached over TLS (rustls). A district that issues its hub's
//! certificate itself gives stations its CA certificate (PEM) at enrolment; the station keeps
//! it and trusts only that CA for the hub from then on. Without one, the public web roots.

use super::transport::{HubHeaders, HubRequest, Method, Transport, TransportError};
use crate::time::Clock;
use std::sync::Arc;
use std::time::Duration;

/// The largest answer read (the protocol caps bodies at 1 MiB; a margin for headers' sake).
const MAX_ANSWER_BYTES: u64 = 2 * 1024 * 1024;

/// A hub at `base` (e.g. `http://127.0.0.1:8700`).
pub struct HttpTransport {
    base: String,
    agent: ureq::Agent,
    /// The clock whose time goes into the signature (the system clock; tests that run the
    /// hub on a fake clock sign with the same fake time).
    clock: Arc<dyn Clock>,
    /// Added to the clock when signing: the hub's clock minus this one, as last measured. A
    /// station whose clock is off still syncs (to push what it holds and learn the truth);
    /// it is its renewals that stop until the clock is right.
    offset: i64,
    /// What the last answer said about the hub.
    last: Option<HubHeaders>,
}

impl HttpTransport {
    pub fn new(base: &str) -> HttpTransport {
        HttpTransport::with_clock(base, Arc::new(crate::time::SystemClock))
    }

    pub fn with_clock(base: &str, clock: Arc<dyn Clock>) -> HttpTransport {
        HttpTransport::build(base, clock, None)
    }

    /// A transport that trusts only the CA certificates in `ca_pem` for an `https://` hub.
    /// Refuses PEM text holding no certificate.
    pub fn with_ca(
        base: &str,
        clock: Arc<dyn Clock>,
        ca_pem: &[u8],
    ) -> Result<HttpTransport, TransportError> {
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(ca_pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(TransportError::BadCertificate);
        }
        Ok(HttpTransport::build(
            base,
            clock,
            Some(ureq::tls::RootCerts::new_with_certs(&certs)),
        ))
    }

    fn build(
        base: &str,
        clock: Arc<dyn Clock>,
        roots: Option<ureq::tls::RootCerts>,
    ) -> HttpTransport {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)));
        if let Some(roots) = roots {
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        HttpTransport {
            base: base.trim_end_matches('/').to_string(),
            agent: config.build().new_agent(),
            clock,
            offset: 0,
            last: None,
        }
    }

    /// Signs with the clock corrected by `offset` seconds (the hub's clock minus this one).
    pub fn with_offset(mut self, offset: i64) -> HttpTransport {
        self.offset = offset;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Transport for HttpTransport {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
        match self.send_once(request) {
            // Refused for the clock: the answer carries the hub's time; sign with it and retry
            // once (a station whose clock is off can still push and pull).
            Err(TransportError::Refused {
                status: 401,
                message,
                ..
            }) if message.contains("timestamp") && self.correct_offset() => self.send_once(request),
            other => other,
        }
    }

    fn hub_headers(&self) -> Option<HubHeaders> {
        self.last.clone()
    }
}

impl HttpTransport {
    /// Takes the hub's clock from the last answer as the signing offset; `false` if that
    /// changes nothing.
    fn correct_offset(&mut self) -> bool {
        let Some(last) = &self.last else {
            return false;
        };
        let offset = last.hub_time - self.clock.now().timestamp();
        if (offset - self.offset).abs() <= 1 {
            return false;
        }
        self.offset = offset;
        true
    }

    fn send_once(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
        let url = format!("{}{}", self.base, request.path_and_query);
        let mut headers = Vec::new();
        if let Some(signer) = &request.signer {
            let nonce = nac_protocol::random_hex(16)
                .map_err(|e| TransportError::Unreachable(format!("no random nonce: {e}")))?;
            let signed = nac_protocol::sign_request(
                &signer.key,
                &signer.station,
                request.method.as_str(),
                &request.path_and_query,
                &request.body,
                self.clock.now().timestamp() + self.offset,
                &nonce,
            );
            headers = signed
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        }
        let sent = match request.method {
            Method::Get => {
                let mut req = self.agent.get(&url);
                for (k, v) in &headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                req.call()
            }
            Method::Post => {
                let mut req = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                for (k, v) in &headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                req.send(&request.body[..])
            }
        };
        let mut response = sent.map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if let Some(hub_time) = header(nac_protocol::HEADER_HUB_TIME).and_then(|v| v.parse().ok()) {
            self.last = Some(HubHeaders {
                hub_time,
                epoch: header(nac_protocol::HEADER_HUB_EPOCH),
            });
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        if status == 200 {
            Ok(body)
        } else {
            Err(TransportError::from_status(
                status,
                retry_after.as_deref(),
                &body,
            ))
        }
    }
}
