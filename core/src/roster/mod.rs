//! Roster files in and out (CSV / XLSX).

/// A problem with a roster file as a whole (row problems go in the import report).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("无法识别的文件类型“{0}”，请使用 .csv 或 .xlsx / unsupported file type \"{0}\"; use .csv or .xlsx")]
    UnknownFormat(String),
}
