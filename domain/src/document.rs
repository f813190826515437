//! Identity documents.
//!
//! The resident ID (居民身份证号码, GB 11643-1999) is the common case and carries a checksum
//! (ISO 7064 MOD 11-2) that catches every single-digit typo and every adjacent transposition, so
//! a volunteer's mistyped number is refused at entry instead of creating a second person.
//! Other documents (Hong Kong/Macau and Taiwan travel permits, passports) have no checksum and are
//! only checked for their shape. Input is normalised (full-width digits and letters folded to
//! ASCII, spaces dropped, letters upper-cased) because Excel exports and IMEs produce all of these.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of identity document a resident is registered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// 居民身份证 (also accepts the 18-character HK/Macau/Taiwan residence permit, same checksum).
    ResidentId,
    /// 港澳居民来往内地通行证 (回乡证): `H` or `M` followed by 8 or 10 digits.
    HkMacauPermit,
    /// 台湾居民来往大陆通行证 (台胞证): 8 digits (or 10 in the old format).
    TaiwanPermit,
    /// 护照: 5–17 letters and digits.
    Passport,
}

impl DocumentType {
    pub const ALL: [DocumentType; 4] = [
        DocumentType::ResidentId,
        DocumentType::HkMacauPermit,
        DocumentType::TaiwanPermit,
        DocumentType::Passport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::ResidentId => "resident_id",
            DocumentType::HkMacauPermit => "hk_macau_permit",
            DocumentType::TaiwanPermit => "taiwan_permit",
            DocumentType::Passport => "passport",
        }
    }

    /// The short name printed on a card before the masked number.
    pub fn short_label_zh(self) -> &'static str {
        match self {
            DocumentType::ResidentId => "身份证",
            DocumentType::HkMacauPermit => "回乡证",
            DocumentType::TaiwanPermit => "台胞证",
            DocumentType::Passport => "护照",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DocumentType::ResidentId => "居民身份证",
            DocumentType::HkMacauPermit => "港澳居民来往内地通行证",
            DocumentType::TaiwanPermit => "台湾居民来往大陆通行证",
            DocumentType::Passport => "护照",
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentType {
    type Err = DocumentError;

    /// Accepts the English key and the usual Chinese names, as a roster column would hold them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        Ok(match key.as_str() {
            ""
            | "resident_id"
            | "residentid"
            | "id"
            | "id_card"
            | "身份证"
            | "居民身份证"
            | "身份证号"
            | "居住证"
            | "港澳台居民居住证" => DocumentType::ResidentId,
            "hk_macau_permit" | "港澳居民来往内地通行证" | "回乡证" | "港澳通行证" => {
                DocumentType::HkMacauPermit
            }
            "taiwan_permit" | "台湾居民来往大陆通行证" | "台胞证" => {
                DocumentType::TaiwanPermit
            }
            "passport" | "护照" => DocumentType::Passport,
            _ => return Err(DocumentError::UnknownType(s.trim().to_string())),
        })
    }
}

/// Why a document number was refused. Messages are shown to volunteers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("证件号码为空 / document number is empty")]
    Empty,
    #[error("身份证号码应为18位，实际{0}位 / resident ID must have 18 characters, found {0}")]
    Length(usize),
    #[error("身份证号码前17位须为数字，末位为数字或X / the first 17 characters must be digits, the last a digit or X")]
    Characters,
    #[error("行政区划代码{0}无效 / region code {0} is not valid")]
    Region(String),
    #[error("出生日期{0}不存在 / birth date {0} does not exist")]
    BirthDate(String),
    #[error("出生日期{0}晚于今天 / birth date {0} is in the future")]
    BirthDateInFuture(String),
    #[error(
        "校验位应为{expected}，实际为{found} / check digit should be {expected}, found {found}"
    )]
    CheckDigit { expected: char, found: char },
    #[error("{kind}号码格式不正确 / not a valid {kind_en} number")]
    Shape {
        kind: &'static str,
        kind_en: &'static str,
    },
    #[error("未知证件类型“{0}” / unknown document type \"{0}\"")]
    UnknownType(String),
}

/// A validated, normalised document number with its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Document {
    pub kind: DocumentType,
    pub number: String,
}

