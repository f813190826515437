//! Names and phone numbers, as volunteers type them and as rosters hold them.
//!
//! Names are stored exactly as given (only surrounding whitespace is trimmed): a resident whose
//! name contains a rare character (生僻字, often in CJK Extension B and beyond) must get a card
//! with that character, never a look-alike. Phones are normalised (full-width digits, spaces,
//! dashes and a `+86` prefix removed) because they come from many keyboards.

use super::document::{fold_full_width, mask_middle};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest name accepted, in characters (the longest minority names with `·` stay well below).
pub const MAX_NAME_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("姓名为空 / name is empty")]
    Empty,
    #[error(
        "姓名过长（最多{MAX_NAME_CHARS}字） / name is longer than {MAX_NAME_CHARS} characters"
    )]
    TooLong,
    #[error("姓名含不允许的字符“{0}” / name contains the character \"{0}\", which is not allowed")]
    Character(char),
    #[error("姓名含有控制字符{0}（不可见字符），请删除后重新输入 / name contains the control character {0} (invisible); delete it and retype")]
    ControlCharacter(String),
}

/// A person's name: letters of any script (Han incl. Extension B+), the middle dot `·` of
/// minority and foreign names, and spaces, hyphens or apostrophes between letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<PersonName, NameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
            return Err(if super::address::is_control(bad) {
                NameError::ControlCharacter(super::address::describe_control(bad))
            } else {
                NameError::Character(bad)
            });
        }
        Ok(PersonName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked as in the credential: `张*丰`, `李*`, `阿*·*提` — one star per hidden run, so a
    /// long name does not grow the QR code; the middle dot stays visible.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let n = chars.len();
        match n {
            0 | 1 => self.0.clone(),
            2 => format!("{}*", chars[0]),
            _ => {
                let mut out = String::with_capacity(self.0.len());
                out.push(chars[0]);
                for c in &chars[1..n - 1] {
                    if matches!(c, '·' | ' ') {
                        out.push(*c);
                    } else if !out.ends_with('*') {
                        out.push('*');
                    }
                }
                out.push(chars[n - 1]);
                out
            }
        }
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '·' | '•' | '・' | ' ' | '-' | '\'' | '.')
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("手机号应为11位数字，实际{0}位 / mobile number must have 11 digits, found {0}")]
    Length(usize),
    #[error("手机号须以1开头且只含数字 / mobile number must be digits starting with 1")]
    Shape,
}

/// A mainland mobile number: 11 digits starting with `1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, PhoneError> {
        let mut digits: String = raw
            .chars()
            .map(fold_full_width)
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')'))
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_string();
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(PhoneError::Shape);
        }
        if digits.len() != 11 {
            return Err(PhoneError::Length(digits.len()));
        }
        if !digits.starts_with('1') {
            return Err(PhoneError::Shape);
        }
        Ok(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        &self.0[7..]
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
