//! The UI contract: every request and response type the commands take or return, declared once
//! here and exported to `ui/types.d.ts` (ts-rs, see [`crate::bindings`]) so the JavaScript side
//! is checked against them (`// @ts-check` + JSDoc). They mirror the core's types on purpose: the
//! core can grow without silently changing what the UI receives, and times arrive already
//! formatted in China Standard Time (R1) so the UI never does time-zone arithmetic.
//!
//! One file per [`crate::api`] module (plus [`gate`] for the start screen and [`events`] for
//! what the backend emits); everything is re-exported here, so `crate::view::X` names every
//! type. This file holds what all of them share: the UI language and the error shape.

pub mod accounts;
pub mod codes;
pub mod events;
pub mod files;
pub mod gate;
pub mod print;
pub mod roster;
pub mod station;
pub mod sync;

pub use accounts::*;
pub use codes::*;
pub use events::*;
pub use files::*;
pub use gate::*;
pub use print::*;
pub use roster::*;
pub use station::*;
pub use sync::*;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Splits a core message written as "中文 / English" into the UI language's half.
pub fn pick(lang: Lang, bilingual: &str) -> String {
    let (zh, en) = nac_core::error::split_bilingual(bilingual);
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// An error as the UI receives it: `code` for the few cases the UI branches on, a message in
/// the UI language, and per-field messages for inline form validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    #[ts(type = "ErrorCode | AppCode")]
    pub code: crate::error::ApiCode,
    pub message: String,
    pub fields: Vec<FieldMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldMessage {
    /// `district`, `road`, `lane`, `number`, `room`, `household_phone`, `name`,
    /// `document_type`, `document_number`, `phone`, `notes`.
    pub field: String,
    pub message: String,
}