impl Document {
    /// Normalises and validates `raw` as a document of `kind`.
    pub fn parse(kind: DocumentType, raw: &str) -> Result<Document, DocumentError> {
        let number = normalise_code(raw);
        if number.is_empty() {
            return Err(DocumentError::Empty);
        }
        if !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(match kind {
                DocumentType::ResidentId => DocumentError::Characters,
                _ => shape_error(kind),
            });
        }
        match kind {
            DocumentType::ResidentId => validate_resident_id(&number)?,
            DocumentType::HkMacauPermit => check_shape(kind, &number, |s| {
                let (head, digits) = s.split_at(1);
                matches!(head, "H" | "M")
                    && matches!(digits.len(), 8 | 10)
                    && digits.bytes().all(|b| b.is_ascii_digit())
            })?,
            DocumentType::TaiwanPermit => check_shape(kind, &number, |s| {
                matches!(s.len(), 8 | 10) && s.bytes().all(|b| b.is_ascii_digit())
            })?,
            DocumentType::Passport => check_shape(kind, &number, |s| {
                (5..=17).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            })?,
        }
        Ok(Document { kind, number })
    }

    /// The birth date encoded in a resident ID; `None` for other documents.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        match self.kind {
            DocumentType::ResidentId => birth_date_of(&self.number),
            _ => None,
        }
    }

    /// The last four characters, the part residents remember and volunteers search by.
    pub fn last4(&self) -> &str {
        let n = self.number.len();
        &self.number[n.saturating_sub(4)..]
    }

    /// Masked for display: `310***********123X` (first three, last four) for a resident ID;
    /// the last four only for the short permits and passports (`*****5678`), where showing
    /// seven characters of eight or nine would hide next to nothing; and never more than half of
    /// the characters (a 5-character passport shows `***34`). See [`mask_document`].
    pub fn masked(&self) -> String {
        mask_document(&self.number)
    }

    /// The trailing characters a credential's `id_last4` claim carries: see [`document_tail`].
    pub fn tail(&self) -> String {
        document_tail(&self.number)
    }
}

fn shape_error(kind: DocumentType) -> DocumentError {
    let (zh, en) = match kind {
        DocumentType::ResidentId => ("身份证", "resident ID"),
        DocumentType::HkMacauPermit => ("港澳通行证", "HK/Macau permit"),
        DocumentType::TaiwanPermit => ("台胞证", "Taiwan permit"),
        DocumentType::Passport => ("护照", "passport"),
    };
    DocumentError::Shape {
        kind: zh,
        kind_en: en,
    }
}

/// `number` is non-empty ASCII alphanumeric here.
fn check_shape(
    kind: DocumentType,
    number: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<(), DocumentError> {
    if ok(number) {
        Ok(())
    } else {
        Err(shape_error(kind))
    }
}

/// Folds full-width ASCII to half-width, drops whitespace and common separators, upper-cases.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .map(fold_full_width)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Maps a full-width form (U+FF01..U+FF5E) to its ASCII counterpart, and U+3000 to a space.
pub fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Province-level codes of GB/T 2260 (first two digits), plus 81/82/83 used by the
/// HK/Macau/Taiwan residence permits that share the resident ID format.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character for the first 17 digits.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

fn validate_resident_id(number: &str) -> Result<(), DocumentError> {
    let len = number.chars().count();
    if len != 18 {
        return Err(DocumentError::Length(len));
    }
    let bytes = number.as_bytes();
    if !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(DocumentError::Characters);
    }
    let province = &number[..2];
    let region = &number[..6];
    if !PROVINCES.contains(&province) || region.ends_with("0000") && province < "81" {
        return Err(DocumentError::Region(region.to_string()));
    }
    if birth_date_of(number).is_none() {
        return Err(DocumentError::BirthDate(number[6..14].to_string()));
    }
    let expected = resident_id_check_char(&number[..17]).ok_or(DocumentError::Characters)?;
    let found = char::from(bytes[17]);
    if expected != found {
        return Err(DocumentError::CheckDigit { expected, found });
    }
    Ok(())
}

fn birth_date_of(number: &str) -> Option<NaiveDate> {
    let digits = number.get(6..14)?;
    let year: i32 = digits[..4].parse().ok()?;
    let month: u32 = digits[4..6].parse().ok()?;
    let day: u32 = digits[6..8].parse().ok()?;
    if year < 1850 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// How many characters of a document number of `len` characters any screen, card, export or
/// credential may show: never more than half, rounded down (`E1234` at most 2, `AB12345` at
/// most 3). A 5-character passport shown as `*1234` is one guess per character from the whole
/// number.
pub fn shown_limit(len: usize) -> usize {
    len / 2
}

/// The trailing characters of a document number that may be shown or put in a credential's
/// `id_last4` claim: the last four, fewer for a number shorter than eight characters (half,
/// rounded down: `E1234` → `34`).
pub fn document_tail(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let tail = 4.min(chars.len() / 2);
    chars[chars.len() - tail..].iter().collect()
}

/// A stored document number masked as [`Document::masked`] does: first three and last four of
/// a resident ID (15 characters or more), the last four only of anything shorter, and never
/// more than half of the characters (`E1234` → `***34`, `AB12345` → `****345`).
pub fn mask_document(number: &str) -> String {
    let len = number.chars().count();
    let tail = 4.min(len / 2);
    let head = if len >= 15 { 3 } else { 0 };
    // 3 + 4 of 15 or more is at most half; the guard keeps it so if the numbers above change.
    let head = if head + tail <= shown_limit(len) {
        head
    } else {
        0
    };
    mask_middle(number, head, tail)
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest; short values keep
/// at most half of their characters so that masking always hides something.
pub fn mask_middle(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len();
    let (head, tail) = if len <= head + tail {
        (0, tail.min(len / 2))
    } else {
        (head, tail)
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= len - tail { *c } else { '*' })
        .collect()
}
