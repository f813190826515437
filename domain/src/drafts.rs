//! Validation of what a volunteer types or a roster row holds, before anything is written:
//! every problem is reported with its field, not just the first.

use super::fields::{Field, FieldError};
use crate::address::{describe_control, is_control};
use crate::{Address, AddressPart, Document, DocumentType, PersonName, Phone};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A household as typed in a form or read from a roster row (unvalidated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdInput {
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub room: String,
    pub phone: String,
}

/// A validated household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDraft {
    pub address: Address,
    pub phone: Option<Phone>,
}

impl HouseholdDraft {
    pub fn validate(input: &HouseholdInput) -> Result<HouseholdDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let address = Address::parse(
            &input.district,
            &input.road,
            &input.lane,
            &input.number,
            &input.room,
        )
        .map_err(|(part, e)| {
            let field = match part {
                AddressPart::District => Field::District,
                AddressPart::Road => Field::Road,
                AddressPart::Lane => Field::Lane,
                AddressPart::Number => Field::Number,
                AddressPart::Room => Field::Room,
            };
            errors.push(FieldError::new(field, e));
        })
        .ok();
        let phone = optional_phone(&input.phone, Field::HouseholdPhone, &mut errors);
        match (address, errors.is_empty()) {
            (Some(address), true) => Ok(HouseholdDraft { address, phone }),
            _ => Err(errors),
        }
    }
}

/// A resident as typed in a form or read from a roster row (unvalidated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResidentInput {
    pub name: String,
    /// Empty means resident ID (居民身份证).
    pub document_type: String,
    pub document_number: String,
    pub phone: String,
    pub notes: String,
    pub has_smartphone: bool,
}

/// A validated resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentDraft {
    pub name: PersonName,
    pub document: Document,
    pub phone: Option<Phone>,
    pub notes: String,
    pub has_smartphone: bool,
    pub birth_date: Option<NaiveDate>,
}

const MAX_NOTES_CHARS: usize = 200;

impl ResidentDraft {
    /// Validates every field and reports every problem, not just the first.
    pub fn validate(
        input: &ResidentInput,
        today: NaiveDate,
    ) -> Result<ResidentDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = PersonName::parse(&input.name)
            .map_err(|e| errors.push(e.into()))
            .ok();
        let kind = input
            .document_type
            .parse::<DocumentType>()
            .map_err(|e| errors.push(FieldError::new(Field::DocumentType, e)))
            .ok();
        let document = kind.and_then(|kind| {
            Document::parse(kind, &input.document_number)
                .map_err(|e| errors.push((Field::DocumentNumber, e).into()))
                .ok()
        });
        let birth_date = document.as_ref().and_then(Document::birth_date);
        if let Some(born) = birth_date {
            if born > today {
                errors.push(
                    (
                        Field::DocumentNumber,
                        crate::DocumentError::BirthDateInFuture(born.to_string()),
                    )
                        .into(),
                );
            }
        }
        let phone = optional_phone(&input.phone, Field::Phone, &mut errors);
        let notes = normalise_notes(&input.notes);
        if let Some(c) = notes.chars().find(|c| is_control(*c)) {
            errors.push(FieldError::new(
                Field::Notes,
                format!(
                    "备注含有控制字符{0}（不可见字符），请删除后重新输入 / notes contain the control character {0} (invisible); delete it and retype",
                    describe_control(c)
                ),
            ));
        }
        if notes.chars().count() > MAX_NOTES_CHARS {
            errors.push(FieldError::new(
                Field::Notes,
                format!("备注最多{MAX_NOTES_CHARS}字 / notes are limited to {MAX_NOTES_CHARS} characters"),
            ));
        }
        match (name, document, errors.is_empty()) {
            (Some(name), Some(document), true) => Ok(ResidentDraft {
                name,
                document,
                phone,
                notes,
                has_smartphone: input.has_smartphone,
                birth_date,
            }),
            _ => Err(errors),
        }
    }
}

/// Notes typed in a cell often hold line breaks or tabs (Alt+Enter in Excel): they become
/// single spaces; every other control character is refused by the caller.
fn normalise_notes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        if matches!(c, '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn optional_phone(raw: &str, field: Field, errors: &mut Vec<FieldError>) -> Option<Phone> {
    if raw.trim().is_empty() {
        return None;
    }
    Phone::parse(raw)
        .map_err(|e| errors.push((field, e).into()))
        .ok()
}
