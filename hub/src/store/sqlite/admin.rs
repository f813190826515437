//! Stations, enrolment, the trust-list feed, epochs, district events and upkeep on SQLite (see
//! the [`crate::store::Store`] methods).

use nac_credential::PublicKey;
use nac_protocol::{DistrictSecret, TrustEntry, PHONE_CHANNEL};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::keys::key_in_use;
use crate::store::rows::{
    corrupt, district_event, principal as principal_row, seal_answer, seal_stored, trust_entry,
};
use crate::store::{
    DistrictEvent, EnrolRefusal, Enrolled, Enrolment, Epoch, LegacySecrets, NewStation, Page,
    PhoneKeys, Principal, PurgeReport, Rekey, StationRecord, StationStatus, StoreError,
    NONCE_RETENTION_SECS, RECORD_RETENTION_SECS, SUBSCRIPTION_TTL_SECS,
};

pub(super) fn legacy_secrets(conn: &Connection) -> Result<Option<LegacySecrets>, StoreError> {
    let mut stmt = conn.prepare("SELECT key, value FROM meta")?;
    let meta: std::collections::HashMap<String, String> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    LegacySecrets::from_meta(|k| meta.get(k).cloned()).map_err(StoreError::Schema)
}

/// Seals every clear station credential and stored answer, deletes the secrets from `meta`,
/// then rewrites the file so no freed page still holds them.
pub(super) fn seal_legacy(
    conn: &mut Connection,
    secret: &DistrictSecret,
) -> Result<u64, StoreError> {
    conn.execute_batch("PRAGMA secure_delete = ON")?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut sealed = 0u64;
    {
        let mut select = tx.prepare(
            "SELECT id, kid, serial, credential FROM applications
             WHERE channel <> ?1 AND credential LIKE 'NAC1:%'",
        )?;
        let rows: Vec<(i64, String, String, String)> = select
            .query_map([PHONE_CHANNEL], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut update = tx.prepare("UPDATE applications SET credential = ?2 WHERE id = ?1")?;
        for (id, kid, serial, credential) in rows {
            update.execute(params![
                id,
                seal_stored(secret, &kid, &serial, &credential)?
            ])?;
            sealed += 1;
        }
        let mut select = tx.prepare("SELECT event_id, answer FROM event_records")?;
        let rows: Vec<(String, String)> = select
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut update = tx.prepare("UPDATE event_records SET answer = ?2 WHERE event_id = ?1")?;
        for (id, answer) in rows {
            if let Some(answer) = seal_answer(&answer, secret)? {
                update.execute(params![id, answer])?;
            }
        }
    }
    tx.execute(
        "DELETE FROM meta WHERE key IN ('district_secret', 'phone_issuer_secret',
                                        'phone_gateway_secret')",
        [],
    )?;
    tx.commit()?;
    conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete = OFF;")?;
    Ok(sealed)
}

pub(super) fn phone_keys(conn: &Connection) -> Result<Option<PhoneKeys>, StoreError> {
    let gateway: Option<Option<String>> = conn
        .query_row(
            "SELECT public_key FROM principals WHERE id = ?1",
            [PHONE_CHANNEL],
            |r| r.get(0),
        )
        .optional()?;
    let issuer: Option<String> = conn
        .query_row(
            "SELECT public_key FROM trust WHERE station = ?1 AND status = 'active'
             ORDER BY pos DESC LIMIT 1",
            [PHONE_CHANNEL],
            |r| r.get(0),
        )
        .optional()?;
    match (gateway.flatten(), issuer) {
        (Some(gateway), Some(issuer)) => Ok(Some(PhoneKeys {
            issuer: issuer.parse().map_err(|_| corrupt("phone issuer key"))?,
            gateway: gateway.parse().map_err(|_| corrupt("phone gateway key"))?,
        })),
        (None, None) => Ok(None),
        _ => Err(corrupt("the phone issuer or gateway key is missing")),
    }
}

