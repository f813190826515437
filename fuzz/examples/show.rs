//! Shows what the readers make of one fuzz input, for triage:
//!
//! ```sh
//! cargo +nightly run --manifest-path fuzz/Cargo.toml --example show -- TARGET FILE
//! ```
//!
//! Roster targets print the file's format, header row, row numbers and validation counts;
//! credential targets the verification; `qr_image` the scan result. Then the target's harness
//! runs on the input, so a failing check panics with its message here too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_fuzz::{credential_check, office_wrap, roster_check, scan_check, scratch_file};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, file] = &args[..] else {
        eprintln!("usage: show TARGET FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(file).unwrap();
    let roster = |bytes: Vec<u8>, ext: &str| {
        let path = scratch_file(&bytes, ext);
        match nac_roster::read_roster_file(&path) {
            Ok(f) => {
                println!(
                    "format {:?}, encoding {:?}, sheet {:?}, header row {}, {} rows, notices {:?}",
                    f.format,
                    f.encoding,
                    f.sheet,
                    f.header_row,
                    f.rows.len(),
                    f.notices
                );
                for r in &f.rows {
                    println!("  row {}: {:?} / {:?}", r.row, r.household, r.resident);
                }
                let v = nac_roster::validate_rows(f.rows, roster_check::today());
                println!(
                    "validated: {} drafts, {} held, {} errors, {} warnings",
                    v.drafts.len(),
                    v.held.len(),
                    v.errors.len(),
                    v.warnings.len()
                );
                for e in v.errors.iter().chain(&v.warnings) {
                    println!("  {e}");
                }
            }
            Err(e) => println!("error [{}]: {e}", e.code()),
        }
        println!(
            "harness: {:?}",
            roster_check::check_roster_file(&path).map_err(|e| e.code())
        );
    };
    match target.as_str() {
        "roster_csv" => roster(data, "csv"),
        "roster_xlsx" => roster(data, "xlsx"),
        "roster_xls" => roster(data, "xls"),
        "roster_xlsx_sheet" => roster(office_wrap::xlsx_from_input(&data), "xlsx"),
        "roster_ods_content" => roster(office_wrap::ods(&data), "ods"),
        "roster_xls_stream" => roster(office_wrap::xls(&data), "xls"),
        "credential_verify" => {
            println!(
                "{:?}",
                credential_check::check_text(&String::from_utf8_lossy(&data))
            );
            credential_check::check_bytes(&data);
        }
        "credential_cose" => {
            println!(
                "{:?}",
                credential_check::check_text(&credential_check::wrap(&data))
            );
            credential_check::check_cose(&data);
        }
        "credential_claims" => credential_check::check_claims(&data),
        "qr_image" => println!("{:?}", scan_check::check_image(&data)),
        other => {
            eprintln!("unknown target {other}");
            std::process::exit(2);
        }
    }
}
