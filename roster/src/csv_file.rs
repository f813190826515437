//! Delimited text rosters: encoding detection (BOM, UTF-8, GB18030), delimiter detection from
//! the header line (comma, tab or semicolon) and spreadsheet row numbers.

use crate::column::HEADER_SEARCH_ROWS;
use crate::error::RosterError;
use crate::format::FileFormat;
use crate::header::{Assembled, Assembler, Cell};
use crate::rows::RosterFile;
use encoding_rs::{Encoding, GB18030};
use std::borrow::Cow;

/// Reads a delimited text roster from its bytes (already within the size cap).
pub(crate) fn read(bytes: &[u8]) -> Result<RosterFile, RosterError> {
    let (text, encoding) = decode(bytes)?;
    let assembled = parse(&text)?;
    Ok(RosterFile {
        format: FileFormat::Csv,
        encoding: Some(encoding),
        sheet: None,
        header_row: assembled.header_row,
        rows: assembled.rows,
        ignored_columns: assembled.ignored_columns,
        columns: assembled.columns,
        notices: Vec::new(),
    })
}

/// Decodes the file: a BOM decides (UTF-8, UTF-16LE/BE); otherwise valid UTF-8 is UTF-8, and
/// anything else must be valid GB18030 (what Excel and WPS in China write as "CSV").
pub(crate) fn decode(bytes: &[u8]) -> Result<(String, &'static str), RosterError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        let text = encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or(RosterError::Encoding)?;
        let name = match encoding.name() {
            "UTF-8" => "UTF-8 BOM",
            "UTF-16LE" => "UTF-16LE BOM",
            _ => "UTF-16BE BOM",
        };
        return Ok((text.into_owned(), name));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| (text.into_owned(), "GB18030"))
        .ok_or(RosterError::Encoding)
}

/// The delimiter the header uses most: comma, tab or semicolon (comma on a tie). The header
/// may stand below title lines, so each delimiter is counted on the line among the first
/// [`HEADER_SEARCH_ROWS`] that holds most of it.
fn delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .take(HEADER_SEARCH_ROWS)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let count = |d: char| {
        lines
            .iter()
            .map(|l| l.chars().filter(|c| *c == d).count())
            .max()
            .unwrap_or(0)
    };
    let (comma, tab, semicolon) = (count(','), count('\t'), count(';'));
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma && semicolon > tab {
        b';'
    } else {
        b','
    }
}

fn parse(text: &str) -> Result<Assembled, RosterError> {
    // Old Mac line ends (a lone CR) become LF, so that line counting below sees every row.
    let text: Cow<'_, str> = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let ends_with_newline = text.ends_with('\n');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut assembler = Assembler::default();
    let mut record = csv::StringRecord::new();
    // Spreadsheet rows count blank lines (which the csv reader skips) but not line breaks inside
    // quoted cells (which the reader's line counter includes). The reader's line number after a
    // record is the line following the record's terminator.
    let mut breaks_before: u64 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = reader.position().line().saturating_sub(breaks_before);
                return Err(RosterError::Csv {
                    row: usize::try_from(line).unwrap_or(usize::MAX),
                    message: e.to_string(),
                });
            }
        }
        let inner: u64 = record
            .iter()
            .map(|f| f.bytes().filter(|b| *b == b'\n').count() as u64)
            .sum();
        let position = reader.position();
        let at_end = usize::try_from(position.byte()).is_ok_and(|b| b >= text.len());
        // The file's last line break ends the last record, unless an unclosed quote swallowed
        // it into the last cell (then it is already counted in `inner`).
        let swallowed = at_end && record.iter().next_back().is_some_and(|f| f.ends_with('\n'));
        let terminator = u64::from(!at_end || (ends_with_newline && !swallowed));
        let line = position
            .line()
            .saturating_sub(inner + terminator + breaks_before);
        breaks_before += inner;
        let row = usize::try_from(line).unwrap_or(usize::MAX);
        let cells = record
            .iter()
            .enumerate()
            .filter(|(index, _)| assembler.wants(*index))
            .map(|(index, field)| (index, Cell::Text(field.to_string())))
            .collect();
        assembler.push(row, cells)?;
    }
    assembler.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(delimiter("区,路,号\n"), b',');
        assert_eq!(delimiter("\n\n区\t路\t号\n"), b'\t');
        assert_eq!(delimiter("区;路;号\n"), b';');
        assert_eq!(delimiter("区\n"), b',');
        assert_eq!(delimiter("某某居委会住户名册\n\n区\t路\t号\n"), b'\t');
    }

    #[test]
    fn encodings() {
        assert_eq!(decode("区".as_bytes()).ok(), Some(("区".into(), "UTF-8")));
        assert_eq!(
            decode("\u{feff}区".as_bytes()).ok(),
            Some(("区".into(), "UTF-8 BOM"))
        );
        let (gb, _, _) = GB18030.encode("徐汇区");
        assert_eq!(decode(&gb).ok(), Some(("徐汇区".into(), "GB18030")));
        assert!(matches!(
            decode(&[0x80, 0xff, 0x41]),
            Err(RosterError::Encoding)
        ));
    }

    #[test]
    fn row_numbers_follow_the_spreadsheet() {
        let text = "\n区,路,号,姓名,证件号码\n\nA,B,1,\"张\n三\",X\n\nA,B,2,李四,Y\n";
        let numbers = |text: &str| -> Vec<usize> {
            let assembled = parse(text).unwrap_or_default();
            assembled.rows.iter().map(|r| r.row).collect()
        };
        assert_eq!(numbers(text), vec![4, 6]);
        assert_eq!(numbers(text.trim_end()), vec![4, 6]);
        assert_eq!(numbers(&text.replace('\n', "\r\n")), vec![4, 6]);
        assert_eq!(numbers(&text.replace('\n', "\r")), vec![4, 6]);
        assert_eq!(
            numbers("区,路,号,姓名,证件号码\nA,B,1,C,D\nA,B,2,C,E"),
            vec![2, 3]
        );
        // An unclosed quote in the last row swallows the final line break (found by fuzzing).
        assert_eq!(
            numbers("区,路,号,姓名,证件号码\nA,B,1,C,D\nA,B,2,C,\"E\n"),
            vec![2, 3]
        );
    }
}
