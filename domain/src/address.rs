//! Household addresses in the Shanghai style: district, road, lane (弄), number (号), room (室).
//!
//! Volunteers find a household by walking the lanes, so the parts are kept separate (for grouping
//! by road / lane / building) and normalised (full-width digits folded, the unit characters
//! 弄/号/室 stripped on input and added back on display) so that "100弄" and "１００" match.

use super::document::fold_full_width;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0}不能为空 / {1} is required")]
    Missing(&'static str, &'static str),
    #[error("{0}过长 / {1} is too long")]
    TooLong(&'static str, &'static str),
    #[error("{0}含有控制字符{2}（不可见字符，常见于从其他系统复制的文字），请删除后重新输入 / {1} contains the control character {2} (invisible, often pasted from another system); delete it and retype")]
    ControlCharacter(&'static str, &'static str, String),
}

/// A control character (U+0000–U+001F, U+007F–U+009F): never part of an address, a name or a
/// note. U+001F also separates the parts of the household key, so letting it in could merge
/// two different addresses.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// A control character as a message shows it (`U+001F`).
pub fn describe_control(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Which part of an address a problem is about (for row-level messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressPart {
    District,
    Road,
    Lane,
    Number,
    Room,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Address {
    pub district: String,
    pub road: String,
    /// 弄, without the unit character; empty when the road has no lanes.
    pub lane: String,
    /// 号, without the unit character.
    pub number: String,
    /// 室, without the unit character; empty for a single-family house.
    pub room: String,
}

const MAX_PART_CHARS: usize = 40;

impl Address {
    /// Normalises and validates the parts; returns the first problem with the part it is about.
    pub fn parse(
        district: &str,
        road: &str,
        lane: &str,
        number: &str,
        room: &str,
    ) -> Result<Address, (AddressPart, AddressError)> {
        let part = |p: AddressPart, raw: &str, unit: Option<char>, required: bool| {
            let (zh, en) = match p {
                AddressPart::District => ("区", "district"),
                AddressPart::Road => ("路", "road"),
                AddressPart::Lane => ("弄", "lane"),
                AddressPart::Number => ("号", "number"),
                AddressPart::Room => ("室", "room"),
            };
            let mut value: String = raw.chars().map(fold_full_width).collect();
            value = value.trim().to_string();
            if let Some(c) = value.chars().find(|c| is_control(*c)) {
                return Err((
                    p,
                    AddressError::ControlCharacter(zh, en, describe_control(c)),
                ));
            }
            if let Some(u) = unit {
                if let Some(stripped) = value.strip_suffix(u) {
                    value = stripped.trim_end().to_string();
                }
            }
            if required && value.is_empty() {
                return Err((p, AddressError::Missing(zh, en)));
            }
            if value.chars().count() > MAX_PART_CHARS {
                return Err((p, AddressError::TooLong(zh, en)));
            }
            Ok(value)
        };
        Ok(Address {
            district: part(AddressPart::District, district, None, true)?,
            road: part(AddressPart::Road, road, None, true)?,
            lane: part(AddressPart::Lane, lane, Some('弄'), false)?,
            number: part(AddressPart::Number, number, Some('号'), true)?,
            room: part(AddressPart::Room, room, Some('室'), false)?,
        })
    }

    /// A key that identifies the household's dwelling, used to match roster rows to households.
    pub fn key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.district, self.road, self.lane, self.number, self.room
        )
    }

    /// The building (everything but the room), for grouping households on screen.
    pub fn building(&self) -> String {
        let mut s = format!("{} {}", self.district, self.road);
        if !self.lane.is_empty() {
            s.push_str(&format!(" {}弄", self.lane));
        }
        s.push_str(&format!(" {}号", self.number));
        s
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.building())?;
        if !self.room.is_empty() {
            write!(f, " {}室", self.room)?;
        }
        Ok(())
    }
}
