//! Error answers: a status and an [`ErrorBody`] (`{"v":1,"error":…,"message":…}`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nac_protocol::{ErrorBody, V1};

use crate::service::ServiceError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`bad_request`, `unauthorized`, …).
    pub code: &'static str,
    /// English detail.
    pub message: String,
    /// For 429: seconds to wait.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 403 for a station the district disabled: the station stops issuing codes on it.
    pub fn station_disabled() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            nac_protocol::STATION_DISABLED,
            "station is disabled",
        )
    }

    /// 403 for a subscribe over the station's allowance (nothing was subscribed).
    pub fn subscription_limit(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            nac_protocol::SUBSCRIPTION_LIMIT,
            message,
        )
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    }

    /// 413.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
        }
    }

    /// 500 (the detail goes to the log, not to the client).
    pub fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the hub's log",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(&e.for_log())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::BadRequest(m) => Self::bad_request(m),
            ServiceError::BadProof => Self::unauthorized("enrolment proof does not verify"),
            ServiceError::EnrolRefused(r) => {
                Self::new(StatusCode::FORBIDDEN, "enrolment_refused", r.as_str())
            }
            ServiceError::BadRotationProof => Self::unauthorized("rotation proof does not verify"),
            ServiceError::RotateRefused(r) => {
                Self::new(StatusCode::FORBIDDEN, "rotation_refused", r.as_str())
            }
            ServiceError::Store(e) => Self::internal(&e.for_log()),
            ServiceError::NoPhoneIssuer => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "phone renewals are off on this hub (no phone issuing key)",
            ),
            other => Self::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            v: V1,
            error: self.code.into(),
            message: self.message,
        };
        let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
