//! Who needs a new code (R6): the status of every resident at an instant, lists with filters
//! and search, and one resident's full history.

use super::Station;
use crate::domain::document::mask_middle;
use crate::error::{Error, Result};
use crate::search::SearchTerm;
use crate::time::{cst_day, DAY_SECS};
use rusqlite::{types::ToSql, OptionalExtension, Row, Statement};
use serde::{Deserialize, Serialize};

/// The state of a resident's code at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    /// Valid, more than the expiring threshold left.
    Active,
    /// Valid, the threshold or fewer days left (R6).
    Expiring,
    /// Had a code; none is valid now (R4).
    Expired,
    /// Never had a code.
    Never,
}

impl CodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Active => "active",
            CodeState::Expiring => "expiring",
            CodeState::Expired => "expired",
            CodeState::Never => "never",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CodeState::Active => "有效",
            CodeState::Expiring => "临期",
            CodeState::Expired => "已过期",
            CodeState::Never => "未申领",
        }
    }

    /// Expired, expiring or never: due for renewal.
    pub fn is_due(self) -> bool {
        !matches!(self, CodeState::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentStatus {
    pub state: CodeState,
    /// The active code's serial, if any (also when it has run out: the last code issued).
    pub serial: Option<String>,
    pub issued_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// Whole days left, rounded up (a code issued now has 30); `None` without a valid code.
    pub days_left: Option<i64>,
    /// An application already counts for today (R3): another one would be refused.
    pub applied_today: bool,
    /// Printed cards of superseded or rejected codes still in circulation (R8).
    pub cards_to_replace: u32,
    /// Applications not yet accepted by the hub.
    pub queued_for_sync: u32,
}

impl ResidentStatus {
    /// Classifies a resident at `now` from their active code (serial, issued, expires).
    pub fn classify(
        active: Option<(String, i64, i64)>,
        ever_issued: bool,
        now: i64,
        expiring_days: u32,
    ) -> ResidentStatus {
        let (state, days_left) = match &active {
            Some((_, _, expires)) if *expires > now => {
                let left = expires - now;
                let days = (left + DAY_SECS - 1) / DAY_SECS;
                let state = if left <= i64::from(expiring_days) * DAY_SECS {
                    CodeState::Expiring
                } else {
                    CodeState::Active
                };
                (state, Some(days))
            }
            Some(_) => (CodeState::Expired, None),
            None if ever_issued => (CodeState::Expired, None),
            None => (CodeState::Never, None),
        };
        ResidentStatus {
            state,
            serial: active.as_ref().map(|a| a.0.clone()),
            issued_at: active.as_ref().map(|a| a.1),
            expires_at: active.as_ref().map(|a| a.2),
            days_left,
            applied_today: false,
            cards_to_replace: 0,
            queued_for_sync: 0,
        }
    }
}

/// A resident as listed on screen: masked identity, address, status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentRow {
    pub id: i64,
    pub uid: String,
    pub household_id: i64,
    pub name: String,
    pub document_type: String,
    pub masked_document: String,
    pub masked_phone: Option<String>,
    pub address: String,
    pub notes: String,
    pub has_smartphone: bool,
    pub status: ResidentStatus,
}

/// Which due residents a list shows; none set means everyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusFilter {
    pub expired: bool,
    pub expiring: bool,
    pub never: bool,
    pub cards_to_replace: bool,
}

impl StatusFilter {
    pub fn due() -> StatusFilter {
        StatusFilter {
            expired: true,
            expiring: true,
            never: true,
            cards_to_replace: false,
        }
    }

