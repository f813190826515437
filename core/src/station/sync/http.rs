//! The HTTP transport: signs each request (docs/sync.md §3) and sends it with a blocking
//! client. The only place in the station that speaks HTTP.
//!
//! An `https://` hub is reached over TLS (rustls). A district that issues its hub's
//! certificate itself gives stations its CA certificate (PEM) at enrolment; the station keeps
//! it and trusts only that CA for the hub from then on. Without one, the public web roots.

use super::transport::{HubRequest, Method, Transport, TransportError};
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
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Transport for HttpTransport {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
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
                self.clock.now().timestamp(),
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
