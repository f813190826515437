//! Reaching a printer: CUPS command-line tools, or the desktop's PDF viewer.
//!
//! The CUPS client programs (`lpstat`, `lp`) are used rather than libcups: nothing to
//! link, the same on every Linux desktop, and their output is stable when run in
//! the C locale. Arguments are passed without a shell; printer names are checked so
//! that one can never be read as an option.

use std::path::Path;
use std::process::Command;

use crate::error::PrintError;

/// A CUPS destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printer {
    /// Queue name, as passed to `lp -d`.
    pub name: String,
    /// Whether it is the system default destination.
    pub is_default: bool,
}

/// A submitted print job, e.g. `NAC-PDF-12`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobId(pub String);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<String, PrintError> {
    let out = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| PrintError::System {
            command: program.to_string(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        let mut message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if message.is_empty() {
            message = format!("exit status {}", out.status);
        }
        return Err(PrintError::System {
            command: program.to_string(),
            message,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parse `lpstat -e` output (one destination per line).
pub(crate) fn parse_destinations(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parse `lpstat -d` output: "system default destination: NAME".
pub(crate) fn parse_default(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix("system default destination:")
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
    })
}

/// Parse `lp` output: "request id is NAC-PDF-12 (1 file(s))".
pub(crate) fn parse_request_id(text: &str) -> Option<JobId> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("request id is ")?;
        rest.split_whitespace()
            .next()
            .map(|id| JobId(id.to_string()))
    })
}

/// List CUPS destinations (`lpstat -e`) and mark the default (`lpstat -d`).
pub fn list_printers() -> Result<Vec<Printer>, PrintError> {
    let names = parse_destinations(&run("lpstat", &["-e".as_ref()])?);
    // No default set is not an error ("no system default destination").
    let default = run("lpstat", &["-d".as_ref()])
        .ok()
        .and_then(|t| parse_default(&t));
    Ok(names
        .into_iter()
        .map(|name| Printer {
            is_default: default.as_deref() == Some(name.as_str()),
            name,
        })
        .collect())
}

fn valid_printer_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '/' && c != '#' && c != '\\')
}

/// Send a PDF to a CUPS queue: `lp -d PRINTER -t TITLE -- FILE`.
pub fn send_to_printer(pdf_path: &Path, printer: &str, title: &str) -> Result<JobId, PrintError> {
    if !valid_printer_name(printer) {
        return Err(PrintError::InvalidPrinterName(printer.to_string()));
    }
    let title: String = title.chars().filter(|c| !c.is_control()).collect();
    let out = run(
        "lp",
        &[
            "-d".as_ref(),
            printer.as_ref(),
            "-t".as_ref(),
            title.as_ref(),
            "--".as_ref(),
            pdf_path.as_os_str(),
        ],
    )?;
    parse_request_id(&out).ok_or_else(|| PrintError::System {
        command: "lp".into(),
        message: format!("unexpected output: {}", out.trim()),
    })
}

/// Open a PDF in the desktop's viewer (`xdg-open`; `open` on macOS).
pub fn open_with_system_viewer(pdf_path: &Path) -> Result<(), PrintError> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    run(program, &[pdf_path.as_os_str()]).map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_lpstat_and_lp() {
        assert_eq!(
            parse_destinations("NAC-PDF\nOffice\n\n"),
            vec!["NAC-PDF", "Office"]
        );
        assert_eq!(
            parse_default("system default destination: NAC-PDF\n").as_deref(),
            Some("NAC-PDF")
        );
        assert_eq!(parse_default("no system default destination\n"), None);
        assert_eq!(
            parse_request_id("request id is NAC-PDF-12 (1 file(s))\n"),
            Some(JobId("NAC-PDF-12".into()))
        );
        assert_eq!(parse_request_id("lp: error"), None);
    }

    #[test]
    fn printer_names_cannot_be_options() {
        assert!(valid_printer_name("NAC-PDF"));
        assert!(!valid_printer_name("-oraw"));
        assert!(!valid_printer_name("a b"));
        assert!(!valid_printer_name("a/b"));
        assert!(!valid_printer_name(""));
        let err = send_to_printer(Path::new("/nonexistent.pdf"), "-h", "t").unwrap_err();
        assert!(matches!(err, PrintError::InvalidPrinterName(_)));
    }
}