    /// One SQL condition per selected state, over `r`, `c` (the active code), `:now` and
    /// `:threshold`; a resident matches the filter when any of them holds.
    pub(super) fn sql_terms(&self) -> Vec<String> {
        let mut any = Vec::new();
        if self.expired {
            any.push(format!(
                "((c.id IS NOT NULL AND c.expires_at <= :now) OR (c.id IS NULL AND {EVER}))"
            ));
        }
        if self.expiring {
            any.push("(c.expires_at > :now AND c.expires_at <= :now + :threshold)".to_string());
        }
        if self.never {
            any.push(format!("(c.id IS NULL AND NOT {EVER})"));
        }
        if self.cards_to_replace {
            any.push(format!("{TO_REPLACE} > 0"));
        }
        any
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResidentQuery {
    pub search: Option<String>,
    pub filter: StatusFilter,
    pub household_id: Option<i64>,
    /// Overrides the station's expiring threshold for this query.
    pub expiring_within_days: Option<u32>,
    /// Evaluate statuses at this instant instead of now.
    pub at: Option<i64>,
    pub limit: Option<u32>,
    pub offset: u32,
}

/// Counts over the whole station, for the header and the sync screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StationCounts {
    pub households: u32,
    pub residents: u32,
    pub active: u32,
    pub expiring: u32,
    pub expired: u32,
    pub never: u32,
    pub cards_to_replace: u32,
    pub queued_for_sync: u32,
}

/// A code as shown in a resident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeView {
    pub serial: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub station_id: String,
    /// `active`, `superseded` or `rejected` (expiry is a matter of time, see [`CodeState`]).
    pub state: String,
    pub credential: String,
}

/// One application with the code it produced (R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub applied_at: i64,
    pub day: String,
    pub capacity: String,
    pub volunteer: Option<String>,
    pub channel: String,
    pub code: CodeView,
    pub cards_printed: u32,
    pub sync_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentDetail {
    pub row: ResidentRow,
    /// The last four characters of the document number, fewer when four would be more than
    /// half of it ([`crate::domain::document::document_tail`]).
    pub document_last4: String,
    pub birth_date: Option<String>,
    pub active_code: Option<CodeView>,
    pub history: Vec<HistoryEntry>,
}

pub(super) const EVER: &str = "EXISTS (SELECT 1 FROM codes x WHERE x.resident_id = r.id)";
pub(super) const TO_REPLACE: &str = "(SELECT count(*) FROM printed_cards p JOIN codes pc ON pc.id = p.code_id
     WHERE p.resident_id = r.id AND pc.state <> 'active' AND p.withdrawn_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM printed_cards q JOIN codes qc ON qc.id = q.code_id
                       WHERE q.resident_id = r.id AND qc.state = 'active' AND q.printed_at >= p.printed_at))";
const QUEUED: &str =
    "(SELECT count(*) FROM applications a2 JOIN outbox o ON o.application_id = a2.id
     WHERE a2.resident_id = r.id AND o.state IN ('queued', 'sending', 'error'))";
const APPLIED_TODAY: &str = "EXISTS (SELECT 1 FROM applications a WHERE a.resident_id = r.id
     AND a.day = :today AND a.state = 'accepted')";

fn row_select() -> String {
    format!(
        "SELECT r.id, r.uid, r.household_id, r.name, r.doc_type, r.doc_number, r.phone, r.notes,
                r.has_smartphone, h.district, h.road, h.lane, h.number, h.room,
                c.serial, c.issued_at, c.expires_at, {EVER}, {APPLIED_TODAY}, {TO_REPLACE}, {QUEUED}
         FROM residents r JOIN households h ON h.id = r.household_id
         LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'"
    )
}

