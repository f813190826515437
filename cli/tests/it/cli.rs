//! The `nac` binary end to end on a real database file: exit statuses, both languages, JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Nac {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Nac {
    fn with_demo(households: usize) -> Nac {
        let dir = tempfile::TempDir::new().unwrap();
        let db = dir.path().join("station.db");
        let nac = Nac { _dir: dir, db };
        let out = nac.run(&["demo", "--households", &households.to_string()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        nac
    }

    fn run(&self, args: &[&str]) -> Output {
        run_with_db(&self.db, args)
    }

    fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap(), v)
    }
}

fn run_with_db(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", common::PASSPHRASE)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn version_is_the_workspaces() {
    let out = Command::new(env!("CARGO_BIN_EXE_nac"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("nac {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The first demo resident's full document number (the generator is deterministic).
fn first_document() -> String {
    nac_core::demo::roster(1, 2026)[0]
        .resident
        .document_number
        .clone()
}

#[test]
fn renew_then_refused_the_same_day_in_both_languages() {
    let nac = Nac::with_demo(5);
    let id = first_document();
    let first = nac.run(&["renew", "--id", &id, "--capacity", "family"]);
    assert_eq!(first.status.code(), Some(0), "{}", stdout(&first));
    assert!(stdout(&first).contains("NAC1:"), "{}", stdout(&first));

    let zh = nac.run(&["renew", "--id", &id]);
    assert_eq!(zh.status.code(), Some(1), "a refusal exits 1");
    assert!(stdout(&zh).contains("当日已完成申领"), "{}", stdout(&zh));
    let en = nac.run(&["--lang", "en", "renew", "--id", &id]);
    assert_eq!(en.status.code(), Some(1));
    assert!(
        stdout(&en).contains("Already applied today"),
        "{}",
        stdout(&en)
    );

    let (code, v) = nac.json(&["renew", "--id", &id]);
    assert_eq!(code, 1);
    assert_eq!(v["renew"]["outcome"], "already_applied_today");
}

#[test]
fn show_prints_the_code_text_and_verify_checks_it() {
    let nac = Nac::with_demo(5);
    let id = first_document();
    nac.run(&["renew", "--id", &id]);
    let (code, v) = nac.json(&["show", "--id", &id]);
    assert_eq!(code, 0);
    let text = v["resident"]["active_code"]["credential"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("NAC1:"));
    let shown = stdout(&nac.run(&["show", "--id", &id]));
    assert!(shown.contains(&text), "show prints the active code's text");
    assert!(!shown.contains(&id), "show masks the document number");

    let ok = nac.run(&["--lang", "en", "verify", &text]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).starts_with("VALID"), "{}", stdout(&ok));

    let mut tampered = text.clone();
    tampered.replace_range(20..21, if &text[20..21] == "A" { "B" } else { "A" });
    let (code, v) = nac.json(&["verify", &tampered]);
    assert_eq!(code, 1, "a code that does not verify exits 1");
    assert!(["forged", "malformed"].contains(&v["verification"]["verdict"].as_str().unwrap()));
}

#[test]
fn batch_renews_everyone_due_and_lists_nobody_due_after() {
    let nac = Nac::with_demo(8);
    let (_, before) = nac.json(&["list", "--due"]);
    let due = before["residents"].as_array().unwrap().len();
    assert!(due > 0, "the demo roster has residents due");
    let (code, v) = nac.json(&["renew", "--due-within", "7"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["batch"]["renewed"].as_u64().unwrap() as usize, due);
    let (_, after) = nac.json(&["list", "--due"]);
    assert_eq!(after["residents"].as_array().unwrap().len(), 0);
}

#[test]
fn usage_and_unreadable_input_exit_2() {
    let nac = Nac::with_demo(1);
    assert_eq!(
        nac.run(&["renew"]).status.code(),
        Some(2),
        "missing --id/--due-within"
    );
    assert_eq!(nac.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        nac.run(&["show", "--id", "310104194001010010"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        nac.run(&["import", "/nonexistent/roster.csv"])
            .status
            .code(),
        Some(2)
    );
    let (code, v) = nac.json(&["import", "roster.pdf"]);
    assert_eq!(code, 2);
    assert!(v["error"]["code"].is_string());
}

#[test]
fn newer_database_is_refused_with_a_clear_message() {
    let nac = Nac::with_demo(1);
    {
        let conn = common::raw_connection(&nac.db);
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let out = nac.run(&["--lang", "en", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema version 99") && err.contains("upgrade"),
        "{err}"
    );
}

#[test]
fn demo_refuses_to_overwrite_a_roster() {
    let nac = Nac::with_demo(2);
    assert_eq!(nac.run(&["demo"]).status.code(), Some(2));
}

#[test]
fn import_reports_refused_rows_with_exit_1_and_export_round_trips() {
    let nac = Nac::with_demo(3);
    let dir = tempfile::TempDir::new().unwrap();
    let csv = dir.path().join("roster.csv");
    let good = first_document();
    std::fs::write(
        &csv,
        format!(
            "区,路,弄,号,室,姓名,证件号码,手机号\n\
             徐汇区,天钥桥路,100,5,302,张三丰,{good},13812345678\n\
             徐汇区,天钥桥路,100,5,302,,110105194912310021,1381234567\n"
        ),
    )
    .unwrap();
    let (code, v) = nac.json(&["import", csv.to_str().unwrap()]);
    assert_eq!(code, 1, "{v}");
    let fields: Vec<(u64, String)> = v["import"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (3, "name".to_string()),
            (3, "document_number".into()),
            (3, "phone".into())
        ]
    );
    let out = dir.path().join("export.xlsx");
    let (code, _) = nac.json(&["export", out.to_str().unwrap(), "--unmasked"]);
    assert_eq!(code, 0);
    let (code, v) = nac.json(&["import", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["import"]["outcome"]["residents_added"], 0);
    assert_eq!(v["import"]["outcome"]["residents_updated"], 0);
}

#[test]
fn audit_verify_names_the_tampered_row_with_exit_1() {
    let nac = Nac::with_demo(3);
    let (code, v) = nac.json(&["audit", "verify"]);
    assert_eq!(code, 0, "{v}");
    let rows = v["audit"]["rows"].as_u64().unwrap();
    assert!(rows >= 8, "{v}");
    let conn = common::raw_connection(&nac.db);
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET subject = 'nothing happened' WHERE id = 5;",
    )
    .unwrap();
    drop(conn);
    let (code, v) = nac.json(&["audit", "verify"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["audit"]["problem"]["row"], 5, "{v}");
    assert_eq!(v["audit"]["problem"]["kind"], "edited", "{v}");
    let out = nac.run(&["--lang", "en", "audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit row 5 was edited"));
    let (code, v) = nac.json(&["audit", "list", "--limit", "3"]);
    assert_eq!(
        (code, v["entries"].as_array().unwrap().len()),
        (0, 3),
        "{v}"
    );
}
