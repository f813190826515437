//! The audit log as a hash chain: every row carries the hash of the row before it and its own,
//! so an edited, deleted or reordered row is found by [`verify`] — by anyone holding the file,
//! without a key.
//!
//! Why a chain and not only triggers: the append-only triggers stop the app and a careless
//! script, but anyone with the file and a SQLite shell can drop them. The chain makes such an
//! edit *visible*. It cannot stop someone from rewriting the whole chain from the edited row
//! on; anchoring the head with the hub is what closes that (noted for the sync of audit heads).
//! The head (last id and hash) is also kept in `audit_head`, so cutting rows off the end shows.
//!
//! Rows are written only by [`append`], inside the caller's write transaction, which
//! serialises writers: ids are consecutive and each row's `prev_hash` is the hash of the row
//! with the id before it.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row's content as hashed.
pub struct Entry<'a> {
    pub id: i64,
    pub at: i64,
    pub source: &'a str,
    pub volunteer_id: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
}

/// `SHA-256(prev "\n" id "\n" at "\n" source "\n" volunteer "\n" action "\n" subject)`, hex.
pub fn row_hash(prev: &str, e: &Entry<'_>) -> String {
    let volunteer = e.volunteer_id.map(|v| v.to_string()).unwrap_or_default();
    let text = format!(
        "{prev}\n{}\n{}\n{}\n{volunteer}\n{}\n{}",
        e.id, e.at, e.source, e.action, e.subject
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The newest row's id and hash (`(0, GENESIS)` for an empty log).
pub fn head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    Ok(conn
        .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_string())))
}

fn write_head(conn: &Connection, id: i64, hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_head (one, id, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (one) DO UPDATE SET id = excluded.id, hash = excluded.hash",
    )?
    .execute(params![id, hash])?;
    Ok(())
}

/// Appends a row to the chain (inside the caller's write transaction).
pub fn append(
    conn: &Connection,
    at: i64,
    source: &str,
    volunteer_id: Option<i64>,
    action: &str,
    subject: &str,
) -> rusqlite::Result<()> {
    let (last, prev) = head(conn)?;
    let entry = Entry {
        id: last + 1,
        at,
        source,
        volunteer_id,
        action,
        subject,
    };
    let hash = row_hash(&prev, &entry);
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, source, volunteer_id, action, subject, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry.id,
        at,
        source,
        volunteer_id,
        action,
        subject,
        prev,
        hash
    ])?;
    write_head(conn, entry.id, &hash)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    /// Rows read.
    pub rows: u64,
    /// The first broken row, if any.
    pub problem: Option<AuditProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    /// The row (id) where the chain breaks.
    pub row: i64,
    /// `edited`, `deleted`, `moved` (reordered) or `truncated` (rows cut off the end).
    pub kind: &'static str,
    pub message: String,
}

/// Walks the chain from the first row and names the first row that was edited, deleted or
/// moved, or rows cut off the end.
pub fn verify(conn: &Connection) -> rusqlite::Result<AuditCheck> {
    let mut stmt = conn.prepare(
        "SELECT id, at, source, volunteer_id, action, subject, prev_hash, hash
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1i64;
    let mut count = 0u64;
    let problem =
        |row: i64, kind: &'static str, message: String| AuditProblem { row, kind, message };
    while let Some(r) = rows.next()? {
        count += 1;
        let id: i64 = r.get(0)?;
        let source: String = r.get(2)?;
        let action: String = r.get(4)?;
        let subject: String = r.get(5)?;
        let entry = Entry {
            id,
            at: r.get(1)?,
            source: &source,
            volunteer_id: r.get(3)?,
            action: &action,
            subject: &subject,
        };
        let stored_prev: String = r.get(6)?;
        let stored: String = r.get(7)?;
        if id != expected_id {
            let p = problem(
                expected_id,
                "deleted",
                format!("审计记录{expected_id}已被删除 / audit row {expected_id} was deleted"),
            );
            return Ok(AuditCheck {
                rows: count,
                problem: Some(p),
            });
        }
        if stored_prev != prev {
            let p = problem(
                id,
                "moved",
                format!("审计记录{id}与前一条不衔接（被移动或替换） / audit row {id} does not follow the row before it (moved or replaced)"),
            );
            return Ok(AuditCheck {
                rows: count,
                problem: Some(p),
            });
        }
        if row_hash(&prev, &entry) != stored {
            let p = problem(
                id,
                "edited",
                format!("审计记录{id}的内容已被修改 / audit row {id} was edited"),
            );
            return Ok(AuditCheck {
                rows: count,
                problem: Some(p),
            });
        }
        prev = stored;
        expected_id = id + 1;
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT id, hash FROM audit_head WHERE one = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((head_id, head_hash)) = head {
        if head_id != expected_id - 1 || head_hash != prev {
            let p = problem(
                expected_id,
                "truncated",
                format!(
                    "审计记录{expected_id}至{head_id}已被删除 / audit rows {expected_id}–{head_id} were cut off the end"
                ),
            );
            return Ok(AuditCheck {
                rows: count,
                problem: Some(p),
            });
        }
    }
    Ok(AuditCheck {
        rows: count,
        problem: None,
    })
}

/// Migration 4's Rust step: copies the rows of `audit_log_v3` into the chained table in id
/// order (renumbered consecutively), drops the old table and recreates the append-only
/// triggers.
pub(crate) fn chain_legacy_rows(tx: &Connection) -> rusqlite::Result<()> {
    let legacy: Vec<(i64, String, Option<i64>, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT at, source, volunteer_id, action, subject FROM audit_log_v3 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (at, source, volunteer_id, action, subject) in &legacy {
        append(tx, *at, source, *volunteer_id, action, subject)?;
    }
    tx.execute_batch(
        "DROP TABLE audit_log_v3;
         CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
    )
}
