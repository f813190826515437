//! The audit log as a hash chain: every row carries the hash of the row before it and its own,
//! so an edited, deleted or reordered row is found by [`verify`] — by anyone holding the file,
//! without a key.
//!
//! Why a chain and not only triggers: the append-only triggers stop the app and a careless
//! script, but anyone with the file and a SQLite shell can drop them. The chain makes such an
//! edit *visible*. It cannot stop someone from rewriting the whole chain from the edited row
//! on; that is closed by the heads each sync anchors with the hub (`station/sync/anchors.rs`,
//! docs/sync.md §5.8): a rewritten row no longer matches the hash the hub holds.
//! The head (last id and hash) is also kept in `audit_head`, so cutting rows off the end shows.
//!
//! Rows are written only by [`append`], inside the caller's write transaction, which
//! serialises writers: ids are consecutive and each row's `prev_hash` is the hash of the row
//! with the id before it.
//!
//! # The hash input (chain version 2, schema 8)
//!
//! Each field is a netstring — its UTF-8 length in bytes in decimal, `:`, the bytes, `,` — after
//! a version tag, so no two different rows hash the same input ([`row_hash`]):
//!
//! ```text
//! SHA-256( ns("nac-audit-2") ns(prev_hash) ns(id) ns(at) ns(source) ns(volunteer_id) ns(action) ns(subject) )
//! ns(x) = len(x) ":" x ","        volunteer_id is "" when there is none
//! ```
//!
//! Version 1 (schemas 4–7) joined the fields with `\n`, which a field may contain: an action
//! `a\nb` with subject `c` hashed like action `a` with subject `b\nc`, so a row could be edited
//! without changing its hash. Migration 8 (`rechain`) recomputes every row's hashes with
//! version 2 and keeps what version 1 said, because the hub holds version-1 hashes of the rows
//! it anchored before the migration:
//!
//! * every pre-migration row keeps its version-1 hashes in `v1_prev_hash`/`v1_hash`, and
//!   [`verify`] still checks them against the row's content (so a row broken before the
//!   migration stays reported, and an old row edited after it is caught by both chains);
//! * the migration appends an `audit.rechain` row recording the version-1 head it re-chained
//!   from (`audit_head` before the migration), so rows cut off the end before the migration
//!   stay reported as cut;
//! * the anchor check compares a hub's hash with the row's version-1 hash when the row has one
//!   ([`anchored_hash`]): old anchors neither break nor vouch for an edit of an old row.
//!
//! Texts in the log are whatever was typed (a sign-in name, a file name): screens and the
//! export show them through [`escape_text`], so a newline cannot fake a row and a terminal
//! escape cannot reach the terminal.

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

/// The version tag, the first netstring of every version-2 hash input.
pub const CHAIN_TAG: &str = "nac-audit-2";

/// The action of the row migration 8 appends after re-chaining.
pub const RECHAIN_ACTION: &str = "audit.rechain";

