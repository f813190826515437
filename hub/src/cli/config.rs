//! The hub's settings file (`--config /etc/nac-hub/hub.toml`): where the data and the keys
//! are, and `serve`'s settings, so an installed hub starts with no flags and its
//! administration commands find the same data. A flag given on the command line (or through
//! its environment variable) wins over the file; the file wins over the built-in defaults.
//!
//! An unknown key is an error (a misspelt `consol = false` must not silently serve the
//! console), and so is a file over 64 KiB.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::ServeArgs;

/// Largest settings file read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The settings file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// The SQLite file (like `--data`).
    pub data: Option<String>,
    /// A PostgreSQL URL (like `--database`).
    pub database: Option<String>,
    /// The key directory (like `--keys`).
    pub keys: Option<PathBuf>,
    listen: Option<SocketAddr>,
    rate: Option<f64>,
    burst: Option<u32>,
    address_rate: Option<f64>,
    address_burst: Option<u32>,
    max_connections: Option<usize>,
    header_timeout: Option<u64>,
    request_timeout: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    offline_window_days: Option<i64>,
    max_subscriptions: Option<i64>,
    bulk_lookup_alert: Option<i64>,
    /// Serve the district console (default true; like `--no-console` when false).
    console: Option<bool>,
}

/// Reads the settings file at `path`; no file named, no settings.
pub fn load(path: Option<&Path>) -> Result<HubConfig> {
    let Some(path) = path else {
        return Ok(HubConfig::default());
    };
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?
        .len();
    if size > MAX_CONFIG_BYTES {
        bail!(
            "the settings file {} is {size} bytes; at most {MAX_CONFIG_BYTES} are read",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    parse(&text).with_context(|| format!("in the settings file {}", path.display()))
}

/// Parses a settings file's text.
pub fn parse(text: &str) -> Result<HubConfig> {
    let config: HubConfig = toml::from_str(text)?;
    if config.data.is_some() && config.database.is_some() {
        bail!("give `data` (SQLite) or `database` (PostgreSQL), not both");
    }
    Ok(config)
}

impl HubConfig {
    /// `serve`'s settings: each flag in `explicit` (given on the command line or through its
    /// environment variable) as given, the others from this file where it sets them.
    pub fn serve(&self, given: ServeArgs, explicit: &HashSet<String>) -> ServeArgs {
        let from_file = |id: &str| !explicit.contains(id);
        let mut s = given;
        macro_rules! take {
            ($field:ident) => {
                if from_file(stringify!($field)) {
                    if let Some(v) = self.$field.clone() {
                        s.$field = v.into();
                    }
                }
            };
        }
        take!(listen);
        take!(rate);
        take!(burst);
        take!(address_rate);
        take!(address_burst);
        take!(max_connections);
        take!(header_timeout);
        take!(request_timeout);
        take!(tls_cert);
        take!(tls_key);
        take!(offline_window_days);
        take!(max_subscriptions);
        take!(bulk_lookup_alert);
        if from_file("no_console") {
            if let Some(console) = self.console {
                s.no_console = !console;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn serve_args(argv: &[&str]) -> (ServeArgs, HashSet<String>) {
        let matches = <super::super::Args as clap::CommandFactory>::command()
            .get_matches_from(std::iter::once("nac-hub").chain(argv.iter().copied()));
        let args = <super::super::Args as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap_or_else(|e| panic!("{e}"));
        let explicit = super::super::explicit_serve_flags(&matches);
        match args.command {
            super::super::Command::Serve(s) => (s, explicit),
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_to_defaults() {
        let config = parse(
            "data = \"/var/lib/nac-hub/hub.db\"\nlisten = \"0.0.0.0:8700\"\nrate = 50.0\n\
             console = false\ntls_cert = \"/etc/nac-hub/cert.pem\"\n\
             tls_key = \"/etc/nac-hub/key.pem\"\n",
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let (given, explicit) = serve_args(&["serve", "--rate", "7"]);
        let s = config.serve(given, &explicit);
        assert_eq!(s.listen.to_string(), "0.0.0.0:8700", "from the file");
        assert_eq!(s.rate, 7.0, "the command line wins");
        assert_eq!(s.burst, 40, "neither: the default");
        assert!(s.no_console, "console = false");
        assert_eq!(
            s.tls_cert.as_deref(),
            Some(Path::new("/etc/nac-hub/cert.pem"))
        );
        assert_eq!(config.data.as_deref(), Some("/var/lib/nac-hub/hub.db"));
        let (given, explicit) = serve_args(&["serve", "--listen", "127.0.0.1:9000"]);
        assert_eq!(
            config.serve(given, &explicit).listen.to_string(),
            "127.0.0.1:9000"
        );
        let _ = super::super::Args::try_parse_from(["nac-hub", "serve"]);
    }

    #[test]
    fn a_misspelt_or_contradictory_file_is_refused_with_its_reason() {
        let misspelt = parse("consol = false\n").err().map(|e| format!("{e:#}"));
        assert!(
            misspelt.as_deref().is_some_and(|e| e.contains("consol")),
            "{misspelt:?}"
        );
        let both = parse("data = \"a.db\"\ndatabase = \"postgres://x/y\"\n").err();
        assert!(both.is_some());
        let wrong_type = parse("rate = \"fast\"\n").err().map(|e| format!("{e:#}"));
        assert!(
            wrong_type.as_deref().is_some_and(|e| e.contains("rate")),
            "{wrong_type:?}"
        );
    }

    #[test]
    fn an_oversized_file_is_not_read() {
        let dir = std::env::temp_dir().join(format!("nac-hub-config-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("hub.toml");
        let _ = std::fs::write(&path, "#".repeat(MAX_CONFIG_BYTES as usize + 1));
        let err = load(Some(&path)).err().map(|e| format!("{e:#}"));
        assert!(
            err.as_deref().is_some_and(|e| e.contains("at most")),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
