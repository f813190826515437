//! Who is asking: signature check, station status, rate limit and replay check, in that order,
//! so a refused request changes nothing (its nonce is only recorded once everything else
//! passed). The client address's own limit ran before all of this, in `mod.rs`, so a flood
//! of badly signed requests is mostly refused before it costs a database read here.

use axum::http::{HeaderMap, Method, Uri};
use nac_protocol::{
    verify_request, AuthError, SignedHeaders, HEADER_APP_VERSION, HEADER_NONCE, HEADER_SIGNATURE,
    HEADER_STATION, HEADER_TIMESTAMP,
};

use super::error::ApiError;
use super::limits::RateLimiter;
use crate::store::{Principal, PrincipalKind, StationStatus, Store};
use crate::Hub;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether a disabled station may make the request: only a push, so the codes it issued
/// before it was disabled still reach the hub (R3 must count them); every code dated later is
/// refused in the push itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenDisabled {
    /// 403 `station_disabled`.
    Refuse,
    /// Let it through (pushes).
    Allow,
}

/// The one answer for every station the hub cannot authenticate — unknown, not yet enrolled,
/// or a signature that does not verify: telling them apart would let anyone list station ids.
const NOT_AUTHENTICATED: &str = "the request is not signed by an enrolled station's key";

/// A station's clock this far off the hub's (seconds) is shown to the district (a
/// `clock_off` district event, at most once a day per station), before requests are refused
/// at [`nac_protocol::MAX_REQUEST_SKEW_SECS`].
pub const CLOCK_ALERT_SECS: i64 = 120;

/// When each station's clock was last reported off, so the district sees it once a day.
#[derive(Default)]
pub struct ClockAlerts {
    noted: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

/// Stations remembered at most (the oldest note is dropped first).
const MAX_CLOCK_ALERTS: usize = 10_000;

impl ClockAlerts {
    /// Whether `station`'s clock should be reported now (not reported in the last 24 h).
    fn due(&self, station: &str, now: i64) -> bool {
        let Ok(mut noted) = self.noted.lock() else {
            return false;
        };
        if noted.get(station).is_some_and(|at| now - at < 86_400) {
            return false;
        }
        if noted.len() >= MAX_CLOCK_ALERTS {
            if let Some(oldest) = noted
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(k, _)| k.clone())
            {
                noted.remove(&oldest);
            }
        }
        noted.insert(station.to_owned(), now);
        true
    }
}

/// Reports a genuine station's clock to the district: only when the request's signature
/// verifies under the station's key (a forged header names no one), whatever the answer.
async fn note_clock<S: Store>(
    hub: &Hub<S>,
    alerts: &ClockAlerts,
    principal: &Principal,
    signed: &SignedHeaders,
    verify_with: impl Fn(&nac_credential::PublicKey) -> bool,
    now: i64,
) {
    let skew = signed.timestamp.saturating_sub(now);
    if skew.unsigned_abs() <= CLOCK_ALERT_SECS as u64 || principal.kind != PrincipalKind::Station {
        return;
    }
    let genuine = principal.public_key.as_ref().is_some_and(&verify_with)
        || principal.previous_key.as_ref().is_some_and(&verify_with);
    if !genuine || !alerts.due(&principal.id, now) {
        return;
    }
    let detail = if skew > 0 {
        format!("the station's clock is {skew} s ahead of the hub's")
    } else {
        format!("the station's clock is {} s behind the hub's", -skew)
    };
    if let Err(e) = hub
        .store
        .record_district_event("clock_off", Some(&principal.id), &detail, now)
        .await
    {
        tracing::warn!(error = %e.for_log(), "could not record a station's clock");
    }
}

/// Authenticates a signed request as a principal of kind `kind`.
#[allow(clippy::too_many_arguments)]
pub async fn authenticate<S: Store>(
    hub: &Hub<S>,
    limiter: &RateLimiter,
    clock_alerts: &ClockAlerts,
    kind: PrincipalKind,
    when_disabled: WhenDisabled,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Principal, ApiError> {
    let signed = SignedHeaders::parse(
        header(headers, HEADER_STATION),
        header(headers, HEADER_TIMESTAMP),
        header(headers, HEADER_NONCE),
        header(headers, HEADER_SIGNATURE),
    )
    .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let now = hub.clock.now();
    // The clock first, the same for every station id, so a stale request tells nothing about
    // which stations exist; its message gives the station the difference to correct.
    let skew = signed.timestamp.saturating_sub(now);
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // Verified as of the request's own time: only the signature, for the district's report.
    let genuine_at_its_time = |key: &nac_credential::PublicKey| {
        verify_request(
            key,
            method.as_str(),
            path_and_query,
            body,
            &signed,
            signed.timestamp,
        )
        .is_ok()
    };
    if skew.unsigned_abs() > nac_protocol::MAX_REQUEST_SKEW_SECS as u64 {
        // The answer is the same for every station; the district is told of a genuine one.
        if let Ok(Some(principal)) = hub.store.principal(&signed.station).await {
            note_clock(
                hub,
                clock_alerts,
                &principal,
                &signed,
                genuine_at_its_time,
                now,
            )
            .await;
        }
        return Err(ApiError::unauthorized(AuthError::Stale(skew).to_string()));
    }
    let mut principal = hub
        .store
        .principal(&signed.station)
        .await?
        .ok_or_else(|| ApiError::unauthorized(NOT_AUTHENTICATED))?;
    let key = principal
        .public_key
        .ok_or_else(|| ApiError::unauthorized(NOT_AUTHENTICATED))?;
    // After a key rotation the previous key still signs until the station first uses the new
    // one (see `RotateKeyRequest`); that first request retires it.
    let verify_with =
        |key| verify_request(key, method.as_str(), path_and_query, body, &signed, now);
    let refused = |e: AuthError| match e {
        AuthError::BadSignature => ApiError::unauthorized(NOT_AUTHENTICATED),
        other => ApiError::unauthorized(other.to_string()),
    };
    match (verify_with(&key), principal.previous_key) {
        (Ok(()), _) => {}
        (Err(AuthError::BadSignature), Some(previous)) => {
            verify_with(&previous).map_err(refused)?;
            principal.signed_with_previous = true;
        }
        (Err(e), _) => return Err(refused(e)),
    }
    note_clock(
        hub,
        clock_alerts,
        &principal,
        &signed,
        genuine_at_its_time,
        now,
    )
    .await;
    if principal.status == StationStatus::Disabled && when_disabled == WhenDisabled::Refuse {
        return Err(ApiError::station_disabled());
    }
    if principal.kind != kind {
        return Err(ApiError::forbidden(
            "this endpoint is not for this principal",
        ));
    }
    limiter
        .take(principal.id.as_str())
        .map_err(|refused| ApiError::rate_limited(refused.retry_after))?;
    if !hub
        .store
        .remember_nonce(
            &principal.id,
            &signed.nonce,
            now,
            header(headers, HEADER_APP_VERSION).and_then(nac_protocol::app_version),
        )
        .await?
    {
        return Err(ApiError::unauthorized("nonce already used (replay)"));
    }
    if principal.previous_key.is_some() && !principal.signed_with_previous {
        hub.store.retire_previous_key(&principal.id, now).await?;
        principal.previous_key = None;
    }
    Ok(principal)
}
