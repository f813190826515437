//! Loading a page's state and writing its decisions on PostgreSQL, in a constant number of
//! round trips per page (arrays and `unnest`), whatever its size.

use deadpool_postgres::Transaction;
use nac_protocol::Change;
use tokio_postgres::Row;

use crate::store::rows::{change_from_parts, change_kind_name, CodeColumns};
use crate::store::rules::{ActiveCode, PageKeys, PageState, PageWrites, StoredRecord};
use crate::store::StoreError;

/// Advisory lock key serialising appends to the change feed ("NACFEED").
const CHANGE_FEED_LOCK: i64 = 0x004e_4143_4645_4544;

fn code_columns(r: &Row, at: usize) -> Result<CodeColumns, StoreError> {
    Ok(CodeColumns {
        person_key: r.try_get(at)?,
        channel: r.try_get(at + 1)?,
        serial: r.try_get(at + 2)?,
        issued_at: r.try_get(at + 3)?,
        expires_at: r.try_get(at + 4)?,
        kid: r.try_get(at + 5)?,
        credential: r.try_get(at + 6)?,
    })
}

/// Locks the page's person keys, in sorted order, until the transaction ends.
pub async fn lock_persons(tx: &Transaction<'_>, keys: &PageKeys) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .await?;
    for person in &keys.person_keys {
        tx.execute(&stmt, &[person]).await?;
    }
    Ok(())
}

/// The active codes of `persons`, ordered by person key.
pub async fn active_codes(
    tx: &Transaction<'_>,
    persons: &[String],
) -> Result<Vec<ActiveCode>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT a.person_key, a.channel, a.serial, a.issued_at, a.expires_at, a.kid,
                    a.credential, a.epoch_no
             FROM active_codes ac JOIN applications a ON a.id = ac.application_id
             WHERE ac.person_key = ANY($1) ORDER BY ac.person_key",
        )
        .await?;
    tx.query(&stmt, &[&persons])
        .await?
        .iter()
        .map(|r| {
            Ok(ActiveCode {
                code: code_columns(r, 0)?.into_code()?,
                epoch_no: r.try_get(7)?,
            })
        })
        .collect()
}

/// A pull row (same columns as the SQLite query).
pub fn change_from_row(r: &Row) -> Result<Change, StoreError> {
    let kind: String = r.try_get(1)?;
    let code = CodeColumns {
        person_key: r.try_get(2)?,
        serial: r.try_get(3)?,
        channel: r.try_get(6)?,
        issued_at: r.try_get(7)?,
        expires_at: r.try_get(8)?,
        kid: r.try_get(9)?,
        credential: r.try_get(10)?,
    };
    let by: Option<String> = r.try_get(4)?;
    let by_kid: Option<String> = r.try_get(11)?;
    change_from_parts(&kind, by.zip(by_kid), r.try_get(5)?, code)
}

/// The newest change sequence number (0 if none).
pub async fn max_seq(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx
        .query_one("SELECT COALESCE(MAX(seq), 0)::bigint FROM changes", &[])
        .await?
        .try_get(0)?)
}

/// Loads what the page's events touch (the person keys are locked already).
pub async fn load(tx: &Transaction<'_>, keys: &PageKeys) -> Result<PageState, StoreError> {
    let mut state = PageState::default();
    let stmt = tx
        .prepare_cached(
            "SELECT event_id, content_hash, answer FROM event_records WHERE event_id = ANY($1)",
        )
        .await?;
    for r in tx.query(&stmt, &[&keys.event_ids]).await? {
        state.records.insert(
            r.try_get(0)?,
            StoredRecord {
                content_hash: r.try_get(1)?,
                answer: r.try_get(2)?,
            },
        );
    }
    let kids: Vec<&str> = keys.codes.iter().map(|c| c.0.as_str()).collect();
    let serials: Vec<&str> = keys.codes.iter().map(|c| c.1.as_str()).collect();
    let stmt = tx
        .prepare_cached(
            "SELECT a.kid, a.serial FROM applications a
             JOIN unnest($1::text[], $2::text[]) AS t (k, s) ON a.kid = t.k AND a.serial = t.s",
        )
        .await?;
    for r in tx.query(&stmt, &[&kids, &serials]).await? {
        state.taken_codes.insert((r.try_get(0)?, r.try_get(1)?));
    }
    let stmt = tx
        .prepare_cached(
            "SELECT person_key, day FROM applications
             WHERE person_key = ANY($1) AND status = 'accepted'",
        )
        .await?;
    for r in tx.query(&stmt, &[&keys.person_keys]).await? {
        state.accepted_days.insert((r.try_get(0)?, r.try_get(1)?));
    }
    for code in active_codes(tx, &keys.person_keys).await? {
        state
            .active
            .insert(code.code.person_key.as_str().to_owned(), code);
    }
    Ok(state)
}

