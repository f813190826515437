//! Pushes (loading a page's state, writing its decisions), subscriptions, pulls and the
//! revocation list, on SQLite.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use crate::store::rows::{change_from_parts, change_kind_name, revoked, CodeColumns};
use crate::store::rules::{ActiveCode, CodeRef, PageKeys, PageState, PageWrites, StoredRecord};
use crate::store::{
    Page, StoreError, SubscribeLimits, SubscribeRefusal, Subscribed, LOOKUP_WINDOW_SECS,
};
use nac_protocol::{Change, PersonKey, RevokedSerial};

const ACTIVE_CODE: &str =
    "SELECT a.person_key, a.channel, a.serial, a.issued_at, a.expires_at, a.kid, a.credential,
            a.epoch_no
     FROM active_codes ac JOIN applications a ON a.id = ac.application_id
     WHERE ac.person_key = ?1";

fn code_columns(r: &Row<'_>, at: usize) -> rusqlite::Result<CodeColumns> {
    Ok(CodeColumns {
        person_key: r.get(at)?,
        channel: r.get(at + 1)?,
        serial: r.get(at + 2)?,
        issued_at: r.get(at + 3)?,
        expires_at: r.get(at + 4)?,
        kid: r.get(at + 5)?,
        credential: r.get(at + 6)?,
    })
}

/// The active code of a person, if any.
pub fn active_code(conn: &Connection, person_key: &str) -> Result<Option<ActiveCode>, StoreError> {
    let row = conn
        .prepare_cached(ACTIVE_CODE)?
        .query_row(params![person_key], |r| {
            Ok((code_columns(r, 0)?, r.get(7)?))
        })
        .optional()?;
    row.map(|(columns, epoch_no)| {
        Ok(ActiveCode {
            code: columns.into_code()?,
            epoch_no,
        })
    })
    .transpose()
}

/// The newest change sequence number (0 if none).
pub fn max_seq(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?,
    )
}

/// Loads what the page's events touch.
pub fn load(tx: &Transaction<'_>, keys: &PageKeys) -> Result<PageState, StoreError> {
    let mut state = PageState::default();
    {
        let mut stmt = tx
            .prepare_cached("SELECT content_hash, answer FROM event_records WHERE event_id = ?1")?;
        for id in &keys.event_ids {
            let found = stmt
                .query_row(params![id], |r| {
                    Ok(StoredRecord {
                        content_hash: r.get(0)?,
                        answer: r.get(1)?,
                    })
                })
                .optional()?;
            if let Some(record) = found {
                state.records.insert(id.clone(), record);
            }
        }
    }
    {
        let mut stmt =
            tx.prepare_cached("SELECT 1 FROM applications WHERE kid = ?1 AND serial = ?2")?;
        for code in &keys.codes {
            if stmt.exists(params![code.0, code.1])? {
                state.taken_codes.insert(code.clone());
            }
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "SELECT day FROM applications WHERE person_key = ?1 AND status = 'accepted'",
        )?;
        for person in &keys.person_keys {
            let days = stmt.query_map(params![person], |r| r.get::<_, i64>(0))?;
            for day in days {
                state.accepted_days.insert((person.clone(), day?));
            }
            if let Some(code) = active_code(tx, person)? {
                state.active.insert(person.clone(), code);
            }
        }
    }
    Ok(state)
}

fn application_id(tx: &Transaction<'_>, code: &CodeRef) -> Result<i64, StoreError> {
    tx.prepare_cached("SELECT id FROM applications WHERE kid = ?1 AND serial = ?2")?
        .query_row(params![code.0, code.1], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("no application {}/{}", code.0, code.1)))
}

/// Writes a page's decisions (applications first: the other tables refer to them).
pub fn write(tx: &Transaction<'_>, w: &PageWrites, now: i64) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at, expires_at,
             channel, capacity, volunteer, credential, supersedes, status, reason, received_at,
             epoch_no)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for a in &w.applications {
        insert.execute(params![
            a.code.serial,
            a.code.kid.to_string(),
            a.event_id,
            a.code.person_key.as_str(),
            a.day,
            a.code.issued_at,
            a.code.expires_at,
            a.code.channel.as_str(),
            a.capacity,
            a.volunteer,
            a.code.credential,
            a.supersedes,
            a.status,
            a.reason,
            a.received_at,
            a.epoch_no,
        ])?;
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO active_codes (person_key, application_id) VALUES (?1, ?2)
         ON CONFLICT (person_key) DO UPDATE SET application_id = excluded.application_id",
    )?;
    for (person, code) in &w.active {
        upsert.execute(params![person, application_id(tx, code)?])?;
    }
    let mut record = tx.prepare_cached(
        "INSERT INTO event_records (event_id, station, content_hash, answer, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in &w.records {
        record.execute(params![
            r.event_id,
            r.station,
            r.content_hash,
            r.answer,
            r.received_at
        ])?;
    }
    let mut change = tx.prepare_cached(
        "INSERT INTO changes (person_key, kind, application_id, by_application, reason)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &w.changes {
        let by = c.by.as_ref().map(|b| application_id(tx, b)).transpose()?;
        change.execute(params![
            c.person_key,
            change_kind_name(c.kind),
            application_id(tx, &c.code)?,
            by,
            c.reason.map(|r| r.as_str()),
        ])?;
    }
    let mut subscribe = tx.prepare_cached(
        "INSERT INTO subscriptions (station, person_key, subscribed_at, refreshed_at)
         VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (station, person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
    )?;
    for person in &w.subscriptions {
        subscribe.execute(params![w.station, person, now])?;
    }
    Ok(())
}

