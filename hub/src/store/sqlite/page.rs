//! Loading a page's state and writing its decisions, on SQLite.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use crate::store::rows::{change_from_parts, change_kind_name, CodeColumns};
use crate::store::rules::{PageKeys, PageState, PageWrites, StoredRecord};
use crate::store::StoreError;
use nac_protocol::{Change, IssuedCode};

const ACTIVE_CODE: &str =
    "SELECT a.person_key, a.channel, a.serial, a.issued_at, a.expires_at, a.kid, a.credential
     FROM active_codes ac JOIN applications a ON a.serial = ac.serial
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
pub fn active_code(
    tx: &Transaction<'_>,
    person_key: &str,
) -> Result<Option<IssuedCode>, StoreError> {
    tx.prepare_cached(ACTIVE_CODE)?
        .query_row(params![person_key], |r| code_columns(r, 0))
        .optional()?
        .map(CodeColumns::into_code)
        .transpose()
}

/// A pull row: `seq, kind, person_key, serial, by_serial, reason, channel, issued_at,
/// expires_at, kid, credential`.
pub fn change_from_row(r: &Row<'_>) -> Result<Change, StoreError> {
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
    change_from_parts(&kind, r.get(4)?, r.get(5)?, code)
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
        let mut stmt = tx.prepare_cached("SELECT 1 FROM applications WHERE serial = ?1")?;
        for serial in &keys.serials {
            if stmt.exists(params![serial])? {
                state.taken_serials.insert(serial.clone());
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

/// Writes a page's decisions (applications first: the other tables refer to them).
pub fn write(tx: &Transaction<'_>, w: &PageWrites) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO applications (serial, event_id, person_key, day, issued_at, expires_at, kid,
             channel, capacity, volunteer, credential, supersedes, status, reason, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for a in &w.applications {
        insert.execute(params![
            a.code.serial,
            a.event_id,
            a.code.person_key.as_str(),
            a.day,
            a.code.issued_at,
            a.code.expires_at,
            a.code.kid.to_string(),
            a.code.channel.as_str(),
            a.capacity,
            a.volunteer,
            a.code.credential,
            a.supersedes,
            a.status,
            a.reason,
            a.received_at,
        ])?;
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO active_codes (person_key, serial, issued_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (person_key) DO UPDATE SET serial = excluded.serial, issued_at = excluded.issued_at",
    )?;
    for (person, (serial, issued_at)) in &w.active {
        upsert.execute(params![person, serial, issued_at])?;
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
        "INSERT INTO changes (person_key, kind, serial, by_serial, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &w.changes {
        change.execute(params![
            c.person_key,
            change_kind_name(c.kind),
            c.serial,
            c.by,
            c.reason.map(|r| r.as_str()),
        ])?;
    }
    let mut subscribe = tx.prepare_cached(
        "INSERT OR IGNORE INTO subscriptions (station, person_key) VALUES (?1, ?2)",
    )?;
    for person in &w.subscriptions {
        subscribe.execute(params![w.station, person])?;
    }
    Ok(())
}
