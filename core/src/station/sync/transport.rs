//! How the station reaches the hub: one request at a time, through a [`Transport`].
//!
//! The sync logic builds protocol messages and applies answers; the transport only carries
//! bytes and signs. Keeping the seam this narrow lets the tests put faults between a real
//! station and a real hub process (lost requests, lost answers, duplicates, replays) without
//! touching the logic, and keeps HTTP in one small adapter ([`super::http`]) over the client
//! the station shares with the hub's tools (`nac_protocol::client`).

use crate::error::ErrorCode;
pub use nac_protocol::client::HubHeaders;
pub use nac_protocol::{Method, RequestSigner};

/// One request to the hub. `signer` is `None` only for enrolment.
#[derive(Clone)]
pub struct HubRequest {
    pub method: Method,
    /// Path and query exactly as sent, e.g. `/v1/pull?since=12`.
    pub path_and_query: String,
    pub body: Vec<u8>,
    pub signer: Option<RequestSigner>,
}

/// Carries requests to the hub and returns the body of a `200` answer.
pub trait Transport {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError>;

    /// The hub's time and epoch from the last answer received (any status), if it sent them.
    fn hub_headers(&self) -> Option<HubHeaders> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
        (**self).send(request)
    }

    fn hub_headers(&self) -> Option<HubHeaders> {
        (**self).hub_headers()
    }
}

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer at all: connection refused, timed out, reset. Retried with backoff.
    #[error("无法连接区平台 / cannot reach the hub: {0}")]
    Unreachable(String),
    /// 429 (or 503): the hub asks to come back later.
    #[error("区平台繁忙，请稍后再试 / the hub is busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// A 5xx answer: the hub failed; retried with backoff.
    #[error("区平台出错（{status}） / the hub failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// A 4xx answer: the hub refused this request (bad signature, disabled station, bad
    /// enrolment code, …). Not retried automatically: something must change first.
    #[error("区平台拒绝了请求（{status} {code}） / the hub refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// A 200 whose body is not the expected message.
    #[error("区平台的答复无法识别 / the hub's answer is not understood: {0}")]
    BadAnswer(String),
    /// The CA certificate given for the hub holds no certificate.
    #[error("区平台证书文件中没有证书（应为PEM格式） / the hub's CA file holds no certificate (PEM expected)")]
    BadCertificate,
}

impl TransportError {
    /// The error code the UI and CLI branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            TransportError::Unreachable(_)
            | TransportError::Busy { .. }
            | TransportError::Server { .. } => ErrorCode::HubUnreachable,
            TransportError::Refused { .. } => ErrorCode::HubRefused,
            TransportError::BadAnswer(_) => ErrorCode::HubAnswer,
            TransportError::BadCertificate => ErrorCode::HubCertificate,
        }
    }

    /// Whether trying again later, unchanged, may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TransportError::Unreachable(_)
                | TransportError::Busy { .. }
                | TransportError::Server { .. }
        )
    }

    /// Builds the error for a non-200 answer from its status, `Retry-After` and body.
    pub fn from_status(status: u16, retry_after: Option<&str>, body: &[u8]) -> TransportError {
        let parsed: Option<nac_protocol::ErrorBody> = serde_json::from_slice(body).ok();
        let (code, message) = match parsed {
            Some(b) => (b.error, b.message),
            None => (
                String::new(),
                String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            ),
        };
        match status {
            429 | 503 => TransportError::Busy {
                retry_after_secs: retry_after
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(30)
                    .min(3600),
            },
            500..=599 => TransportError::Server { status, message },
            _ => TransportError::Refused {
                status,
                code,
                message,
            },
        }
    }
}