fn netstring(out: &mut Vec<u8>, field: &str) {
    out.extend_from_slice(field.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(field.as_bytes());
    out.push(b',');
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a row (chain version 2): SHA-256 of the netstrings of [`CHAIN_TAG`], `prev`,
/// id, at, source, volunteer id (empty for none), action and subject, as 64 lowercase hex
/// digits (see the module docs).
pub fn row_hash(prev: &str, e: &Entry<'_>) -> String {
    let volunteer = e.volunteer_id.map(|v| v.to_string()).unwrap_or_default();
    let mut input = Vec::with_capacity(96 + e.source.len() + e.action.len() + e.subject.len());
    for field in [
        CHAIN_TAG,
        prev,
        &e.id.to_string(),
        &e.at.to_string(),
        e.source,
        &volunteer,
        e.action,
        e.subject,
    ] {
        netstring(&mut input, field);
    }
    hex(&Sha256::digest(&input))
}

/// The hash of a row in chain version 1 (schemas 4–7), ambiguous:
/// `SHA-256(prev "\n" id "\n" at "\n" source "\n" volunteer "\n" action "\n" subject)`.
/// Only for checking rows written before migration 8 and the anchors the hub holds of them.
pub fn row_hash_v1(prev: &str, e: &Entry<'_>) -> String {
    let volunteer = e.volunteer_id.map(|v| v.to_string()).unwrap_or_default();
    let text = format!(
        "{prev}\n{}\n{}\n{}\n{volunteer}\n{}\n{}",
        e.id, e.at, e.source, e.action, e.subject
    );
    hex(&Sha256::digest(text.as_bytes()))
}

/// Characters a screen, terminal or spreadsheet would act on rather than show: C0 and C1
/// controls (newline, ESC of terminal escapes, …), DEL, the line and paragraph separators, the
/// bidirectional overrides and isolates, and the invisible zero-width characters (one would
/// make `admin` and `ad\u{200b}min` two accounts that look the same).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `text` as screens and the export show it: every [`is_unsafe_char`] as `\u{…}` (hex, as
/// Rust writes it) and a backslash doubled, so the result is one line, inert in a terminal,
/// and [`unescape_text`] gives the stored text back exactly (to recheck a hash from an export).
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_unsafe_char(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The inverse of [`escape_text`]; `None` for text it cannot have produced.
pub fn unescape_text(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let mut digits = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        d if d.is_ascii_hexdigit() && digits.len() < 6 => digits.push(d),
                        _ => return None,
                    }
                }
                out.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
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
    append_with(conn, row_hash, at, source, volunteer_id, action, subject)
}

fn append_with(
    conn: &Connection,
    hash_of: fn(&str, &Entry<'_>) -> String,
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
    let hash = hash_of(&prev, &entry);
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
/// moved, or rows cut off the end. Rows written before migration 8 are checked in both chain
/// versions (see the module docs).
pub fn verify(conn: &Connection) -> rusqlite::Result<AuditCheck> {
    let mut stmt = conn.prepare(
        "SELECT id, at, source, volunteer_id, action, subject, prev_hash, hash,
                v1_prev_hash, v1_hash
         FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    // The version-1 chain: the hash of the last pre-migration row, until the first newer row.
    let mut v1 = V1Walk::Rows(GENESIS.to_string());
    let mut expected_id = 1i64;
    let mut count = 0u64;
    let found = |rows: u64, p: AuditProblem| AuditCheck {
        rows,
        problem: Some(p),
    };
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
        let v1_stored: Option<(String, String)> = match (r.get(8)?, r.get(9)?) {
            (Some(p), Some(h)) => Some((p, h)),
            (None, None) => None,
            _ => return Ok(found(count, edited(id))),
        };
        if id != expected_id {
            return Ok(found(count, deleted(expected_id)));
        }
        if stored_prev != prev {
            return Ok(found(count, moved(id)));
        }
        if row_hash(&prev, &entry) != stored {
            return Ok(found(count, edited(id)));
        }
        // Version 1: a prefix of the log, then the re-chain row naming its head.
        v1 = match (v1, v1_stored) {
            (V1Walk::Rows(v1_prev), Some((stored_v1_prev, stored_v1))) => {
                if stored_v1_prev != v1_prev {
                    return Ok(found(count, moved(id)));
                }
                if row_hash_v1(&v1_prev, &entry) != stored_v1 {
                    return Ok(found(count, edited(id)));
                }
                V1Walk::Rows(stored_v1)
            }
            (V1Walk::Rows(v1_last), None) if v1_last != GENESIS => {
                // The first row after the migration's: the re-chain row, naming the head the
                // version-1 log had (rows cut off before the migration show here).
                let Some((head_id, head_hash)) = parse_rechain(&entry) else {
                    return Ok(found(count, edited(id)));
                };
                if head_id > id - 1 {
                    return Ok(found(count, truncated(id, head_id)));
                }
                if head_id != id - 1 || head_hash != v1_last {
                    return Ok(found(count, moved(id)));
                }
                V1Walk::Done
            }
            (V1Walk::Rows(_), None) | (V1Walk::Done, None) => V1Walk::Done,
            // A version-1 row after a newer row cannot have been written by the migration.
            (V1Walk::Done, Some(_)) => return Ok(found(count, edited(id))),
        };
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
            return Ok(found(count, truncated(expected_id, head_id)));
        }
    }
    // Only pre-migration rows, without the re-chain row after them: it was cut off.
    if matches!(&v1, V1Walk::Rows(last) if last != GENESIS) {
        return Ok(found(count, truncated(expected_id, expected_id)));
    }
    Ok(AuditCheck {
        rows: count,
        problem: None,
    })
}

/// Where [`verify`] is in the version-1 part of the log.
enum V1Walk {
    /// Still in the pre-migration rows; the last one's version-1 hash.
    Rows(String),
    /// Past them.
    Done,
}

fn deleted(row: i64) -> AuditProblem {
    AuditProblem {
        row,
        kind: "deleted",
        message: format!("审计记录{row}已被删除 / audit row {row} was deleted"),
    }
}

fn moved(row: i64) -> AuditProblem {
    AuditProblem {
        row,
        kind: "moved",
        message: format!("审计记录{row}与前一条不衔接（被移动或替换） / audit row {row} does not follow the row before it (moved or replaced)"),
    }
}

fn edited(row: i64) -> AuditProblem {
    AuditProblem {
        row,
        kind: "edited",
        message: format!("审计记录{row}的内容已被修改 / audit row {row} was edited"),
    }
}

fn truncated(row: i64, head_id: i64) -> AuditProblem {
    AuditProblem {
        row,
        kind: "truncated",
        message: format!(
            "审计记录{row}至{head_id}已被删除 / audit rows {row}–{head_id} were cut off the end"
        ),
    }
}

/// The subject of the re-chain row: `from chain 1 head ID HASH`.
fn rechain_subject(head_id: i64, head_hash: &str) -> String {
    format!("from chain 1 head {head_id} {head_hash}")
}

fn parse_rechain(e: &Entry<'_>) -> Option<(i64, String)> {
    if e.action != RECHAIN_ACTION {
        return None;
    }
    let rest = e.subject.strip_prefix("from chain 1 head ")?;
    let (id, hash) = rest.split_once(' ')?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((id.parse().ok()?, hash.to_string()))
}

/// The hash the hub should hold for row `seq` if it anchored it: the version-1 hash of a row
/// written before migration 8 (the hub got it then), the row's hash otherwise; `None` when the
/// log has no such row. Like the hashes [`verify`] checks, it is read as stored.
pub fn anchored_hash(conn: &Connection, seq: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT coalesce(v1_hash, hash) FROM audit_log WHERE id = ?1")?
        .query_row([seq], |r| r.get(0))
        .optional()
}

/// Migration 8's Rust step: every row's hashes recomputed with chain version 2, the version-1
/// ones kept beside them, and an [`RECHAIN_ACTION`] row recording the version-1 head (from
/// `audit_head`, else the last row) appended. Ids and contents are untouched, so a row deleted
/// or moved before the migration still shows; the row's time is the newest row's (migrations
/// have no clock), its source `migration`.
pub(crate) fn rechain(tx: &Connection) -> rusqlite::Result<()> {
    struct Row {
        id: i64,
        at: i64,
        source: String,
        volunteer_id: Option<i64>,
        action: String,
        subject: String,
        v1_prev: String,
        v1_hash: String,
    }
    let rows: Vec<Row> = {
        let mut stmt = tx.prepare(
            "SELECT id, at, source, volunteer_id, action, subject, prev_hash, hash
             FROM audit_log ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                at: r.get(1)?,
                source: r.get(2)?,
                volunteer_id: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                v1_prev: r.get(6)?,
                v1_hash: r.get(7)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let (last_id, last_at) = (last.id, last.at);
    let v1_head: (i64, String) = tx
        .query_row("SELECT id, hash FROM audit_head WHERE one = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or_else(|| (last.id, last.v1_hash.clone()));
    tx.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update;
         DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )?;
    let mut prev = GENESIS.to_string();
    {
        let mut update = tx.prepare(
            "UPDATE audit_log SET prev_hash = ?2, hash = ?3, v1_prev_hash = ?4, v1_hash = ?5
             WHERE id = ?1",
        )?;
        for row in &rows {
            let hash = row_hash(
                &prev,
                &Entry {
                    id: row.id,
                    at: row.at,
                    source: &row.source,
                    volunteer_id: row.volunteer_id,
                    action: &row.action,
                    subject: &row.subject,
                },
            );
            update.execute(params![row.id, prev, hash, row.v1_prev, row.v1_hash])?;
            prev = hash;
        }
    }
    write_head(tx, last_id, &prev)?;
    append(
        tx,
        last_at,
        "migration",
        None,
        RECHAIN_ACTION,
        &rechain_subject(v1_head.0, &v1_head.1),
    )?;
    tx.execute_batch(APPEND_ONLY_TRIGGERS)
}

const APPEND_ONLY_TRIGGERS: &str = "
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;";

/// Migration 4's Rust step: copies the rows of `audit_log_v3` into the chained table in id
/// order (renumbered consecutively), drops the old table and recreates the append-only
/// triggers. It chains with version 1, as it did when released: migration 8 re-chains.
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
        append_with(tx, row_hash_v1, *at, source, *volunteer_id, action, subject)?;
    }
    tx.execute_batch(&format!("DROP TABLE audit_log_v3; {APPEND_ONLY_TRIGGERS}"))
}
