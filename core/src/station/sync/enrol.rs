//! Enrolment: the station registers its key with the hub once, using the one-time code the
//! district IT office gave it, and receives its hub-assigned station id, the district secret
//! and the trust list.
//!
//! A station enrols before its first renewal: its credentials carry its station id, and the
//! hub verifies every pushed credential under the id it assigned. A station that already
//! issued codes under its provisional id is refused with the count (its cards would not
//! verify anywhere else), and nothing changes.
//!
//! The district secret arrives sealed under the one-time code (the hub never holds it in a
//! form it can open): only the station that typed the code opens it.
//!
//! An enrolled station given a **re-key** code by the district (`nac-hub station rekey`: its
//! key was stolen, or a thief rotated it) enrols again with a fresh key: the hub retires every
//! key the station held, and so does the station, erasing their secrets.

use std::sync::Arc;

use super::apply::store_issuers;
use super::http::HttpTransport;
use super::transport::{HubRequest, Method, Transport, TransportError};
use crate::error::{Error, Result};
use crate::station::settings::{self, key};
use crate::station::{Change, Station};
use nac_protocol::{EnrolRequest, EnrolResponse, PATH_ENROL, V1};
use rusqlite::params;
use serde::Serialize;

/// What enrolment gave the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    /// The hub-assigned station id, now this station's id.
    pub station_id: String,
    pub hub_url: String,
    /// Trusted issuers received (stations and the phone issuer).
    pub issuers: usize,
}

/// The largest CA certificate (PEM) a station takes for its hub: a chain of a few certificates.
pub const MAX_HUB_CA_BYTES: usize = 64 * 1024;

impl Station {
    /// Enrols with the hub at `hub_url` over HTTP(S). `ca_pem` — the district's CA for an https
    /// hub whose certificate it issued itself — is checked before anything is sent and is
    /// remembered in the enrolment's transaction, so every later sync trusts it.
    pub fn enrol_with_hub(
        &mut self,
        hub_url: &str,
        code: &str,
        ca_pem: Option<&str>,
    ) -> Result<Enrolment> {
        let ca = ca_pem.map(str::trim).filter(|pem| !pem.is_empty());
        let clock: Arc<dyn crate::time::Clock> = Arc::new(crate::time::SystemClock);
        let mut transport = match ca {
            Some(pem) if pem.len() > MAX_HUB_CA_BYTES => {
                return Err(TransportError::BadCertificate.into())
            }
            Some(pem) => HttpTransport::with_ca(hub_url, clock, pem.as_bytes())?,
            None => HttpTransport::with_clock(hub_url, clock),
        };
        self.enrol_trusting(&mut transport, hub_url, code, ca)
    }

    /// Enrols this station with the hub at `hub_url` using its one-time `code`.
    pub fn enrol(
        &mut self,
        transport: &mut dyn Transport,
        hub_url: &str,
        code: &str,
    ) -> Result<Enrolment> {
        self.enrol_trusting(transport, hub_url, code, None)
    }

    fn enrol_trusting(
        &mut self,
        transport: &mut dyn Transport,
        hub_url: &str,
        code: &str,
        ca_pem: Option<&str>,
    ) -> Result<Enrolment> {
        self.ensure_not_demo()?;
        let rekey = match super::current_identity(&self.conn)? {
            (station, Some(_)) => Some(station),
            (_, None) => None,
        };
        if rekey.is_some() {
            self.require_admin("re-key the station", "重新注册本站密钥")?;
        } else {
            let codes: u32 = self
                .conn
                .query_row("SELECT count(*) FROM codes", [], |r| r.get(0))?;
            if codes > 0 {
                return Err(Error::CodesBeforeEnrolment { codes });
            }
        }
        let code = code.trim();
        let key = match rekey {
            Some(_) => nac_credential::StationKey::generate()?,
            None => crate::station::keys::signing_key(&self.conn)?,
        };
        let request = EnrolRequest {
            v: V1,
            enrolment_code: code.to_string(),
            station_name: self.station_name()?,
            public_key: key.public_key(),
            kid: key.kid(),
            proof: nac_protocol::auth::enrolment_proof(&key, code),
        };
        let body = serde_json::to_vec(&request)
            .map_err(|e| super::TransportError::BadAnswer(e.to_string()))?;
        let answer = transport.send(&HubRequest {
            method: Method::Post,
            path_and_query: PATH_ENROL.to_string(),
            body,
            signer: None,
        })?;
        let response: EnrolResponse = serde_json::from_slice(&answer)
            .map_err(|e| super::TransportError::BadAnswer(e.to_string()))?;
        if !nac_protocol::is_station_id(&response.station) {
            return Err(super::TransportError::BadAnswer(format!(
                "station id {:?} is not a station id",
                response.station
            ))
            .into());
        }
        if let Some(station) = &rekey {
            if *station != response.station {
                return Err(super::TransportError::BadAnswer(format!(
                    "the re-key code is for {}, not this station {station}",
                    response.station
                ))
                .into());
            }
        }
        let secret = nac_protocol::open_district_secret(
            code,
            &response.station,
            &response.district_secret_sealed,
        )
        .map_err(|e| super::TransportError::BadAnswer(format!("district secret: {e}")))?;

        let hub_url = hub_url.trim_end_matches('/').to_string();
        let action = if rekey.is_some() {
            "station.rekey"
        } else {
            "station.enrol"
        };
        let subject = format!(
            "{} at {hub_url}{}",
            response.station,
            if ca_pem.is_some() {
                ", trusting the district's CA"
            } else {
                ""
            }
        );
        self.write_audited(action, &subject, Some(Change::settings), |tx, now| {
            if rekey.is_some() {
                crate::station::keys::retire_all_for_rekey(tx, &key, &response.station, now)?;
            }
            settings::write(tx, key::STATION_ID, &response.station)?;
            settings::write(tx, key::HUB_URL, &hub_url)?;
            settings::write(tx, key::DISTRICT_SECRET, &secret.to_hex())?;
            settings::write(tx, key::ENROLLED_AT, &now.to_string())?;
            tx.execute(
                "UPDATE trusted_issuers SET station_id = ?1
                 WHERE kid IN (SELECT kid FROM station_keys)",
                params![response.station],
            )?;
            store_issuers(tx, &response.issuers)?;
            if let Some(pem) = ca_pem {
                settings::write(tx, key::HUB_CA_PEM, pem)?;
            }
            Ok(())
        })?;
        self.station_id = response.station.clone();
        self.district_secret = Some(secret);
        Ok(Enrolment {
            station_id: response.station,
            hub_url,
            issuers: response.issuers.len(),
        })
    }
}