/// Writes a page's decisions: one statement per table, the change feed last and under its lock.
pub async fn write(tx: &Transaction<'_>, w: &PageWrites, now: i64) -> Result<(), StoreError> {
    write_applications(tx, w).await?;
    if !w.active.is_empty() {
        let persons: Vec<&str> = w.active.keys().map(String::as_str).collect();
        let kids: Vec<&str> = w.active.values().map(|c| c.0.as_str()).collect();
        let serials: Vec<&str> = w.active.values().map(|c| c.1.as_str()).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO active_codes (person_key, application_id)
                 SELECT t.p, a.id FROM unnest($1::text[], $2::text[], $3::text[]) AS t (p, k, s)
                 JOIN applications a ON a.kid = t.k AND a.serial = t.s
                 ON CONFLICT (person_key) DO UPDATE SET application_id = excluded.application_id",
            )
            .await?;
        tx.execute(&stmt, &[&persons, &kids, &serials]).await?;
    }
    if !w.records.is_empty() {
        let ids: Vec<&str> = w.records.iter().map(|r| r.event_id.as_str()).collect();
        let stations: Vec<&str> = w.records.iter().map(|r| r.station.as_str()).collect();
        let hashes: Vec<&str> = w.records.iter().map(|r| r.content_hash.as_str()).collect();
        let answers: Vec<&str> = w.records.iter().map(|r| r.answer.as_str()).collect();
        let times: Vec<i64> = w.records.iter().map(|r| r.received_at).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO event_records (event_id, station, content_hash, answer, received_at)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[])",
            )
            .await?;
        tx.execute(&stmt, &[&ids, &stations, &hashes, &answers, &times])
            .await?;
    }
    if !w.subscriptions.is_empty() {
        let persons: Vec<&str> = w.subscriptions.iter().map(String::as_str).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO subscriptions (station, person_key, subscribed_at, refreshed_at)
                 SELECT $1, k, $3, $3 FROM unnest($2::text[]) AS k
                 ON CONFLICT (station, person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
            )
            .await?;
        tx.execute(&stmt, &[&w.station, &persons, &now]).await?;
    }
    if !w.changes.is_empty() {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_FEED_LOCK])
            .await?;
        let persons: Vec<&str> = w.changes.iter().map(|c| c.person_key.as_str()).collect();
        let kinds: Vec<&str> = w.changes.iter().map(|c| change_kind_name(c.kind)).collect();
        let kids: Vec<&str> = w.changes.iter().map(|c| c.code.0.as_str()).collect();
        let serials: Vec<&str> = w.changes.iter().map(|c| c.code.1.as_str()).collect();
        let by_kids: Vec<Option<&str>> = w
            .changes
            .iter()
            .map(|c| c.by.as_ref().map(|b| b.0.as_str()))
            .collect();
        let by_serials: Vec<Option<&str>> = w
            .changes
            .iter()
            .map(|c| c.by.as_ref().map(|b| b.1.as_str()))
            .collect();
        let reasons: Vec<Option<&str>> = w
            .changes
            .iter()
            .map(|c| c.reason.map(|r| r.as_str()))
            .collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO changes (person_key, kind, application_id, by_application, reason)
                 SELECT t.p, t.kd, a.id, b.id, t.r
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[])
                      WITH ORDINALITY AS t (p, kd, k, s, bk, bs, r, n)
                 JOIN applications a ON a.kid = t.k AND a.serial = t.s
                 LEFT JOIN applications b ON b.kid = t.bk AND b.serial = t.bs
                 ORDER BY t.n",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &persons,
                &kinds,
                &kids,
                &serials,
                &by_kids,
                &by_serials,
                &reasons,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn write_applications(tx: &Transaction<'_>, w: &PageWrites) -> Result<(), StoreError> {
    if w.applications.is_empty() {
        return Ok(());
    }
    let apps = &w.applications;
    let serial: Vec<&str> = apps.iter().map(|a| a.code.serial.as_str()).collect();
    let event_id: Vec<&str> = apps.iter().map(|a| a.event_id.as_str()).collect();
    let person: Vec<&str> = apps.iter().map(|a| a.code.person_key.as_str()).collect();
    let day: Vec<i64> = apps.iter().map(|a| a.day).collect();
    let issued: Vec<i64> = apps.iter().map(|a| a.code.issued_at).collect();
    let expires: Vec<i64> = apps.iter().map(|a| a.code.expires_at).collect();
    let kid: Vec<String> = apps.iter().map(|a| a.code.kid.to_string()).collect();
    let channel: Vec<&str> = apps.iter().map(|a| a.code.channel.as_str()).collect();
    let capacity: Vec<&str> = apps.iter().map(|a| a.capacity).collect();
    let volunteer: Vec<Option<&str>> = apps.iter().map(|a| a.volunteer.as_deref()).collect();
    let credential: Vec<&str> = apps.iter().map(|a| a.code.credential.as_str()).collect();
    let supersedes: Vec<Option<&str>> = apps.iter().map(|a| a.supersedes.as_deref()).collect();
    let status: Vec<&str> = apps.iter().map(|a| a.status).collect();
    let reason: Vec<Option<&str>> = apps.iter().map(|a| a.reason).collect();
    let received: Vec<i64> = apps.iter().map(|a| a.received_at).collect();
    let epoch_no: Vec<i64> = apps.iter().map(|a| a.epoch_no).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO applications (serial, event_id, person_key, day, issued_at, expires_at,
                 kid, channel, capacity, volunteer, credential, supersedes, status, reason,
                 received_at, epoch_no)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[],
                 $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                 $12::text[], $13::text[], $14::text[], $15::int8[], $16::int8[])",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &serial,
            &event_id,
            &person,
            &day,
            &issued,
            &expires,
            &kid,
            &channel,
            &capacity,
            &volunteer,
            &credential,
            &supersedes,
            &status,
            &reason,
            &received,
            &epoch_no,
        ],
    )
    .await?;
    Ok(())
}