pub(super) fn init_phone_keys(
    conn: &mut Connection,
    keys: PhoneKeys,
    now: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO principals (id, kind, name, area, status, public_key, kid, created_at, enrolled_at)
         VALUES (?1, 'gateway', 'phone gateway', '', 'active', ?2, ?3, ?4, ?4)",
        params![PHONE_CHANNEL, keys.gateway.to_string(), keys.gateway.kid().to_string(), now],
    )?;
    insert_trust(&tx, &keys.issuer, PHONE_CHANNEL)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn epochs(conn: &Connection) -> Result<Vec<Epoch>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT no, epoch FROM epochs ORDER BY no")?;
    let epochs = stmt
        .query_map([], |r| {
            Ok(Epoch {
                no: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(epochs)
}

pub(super) fn new_epoch(
    conn: &mut Connection,
    reason: &str,
    now: i64,
) -> Result<Epoch, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let name = crate::store::new_epoch_name()?;
    tx.execute(
        "INSERT INTO epochs (no, epoch, started_at, reason)
         VALUES ((SELECT COALESCE(MAX(no), 0) + 1 FROM epochs), ?1, ?2, ?3)",
        params![name, now, reason],
    )?;
    let no: i64 = tx.query_row("SELECT MAX(no) FROM epochs", [], |r| r.get(0))?;
    record_event(
        &tx,
        "epoch_started",
        None,
        &format!("epoch {no} ({name}) started: {reason}"),
        now,
    )?;
    tx.commit()?;
    Ok(Epoch { no, name })
}

pub(super) fn add_station(
    conn: &mut Connection,
    new: NewStation,
) -> Result<StationRecord, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO principals (id, kind, name, area, status, created_at)
         VALUES (?1, 'station', ?2, ?3, 'pending', ?4)",
        params![new.id, new.name, new.area, new.now],
    )?;
    tx.execute(
        "INSERT INTO enrolment_codes (code_hash, station_id, expires_at, sealed_secret, purpose)
         VALUES (?1, ?2, ?3, ?4, 'enrol')",
        params![
            new.code_hash,
            new.id,
            new.code_expires_at,
            new.sealed_secret
        ],
    )?;
    tx.commit()?;
    Ok(StationRecord {
        id: new.id,
        name: new.name,
        area: new.area,
        status: StationStatus::Pending,
        kid: None,
        device_name: None,
        created_at: new.now,
        enrolled_at: None,
        disabled_at: None,
        last_seen_at: None,
    })
}

pub(super) fn list_stations(conn: &Connection) -> Result<Vec<StationRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, name, area, status, kid, device_name, created_at, enrolled_at, disabled_at,
                last_seen_at
         FROM principals WHERE kind = 'station' ORDER BY pos",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(3)?;
        out.push(StationRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            area: r.get(2)?,
            status: StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
            kid: r.get(4)?,
            device_name: r.get(5)?,
            created_at: r.get(6)?,
            enrolled_at: r.get(7)?,
            disabled_at: r.get(8)?,
            last_seen_at: r.get(9)?,
        });
    }
    Ok(out)
}

/// The next trust-list position: the feed only grows, and SQLite's single writer makes the
/// positions visible in order.
fn next_trust_pos(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(
        tx.query_row("SELECT COALESCE(MAX(pos), 0) + 1 FROM trust", [], |r| {
            r.get(0)
        })?,
    )
}

pub(super) fn insert_trust(
    tx: &Transaction<'_>,
    key: &PublicKey,
    station: &str,
) -> Result<(), StoreError> {
    let pos = next_trust_pos(tx)?;
    tx.execute(
        "INSERT INTO trust (kid, pos, station, public_key, status) VALUES (?1, ?2, ?3, ?4, 'active')",
        params![key.kid().to_string(), pos, station, key.to_string()],
    )?;
    Ok(())
}

/// Sets a trust entry's status (and `not_after`, `None` for active) and moves it to the end of
/// the feed, so stations that hold the key learn of the change.
pub(super) fn set_trust_status(
    tx: &Transaction<'_>,
    kid: &str,
    status: &str,
    not_after: Option<i64>,
) -> Result<(), StoreError> {
    let pos = next_trust_pos(tx)?;
    tx.execute(
        "UPDATE trust SET status = ?2, not_after = ?3, pos = ?4 WHERE kid = ?1",
        params![kid, status, not_after, pos],
    )?;
    Ok(())
}

fn kids_with_status(
    tx: &Transaction<'_>,
    station: &str,
    status: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        tx.prepare("SELECT kid FROM trust WHERE station = ?1 AND status = ?2 ORDER BY pos")?;
    let kids = stmt
        .query_map(params![station, status], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(kids)
}

pub(super) fn disable_station(
    conn: &mut Connection,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE principals SET status = 'disabled', disabled_at = ?2
         WHERE id = ?1 AND kind = 'station' AND status <> 'disabled'",
        params![id, now],
    )?;
    if n == 1 {
        for kid in kids_with_status(&tx, id, "active")? {
            set_trust_status(&tx, &kid, "disabled", Some(now))?;
        }
        record_event(
            &tx,
            "station_disabled",
            Some(id),
            "disabled by the district",
            now,
        )?;
    }
    tx.commit()?;
    Ok(n == 1)
}

