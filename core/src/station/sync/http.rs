//! The HTTP transport: the station's [`Transport`] over the protocol crate's signed client
//! (`nac_protocol::client`, shared with the hub's tools). What is the station's own: signing by
//! its injectable clock corrected by the hub's, remembering what the last answer said about the
//! hub, and turning answers into [`TransportError`]s the sync logic can act on.
//!
//! An `https://` hub is reached over TLS (rustls). A district that issues its hub's
//! certificate itself gives stations its CA certificate (PEM) at enrolment; the station keeps
//! it and trusts only that CA for the hub from then on. Without one, the public web roots.

use super::transport::{HubHeaders, HubRequest, Transport, TransportError};
use crate::time::Clock;
use nac_protocol::client::{ClientError, ClientLimits, HubClient};
use std::sync::Arc;

/// A hub at `base` (e.g. `http://127.0.0.1:8700`).
pub struct HttpTransport {
    client: HubClient,
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
        HttpTransport::over(HubClient::new(base, ClientLimits::STATION), clock)
    }

    /// A transport that trusts only the CA certificates in `ca_pem` for an `https://` hub.
    /// Refuses PEM text holding no certificate.
    pub fn with_ca(
        base: &str,
        clock: Arc<dyn Clock>,
        ca_pem: &[u8],
    ) -> Result<HttpTransport, TransportError> {
        let client = HubClient::with_ca(base, ClientLimits::STATION, ca_pem)
            .map_err(|_| TransportError::BadCertificate)?;
        Ok(HttpTransport::over(client, clock))
    }

    fn over(client: HubClient, clock: Arc<dyn Clock>) -> HttpTransport {
        HttpTransport {
            client,
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
        self.client.base()
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
        let sent = match &request.signer {
            Some(signer) => self.client.send_signed(
                request.method,
                &request.path_and_query,
                &request.body,
                signer,
                self.clock.now().timestamp() + self.offset,
            ),
            None => self
                .client
                .send(request.method, &request.path_and_query, &request.body, &[]),
        };
        let answer = match sent {
            Ok(answer) => answer,
            Err(ClientError::Unreadable { hub, source }) => {
                if hub.is_some() {
                    self.last = hub;
                }
                return Err(TransportError::Unreachable(source.to_string()));
            }
            Err(ClientError::Http(e)) => return Err(TransportError::Unreachable(e.to_string())),
            Err(ClientError::Random(e)) => {
                return Err(TransportError::Unreachable(format!("no random nonce: {e}")))
            }
            Err(ClientError::NoCertificate) => return Err(TransportError::BadCertificate),
        };
        if answer.hub.is_some() {
            self.last = answer.hub;
        }
        if answer.status == 200 {
            Ok(answer.body)
        } else {
            Err(TransportError::from_status(
                answer.status,
                answer.retry_after.as_deref(),
                &answer.body,
            ))
        }
    }
}
