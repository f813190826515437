//! Syncing with NAC Hub (docs/sync.md): enrolment, pushing the outbox, subscribing the roster's
//! person keys, pulling codes issued elsewhere, and caching the trust and revocation lists.
//!
//! # Why it is built this way
//!
//! * **Nothing is lost, nothing counts twice.** An outbox event is made in the same
//!   transaction as its application, with an idempotency key, and moves queued → sending →
//!   synced | rejected | error. It is marked `sending` (committed) before the request goes
//!   out, and the hub's answer is applied in one transaction per page; a crash anywhere leaves
//!   events that are simply sent again, and the hub answers `duplicate` with its first answer.
//! * **The hub is the authority across stations.** A renewal refused by the hub (R3, already
//!   applied that CST day elsewhere) is marked rejected with its code, the hub's active code is
//!   adopted, and the printed cards of the rejected code are listed to replace (R8). Pulled
//!   changes are replayed in the hub's commit order, so every station ends with the hub's
//!   active code per person.
//! * **No identity leaves the station.** Events carry the person key (HMAC of the document
//!   under the district secret), a volunteer uid and the credential text (masked name, last 4).
//! * **Cursors move only with what they cover**: a pull page's changes and its cursor commit
//!   together; a lost page is fetched again.
//!
//! HTTP lives in [`http`]; the logic talks to a [`Transport`], so the tests put faults
//! between a real station and a real hub process.

mod anchors;
mod apply;
mod enrol;
pub mod http;
mod queue;
mod rotation;
mod run;
pub mod transport;

pub use anchors::{AnchorCheck, AnchorProblem};
pub use enrol::{Enrolment, MAX_HUB_CA_BYTES};
pub use queue::{QueueEntry, SyncStatus};
pub use rotation::KeyRotation;
pub(crate) use run::call;
pub use run::{SyncProgress, SyncReport, SyncStage};
pub use transport::{HubHeaders, HubRequest, Method, RequestSigner, Transport, TransportError};

use super::Station;
use crate::error::Result;
use crate::station::settings::{self, key};
use http::HttpTransport;
use nac_protocol::DistrictSecret;
use rusqlite::Connection;
use std::sync::Arc;

/// The district secret, once enrolled. A stored value that does not parse is damage, not
/// "not enrolled".
pub(crate) fn read_district_secret(conn: &Connection) -> Result<Option<DistrictSecret>> {
    match settings::read(conn, key::DISTRICT_SECRET)? {
        None => Ok(None),
        Some(hex) => DistrictSecret::from_hex(&hex)
            .map(Some)
            .map_err(|_| crate::Error::DamagedKey),
    }
}

/// The station id and district secret as the database holds them now: another process (the
/// `nac` CLI, the app's sync connection) may have enrolled the station since this connection
/// opened, and a code must never carry the provisional id after enrolment.
pub(crate) fn current_identity(conn: &Connection) -> Result<(String, Option<DistrictSecret>)> {
    let station_id = settings::read(conn, key::STATION_ID)?.unwrap_or_default();
    Ok((station_id, read_district_secret(conn)?))
}

impl Station {
    /// The hub this station is enrolled with, if any.
    pub fn hub_url(&self) -> Result<Option<String>> {
        Ok(settings::read(&self.conn, key::HUB_URL)?)
    }

    /// A transport to the hub at `base`, trusting the CA remembered at enrolment if any.
    /// Requests are signed with the clock corrected by the offset measured at the last sync,
    /// so a station whose clock is off still reaches the hub (its renewals wait for the clock).
    pub fn hub_transport(&self, base: &str) -> Result<HttpTransport> {
        let clock: Arc<dyn crate::time::Clock> = Arc::new(crate::time::SystemClock);
        let offset = settings::read(&self.conn, key::HUB_CLOCK_OFFSET)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(match settings::read(&self.conn, key::HUB_CA_PEM)? {
            Some(pem) => HttpTransport::with_ca(base, clock, pem.as_bytes())?,
            None => HttpTransport::with_clock(base, clock),
        }
        .with_offset(offset))
    }

    /// Whether the station is enrolled with a hub (as the database says now).
    pub fn is_enrolled(&self) -> bool {
        matches!(read_district_secret(&self.conn), Ok(Some(_)))
    }

    /// Refreshes the cached identity and returns the request signer; refuses a demo and a
    /// station that is not enrolled.
    pub(crate) fn signer_for_hub(&mut self) -> Result<RequestSigner> {
        self.ensure_not_demo()?;
        let (station_id, secret) = current_identity(&self.conn)?;
        if secret.is_none() {
            return Err(crate::Error::NotEnrolled);
        }
        self.station_id = station_id;
        self.district_secret = secret;
        Ok(RequestSigner {
            station: self.station_id.clone(),
            key: super::keys::signing_key(&self.conn)?,
        })
    }
}

/// Exponential backoff with jitter: 30 s doubling per consecutive failure up to an hour, then
/// a random 50–100 % of it, so stations that lost the hub together do not return together.
pub fn backoff_secs(failures: u32, jitter: f64) -> i64 {
    let base = 30i64.saturating_mul(1i64 << failures.saturating_sub(1).min(7));
    let capped = base.min(3600) as f64;
    (capped * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))).round() as i64
}

/// A random number in [0, 1) for the jitter.
pub(crate) fn jitter() -> f64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_to_an_hour_and_jitters_down_to_half() {
        assert_eq!(backoff_secs(1, 1.0), 30);
        assert_eq!(backoff_secs(2, 1.0), 60);
        assert_eq!(backoff_secs(3, 1.0), 120);
        assert_eq!(backoff_secs(8, 1.0), 3600);
        assert_eq!(backoff_secs(40, 1.0), 3600);
        assert_eq!(backoff_secs(1, 0.0), 15);
        assert_eq!(backoff_secs(40, 0.0), 1800);
    }
}
