//! Exporting the audit log for the district or an inspector (administrators only).
//!
//! Every row, oldest first, with both hashes, so whoever receives the file can re-check the chain
//! (each field a netstring, see [`crate::audit`] and docs/security.md) without the station. Rows
//! written before migration 8 also carry their chain-version-1 hash, the one the hub holds if it
//! anchored them. The file is CSV (UTF-8 with a BOM, CRLF) written whole or not at all, 0600,
//! its texts escaped ([`crate::audit::escape_text`]: no newline or terminal escape reaches
//! whoever opens it; `unescape_text` gives the hashed text back) and cells a spreadsheet would
//! run as formulas guarded like the roster export's. Subjects never hold ID numbers or phones
//! (the audit log never does), and the export itself is an audited action.

use std::path::Path;

use serde::Serialize;

use super::Station;
use crate::error::Result;
use crate::roster::needs_formula_guard;

/// What an audit export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditExport {
    /// Rows written (the export's own audit row comes after them).
    pub rows: u64,
    /// Whether the chain checked intact when exported.
    pub intact: bool,
}

const HEADERS: [&str; 11] = [
    "序号 id",
    "时间 time (UTC+8)",
    "unix",
    "来源 source",
    "账号编号 volunteer_id",
    "账号 account",
    "操作 action",
    "内容 subject",
    "前一条哈希 prev_hash",
    "哈希 hash",
    "旧链哈希 v1_hash",
];

impl Station {
    /// Writes the whole audit log to `path` (`.csv`).
    pub fn export_audit(&self, path: &Path) -> Result<AuditExport> {
        self.require_admin("export the audit log", "导出审计记录")?;
        let check = crate::audit::verify(self.connection())?;
        let mut rows = 0u64;
        crate::files::write_atomically(path, &["csv"], &self.own_files(), |temp| {
            let mut out = "\u{feff}".as_bytes().to_vec();
            {
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(&mut out);
                let csv_error = |e: csv::Error| std::io::Error::other(e.to_string());
                w.write_record(HEADERS).map_err(csv_error)?;
                let mut stmt = self.connection().prepare(
                    "SELECT a.id, a.at, a.source, a.volunteer_id, coalesce(v.account, ''),
                            a.action, a.subject, a.prev_hash, a.hash, coalesce(a.v1_hash, '')
                     FROM audit_log a LEFT JOIN volunteers v ON v.id = a.volunteer_id
                     ORDER BY a.id",
                )?;
                let mut query = stmt.query([])?;
                while let Some(r) = query.next()? {
                    let at: i64 = r.get(1)?;
                    let volunteer: Option<i64> = r.get(3)?;
                    let text = |i: usize| -> rusqlite::Result<String> {
                        Ok(crate::audit::escape_text(&r.get::<_, String>(i)?).into_owned())
                    };
                    let mut record = [
                        r.get::<_, i64>(0)?.to_string(),
                        crate::time::format_cst_second(at),
                        at.to_string(),
                        text(2)?,
                        volunteer.map(|v| v.to_string()).unwrap_or_default(),
                        text(4)?,
                        text(5)?,
                        text(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ];
                    for cell in &mut record[3..8] {
                        if needs_formula_guard(cell) {
                            cell.insert(0, '\'');
                        }
                    }
                    w.write_record(&record).map_err(csv_error)?;
                    rows += 1;
                }
                w.flush()?;
            }
            std::fs::write(temp, out)?;
            Ok::<(), crate::Error>(())
        })?;
        self.write_audited("audit.export", format!("{rows} rows"), None, |_, _| Ok(()))?;
        Ok(AuditExport {
            rows,
            intact: check.problem.is_none(),
        })
    }
}
