//! Row validation and the import report.

use super::{Column, RawRow};
use crate::domain::document::{fold_full_width, mask_middle, normalise_code};
use crate::domain::{Document, DocumentType};
use crate::error::FieldError;
use crate::station::{HouseholdDraft, HouseholdInput, ImportOutcome, ResidentDraft};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// One bad field of one row. ID numbers and phones in `value` are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Spreadsheet row number (header = 1).
    pub row: usize,
    pub field: Column,
    /// The value as found in the file; masked (`310***********123X`) for document numbers and
    /// phones, and any long digit run in other columns.
    pub value: String,
    /// What is wrong and how to fix it (Chinese / English).
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第{}行 {}“{}”：{}",
            self.row,
            self.field.label_zh(),
            self.value,
            self.message
        )
    }
}

/// What importing a roster file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The file name.
    pub file: String,
    /// Non-empty data rows in the file.
    pub rows_read: usize,
    /// What the valid rows changed.
    pub outcome: ImportOutcome,
    /// Every bad field of every rejected row, by row then column.
    pub errors: Vec<RowError>,
    /// Headers that are not roster columns (their cells were not read).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    /// Rows not imported because of at least one error.
    pub fn rows_rejected(&self) -> usize {
        self.errors
            .iter()
            .map(|e| e.row)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Rows that passed validation and were written (added, updated or already identical).
    pub fn rows_imported(&self) -> usize {
        self.rows_read.saturating_sub(self.rows_rejected())
    }
}

/// Serialised with the derived counts, for the UI.
impl Serialize for ImportReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            file: &'a str,
            rows_read: usize,
            rows_imported: usize,
            rows_rejected: usize,
            outcome: &'a ImportOutcome,
            errors: &'a [RowError],
            ignored_columns: &'a [String],
        }
        Json {
            file: &self.file,
            rows_read: self.rows_read,
            rows_imported: self.rows_imported(),
            rows_rejected: self.rows_rejected(),
            outcome: &self.outcome,
            errors: &self.errors,
            ignored_columns: &self.ignored_columns,
        }
        .serialize(serializer)
    }
}

/// Validates every row; returns the drafts of the valid rows (in file order) and one error per
/// bad field of every other row (by row, then in template column order).
///
/// Beyond the per-field checks of the forms, the file is checked against itself: a document
/// that appears on more than one row is reported on every such row and none of them is
/// imported (which one is right cannot be told), and rows of one household (same address)
/// that give different household phones are all rejected for the same reason.
pub fn validate_rows(
    rows: Vec<RawRow>,
    today: NaiveDate,
) -> (Vec<(HouseholdDraft, ResidentDraft)>, Vec<RowError>) {
    let mut checked: Vec<Checked> = rows.into_iter().map(|r| check_row(r, today)).collect();

    // The same document on several rows. Each row names a few of its partners and counts the
    // rest, so the report stays linear in the rows however many share one number.
    let mut by_document: HashMap<&Document, Vec<usize>> = HashMap::new();
    for (i, c) in checked.iter().enumerate() {
        if let Some(doc) = &c.document {
            by_document.entry(doc).or_default().push(i);
        }
    }
    let mut conflicts: Vec<(usize, Column, String)> = Vec::new();
    for indices in by_document.values().filter(|v| v.len() > 1) {
        for &i in indices {
            let partners = indices
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| checked[j].raw.row);
            let (zh, en) = list_rows(partners, indices.len() - 1);
            conflicts.push((
                i,
                Column::DocumentNumber,
                format!("与第{zh}行证件号码重复 / same document number as row {en}"),
            ));
        }
    }

    // One household (address) with different phones: rows grouped by address, then by phone;
    // a row's partners are the rows of the other phones.
    let mut by_address: HashMap<&str, BTreeMap<&str, Vec<usize>>> = HashMap::new();
    for (i, c) in checked.iter().enumerate() {
        if let Some((key, phone)) = &c.household_phone {
            by_address
                .entry(key)
                .or_default()
                .entry(phone)
                .or_default()
                .push(i);
        }
    }
    for phones in by_address.values().filter(|p| p.len() > 1) {
        let total: usize = phones.values().map(Vec::len).sum();
        for (phone, own) in phones {
            let others = || {
                phones
                    .iter()
                    .filter(move |(p, _)| *p != phone)
                    .flat_map(|(_, rows)| rows.iter().map(|&j| checked[j].raw.row))
            };
            let (zh, en) = list_rows(others(), total - own.len());
            for &i in own {
                conflicts.push((
                    i,
                    Column::HouseholdPhone,
                    format!(
                        "同一住户在第{zh}行的户联系电话不同 / row {en} gives a different household phone for the same address"
                    ),
                ));
            }
        }
    }
    for (i, column, message) in conflicts {
        checked[i].add(column, message);
    }

    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    for c in checked {
        match c.drafts {
            Some(pair) if c.errors.is_empty() => drafts.push(pair),
            _ => {
                for (column, messages) in c.errors {
                    errors.push(RowError {
                        row: c.raw.row,
                        field: column,
                        value: c.problem_values.get(&column).map_or_else(
                            || redact(column, raw_value(&c.raw, column)),
                            |v| redact(column, v),
                        ),
                        message: messages.join("；"),
                    });
                }
            }
        }
    }
    errors.sort_by_key(|e| (e.row, e.field.index()));
    (drafts, errors)
}

