//! Key rotation and audit anchors on SQLite (see the [`crate::store::Store`] methods).

use nac_credential::PublicKey;
use nac_protocol::AuditAnchor;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::store::rows::corrupt;
use crate::store::{KeyRotation, RetiredKey, RotateRefusal, Rotated, StoreError};

pub(super) fn rotate(
    conn: &mut Connection,
    r: &KeyRotation,
) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: Option<(String, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT status, kid, public_key FROM principals WHERE id = ?1 AND kind = 'station'",
            params![r.station],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((status, Some(old_kid), Some(old_key))) = current else {
        return Ok(Err(RotateRefusal::NotActive));
    };
    if status != "active" {
        return Ok(Err(RotateRefusal::NotActive));
    }
    let new_key = r.new_key.to_string();
    if old_key == new_key {
        let last: Option<(String, i64)> = tx
            .query_row(
                "SELECT kid, rotated_at FROM retired_keys WHERE station = ?1
                 ORDER BY rotated_at DESC, rowid DESC LIMIT 1",
                params![r.station],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        return Ok(match last {
            Some((replaced_kid, rotated_at)) => Ok(Rotated {
                replaced_kid,
                rotated_at,
            }),
            None => Err(RotateRefusal::KeyInUse),
        });
    }
    if key_in_use(&tx, &new_key)? {
        return Ok(Err(RotateRefusal::KeyInUse));
    }
    let new_kid = r.new_key.kid().to_string();
    retire_previous_in(&tx, &r.station, with_margin(r.now))?;
    tx.execute(
        "INSERT INTO retired_keys (kid, station, public_key, rotated_at) VALUES (?1, ?2, ?3, ?4)",
        params![old_kid, r.station, old_key, r.now],
    )?;
    tx.execute(
        "UPDATE principals SET public_key = ?1, kid = ?2 WHERE id = ?3",
        params![new_key, new_kid, r.station],
    )?;
    super::admin::insert_trust(&tx, &r.new_key, &r.station)?;
    super::admin::record_event(
        &tx,
        "key_rotated",
        Some(&r.station),
        &format!("key {old_kid} replaced by {new_kid}"),
        r.now,
    )?;
    tx.commit()?;
    Ok(Ok(Rotated {
        replaced_kid: old_kid,
        rotated_at: r.now,
    }))
}

/// Whether a public key (hex) is registered anywhere: a station's current key, or any key in the
/// trust list (retired and disabled ones included). A key serves one station, once.
pub(super) fn key_in_use(conn: &Connection, key: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM principals WHERE public_key = ?1)
         OR EXISTS (SELECT 1 FROM trust WHERE public_key = ?1)",
        params![key],
        |row| row.get(0),
    )?)
}

pub(super) fn retired(conn: &Connection, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT public_key, rotated_at, retired_at FROM retired_keys WHERE station = ?1
         ORDER BY rotated_at, rowid",
    )?;
    let rows = stmt.query_map(params![station], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
    })?;
    let mut keys = Vec::new();
    for row in rows {
        let (key, rotated_at, retired_at) = row?;
        let public_key: PublicKey = key.parse().map_err(|_| corrupt("retired public key"))?;
        keys.push(RetiredKey {
            public_key,
            rotated_at,
            retired_at,
        });
    }
    Ok(keys)
}

pub(super) fn retire_previous(
    conn: &mut Connection,
    station: &str,
    now: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    retire_previous_in(&tx, station, with_margin(now))?;
    tx.commit()?;
    Ok(())
}

/// When a key the station replaced by a rotation stops being genuine: the moment the hub
/// retired it, plus the clock skew every verifier allows (a code the station signed with it
/// just before, on a clock a little ahead, stays genuine).
pub(crate) fn with_margin(now: i64) -> i64 {
    now.saturating_add(nac_protocol::MAX_REQUEST_SKEW_SECS)
}

/// Retires the station's replaced key that still signs, if any: it signs no request from
/// now, codes it dated after `not_after` are refused, and the trust list says so (unless the
/// key is disabled already).
fn retire_previous_in(
    tx: &Transaction<'_>,
    station: &str,
    not_after: i64,
) -> Result<(), StoreError> {
    let now = not_after;
    let previous: Option<String> = tx
        .query_row(
            "SELECT kid FROM retired_keys WHERE station = ?1 AND retired_at IS NULL",
            params![station],
            |r| r.get(0),
        )
        .optional()?;
    let Some(kid) = previous else {
        return Ok(());
    };
    tx.execute(
        "UPDATE retired_keys SET retired_at = ?2 WHERE kid = ?1",
        params![kid, now],
    )?;
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM trust WHERE kid = ?1",
            params![kid],
            |r| r.get(0),
        )
        .optional()?;
    if status.as_deref() == Some("active") {
        super::admin::set_trust_status(tx, &kid, "retired", Some(now))?;
    }
    Ok(())
}

/// A re-key: every key the station holds is retired at `now`, without margin (its current key
/// and a replaced one that still signs): whoever holds them can sign nothing more.
pub(super) fn retire_all(tx: &Transaction<'_>, station: &str, now: i64) -> Result<(), StoreError> {
    retire_previous_in(tx, station, now)?;
    let current: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT kid, public_key FROM principals WHERE id = ?1",
            params![station],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((Some(kid), Some(key))) = current {
        tx.execute(
            "INSERT INTO retired_keys (kid, station, public_key, rotated_at, retired_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![kid, station, key, now],
        )?;
        super::admin::set_trust_status(tx, &kid, "retired", Some(now))?;
    }
    Ok(())
}

pub(super) fn add_anchor(
    conn: &mut Connection,
    station: &str,
    a: &AuditAnchor,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO audit_anchors (station, seq, hash, received_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (station, seq) DO NOTHING",
        params![station, a.seq, a.hash, a.received_at],
    )?;
    let kept: String = tx.query_row(
        "SELECT hash FROM audit_anchors WHERE station = ?1 AND seq = ?2",
        params![station, a.seq],
        |row| row.get(0),
    )?;
    tx.commit()?;
    Ok(kept == a.hash)
}

pub(super) fn anchors(
    conn: &Connection,
    station: &str,
    limit: usize,
) -> Result<Vec<AuditAnchor>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, hash, received_at FROM audit_anchors WHERE station = ?1
         ORDER BY seq DESC LIMIT ?2",
    )?;
    let mut anchors = stmt
        .query_map(params![station, limit as i64], |row| {
            Ok(AuditAnchor {
                seq: row.get(0)?,
                hash: row.get(1)?,
                received_at: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    anchors.reverse();
    Ok(anchors)
}
