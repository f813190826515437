//! The roster export: every resident of the station (masked unless an administrator asks),
//! with the status of their code, written through the roster module's file writers, and
//! audited. The station reads; `crate::roster` writes files and knows no station.

use super::{ResidentStatus, Station};
use crate::domain::document::mask_middle;
use crate::domain::DocumentType;
use crate::error::Result;
use crate::roster::export::{
    csv_bytes, export_format, write_xlsx, ExportFormat, Line, EXPORT_STATUS_HEADERS,
};
use crate::time::format_cst_minute;
use std::path::Path;

impl Station {
    /// Writes every resident (one row each, in address order) to `path`, as CSV (UTF-8 with BOM)
    /// or XLSX by extension, with the import template's headers plus [`EXPORT_STATUS_HEADERS`].
    ///
    /// Document numbers and phones are masked (`310***********123X`, `138****5678`) unless
    /// `unmasked` (administrators only); an unmasked export can be edited and imported back. Every export is recorded
    /// in the audit log (masked or not, and the row count; never the values). Households without
    /// members are not exported. Returns the number of residents written.
    pub fn export_roster(&self, path: &Path, unmasked: bool) -> Result<usize> {
        if unmasked {
            self.require_admin(
                "export full ID numbers and phones",
                "导出完整证件号码和电话",
            )?;
        }
        let format = export_format(path)?;
        let lines = self.export_lines(unmasked)?;
        let subject = format!(
            "{} {}, {} rows",
            if unmasked { "unmasked" } else { "masked" },
            match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Xlsx => "xlsx",
            },
            lines.len()
        );
        let status_headers = EXPORT_STATUS_HEADERS.as_slice();
        // Whole or not at all, never through a symlink, never over the station's own files.
        crate::files::write_atomically(path, &["csv", "xlsx"], &self.own_files(), |temp| {
            match format {
                ExportFormat::Csv => std::fs::write(temp, csv_bytes(&lines, status_headers)?)?,
                ExportFormat::Xlsx => write_xlsx(temp, &lines, status_headers)?,
            }
            Ok::<(), crate::Error>(())
        })?;
        self.write_audited("roster.export", &subject, None, |_, _| Ok(()))?;
        Ok(lines.len())
    }

    fn export_lines(&self, unmasked: bool) -> Result<Vec<Line>> {
        let now = self.now();
        let expiring_days = self.expiring_days()?;
        let mut stmt = self.connection().prepare(
            "SELECT h.district, h.road, h.lane, h.number, h.room, h.phone,
                    r.name, r.doc_type, r.doc_number, r.phone, r.has_smartphone, r.notes,
                    c.serial, c.issued_at, c.expires_at,
                    EXISTS (SELECT 1 FROM codes x WHERE x.resident_id = r.id)
             FROM residents r JOIN households h ON h.id = r.household_id
             LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
             WHERE r.removed_at IS NULL
             ORDER BY h.sort_key, h.id, r.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut lines = Vec::new();
        let protect = |value: Option<String>, mask: fn(&str) -> String| -> String {
            let value = value.unwrap_or_default();
            if unmasked || value.is_empty() {
                value
            } else {
                mask(&value)
            }
        };
        let phone_mask: fn(&str) -> String = |p| mask_middle(p, 3, 4);
        let document_mask: fn(&str) -> String = crate::domain::document::mask_document;
        while let Some(r) = rows.next()? {
            let doc_type: String = r.get(7)?;
            let doc_type = doc_type
                .parse::<DocumentType>()
                .map_or(doc_type, |t| t.label_zh().to_string());
            let serial: Option<String> = r.get(12)?;
            let active = match serial {
                Some(s) => Some((s, r.get::<_, i64>(13)?, r.get::<_, i64>(14)?)),
                None => None,
            };
            let status = ResidentStatus::classify(active, r.get(15)?, now, expiring_days);
            let has_smartphone: bool = r.get(10)?;
            lines.push(Line {
                cells: [
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    protect(r.get(5)?, phone_mask),
                    r.get(6)?,
                    doc_type,
                    protect(r.get(8)?, document_mask),
                    protect(r.get(9)?, phone_mask),
                    if has_smartphone { "是" } else { "否" }.to_string(),
                    r.get(11)?,
                ],
                status: status.state.label_zh().to_string(),
                valid_until: status.expires_at.map(format_cst_minute).unwrap_or_default(),
                days_left: status.days_left,
            });
        }
        Ok(lines)
    }
}
