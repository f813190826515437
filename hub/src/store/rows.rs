//! Conversions between stored text and protocol types, shared by both backends (a stored value
//! that does not convert is reported as [`StoreError::Corrupt`], never unwrapped).

use nac_credential::{PublicKey, Revocation};
use nac_protocol::{
    Change, ChangeKind, Channel, IssuedCode, IssuerStatus, PersonKey, RejectReason, RevokedSerial,
    TrustEntry,
};

use super::{Principal, PrincipalKind, StationStatus, StoreError};

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
    })
}

pub(crate) fn trust_entry(
    kid: &str,
    station: String,
    key: &str,
    status: &str,
) -> Result<TrustEntry, StoreError> {
    Ok(TrustEntry {
        kid: kid.parse().map_err(|_| corrupt("trust kid"))?,
        station,
        public_key: key.parse().map_err(|_| corrupt("trust public key"))?,
        status: match status {
            "active" => IssuerStatus::Active,
            "disabled" => IssuerStatus::Disabled,
            other => return Err(corrupt(format!("trust status {other}"))),
        },
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

/// A change row (kind, by, reason) with its code's columns, as a [`Change`].
pub(crate) fn change_from_parts(
    kind: &str,
    by: Option<String>,
    reason: Option<String>,
    code: CodeColumns,
) -> Result<Change, StoreError> {
    let kind = change_kind(kind)?;
    let reason = reason
        .map(|r| RejectReason::parse(&r).ok_or_else(|| corrupt(format!("reason {r}"))))
        .transpose()?;
    let person_key = PersonKey::parse(&code.person_key).map_err(|_| corrupt("person key"))?;
    let serial = code.serial.clone();
    Ok(Change {
        kind,
        person_key,
        serial,
        code: match kind {
            ChangeKind::Issued => Some(code.into_code()?),
            _ => None,
        },
        by,
        reason,
    })
}

/// A revocation-list item from a change row.
pub(crate) fn revoked(serial: String, kind: &str) -> Result<RevokedSerial, StoreError> {
    let status = match change_kind(kind)? {
        ChangeKind::Superseded => Revocation::Superseded,
        ChangeKind::Rejected => Revocation::Rejected,
        ChangeKind::Issued => return Err(corrupt("issued change in revocation list")),
    };
    Ok(RevokedSerial { serial, status })
}
