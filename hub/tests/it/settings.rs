//! How an operator runs the hub: the settings file (`--config`), flags over it, the
//! administration commands finding the same data, and what the hub says of its version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use support::process::{DataArg, HubProcess};
use support::web::Web;

fn hub_with_config(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nac-hub"))
        .env_remove("NAC_HUB_DATA")
        .env_remove("NAC_HUB_DATABASE")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_settings_file_names_the_data_and_serves_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hub.toml");
    let data = dir.path().join("hub.db");
    std::fs::write(
        &config,
        format!(
            "data = \"{}\"\nlisten = \"127.0.0.1:0\"\nconsole = false\nrate = 5.0\n",
            data.display()
        ),
    )
    .unwrap();
    // The administration commands find the data through the same file.
    let added = hub_with_config(&config, &["admin", "add", "li", "--role", "viewer"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(data.exists(), "the data the file names");
    let listed = hub_with_config(&config, &["admin", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("li\tviewer"));

    // serve: the file's settings (its address, no console); flags over the file are the unit
    // tests' (cli/config.rs).
    let mut child = Command::new(env!("CARGO_BIN_EXE_nac-hub"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("nac-hub listening on ")
        .unwrap()
        .to_owned();
    let mut web = Web::new(&url);
    assert_eq!(
        web.get("/console/").status,
        404,
        "console = false in the file"
    );
    assert_eq!(web.get("/healthz").status, 200);
    let _ = child.kill();
    let _ = child.wait();

    // A misspelt key is refused, naming the file and the key; nothing is started.
    std::fs::write(&config, "consol = false\n").unwrap();
    let refused = hub_with_config(&config, &["serve"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("hub.toml") && err.contains("consol"), "{err}");
}

/// `nac-hub --version` and `/healthz` name the workspace's release, and `/healthz` the schema.
#[test]
fn the_hub_says_its_version_and_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nac-hub"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("nac-hub {}", env!("CARGO_PKG_VERSION"))
    );
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(
        &DataArg::Sqlite(dir.path().join("hub.db")),
        dir.path(),
        &[],
        &[],
    );
    let health = Web::new(&hub.url).get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["schema"], nac_hub::store::SCHEMA_VERSION);
}