/// Binds the named parameters that the statement actually uses.
pub(crate) fn bind(stmt: &mut Statement<'_>, values: &[(&str, &dyn ToSql)]) -> Result<()> {
    for (name, value) in values {
        if let Some(index) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

fn read_row(r: &Row<'_>, now: i64, expiring_days: u32) -> rusqlite::Result<ResidentRow> {
    let doc_number: String = r.get(5)?;
    let phone: Option<String> = r.get(6)?;
    let address = super::address_at(r, 9)?;
    let serial: Option<String> = r.get(14)?;
    let active = match serial {
        Some(s) => Some((s, r.get(15)?, r.get(16)?)),
        None => None,
    };
    let mut status = ResidentStatus::classify(active, r.get(17)?, now, expiring_days);
    status.applied_today = r.get(18)?;
    status.cards_to_replace = r.get(19)?;
    status.queued_for_sync = r.get(20)?;
    Ok(ResidentRow {
        id: r.get(0)?,
        uid: r.get(1)?,
        household_id: r.get(2)?,
        name: r.get(3)?,
        document_type: r.get(4)?,
        masked_document: crate::domain::document::mask_document(&doc_number),
        masked_phone: phone.as_deref().map(|p| mask_middle(p, 3, 4)),
        address: address.to_string(),
        notes: r.get(7)?,
        has_smartphone: r.get(8)?,
        status,
    })
}

impl Station {
    /// Residents matching `query`, in address order, with their status at `query.at` (or now).
    pub fn residents(&self, query: &ResidentQuery) -> Result<Vec<ResidentRow>> {
        let now = query.at.unwrap_or_else(|| self.now());
        let days = match query.expiring_within_days {
            Some(d) => d,
            None => self.expiring_days()?,
        };
        let (conditions, term) = conditions(query);
        // Page first on cheap columns, then compute the status columns for that page only:
        // a sorter would otherwise evaluate every subquery for every match.
        // Unfiltered (the first screen), walk households in address order and stop at the
        // page: CROSS JOIN fixes that loop order, so neither table is scanned and sorted whole
        // (on an encrypted file every page read is also decrypted). A search or filter drives
        // the plan from its own index instead.
        let from = if conditions.trim().is_empty() {
            "households h CROSS JOIN residents r ON r.household_id = h.id"
        } else {
            "residents r JOIN households h ON h.id = r.household_id"
        };
        let sql = format!(
            "WITH page AS (
                 SELECT r.id AS pid, h.sort_key AS sk, h.id AS hid
                 FROM {from}
                 LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
                 WHERE r.removed_at IS NULL {conditions}
                 ORDER BY h.sort_key, h.id, r.id LIMIT :limit OFFSET :offset)
             {} JOIN page ON page.pid = r.id
             ORDER BY page.sk, page.hid, page.pid",
            row_select()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let today = cst_day(now).to_string();
        let threshold = i64::from(days) * DAY_SECS;
        let limit = query.limit.map_or(-1, i64::from);
        let params = term.as_ref().map(|t| t.sql().1).unwrap_or_default();
        bind(
            &mut stmt,
            &[
                (":now", &now),
                (":today", &today),
                (":threshold", &threshold),
                (":household", &query.household_id),
                (":q", &params.q),
                (":q_end", &params.q_end),
                (":fts", &params.fts),
                (":limit", &limit),
                (":offset", &query.offset),
            ],
        )?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read_row(row, now, days)?);
        }
        Ok(out)
    }

    /// Counts over the whole station at `at` (or now).
    pub fn counts(&self, at: Option<i64>) -> Result<StationCounts> {
        let now = at.unwrap_or_else(|| self.now());
        let threshold = i64::from(self.expiring_days()?) * DAY_SECS;
        let sql = format!(
            "SELECT count(*),
                    coalesce(sum(c.expires_at > :now + :threshold), 0),
                    coalesce(sum(c.expires_at > :now AND c.expires_at <= :now + :threshold), 0),
                    coalesce(sum((c.id IS NOT NULL AND c.expires_at <= :now) OR (c.id IS NULL AND {EVER})), 0),
                    coalesce(sum(c.id IS NULL AND NOT {EVER}), 0),
                    coalesce(sum({TO_REPLACE}), 0)
             FROM residents r LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
             WHERE r.removed_at IS NULL"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        bind(&mut stmt, &[(":now", &now), (":threshold", &threshold)])?;
        let mut rows = stmt.raw_query();
        let mut counts = StationCounts::default();
        if let Some(r) = rows.next()? {
            counts.residents = r.get(0)?;
            counts.active = r.get(1)?;
            counts.expiring = r.get(2)?;
            counts.expired = r.get(3)?;
            counts.never = r.get(4)?;
            counts.cards_to_replace = r.get(5)?;
        }
        drop(rows);
        counts.households = self.conn.query_row(
            "SELECT count(*) FROM households WHERE removed_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        counts.queued_for_sync = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending', 'error')",
            [],
            |r| r.get(0),
        )?;
        Ok(counts)
    }

    /// One resident with history and the active code's credential text.
    pub fn resident(&self, id: i64) -> Result<ResidentDetail> {
        let now = self.now();
        let days = self.expiring_days()?;
        let sql = format!("{} WHERE r.id = :id", row_select());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let today = cst_day(now).to_string();
        bind(
            &mut stmt,
            &[(":id", &id), (":now", &now), (":today", &today)],
        )?;
        let row = {
            let mut rows = stmt.raw_query();
            match rows.next()? {
                Some(r) => read_row(r, now, days)?,
                None => return Err(Error::resident_not_found()),
            }
        };
        let (doc_number, birth_date): (String, Option<String>) = self.conn.query_row(
            "SELECT doc_number, birth_date FROM residents WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let history = self.history(id)?;
        let active_code = history
            .iter()
            .map(|h| &h.code)
            .find(|c| c.state == "active")
            .cloned();
        Ok(ResidentDetail {
            row,
            document_last4: crate::domain::document::document_tail(&doc_number),
            birth_date,
            active_code,
            history,
        })
    }

    fn history(&self, resident_id: i64) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(a.applied_at, c.issued_at), a.day, coalesce(a.capacity, ''),
                    v.account, coalesce(a.channel, c.station_id),
                    c.serial, c.issued_at, c.expires_at, c.station_id, c.state, c.credential,
                    (SELECT count(*) FROM printed_cards p WHERE p.code_id = c.id),
                    CASE WHEN a.id IS NULL THEN 'from_hub' ELSE
                    (SELECT o.state FROM outbox o WHERE o.application_id = a.id ORDER BY o.id DESC LIMIT 1)
                    END
             FROM codes c LEFT JOIN applications a ON a.id = c.application_id
             LEFT JOIN volunteers v ON v.id = a.volunteer_id
             WHERE c.resident_id = ?1 ORDER BY c.issued_at DESC, c.id DESC",
        )?;
        let rows = stmt.query_map([resident_id], |r| {
            let issued_at: i64 = r.get(6)?;
            Ok(HistoryEntry {
                applied_at: r.get(0)?,
                day: r
                    .get::<_, Option<String>>(1)?
                    .unwrap_or_else(|| crate::time::cst_day(issued_at).to_string()),
                capacity: r.get(2)?,
                volunteer: r.get(3)?,
                channel: r.get(4)?,
                code: CodeView {
                    serial: r.get(5)?,
                    issued_at: r.get(6)?,
                    expires_at: r.get(7)?,
                    station_id: r.get(8)?,
                    state: r.get(9)?,
                    credential: r.get(10)?,
                },
                cards_printed: r.get(11)?,
                sync_state: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The active code of a resident, if any.
    pub fn active_code(&self, resident_id: i64) -> Result<Option<CodeView>> {
        load_active_code(&self.conn, resident_id)
    }
}

pub(crate) fn load_active_code(
    conn: &rusqlite::Connection,
    resident_id: i64,
) -> Result<Option<CodeView>> {
    Ok(conn
        .prepare_cached(
            "SELECT serial, issued_at, expires_at, station_id, state, credential
             FROM codes WHERE resident_id = ?1 AND state = 'active'",
        )?
        .query_row([resident_id], |r| {
            Ok(CodeView {
                serial: r.get(0)?,
                issued_at: r.get(1)?,
                expires_at: r.get(2)?,
                station_id: r.get(3)?,
                state: r.get(4)?,
                credential: r.get(5)?,
            })
        })
        .optional()?)
}

/// SQL conditions (each starting with AND) for the query's household, filter and search.
fn conditions(query: &ResidentQuery) -> (String, Option<SearchTerm>) {
    let mut sql = String::new();
    if query.household_id.is_some() {
        sql.push_str(" AND r.household_id = :household");
    }
    let any = query.filter.sql_terms();
    if !any.is_empty() {
        sql.push_str(&format!(" AND ({})", any.join(" OR ")));
    }
    let term = query.search.as_deref().and_then(SearchTerm::parse);
    if let Some(t) = &term {
        sql.push_str(" AND ");
        sql.push_str(t.sql().0);
    }
    (sql, term)
}
