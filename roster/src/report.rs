//! Row validation and the import report.

use crate::column::Column;
use crate::outcome::ImportOutcome;
use crate::rows::RawRow;
use chrono::NaiveDate;
use nac_domain::document::{
    fold_full_width, mask_document, mask_middle, normalise_code, resident_id_check_char,
};
use nac_domain::drafts::{HouseholdDraft, HouseholdInput, ResidentDraft};
use nac_domain::fields::FieldError;
use nac_domain::{Document, DocumentType};
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
    /// The kind of file, as told by its content.
    pub format: super::FileFormat,
    /// The worksheet read (workbooks only).
    pub sheet: Option<String>,
    /// The header's row as the sheet shows it.
    pub header_row: usize,
    /// Non-empty data rows in the file.
    pub rows_read: usize,
    /// What the valid rows changed.
    pub outcome: ImportOutcome,
    /// About the file as a whole, to show above everything else (bilingual).
    pub notices: Vec<String>,
    /// Every bad field of every rejected row, by row then column.
    pub errors: Vec<RowError>,
    /// Rows that are valid but look wrong in a way a person must check (a document number
    /// ending in 000, what a spreadsheet's 15-digit cut leaves). They are written only when
    /// the import was told to accept warnings; otherwise they are held back.
    pub warnings: Vec<RowError>,
    /// Whether rows with warnings were written.
    pub warnings_accepted: bool,
    /// Headers that are not roster columns (their cells were not read).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    /// Rows not imported because of at least one error.
    pub fn rows_rejected(&self) -> usize {
        distinct_rows(&self.errors)
    }

    /// Rows held back until their warnings are confirmed.
    pub fn rows_held(&self) -> usize {
        if self.warnings_accepted {
            0
        } else {
            distinct_rows(&self.warnings)
        }
    }

    /// Rows that passed validation and were written (added, updated or already identical).
    pub fn rows_imported(&self) -> usize {
        self.rows_read
            .saturating_sub(self.rows_rejected())
            .saturating_sub(self.rows_held())
    }
}

fn distinct_rows(errors: &[RowError]) -> usize {
    errors.iter().map(|e| e.row).collect::<BTreeSet<_>>().len()
}

/// Serialised with the derived counts, for the UI.
impl Serialize for ImportReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            file: &'a str,
            format: super::FileFormat,
            sheet: Option<&'a str>,
            header_row: usize,
            rows_read: usize,
            rows_imported: usize,
            rows_rejected: usize,
            rows_held: usize,
            outcome: &'a ImportOutcome,
            notices: &'a [String],
            errors: &'a [RowError],
            warnings: &'a [RowError],
            warnings_accepted: bool,
            ignored_columns: &'a [String],
        }
        Json {
            file: &self.file,
            format: self.format,
            sheet: self.sheet.as_deref(),
            header_row: self.header_row,
            rows_read: self.rows_read,
            rows_imported: self.rows_imported(),
            rows_rejected: self.rows_rejected(),
            rows_held: self.rows_held(),
            outcome: &self.outcome,
            notices: &self.notices,
            errors: &self.errors,
            warnings: &self.warnings,
            warnings_accepted: self.warnings_accepted,
            ignored_columns: &self.ignored_columns,
        }
        .serialize(serializer)
    }
}

/// The rows of a file, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validated {
    /// Valid rows without warnings, in file order.
    pub drafts: Vec<(HouseholdDraft, ResidentDraft)>,
    /// Valid rows with a warning a person must confirm, in file order.
    pub held: Vec<(HouseholdDraft, ResidentDraft)>,
    /// One error per bad field of every rejected row (by row, then template column order).
    pub errors: Vec<RowError>,
    /// The warnings of the held rows.
    pub warnings: Vec<RowError>,
    /// About the file as a whole (bilingual), e.g. that Excel cut its ID numbers.
    pub notices: Vec<String>,
}