/// Subscribes `station` to `keys` within `limits` (one transaction; a refusal writes nothing
/// but the district event).
pub fn subscribe(
    conn: &mut Connection,
    station: &str,
    keys: &[PersonKey],
    limits: SubscribeLimits,
    now: i64,
) -> Result<Result<Subscribed, SubscribeRefusal>, StoreError> {
    let mut sorted: Vec<&str> = keys.iter().map(PersonKey::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut new_keys = 0i64;
    let mut known_at_hub = 0i64;
    {
        let mut held = tx
            .prepare_cached("SELECT 1 FROM subscriptions WHERE station = ?1 AND person_key = ?2")?;
        let mut known = tx.prepare_cached("SELECT 1 FROM active_codes WHERE person_key = ?1")?;
        for key in &sorted {
            if !held.exists(params![station, key])? {
                new_keys += 1;
                if known.exists(params![key])? {
                    known_at_hub += 1;
                }
            }
        }
    }
    let (total, recent): (i64, i64) = tx.query_row(
        "SELECT count(*), count(*) FILTER (WHERE subscribed_at > ?2)
         FROM subscriptions WHERE station = ?1",
        params![station, now - LOOKUP_WINDOW_SECS],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let refusal = if total + new_keys > limits.max_total {
        Some(SubscribeRefusal::TooMany {
            allowed: limits.max_total,
        })
    } else if recent + new_keys > limits.max_new_per_day {
        Some(SubscribeRefusal::TooFast {
            allowed: limits.max_new_per_day,
        })
    } else {
        None
    };
    if let Some(refusal) = refusal {
        super::admin::record_event(
            &tx,
            "subscription_refused",
            Some(station),
            &crate::store::lookup_detail(new_keys, known_at_hub, recent, Some(refusal)),
            now,
        )?;
        tx.commit()?;
        return Ok(Err(refusal));
    }
    if new_keys > 0
        && recent < limits.alert_new_per_day
        && recent + new_keys >= limits.alert_new_per_day
    {
        super::admin::record_event(
            &tx,
            "bulk_lookup",
            Some(station),
            &crate::store::lookup_detail(new_keys, known_at_hub, recent, None),
            now,
        )?;
    }
    let mut added = 0u64;
    let mut active = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO subscriptions (station, person_key, subscribed_at, refreshed_at)
             VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (station, person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
        )?;
        let mut exists = tx
            .prepare_cached("SELECT 1 FROM subscriptions WHERE station = ?1 AND person_key = ?2")?;
        for key in &sorted {
            if !exists.exists(params![station, key])? {
                added += 1;
            }
            insert.execute(params![station, key, now])?;
            if let Some(code) = active_code(&tx, key)? {
                active.push(code.code);
            }
        }
    }
    tx.commit()?;
    Ok(Ok(Subscribed { added, active }))
}

/// A pull row: `seq, kind, person_key, serial, by_serial, reason, channel, issued_at,
/// expires_at, kid, credential, by_kid`.
fn change_from_row(r: &Row<'_>) -> Result<Change, StoreError> {
    let kind: String = r.get(1)?;
    let code = CodeColumns {
        person_key: r.get(2)?,
        serial: r.get(3)?,
        channel: r.get(6)?,
        issued_at: r.get(7)?,
        expires_at: r.get(8)?,
        kid: r.get(9)?,
        credential: r.get(10)?,
    };
    let by: Option<String> = r.get(4)?;
    let by_kid: Option<String> = r.get(11)?;
    change_from_parts(&kind, by.zip(by_kid), r.get(5)?, code)
}

pub fn pull(
    conn: &mut Connection,
    station: &str,
    since: i64,
    limit: usize,
) -> Result<Page<Change>, StoreError> {
    let tx = conn.transaction()?;
    let mut stmt = tx.prepare_cached(
        "SELECT c.seq, c.kind, c.person_key, a.serial, b.serial, c.reason,
                a.channel, a.issued_at, a.expires_at, a.kid, a.credential, b.kid
         FROM changes c
         JOIN subscriptions s ON s.station = ?1 AND s.person_key = c.person_key
         JOIN applications a ON a.id = c.application_id
         LEFT JOIN applications b ON b.id = c.by_application
         WHERE c.seq > ?2 ORDER BY c.seq LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![station, since, limit as i64 + 1])?;
    let mut items = Vec::new();
    let mut last = since;
    let mut more = false;
    while let Some(r) = rows.next()? {
        if items.len() == limit {
            more = true;
            break;
        }
        last = r.get(0)?;
        items.push(change_from_row(r)?);
    }
    drop(rows);
    drop(stmt);
    // Not `max(head, since)`: a cursor beyond the feed means the hub was restored from a
    // backup, and the station must be told (its `next` comes back lower than its `since`).
    let next = if more { last } else { max_seq(&tx)? };
    Ok(Page { items, next, more })
}

pub fn revocations(
    conn: &mut Connection,
    since: i64,
    limit: usize,
) -> Result<Page<RevokedSerial>, StoreError> {
    let tx = conn.transaction()?;
    let mut stmt = tx.prepare_cached(
        "SELECT c.seq, a.serial, a.kid, c.kind FROM changes c
         JOIN applications a ON a.id = c.application_id
         WHERE c.kind <> 'issued' AND c.seq > ?1 ORDER BY c.seq LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![since, limit as i64 + 1])?;
    let mut items = Vec::new();
    let (mut last, mut more) = (since, false);
    while let Some(r) = rows.next()? {
        if items.len() == limit {
            more = true;
            break;
        }
        last = r.get(0)?;
        let (serial, kid, kind): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(3)?);
        items.push(revoked(serial, &kid, &kind)?);
    }
    drop(rows);
    drop(stmt);
    let next = if more { last } else { max_seq(&tx)? };
    Ok(Page { items, next, more })
}
