//! Conversions between stored text and protocol types, shared by both backends (a stored value
//! that does not convert is reported as [`StoreError::Corrupt`], never unwrapped).

use nac_credential::{PublicKey, Revocation};
use nac_protocol::{
    Change, ChangeKind, Channel, IssuedCode, IssuerStatus, PersonKey, RejectReason, RevokedSerial,
    TrustEntry,
};

use super::{DistrictEvent, Principal, PrincipalKind, StationStatus, StoreError};

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn principal(
    id: String,
    kind: &str,
    status: &str,
    key: Option<&str>,
    previous: Option<&str>,
) -> Result<Principal, StoreError> {
    let kind = match kind {
        "station" => PrincipalKind::Station,
        "gateway" => PrincipalKind::PhoneGateway,
        other => return Err(corrupt(format!("principal kind {other}"))),
    };
    let status = StationStatus::parse(status).ok_or_else(|| corrupt(format!("status {status}")))?;
    let public_key = key
        .map(|k| {
            k.parse::<PublicKey>()
                .map_err(|_| corrupt("principal public key"))
        })
        .transpose()?;
    let previous_key = previous
        .map(|k| {
            k.parse::<PublicKey>()
                .map_err(|_| corrupt("previous public key"))
        })
        .transpose()?;
    Ok(Principal {
        id,
        kind,
        status,
        public_key,
        previous_key,
        signed_with_previous: false,
        retired: Vec::new(),
        disabled_at: None,
        max_subscriptions: None,
    })
}

pub(crate) fn trust_entry(
    kid: &str,
    station: String,
    key: &str,
    status: &str,
    not_after: Option<i64>,
) -> Result<TrustEntry, StoreError> {
    Ok(TrustEntry {
        kid: kid.parse().map_err(|_| corrupt("trust kid"))?,
        station,
        public_key: key.parse().map_err(|_| corrupt("trust public key"))?,
        status: match status {
            "active" => IssuerStatus::Active,
            "disabled" => IssuerStatus::Disabled,
            "retired" => IssuerStatus::Retired,
            other => return Err(corrupt(format!("trust status {other}"))),
        },
        not_after,
    })
}

pub(crate) fn change_kind(kind: &str) -> Result<ChangeKind, StoreError> {
    match kind {
        "issued" => Ok(ChangeKind::Issued),
        "superseded" => Ok(ChangeKind::Superseded),
        "rejected" => Ok(ChangeKind::Rejected),
        other => Err(corrupt(format!("change kind {other}"))),
    }
}

pub(crate) fn change_kind_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Issued => "issued",
        ChangeKind::Superseded => "superseded",
        ChangeKind::Rejected => "rejected",
    }
}

/// The stored columns of a code, as an [`IssuedCode`].
pub(crate) struct CodeColumns {
    pub person_key: String,
    pub channel: String,
    pub serial: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub kid: String,
    pub credential: String,
}

impl CodeColumns {
    pub(crate) fn into_code(self) -> Result<IssuedCode, StoreError> {
        Ok(IssuedCode {
            person_key: PersonKey::parse(&self.person_key).map_err(|_| corrupt("person key"))?,
            channel: Channel::from_wire(&self.channel),
            serial: self.serial,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            kid: self.kid.parse().map_err(|_| corrupt("kid"))?,
            credential: self.credential,
        })
    }
}

/// A change row (kind, the replacing code's serial and kid, reason) with its code's columns,
/// as a [`Change`].
pub(crate) fn change_from_parts(
    kind: &str,
    by: Option<(String, String)>,
    reason: Option<String>,
    code: CodeColumns,
) -> Result<Change, StoreError> {
    let kind = change_kind(kind)?;
    let reason = reason
        .map(|r| RejectReason::parse(&r).ok_or_else(|| corrupt(format!("reason {r}"))))
        .transpose()?;
    let person_key = PersonKey::parse(&code.person_key).map_err(|_| corrupt("person key"))?;
    let serial = code.serial.clone();
    let kid = code.kid.parse().map_err(|_| corrupt("kid"))?;
    let (by, by_kid) = match by {
        Some((serial, kid)) => (
            Some(serial),
            Some(kid.parse().map_err(|_| corrupt("by kid"))?),
        ),
        None => (None, None),
    };
    Ok(Change {
        kind,
        person_key,
        serial,
        kid,
        code: match kind {
            ChangeKind::Issued => Some(code.into_code()?),
            _ => None,
        },
        by,
        by_kid,
        reason,
    })
}

/// A revocation-list item from a change row.
pub(crate) fn revoked(serial: String, kid: &str, kind: &str) -> Result<RevokedSerial, StoreError> {
    let status = match change_kind(kind)? {
        ChangeKind::Superseded => Revocation::Superseded,
        ChangeKind::Rejected => Revocation::Rejected,
        ChangeKind::Issued => return Err(corrupt("issued change in revocation list")),
    };
    Ok(RevokedSerial {
        serial,
        kid: kid.parse().map_err(|_| corrupt("revoked kid"))?,
        status,
    })
}

/// A district event kind's stored name, checked.
pub(crate) fn district_event(
    id: i64,
    at: i64,
    kind: String,
    station: Option<String>,
    detail: String,
) -> DistrictEvent {
    DistrictEvent {
        id,
        at,
        kind,
        station,
        detail,
    }
}

/// Seals the station credential inside a stored answer (JSON of an `EventAnswer`), for the
/// upgrade that takes the district secret out of the database. Answers without a clear
/// station credential come back unchanged (`None`).
pub(crate) fn seal_answer(
    answer: &str,
    secret: &nac_protocol::DistrictSecret,
) -> Result<Option<String>, StoreError> {
    let mut value: serde_json::Value =
        serde_json::from_str(answer).map_err(|e| corrupt(format!("stored answer: {e}")))?;
    // A stored answer is a first answer (never a duplicate): only `active` can hold a code.
    let changed = match value.get_mut("active") {
        Some(active) => seal_code_value(active, secret)?,
        None => false,
    };
    if !changed {
        return Ok(None);
    }
    serde_json::to_string(&value)
        .map(Some)
        .map_err(|e| corrupt(format!("stored answer: {e}")))
}

fn seal_code_value(
    code: &mut serde_json::Value,
    secret: &nac_protocol::DistrictSecret,
) -> Result<bool, StoreError> {
    let (Some(channel), Some(kid), Some(serial), Some(credential)) = (
        code.get("channel").and_then(|v| v.as_str()),
        code.get("kid").and_then(|v| v.as_str()),
        code.get("serial").and_then(|v| v.as_str()),
        code.get("credential").and_then(|v| v.as_str()),
    ) else {
        return Ok(false);
    };
    if channel == nac_protocol::PHONE_CHANNEL || !credential.starts_with(nac_credential::PREFIX) {
        return Ok(false);
    }
    let sealed = seal_stored(secret, kid, serial, credential)?;
    code["credential"] = serde_json::Value::String(sealed);
    Ok(true)
}

/// Seals a stored station credential (kid as stored text).
pub(crate) fn seal_stored(
    secret: &nac_protocol::DistrictSecret,
    kid: &str,
    serial: &str,
    credential: &str,
) -> Result<String, StoreError> {
    let kid: nac_credential::KeyId = kid.parse().map_err(|_| corrupt("kid"))?;
    nac_protocol::seal_credential(secret, &kid, serial, credential)
        .map_err(|e| StoreError::Corrupt(format!("sealing: {e}")))
}
