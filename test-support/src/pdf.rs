//! Real-tool PDF checks shared by the print crate's tests and the `nac` CLI's print tests:
//! poppler rasterises, zbarimg decodes every QR.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a tool of poppler-utils or zbar-tools, failing clearly when it is not installed.
pub fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} is required for this test ({e}); install poppler-utils and zbar-tools"
            )
        })
}

/// Rasterise at 300 dpi and decode every QR on every page.
pub fn decode_all(pdf: &Path, dir: &Path) -> (Vec<String>, usize) {
    decode_all_at(pdf, dir, 300)
}

/// [`decode_all`] at `dpi` (into `dir`, which must hold no other PNG).
pub fn decode_all_at(pdf: &Path, dir: &Path, dpi: u32) -> (Vec<String>, usize) {
    let prefix = dir.join("page");
    let dpi = dpi.to_string();
    let out = tool(
        "pdftoppm",
        &[
            "-r",
            &dpi,
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let mut decoded = Vec::new();
    for page in &pages {
        let out = tool(
            "zbarimg",
            &[
                "--raw",
                "-q",
                "-Sdisable",
                "-Sqrcode.enable",
                page.to_str().unwrap(),
            ],
        );
        // zbarimg exits 4 when a page has no symbol: that is a failure here too.
        assert!(
            out.status.success(),
            "no QR decoded on {} ({:?})",
            page.display(),
            out.status
        );
        decoded.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    (decoded, pages.len())
}
