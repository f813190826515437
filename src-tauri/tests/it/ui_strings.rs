//! Every UI string exists in both languages, and every key the UI uses is defined.
//!
//! Reads `ui/js/strings.js` (two object literals, `zh` and `en`, one `key: '…'` per line),
//! the keys the screens pass to `t('…')`, and the `data-i18n` keys of `ui/index.html`.
//! Keys built at run time (`t(\`verdict_${…}\`)`) are listed here with their possible values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Keys of the object literal `export const <name> = { … };`.
fn table_keys(source: &str, name: &str) -> BTreeSet<String> {
    let start = source
        .find(&format!("export const {name} = {{"))
        .unwrap_or_else(|| panic!("no table {name}"));
    let body = &source[start..];
    let end = body.find("\n};").unwrap_or(body.len());
    body[..end]
        .lines()
        .skip(1)
        .filter_map(|line| {
            let line = line.trim();
            let (key, rest) = line.split_once(':')?;
            let key = key.trim_matches('\'');
            let ok = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && rest.trim_start().starts_with('\'');
            ok.then(|| key.to_string())
        })
        .collect()
}

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            js_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            out.push(path);
        }
    }
}

/// Static keys passed to `t('key'` in the UI's scripts.
fn used_keys() -> BTreeSet<String> {
    let mut files = Vec::new();
    js_files(&ui().join("js"), &mut files);
    let mut keys = BTreeSet::new();
    for file in files {
        let source = read(&file);
        for (i, _) in source.match_indices("t('") {
            let preceded_by_ident = source[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if preceded_by_ident {
                continue;
            }
            let rest = &source[i + 3..];
            if let Some(end) = rest.find('\'') {
                keys.insert(rest[..end].to_string());
            }
        }
    }
    let html = read(&ui().join("index.html"));
    for marker in ["data-i18n=\"", "data-i18n-aria=\""] {
        for (i, _) in html.match_indices(marker) {
            let rest = &html[i + marker.len()..];
            if let Some(end) = rest.find('"') {
                keys.insert(rest[..end].to_string());
            }
        }
    }
    // Keys built at run time.
    let dynamic: [(&str, &[&str]); 6] = [
        (
            "layout_",
            &["a4-8up", "a4-4up", "large", "household", "label-62mm"],
        ),
        ("capacity_", &["self", "family", "volunteer"]),
        ("code_state_", &["active", "superseded", "rejected"]),
        (
            "sync_",
            &["queued", "sending", "synced", "rejected", "error", "demo"],
        ),
        (
            "verdict_",
            &[
                "valid",
                "expired",
                "superseded",
                "rejected",
                "unknown_issuer",
                "forged",
                "malformed",
                "invalid_window",
                "not_yet_valid",
                "cannot_check",
                "no_qr",
            ],
        ),
        ("batch_", &["done", "cancelled"]),
    ];
    for (prefix, values) in dynamic {
        for v in values {
            keys.insert(format!("{prefix}{v}"));
        }
    }
    for v in [
        "valid",
        "expired",
        "superseded",
        "rejected",
        "unknown_issuer",
        "forged",
        "malformed",
        "invalid_window",
        "not_yet_valid",
        "cannot_check",
        "no_qr",
    ] {
        keys.insert(format!("verdict_{v}_help"));
    }
    keys
}

#[test]
fn every_key_exists_in_both_languages() {
    let source = read(&ui().join("js/strings.js"));
    let zh = table_keys(&source, "zh");
    let en = table_keys(&source, "en");
    assert!(zh.len() > 100, "parsed only {} zh keys", zh.len());
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(only_zh.is_empty(), "keys without English: {only_zh:?}");
    assert!(only_en.is_empty(), "keys without Chinese: {only_en:?}");
}

#[test]
fn every_key_the_ui_uses_is_defined() {
    let source = read(&ui().join("js/strings.js"));
    let zh = table_keys(&source, "zh");
    let missing: Vec<_> = used_keys()
        .into_iter()
        .filter(|k| !zh.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used by the UI but not defined: {missing:?}"
    );
}

/// Nothing a volunteer reads is set below 16 px (issue 18: badges and residents' notes were
/// 15 px). Sizes in `rem` are of the root's 18 px.
#[test]
fn no_text_is_set_below_16_px() {
    let css = read(&ui().join("style.css"));
    let mut small = Vec::new();
    for (n, line) in css.lines().enumerate() {
        for part in line.split("font-size:").skip(1) {
            let value = part.trim_start();
            let number: String = value
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let Ok(size) = number.parse::<f64>() else {
                continue;
            };
            let unit = &value[number.len()..];
            let px = if unit.starts_with("px") {
                size
            } else if unit.starts_with("rem") || unit.starts_with("em") {
                size * 18.0
            } else {
                continue;
            };
            if px < 16.0 {
                small.push(format!("style.css:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(small.is_empty(), "text below 16 px:\n{}", small.join("\n"));
}