/// One row after the per-field checks.
struct Checked {
    raw: RawRow,
    drafts: Option<(HouseholdDraft, ResidentDraft)>,
    /// Messages by column (template order).
    errors: BTreeMap<Column, Vec<String>>,
    /// The cell values of problems found while reading, by column.
    problem_values: HashMap<Column, String>,
    /// The parsed document, when the number itself is valid (for the duplicate check).
    document: Option<Document>,
    /// (address key, normalised phone) when the household is valid and gives a phone.
    household_phone: Option<(String, String)>,
}

impl Checked {
    fn add(&mut self, column: Column, message: String) {
        let messages = self.errors.entry(column).or_default();
        if !messages.contains(&message) {
            messages.push(message);
        }
    }
}

fn check_row(raw: RawRow, today: NaiveDate) -> Checked {
    let mut c = Checked {
        drafts: None,
        errors: BTreeMap::new(),
        problem_values: HashMap::new(),
        document: None,
        household_phone: None,
        raw,
    };
    for p in &c.raw.problems {
        c.errors.entry(p.field).or_default().push(p.message.clone());
        c.problem_values.insert(p.field, p.value.clone());
    }
    let household = household_errors(&c.raw.household);
    let resident = ResidentDraft::validate(&c.raw.resident, today);
    let mut field_errors = household.1;
    if let Err(e) = &resident {
        field_errors.extend(e.iter().cloned());
    }
    for e in field_errors {
        let column = Column::from(e.field);
        if c.problem_values.contains_key(&column) {
            continue; // the cell problem already explains this field
        }
        let message = explain(column, raw_value(&c.raw, column)).unwrap_or(e.message);
        c.add(column, message);
    }
    if !c.problem_values.contains_key(&Column::DocumentNumber) {
        c.document = c
            .raw
            .resident
            .document_type
            .parse::<DocumentType>()
            .ok()
            .and_then(|kind| Document::parse(kind, &c.raw.resident.document_number).ok());
    }
    if let Some(h) = &household.0 {
        if let Some(phone) = &h.phone {
            c.household_phone = Some((h.address.key(), phone.as_str().to_string()));
        }
    }
    if let (Some(h), Ok(r)) = (household.0, resident) {
        c.drafts = Some((h, r));
    }
    c
}

/// Validates the household and reports every bad address part, not only the first one that
/// [`HouseholdDraft::validate`] stops at: a part found bad is replaced by a placeholder and the
/// address is validated again.
fn household_errors(input: &HouseholdInput) -> (Option<HouseholdDraft>, Vec<FieldError>) {
    use crate::error::Field;
    let mut probe = input.clone();
    let mut errors: Vec<FieldError> = Vec::new();
    for _ in 0..6 {
        match HouseholdDraft::validate(&probe) {
            Ok(draft) => return (errors.is_empty().then_some(draft), errors),
            Err(found) => {
                let mut address_error = false;
                for e in found {
                    let slot = match e.field {
                        Field::District => Some(&mut probe.district),
                        Field::Road => Some(&mut probe.road),
                        Field::Lane => Some(&mut probe.lane),
                        Field::Number => Some(&mut probe.number),
                        Field::Room => Some(&mut probe.room),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        "1".clone_into(slot);
                        address_error = true;
                    }
                    if !errors.iter().any(|x| x.field == e.field) {
                        errors.push(e);
                    }
                }
                if !address_error {
                    break;
                }
            }
        }
    }
    (None, errors)
}

