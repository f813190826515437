//! The kinds of roster file, told by a file's first bytes, not its name.
//!
//! Volunteers rename files, systems export BIFF workbooks as "download.csv", and WPS saves
//! `.xls` under whatever name the template had. Judged by the extension, such a file got
//! "invalid Zip archive: could not find EOCD" or "encoding is neither UTF-8 nor GB18030"; judged
//! by its content it simply imports, with a notice that the name was misleading.

use crate::error::RosterError;
use serde::Serialize;
use std::io::{Cursor, Read as _};
use std::path::Path;

/// The kinds of roster file. The kind is told by the file's first bytes, not its name (see
/// [`FileFormat::detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Delimited text: `.csv`, `.tsv`, `.txt` (comma, tab or semicolon, detected from the header).
    Csv,
    /// Office Open XML workbook: `.xlsx`, `.xlsm`.
    Xlsx,
    /// Excel 97–2003 (BIFF8) workbook: `.xls`, also WPS's default templates.
    Xls,
    /// OpenDocument spreadsheet (LibreOffice): `.ods`.
    Ods,
    /// Excel binary workbook: `.xlsb`.
    Xlsb,
}

impl FileFormat {
    /// The usual extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
            FileFormat::Xls => "xls",
            FileFormat::Ods => "ods",
            FileFormat::Xlsb => "xlsb",
        }
    }

    /// The format an extension names (case-insensitive), if it is a roster format.
    pub fn from_extension(ext: &str) -> Option<FileFormat> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => FileFormat::Csv,
            "xlsx" | "xlsm" => FileFormat::Xlsx,
            "xls" | "et" => FileFormat::Xls,
            "ods" => FileFormat::Ods,
            "xlsb" => FileFormat::Xlsb,
            _ => return None,
        })
    }

    /// The format of a file named `name` holding `bytes`, from its first bytes (a zip's
    /// parts, the OLE2 signature) and, for text, its extension; plus a notice when the name
    /// says otherwise.
    pub fn detect(name: &str, bytes: &[u8]) -> Result<(FileFormat, Option<String>), RosterError> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        detect(&ext, bytes)
    }
}

/// The OLE2 compound-file signature of `.xls` (and `.doc`, `.et`, …).
const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What the first bytes of `bytes` say; `ext` is the extension of the file's name (lower
/// case, without the dot; empty when it has none).
fn detect(ext: &str, bytes: &[u8]) -> Result<(FileFormat, Option<String>), RosterError> {
    let named = FileFormat::from_extension(ext);
    let head = &bytes[..bytes.len().min(8)];
    let found = if head.starts_with(&OLE2) {
        FileFormat::Xls
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        zip_kind(bytes)?
    } else if head.starts_with(b"%PDF") {
        return Err(RosterError::NotASpreadsheet {
            zh: "PDF文件",
            en: "a PDF file",
        });
    } else {
        match named {
            Some(FileFormat::Csv) => FileFormat::Csv,
            // Text under a workbook's name (a CSV renamed .xlsx) is read as text; anything else
            // that is neither a workbook nor text fails in the CSV decoder with its own message.
            Some(_) => FileFormat::Csv,
            None => return Err(RosterError::UnknownFormat(ext.to_string())),
        }
    };
    let notice = match named {
        Some(n) if n == found => None,
        _ if ext.is_empty() => None,
        _ => Some(format!(
            "文件扩展名为.{ext}，但内容是{zh}，已按{zh}读取 / the file is named .{ext} but holds {en}; it was read as such",
            zh = label_zh(found),
            en = label_en(found),
        )),
    };
    Ok((found, notice))
}

/// Which kind of zip: an Office Open XML workbook, an OpenDocument spreadsheet, or something
/// else (a Word document, an Apple Numbers file) that is not a roster.
fn zip_kind(bytes: &[u8]) -> Result<FileFormat, RosterError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Err(RosterError::Workbook(
            "压缩包已损坏或不完整 / the zip container is damaged or incomplete".to_string(),
        ));
    };
    let has = |archive: &zip::ZipArchive<Cursor<&[u8]>>, name: &str| {
        archive
            .file_names()
            .any(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case(name)))
    };
    if has(&archive, "xl/workbook.xml") {
        return Ok(FileFormat::Xlsx);
    }
    if has(&archive, "xl/workbook.bin") {
        return Ok(FileFormat::Xlsb);
    }
    if has(&archive, "word/document.xml") {
        return Err(RosterError::NotASpreadsheet {
            zh: "Word文档",
            en: "a Word document",
        });
    }
    if has(&archive, "ppt/presentation.xml") {
        return Err(RosterError::NotASpreadsheet {
            zh: "PowerPoint演示文稿",
            en: "a PowerPoint presentation",
        });
    }
    let mut mimetype = String::new();
    if let Ok(entry) = archive.by_name("mimetype") {
        // The OpenDocument mimetype entry is a short line; never read more of a crafted one.
        let _ = entry.take(128).read_to_string(&mut mimetype);
    }
    if mimetype.starts_with("application/vnd.oasis.opendocument.spreadsheet") {
        return Ok(FileFormat::Ods);
    }
    if mimetype.starts_with("application/vnd.oasis.opendocument") {
        return Err(RosterError::NotASpreadsheet {
            zh: "OpenDocument文本或演示文稿",
            en: "an OpenDocument text or presentation",
        });
    }
    if has(&archive, "Index/Document.iwa") {
        return Err(RosterError::NotASpreadsheet {
            zh: "Apple Numbers文件",
            en: "an Apple Numbers file",
        });
    }
    Err(RosterError::NotASpreadsheet {
        zh: "一个不含工作簿的压缩包",
        en: "a zip archive without a workbook",
    })
}

fn label_zh(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv => "文本（CSV）",
        FileFormat::Xlsx => ".xlsx工作簿",
        FileFormat::Xls => ".xls工作簿",
        FileFormat::Ods => ".ods工作簿",
        FileFormat::Xlsb => ".xlsb工作簿",
    }
}

fn label_en(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv => "text (CSV)",
        FileFormat::Xlsx => "an .xlsx workbook",
        FileFormat::Xls => "an .xls workbook",
        FileFormat::Ods => "an .ods workbook",
        FileFormat::Xlsb => "an .xlsb workbook",
    }
}
