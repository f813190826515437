//! The app's attack surface stays as small as it is: a strict CSP (no `unsafe-eval`, no
//! `unsafe-inline`, no remote origin) and capabilities that grant the window nothing but the
//! app's own commands and events (no file system, shell, HTTP, process or opener plugin). A
//! change that loosens either fails here, in CI, with the offending directive or permission.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

const CONFIG: &str = include_str!("../../tauri.conf.json");
const MANIFEST: &str = include_str!("../../Cargo.toml");

/// The only origins a directive may name besides the keywords: Tauri's IPC endpoints.
const IPC_ORIGINS: [&str; 2] = ["ipc:", "http://ipc.localhost"];

/// Why a CSP is too loose, if it is.
fn csp_problems(csp: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut directives = std::collections::HashMap::new();
    for directive in csp.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut parts = directive.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        let sources: Vec<String> = parts.map(str::to_string).collect();
        for source in &sources {
            let s = source.to_ascii_lowercase();
            if s == "'unsafe-eval'" || s == "'unsafe-inline'" || s == "'unsafe-hashes'" {
                problems.push(format!("{name} allows {source}"));
            } else if s.contains('*') {
                problems.push(format!("{name} allows a wildcard source {source}"));
            } else if (s.starts_with("http:") || s.starts_with("https:") || s.starts_with("ws"))
                && !IPC_ORIGINS.contains(&s.as_str())
            {
                problems.push(format!("{name} allows the remote origin {source}"));
            }
        }
        directives.insert(name, sources);
    }
    for (name, required) in [
        ("default-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("frame-ancestors", "'none'"),
    ] {
        if directives
            .get(name)
            .is_none_or(|s| s != &[required.to_string()])
        {
            problems.push(format!("{name} must be exactly {required}"));
        }
    }
    problems
}

/// Capability permissions the window may hold: listening to the app's own events. Commands
/// of the app itself need no permission in a capability.
const ALLOWED_PERMISSIONS: [&str; 2] = ["core:event:allow-listen", "core:event:allow-unlisten"];

fn permission_problems(capability: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for permission in capability["permissions"].as_array().into_iter().flatten() {
        let id = permission
            .as_str()
            .or_else(|| permission["identifier"].as_str())
            .unwrap_or("?");
        if !ALLOWED_PERMISSIONS.contains(&id) {
            problems.push(format!("capability grants {id}"));
        }
    }
    problems
}

#[test]
fn the_csp_is_strict() {
    let config: Value = serde_json::from_str(CONFIG).unwrap();
    let csp = config["app"]["security"]["csp"]
        .as_str()
        .expect("tauri.conf.json sets app.security.csp");
    assert_eq!(csp_problems(csp), Vec::<String>::new(), "CSP: {csp}");
    assert!(
        config["app"]["security"]["dangerousDisableAssetCspModification"].is_null(),
        "Tauri's CSP nonces must stay on"
    );
}

#[test]
fn capabilities_grant_only_the_apps_own_events() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let capability: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(
                permission_problems(&capability),
                Vec::<String>::new(),
                "{}",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "no capability files in {dir}");
    for plugin in [
        "tauri-plugin-fs",
        "tauri-plugin-shell",
        "tauri-plugin-http",
        "tauri-plugin-opener",
    ] {
        assert!(!MANIFEST.contains(plugin), "src-tauri depends on {plugin}");
    }
}

#[test]
fn the_checks_refuse_what_they_should() {
    let strict = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    assert!(csp_problems(strict).is_empty());
    for loose in [
        format!("{strict}; script-src 'self' 'unsafe-eval'"),
        format!("{strict}; style-src 'self' 'unsafe-inline'"),
        format!("{strict}; connect-src https://example.com"),
        format!("{strict}; img-src *"),
        "default-src *; object-src 'none'; base-uri 'none'; frame-ancestors 'none'".to_string(),
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'".to_string(),
    ] {
        assert!(!csp_problems(&loose).is_empty(), "accepted: {loose}");
    }
    let loose: Value = serde_json::json!({ "permissions": [
        "core:event:allow-listen", "fs:default", { "identifier": "shell:allow-execute" }
    ]});
    assert_eq!(permission_problems(&loose).len(), 2);
}