/// A clearer message for values the generic validators cannot explain.
fn explain(column: Column, value: &str) -> Option<String> {
    if !column.is_sensitive() {
        return None;
    }
    if value.contains('*') || value.contains('＊') {
        return Some(
            "号码已打码（来自打码的导出文件），无法导入；请导出完整号码后再导入 / the number is masked (from a masked export) and cannot be imported; export with full numbers to re-import"
                .to_string(),
        );
    }
    let code = normalise_code(value);
    let scientific = code.contains('E')
        && code
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'E' | '+'))
        && code.starts_with(|c: char| c.is_ascii_digit());
    if scientific {
        return Some(
            "号码被Excel转成了科学计数法（如3.10101E+17），后几位已丢失；请把该列设置为“文本”格式后重新输入 / the number was turned into scientific notation by Excel (e.g. 3.10101E+17) and its last digits are lost; format the column as Text and re-enter it"
                .to_string(),
        );
    }
    None
}

fn raw_value(raw: &RawRow, column: Column) -> &str {
    let (h, r) = (&raw.household, &raw.resident);
    match column {
        Column::District => &h.district,
        Column::Road => &h.road,
        Column::Lane => &h.lane,
        Column::Number => &h.number,
        Column::Room => &h.room,
        Column::HouseholdPhone => &h.phone,
        Column::Name => &r.name,
        Column::DocumentType => &r.document_type,
        Column::DocumentNumber => &r.document_number,
        Column::Phone => &r.phone,
        Column::Notes => &r.notes,
        Column::HasSmartphone => "",
    }
}

/// The value as it may appear in a report: document numbers and phones masked (first three and
/// last four characters kept), and in other columns every run of 7 or more digits masked the
/// same way (a number typed into the wrong column must not leak either).
pub(crate) fn redact(column: Column, value: &str) -> String {
    let value = value.trim();
    if column.is_sensitive() {
        let compact: String = value
            .chars()
            .map(fold_full_width)
            .filter(|c| !c.is_whitespace())
            .collect();
        return mask_middle(&compact, 3, 4);
    }
    let mut out = String::with_capacity(value.len());
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if run.chars().count() >= 7 {
            out.push_str(&mask_middle(run, 3, 4));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in value.chars() {
        if fold_full_width(ch).is_ascii_digit() {
            run.push(ch);
        } else {
            flush(&mut out, &mut run);
            out.push(ch);
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Rows named in a conflict message before the rest are only counted.
const ROWS_NAMED: usize = 5;

/// Row numbers for a message, the first [`ROWS_NAMED`] in file order and then a count:
/// ("3、7", "3, 7"), ("2、3、4、5、6等共9行", "2, 3, 4, 5, 6 and 4 more"). `rows` yields row
/// numbers in file order; `total` is how many it would yield (only the first few are taken).
fn list_rows(rows: impl Iterator<Item = usize>, total: usize) -> (String, String) {
    let mut named: Vec<usize> = rows.take(ROWS_NAMED).collect();
    named.sort_unstable();
    named.dedup();
    let named: Vec<String> = named.iter().map(usize::to_string).collect();
    let (zh, en) = (named.join("、"), named.join(", "));
    let more = total.saturating_sub(named.len());
    if more == 0 {
        (zh, en)
    } else {
        (format!("{zh}等共{total}行"), format!("{en} and {more} more"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact(Column::DocumentNumber, " 310104194503120015 "),
            "310***********0015"
        );
        assert_eq!(redact(Column::Phone, "1381234567"), "138***4567");
        assert_eq!(redact(Column::Name, "张三"), "张三");
        assert_eq!(
            redact(Column::Notes, "女儿 13812345678 常来"),
            "女儿 138****5678 常来"
        );
        assert_eq!(redact(Column::Room, "501"), "501");
    }
}
