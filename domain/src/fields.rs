//! Which field a validation problem is about, and the problem: what forms show inline and the
//! roster's row report lists. Domain values say what is wrong with them; these carry it to the
//! field it came from.

use super::{DocumentError, NameError, PhoneError};
use serde::Serialize;

/// A form field a validation message is about (row-level reports and inline form errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
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
    Notes,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::District => "district",
            Field::Road => "road",
            Field::Lane => "lane",
            Field::Number => "number",
            Field::Room => "room",
            Field::HouseholdPhone => "household_phone",
            Field::Name => "name",
            Field::DocumentType => "document_type",
            Field::DocumentNumber => "document_number",
            Field::Phone => "phone",
            Field::Notes => "notes",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Field::District => "区",
            Field::Road => "路",
            Field::Lane => "弄",
            Field::Number => "号",
            Field::Room => "室",
            Field::HouseholdPhone => "户联系电话",
            Field::Name => "姓名",
            Field::DocumentType => "证件类型",
            Field::DocumentNumber => "证件号码",
            Field::Phone => "手机号",
            Field::Notes => "备注",
        }
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, message: impl ToString) -> FieldError {
        FieldError {
            field,
            message: message.to_string(),
        }
    }
}

impl From<(Field, DocumentError)> for FieldError {
    fn from((field, e): (Field, DocumentError)) -> Self {
        FieldError::new(field, e)
    }
}
impl From<NameError> for FieldError {
    fn from(e: NameError) -> Self {
        FieldError::new(Field::Name, e)
    }
}
impl From<(Field, PhoneError)> for FieldError {
    fn from((field, e): (Field, PhoneError)) -> Self {
        FieldError::new(field, e)
    }
}
