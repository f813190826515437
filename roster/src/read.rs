//! Reading a roster file: the size cap, the format, then the CSV or workbook reader.

use crate::error::RosterError;
use crate::format::FileFormat;
use crate::limits::MAX_FILE_BYTES;
use crate::rows::{RawRow, RosterFile};
use crate::{csv_file, workbook};
use std::path::Path;

/// Reads the data rows of a roster file (see [`read_roster_file`]).
pub fn read_roster(path: &Path) -> Result<Vec<RawRow>, RosterError> {
    Ok(read_roster_file(path)?.rows)
}

/// Reads a roster file: checks the size cap from the metadata, then reads it as
/// [`read_roster_bytes`] does.
pub fn read_roster_file(path: &Path) -> Result<RosterFile, RosterError> {
    let bytes = std::fs::metadata(path)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes,
            limit: MAX_FILE_BYTES,
        });
    }
    // Read no more than the cap in case the file grew since.
    let mut content = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path)?, MAX_FILE_BYTES + 1),
        &mut content,
    )?;
    read_roster_bytes(&file_name(path), &content)
}

/// Reads a roster from its bytes, as a file named `name` (only its extension is used, to tell
/// text from a misnamed workbook): checks the size cap, tells the format from the content,
/// finds the header (in the first [`HEADER_SEARCH_ROWS`](crate::HEADER_SEARCH_ROWS) rows, on the first sheet where one
/// maps) and returns the non-empty data rows. Nothing is written anywhere: the desktop app
/// imports the bytes the volunteer's file dialog read, without a copy on disk.
pub fn read_roster_bytes(name: &str, bytes: &[u8]) -> Result<RosterFile, RosterError> {
    let len = bytes.len() as u64;
    if len > MAX_FILE_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes: len,
            limit: MAX_FILE_BYTES,
        });
    }
    let (format, notice) = FileFormat::detect(name, bytes)?;
    let mut file = match format {
        FileFormat::Csv => csv_file::read(bytes)?,
        workbook => workbook::read(bytes, workbook)?,
    };
    file.notices.extend(notice);
    Ok(file)
}

/// The name a report shows for the file at `path`.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
