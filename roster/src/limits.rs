//! The caps on a roster file, checked before it is read in full.

/// Largest roster file accepted, checked from the file's metadata before it is opened (20 MiB:
/// a 50,000-row roster is about 5 MiB as CSV and 3 MiB as XLSX).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Most data rows (not counting the header or empty rows) in one roster file. For XLSX the
/// sheet's declared used range is checked against this before any cell is read; CSV files are
/// refused as soon as the cap is passed.
pub const MAX_DATA_ROWS: usize = 50_000;
