//! Reaching a printer: CUPS command-line tools, or the desktop's PDF viewer.
//!
//! The CUPS client programs (`lpstat`, `lp`) are used rather than libcups: nothing to
//! link, the same on every Linux desktop, and their output is stable when run in
//! the C locale. Arguments are passed without a shell; printer names are checked so
//! that one can never be read as an option.
//!
//! Every child starts with an allowlisted environment ([`child_command`]): the station's secrets
//! may sit in ours (`NAC_PASSPHRASE`, `NAC_PIN` for a script), and the PDF viewer `xdg-open`
//! starts outlives the station, readable in `/proc/PID/environ` by anything of the same user.
//! The allowlist is what the programs need to find the printer, the fonts and the desktop.

use std::ffi::{OsStr, OsString};
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

/// Variables a child may inherit: the search path, home, locale and temporary directory; the
/// desktop session for `xdg-open` and the viewer it starts; the CUPS destination for `lp` and
/// `lpstat`; fontconfig's for `fc-match`.
const CHILD_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TMPDIR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "DBUS_SESSION_BUS_ADDRESS",
    "DESKTOP_SESSION",
    "KDE_FULL_SESSION",
    "KDE_SESSION_VERSION",
    "GNOME_DESKTOP_SESSION_ID",
    "PRINTER",
    "LPDEST",
];
/// Families of variables a child may inherit (`LC_*`, `XDG_RUNTIME_DIR`, `XDG_CURRENT_DESKTOP`
/// and the other XDG directories, `CUPS_SERVER`, `FONTCONFIG_FILE`, …).
const CHILD_ENV_PREFIXES: &[&str] = &["LC_", "XDG_", "CUPS_", "FONTCONFIG_"];

/// Whether a child may inherit the variable `name`.
pub fn child_may_inherit(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    CHILD_ENV.contains(&name) || CHILD_ENV_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// `program`, to be started with only the allowlisted part of this process's environment.
/// Every child the station starts goes through here (or [`command_with_env`]); other crates
/// starting a program should too.
pub fn child_command(program: &str) -> Command {
    command_with_env(program, std::env::vars_os())
}

/// `program` with the allowlisted part of `env` as its whole environment.
pub fn command_with_env(
    program: &str,
    env: impl IntoIterator<Item = (OsString, OsString)>,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd.envs(env.into_iter().filter(|(k, _)| child_may_inherit(k)));
    cmd
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<String, PrintError> {
    let out = child_command(program)
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

    /// A real child (`env`) started with an environment holding the station's secrets sees
    /// none of them, and still gets what it needs.
    #[cfg(unix)]
    #[test]
    fn a_child_gets_the_allowlist_only() {
        let parent: Vec<(OsString, OsString)> = [
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/station"),
            ("LANG", "zh_CN.UTF-8"),
            ("LC_ALL", "C"),
            ("DISPLAY", ":0"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("CUPS_SERVER", "localhost"),
            ("FONTCONFIG_FILE", "/etc/fonts/fonts.conf"),
            ("NAC_PASSPHRASE", "correct horse battery staple"),
            ("NAC_PIN", "246810"),
            ("NAC_NEW_PASSPHRASE", "another secret"),
            ("AWS_SECRET_ACCESS_KEY", "not ours either"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let out = command_with_env("env", parent).output().unwrap();
        assert!(out.status.success());
        let seen = String::from_utf8_lossy(&out.stdout);
        let mut names: Vec<&str> = seen.lines().filter_map(|l| l.split('=').next()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "CUPS_SERVER",
                "DISPLAY",
                "FONTCONFIG_FILE",
                "HOME",
                "LANG",
                "LC_ALL",
                "PATH",
                "XDG_RUNTIME_DIR"
            ]
        );
        for secret in ["horse", "246810", "another", "not ours"] {
            assert!(!seen.contains(secret), "{seen}");
        }
    }
}
