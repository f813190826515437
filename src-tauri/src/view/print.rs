//! Printing cards ([`crate::api::print`]): layouts and printers on offer, who can be printed,
//! where the cards go, and what a print job did.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the print screen offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintOptions {
    /// `a4-8up`, `a4-4up`, `large`, `household`, `label-62mm`.
    pub layouts: Vec<String>,
    pub printers: Vec<PrinterChoice>,
    /// Why no printer is listed (CUPS missing, …), in the UI language.
    pub printers_problem: Option<String>,
    pub default_pdf_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrinterChoice {
    pub name: String,
    pub is_default: bool,
}

/// A resident on the print screen: printable when they have a valid code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintCandidate {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub address: String,
    pub serial: Option<String>,
    pub expires_at: Option<String>,
}

/// Where the cards go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrintDestination {
    /// Render to a private preview PDF and open it in the system viewer; nothing is recorded.
    Preview,
    /// Save the PDF here (recorded in the print ledger).
    Pdf { path: String },
    /// Save next to the data file and send to this CUPS printer (recorded).
    Printer { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintJobRequest {
    #[ts(type = "number[]")]
    pub residents: Vec<i64>,
    pub layout: String,
    pub destination: PrintDestination,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintSummary {
    pub cards: u32,
    pub pages: u32,
    pub path: String,
    pub printer_job: Option<String>,
    /// Recorded in the print ledger (not for a preview).
    pub recorded: bool,
    /// Residents without a valid code, not printed.
    pub skipped: u32,
}
