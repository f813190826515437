//! The roster columns: what each is called in a file's header (Chinese or English), and sets
//! of them. The header search and the row assembly that use them are in `header.rs`.

use nac_domain::document::fold_full_width;
use nac_domain::fields::Field;
use serde::{Deserialize, Serialize};

/// A roster column. The Chinese label is the template header; the snake-case key is the
/// English header; [`Column::from_header`] also accepts the usual variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    District,
    Road,
    Lane,
    Number,
    Room,
    HouseholdPhone,
    Name,
    DocumentType,
    DocumentNumber,
    Phone,
    HasSmartphone,
    Notes,
}

impl Column {
    /// Every column, in template order (household columns, then resident columns).
    pub const ALL: [Column; 12] = [
        Column::District,
        Column::Road,
        Column::Lane,
        Column::Number,
        Column::Room,
        Column::HouseholdPhone,
        Column::Name,
        Column::DocumentType,
        Column::DocumentNumber,
        Column::Phone,
        Column::HasSmartphone,
        Column::Notes,
    ];

    /// Columns a roster file must have.
    pub const REQUIRED: [Column; 5] = [
        Column::District,
        Column::Road,
        Column::Number,
        Column::Name,
        Column::DocumentNumber,
    ];

    /// The English header (snake case), also the key in JSON reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::HasSmartphone => "has_smartphone",
            other => other.field().map_or("", Field::as_str),
        }
    }

    /// The Chinese header, as in the template and in exports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Column::HasSmartphone => "有智能手机",
            other => other.field().map_or("", Field::label_zh),
        }
    }

    pub fn is_required(self) -> bool {
        Column::REQUIRED.contains(&self)
    }

    /// Columns whose values are personal identifiers: masked in reports and default exports.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Column::DocumentNumber | Column::Phone | Column::HouseholdPhone
        )
    }

    /// The form field this column fills (every column but the yes/no smartphone flag).
    pub fn field(self) -> Option<Field> {
        Some(match self {
            Column::District => Field::District,
            Column::Road => Field::Road,
            Column::Lane => Field::Lane,
            Column::Number => Field::Number,
            Column::Room => Field::Room,
            Column::HouseholdPhone => Field::HouseholdPhone,
            Column::Name => Field::Name,
            Column::DocumentType => Field::DocumentType,
            Column::DocumentNumber => Field::DocumentNumber,
            Column::Phone => Field::Phone,
            Column::Notes => Field::Notes,
            Column::HasSmartphone => return None,
        })
    }

    /// Header variants accepted besides the Chinese label and the English key.
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::District => &["区县", "所在区", "行政区"],
            Column::Road => &["路名", "道路", "街路", "street"],
            Column::Lane => &["弄号"],
            Column::Number => &["门牌号", "门牌", "楼号", "house_number", "house_no"],
            Column::Room => &["室号", "房号", "房间号", "room_no"],
            Column::HouseholdPhone => {
                &["户电话", "住户电话", "家庭电话", "家庭联系电话", "户主电话"]
            }
            Column::Name => &["名字", "居民姓名", "full_name"],
            Column::DocumentType => &["证件种类", "doc_type", "id_type"],
            Column::DocumentNumber => &[
                "证件号",
                "身份证号",
                "身份证号码",
                "身份证",
                "公民身份号码",
                "doc_number",
                "id_number",
                "id_no",
            ],
            Column::Phone => &["手机", "手机号码", "联系电话", "电话", "本人手机", "mobile"],
            Column::HasSmartphone => &["智能手机", "是否有智能手机", "smartphone"],
            Column::Notes => &["说明", "note", "remarks", "remark"],
        }
    }

    /// The column a header names, if any: trimmed, full-width folded, case-insensitive, with
    /// spaces, `_`, `-` and a trailing `*` or `(必填)`-style note ignored.
    pub fn from_header(header: &str) -> Option<Column> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        Column::ALL.into_iter().find(|c| {
            header_key(c.label_zh()) == key
                || header_key(c.as_str()) == key
                || c.aliases().iter().any(|a| header_key(a) == key)
        })
    }

    /// Index in [`Column::ALL`] (template order).
    pub(crate) fn index(self) -> usize {
        Column::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

impl From<Field> for Column {
    fn from(field: Field) -> Column {
        match field {
            Field::District => Column::District,
            Field::Road => Column::Road,
            Field::Lane => Column::Lane,
            Field::Number => Column::Number,
            Field::Room => Column::Room,
            Field::HouseholdPhone => Column::HouseholdPhone,
            Field::Name => Column::Name,
            Field::DocumentType => Column::DocumentType,
            Field::DocumentNumber => Column::DocumentNumber,
            Field::Phone => Column::Phone,
            Field::Notes => Column::Notes,
        }
    }
}

/// A set of roster columns: the columns a file's header names. Importing leaves a stored value
/// alone when its column is absent from the file (an absent column is not an empty one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnSet(u16);

impl ColumnSet {
    /// Every column (what a form gives: all fields present).
    pub const ALL: ColumnSet = ColumnSet((1 << Column::ALL.len()) - 1);

    pub fn insert(&mut self, column: Column) {
        self.0 |= 1 << column.index();
    }

    pub fn contains(self, column: Column) -> bool {
        self.0 & (1 << column.index()) != 0
    }

    /// The columns in template order.
    pub fn iter(self) -> impl Iterator<Item = Column> {
        Column::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Column> for ColumnSet {
    fn from_iter<I: IntoIterator<Item = Column>>(iter: I) -> ColumnSet {
        let mut set = ColumnSet::default();
        for c in iter {
            set.insert(c);
        }
        set
    }
}

impl Serialize for ColumnSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Rows searched for the header: real rosters start with a merged title
/// ("某某居委会住户名册"), a date line or a blank row above it.
pub const HEADER_SEARCH_ROWS: usize = 10;

pub(crate) fn header_key(header: &str) -> String {
    let folded: String = header.chars().map(fold_full_width).collect();
    let mut s = folded.trim().trim_matches('*').trim();
    // A trailing note such as "(必填)", "（选填）" or "(required)".
    if let Some(open) = s.rfind('(') {
        if s.ends_with(')') && open > 0 {
            s = &s[..open];
        }
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '*' | ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect()
}