pub(super) fn enable_station(
    conn: &mut Connection,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE principals
         SET status = CASE WHEN public_key IS NULL THEN 'pending' ELSE 'active' END,
             disabled_at = NULL
         WHERE id = ?1 AND kind = 'station' AND status = 'disabled'",
        params![id],
    )?;
    if n == 1 {
        for kid in kids_with_status(&tx, id, "disabled")? {
            set_trust_status(&tx, &kid, "active", None)?;
        }
        record_event(
            &tx,
            "station_enabled",
            Some(id),
            "enabled by the district",
            now,
        )?;
    }
    tx.commit()?;
    Ok(n == 1)
}

pub(super) fn add_rekey_code(
    conn: &mut Connection,
    r: Rekey,
) -> Result<Result<(), EnrolRefusal>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM principals WHERE id = ?1 AND kind = 'station'",
            [&r.station],
            |row| row.get(0),
        )
        .optional()?;
    match status.as_deref() {
        Some("active") => {}
        Some("disabled") => return Ok(Err(EnrolRefusal::StationDisabled)),
        _ => return Ok(Err(EnrolRefusal::Unknown)),
    }
    tx.execute(
        "INSERT INTO enrolment_codes (code_hash, station_id, expires_at, sealed_secret, purpose)
         VALUES (?1, ?2, ?3, ?4, 'rekey')",
        params![r.code_hash, r.station, r.code_expires_at, r.sealed_secret],
    )?;
    record_event(
        &tx,
        "rekey_code_issued",
        Some(&r.station),
        "a re-key code was issued",
        r.now,
    )?;
    tx.commit()?;
    Ok(Ok(()))
}

pub(super) fn enrol(
    conn: &mut Connection,
    e: Enrolment,
) -> Result<Result<Enrolled, EnrolRefusal>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    type CodeRow = (String, i64, Option<i64>, Option<String>, String);
    let code: Option<CodeRow> = tx
        .query_row(
            "SELECT station_id, expires_at, used_at, sealed_secret, purpose FROM enrolment_codes
             WHERE code_hash = ?1",
            params![e.code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((station, expires_at, used_at, sealed, purpose)) = code else {
        return Ok(Err(EnrolRefusal::Unknown));
    };
    if used_at.is_some() {
        return Ok(Err(EnrolRefusal::AlreadyUsed));
    }
    let Some(sealed_secret) = sealed else {
        return Ok(Err(EnrolRefusal::Expired));
    };
    if e.now >= expires_at {
        return Ok(Err(EnrolRefusal::Expired));
    }
    let status: String = tx.query_row(
        "SELECT status FROM principals WHERE id = ?1",
        params![station],
        |r| r.get(0),
    )?;
    let rekey = purpose == "rekey";
    if status != if rekey { "active" } else { "pending" } {
        return Ok(Err(EnrolRefusal::StationDisabled));
    }
    let key = e.public_key.to_string();
    if key_in_use(&tx, &key)? {
        return Ok(Err(EnrolRefusal::KeyInUse));
    }
    if rekey {
        super::keys::retire_all(&tx, &station, e.now)?;
        record_event(
            &tx,
            "station_rekeyed",
            Some(&station),
            &format!(
                "re-keyed by the district's code; new key {}",
                e.public_key.kid()
            ),
            e.now,
        )?;
    }
    tx.execute(
        "UPDATE enrolment_codes SET used_at = ?1, sealed_secret = NULL WHERE code_hash = ?2",
        params![e.now, e.code_hash],
    )?;
    tx.execute(
        "UPDATE principals SET status = 'active', public_key = ?1, kid = ?2,
                device_name = ?3, enrolled_at = COALESCE(enrolled_at, ?4)
         WHERE id = ?5",
        params![
            key,
            e.public_key.kid().to_string(),
            e.device_name,
            e.now,
            station
        ],
    )?;
    insert_trust(&tx, &e.public_key, &station)?;
    tx.commit()?;
    Ok(Ok(Enrolled {
        station,
        sealed_secret,
        rekeyed: rekey,
    }))
}

pub(super) fn principal(conn: &Connection, id: &str) -> Result<Option<Principal>, StoreError> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT p.id, p.kind, p.status, p.public_key, r.public_key, p.disabled_at,
                    p.max_subscriptions
             FROM principals p
             LEFT JOIN retired_keys r ON r.station = p.id AND r.retired_at IS NULL
             WHERE p.id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    row.map(
        |(id, kind, status, key, previous, disabled_at, max_subscriptions)| {
            let mut p = principal_row(id, &kind, &status, key.as_deref(), previous.as_deref())?;
            p.disabled_at = disabled_at;
            p.max_subscriptions = max_subscriptions;
            Ok(p)
        },
    )
    .transpose()
}

