//! An import of 50,000 rows that all share one document number, run by the real `nac` binary
//! under an address-space cap: the report must stay linear in the rows (before the fix it was
//! quadratic: 4,000 such rows made a 200 MB report, 50,000 ran out of memory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// 1.5 GiB of address space: ample for a linear report, far too little for a quadratic one.
const ADDRESS_SPACE_CAP: u64 = 1536 * 1024 * 1024;

fn valid_id(first17: &str) -> String {
    format!(
        "{first17}{}",
        nac_core::domain::document::resident_id_check_char(first17).unwrap()
    )
}

#[test]
fn fifty_thousand_duplicates_import_under_a_memory_cap_with_a_linear_report() {
    let Ok(prlimit) = which("prlimit") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs prlimit (util-linux) for the memory cap"
        );
        eprintln!("skipped: prlimit not found");
        return;
    };
    let dir = tempfile::TempDir::new().unwrap();
    let rows = nac_core::roster::MAX_DATA_ROWS;
    let doc = valid_id("31010419450312007");
    let mut csv = String::from("区,路,弄,号,室,姓名,证件号码\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "徐汇区,天钥桥路,100,{},{},张三,{doc}\n",
            i / 100 + 1,
            i % 100 + 1
        ));
    }
    let file = dir.path().join("dups.csv");
    std::fs::write(&file, csv).unwrap();
    let db = dir.path().join("station.db");

    let out = Command::new(prlimit)
        .arg(format!("--as={ADDRESS_SPACE_CAP}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_nac"))
        .arg("--db")
        .arg(&db)
        .args(["--json", "import"])
        .arg(&file)
        .env("NAC_PASSPHRASE", "test station passphrase")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "every row is refused (exit 1), the process is not killed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.len() < rows * 600,
        "the JSON report must be linear in the rows: {} bytes for {rows} rows",
        out.stdout.len()
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let import = &report["import"];
    assert_eq!(import["rows_rejected"], rows);
    assert_eq!(import["outcome"]["residents_added"], 0);
    let message = import["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("and {} more", rows - 6)),
        "{message}"
    );
}

fn which(tool: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .ok_or(())
}