/// Validates every row: the drafts of the valid rows, the rows held for a warning, and one
/// error per bad field of every other row.
///
/// Beyond the per-field checks of the forms, the file is checked against itself: a document
/// that appears on more than one row is reported on every such row and none of them is
/// imported (which one is right cannot be told); rows of one household (same address) that
/// give different household phones are all rejected for the same reason; and resident ID
/// numbers ending in `000` are suspected of Excel's 15-digit cut (see `truncation`).
pub fn validate_rows(rows: Vec<RawRow>, today: NaiveDate) -> Validated {
    let mut checked: Vec<Checked> = rows.into_iter().map(|r| check_row(r, today)).collect();
    let mut notices = Vec::new();
    let mut warned: BTreeSet<usize> = BTreeSet::new();
    let mut warnings = Vec::new();
    match truncation(&checked) {
        Truncation::None => {}
        Truncation::Likely { rows, failing } => {
            notices.push(format!(
                "本文件有{n}行证件号码以000结尾，其中{failing}个校验不通过：很可能是Excel/WPS把证件号码当作数字，只保留了15位（后三位变成000）。这些行都没有导入；请把证件号码列设置为“文本”后按证件重新输入，或从原系统重新导出 / {n} rows of this file have ID numbers ending in 000 and {failing} of them fail the check digit: Excel/WPS most likely stored the numbers as numbers and kept only 15 digits (the last three became 000). None of these rows was imported; set the ID column to Text and re-enter the numbers from the documents, or export the source again",
                n = rows.len()
            ));
            for i in rows {
                let c = &mut checked[i];
                c.errors.remove(&Column::DocumentNumber);
                c.add(Column::DocumentNumber, TRUNCATED.to_string());
            }
        }
        Truncation::Single(rows) => {
            for i in rows {
                let c = &checked[i];
                if c.errors.is_empty() && c.drafts.is_some() {
                    warned.insert(i);
                    warnings.push(RowError {
                        row: c.raw.row,
                        field: Column::DocumentNumber,
                        value: redact(
                            Column::DocumentNumber,
                            raw_value(&c.raw, Column::DocumentNumber),
                        ),
                        message: ENDS_IN_000.to_string(),
                    });
                }
            }
        }
    }

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
    let mut held = Vec::new();
    let mut errors = Vec::new();
    for (i, c) in checked.into_iter().enumerate() {
        match c.drafts {
            Some(pair) if c.errors.is_empty() && warned.contains(&i) => held.push(pair),
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
    Validated {
        drafts,
        held,
        errors,
        warnings,
        notices,
    }
}

const TRUNCATED: &str = "证件号码疑被Excel/WPS截成了15位（后三位变成000）：本文件中有以000结尾的号码校验不通过。请把该列设置为“文本”后按证件重新输入，或从原系统重新导出 / the ID number was probably cut to 15 digits by Excel/WPS (the last three became 000): numbers ending in 000 in this file fail the check digit. Set the column to Text and re-enter them from the documents, or export the source again";
const ENDS_IN_000: &str = "证件号码以000结尾，校验位碰巧正确：Excel/WPS把长数字截成15位时正是这样。请对照证件核实，确认无误后再导入此行 / the ID number ends in 000 and its check digit happens to pass: this is what Excel/WPS leave when they cut a long number to 15 digits. Check it against the document and confirm to import this row";

/// Resident ID numbers that may have lost their last digits to a spreadsheet.
enum Truncation {
    None,
    /// Numbers ending in 000 of which some fail the check digit: the file was cut; every such
    /// row (by index) is refused, the ones that pass by chance too.
    Likely {
        rows: Vec<usize>,
        failing: usize,
    },
    /// Numbers ending in 000 that all pass: each (by index) is held for confirmation.
    Single(Vec<usize>),
}

/// Excel, WPS and LibreOffice keep 15 significant digits of a number: an 18-digit ID typed
/// into a General cell and then shown as text ends in `000`, and its check character `0`
/// passes by chance for about 1 number in 11. One such number alone may be real; several in
/// one file, some failing the check, are the cut.
fn truncation(checked: &[Checked]) -> Truncation {
    let mut rows = Vec::new();
    let mut failing = 0;
    for (i, c) in checked.iter().enumerate() {
        if c.problem_values.contains_key(&Column::DocumentNumber) {
            continue; // a number cell: already explained
        }
        let is_resident_id = c
            .raw
            .resident
            .document_type
            .parse::<DocumentType>()
            .is_ok_and(|t| t == DocumentType::ResidentId);
        let number = normalise_code(&c.raw.resident.document_number);
        let suspect = is_resident_id
            && number.len() == 18
            && number.bytes().all(|b| b.is_ascii_digit())
            && number.ends_with("000");
        if suspect {
            if resident_id_check_char(&number[..17]) != Some('0') {
                failing += 1;
            }
            rows.push(i);
        }
    }
    match (rows.is_empty(), failing) {
        (true, _) => Truncation::None,
        (false, 0) => Truncation::Single(rows),
        (false, failing) => Truncation::Likely { rows, failing },
    }
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
    use nac_domain::fields::Field;
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

/// The value as it may appear in a report: document numbers masked as everywhere else
/// ([`mask_document`]: never more than half shown), phones with their first three and last four
/// kept, and in other columns every run of 7 or more digits masked like a phone from 11 digits
/// on and like a document below (a number typed into the wrong column must not leak either; an
/// 8-digit permit must not show 7 of its digits).
pub(crate) fn redact(column: Column, value: &str) -> String {
    let value = value.trim();
    if column.is_sensitive() {
        let compact: String = value
            .chars()
            .map(fold_full_width)
            .filter(|c| !c.is_whitespace())
            .collect();
        return if column == Column::DocumentNumber {
            mask_document(&compact)
        } else {
            mask_middle(&compact, 3, 4)
        };
    }
    let mut out = String::with_capacity(value.len());
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        let len = run.chars().count();
        if len >= 11 {
            out.push_str(&mask_middle(run, 3, 4));
        } else if len >= 7 {
            out.push_str(&mask_document(run));
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
        (
            format!("{zh}等共{total}行"),
            format!("{en} and {more} more"),
        )
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
        // Short documents and digit runs: never more than half shown.
        assert_eq!(redact(Column::DocumentNumber, "E1234"), "***34");
        assert_eq!(redact(Column::DocumentNumber, "12345678"), "****5678");
        assert_eq!(redact(Column::Notes, "台胞证 12345678"), "台胞证 ****5678");
        assert_eq!(redact(Column::Notes, "1234567"), "****567");
    }
}