pub(super) fn trust_entries(
    conn: &Connection,
    since: i64,
    limit: usize,
) -> Result<Page<TrustEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT pos, kid, station, public_key, status, not_after FROM trust
         WHERE pos > ?1 ORDER BY pos LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![since, limit as i64 + 1])?;
    let mut items = Vec::new();
    let (mut next, mut more) = (since, false);
    while let Some(r) = rows.next()? {
        if items.len() == limit {
            more = true;
            break;
        }
        next = r.get(0)?;
        let (kid, station, key, status): (String, String, String, String) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        items.push(trust_entry(&kid, station, &key, &status, r.get(5)?)?);
    }
    Ok(Page { items, next, more })
}

pub(super) fn record_event(
    conn: &Connection,
    kind: &str,
    station: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO district_events (at, kind, station, detail) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![now, kind, station, detail])?;
    Ok(())
}

pub(super) fn district_events(
    conn: &Connection,
    since: i64,
    limit: usize,
) -> Result<Vec<DistrictEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, station, detail FROM district_events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let events = stmt
        .query_map(params![since, limit as i64], |r| {
            Ok(district_event(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(events)
}

pub(super) fn purge(conn: &mut Connection, now: i64) -> Result<PurgeReport, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let records = tx.execute(
        "DELETE FROM event_records WHERE received_at < ?1",
        params![now.saturating_sub(RECORD_RETENTION_SECS)],
    )? as u64;
    let nonces = tx.execute(
        "DELETE FROM nonces WHERE seen_at < ?1",
        params![now.saturating_sub(NONCE_RETENTION_SECS)],
    )? as u64;
    let subscriptions = tx.execute(
        "DELETE FROM subscriptions WHERE refreshed_at < ?1",
        params![now.saturating_sub(SUBSCRIPTION_TTL_SECS)],
    )? as u64;
    let codes = tx.execute(
        "UPDATE enrolment_codes SET sealed_secret = NULL
         WHERE sealed_secret IS NOT NULL AND expires_at <= ?1",
        params![now],
    )? as u64;
    tx.commit()?;
    Ok(PurgeReport {
        records,
        nonces,
        subscriptions,
        codes,
    })
}

/// The tables that make up the hub's state, with a total order for each (nonces are not state
/// a refused request could change meaningfully, and are left out; `last_seen_at` moves with
/// every request, so `principals` is dumped without it).
const DUMPED: [(&str, &str, &str); 12] = [
    (
        "principals",
        "id, kind, name, area, status, public_key, kid, device_name, created_at, enrolled_at, disabled_at, max_subscriptions",
        "id",
    ),
    ("enrolment_codes", "*", "code_hash"),
    ("trust", "*", "pos"),
    ("applications", "*", "id"),
    ("active_codes", "*", "person_key"),
    ("event_records", "*", "event_id"),
    ("changes", "*", "seq"),
    ("subscriptions", "*", "station, person_key"),
    ("retired_keys", "*", "kid"),
    ("audit_anchors", "*", "station, seq"),
    ("epochs", "*", "no"),
    ("district_events", "*", "id"),
];

pub(super) fn dump(conn: &mut Connection) -> Result<String, StoreError> {
    let tx = conn.transaction()?;
    let mut out = String::new();
    for (table, columns, order) in DUMPED {
        let mut stmt = tx.prepare(&format!("SELECT {columns} FROM {table} ORDER BY {order}"))?;
        let count = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.push_str(table);
            for i in 0..count {
                out.push('|');
                match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => out.push_str("NULL"),
                    rusqlite::types::ValueRef::Integer(n) => out.push_str(&n.to_string()),
                    rusqlite::types::ValueRef::Real(f) => out.push_str(&f.to_string()),
                    rusqlite::types::ValueRef::Text(t) => out.push_str(&String::from_utf8_lossy(t)),
                    rusqlite::types::ValueRef::Blob(b) => out.push_str(&hex::encode(b)),
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}
