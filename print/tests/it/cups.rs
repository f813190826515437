//! Printing through a real CUPS queue. Does its work only with `NAC_TEST_CUPS=1`, after
//! `scripts/cups-queue.sh` has started cupsd and created the `NAC-PDF` queue
//! (cups-pdf backend). The test sends a rendered PDF and waits for cups-pdf to
//! write its output file, then checks that it is a PDF with the same page count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use nac_print::{list_printers, render_to_path, sample, send_to_printer, Fonts, Layout};

const QUEUE: &str = "NAC-PDF";

/// Where cups-pdf (or the script's file-backed fallback) puts finished jobs.
fn output_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("NAC_CUPS_OUTPUT") {
        dirs.push(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    dirs.push(home.join("PDF"));
    dirs.push(PathBuf::from("/root/PDF"));
    dirs.push(PathBuf::from("/var/spool/cups-pdf/ANONYMOUS"));
    dirs.push(PathBuf::from("/var/spool/nac-cups"));
    dirs
}

fn pdfs_now() -> BTreeSet<PathBuf> {
    output_dirs()
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect()
}

fn pages(pdf: &std::path::Path) -> Option<usize> {
    let out = Command::new("pdfinfo").arg(pdf).output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|v| v.trim().parse().ok()))
        .flatten()
}

/// Skipped (passes without doing anything, and says so on stderr) unless
/// `NAC_TEST_CUPS=1`: CI sets it after running `scripts/cups-queue.sh`.
#[test]
fn prints_to_cups_pdf_queue() {
    if std::env::var("NAC_TEST_CUPS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: set NAC_TEST_CUPS=1 after scripts/cups-queue.sh to print through CUPS");
        return;
    }
    let printers = list_printers().expect("lpstat works");
    assert!(
        printers.iter().any(|p| p.name == QUEUE),
        "queue {QUEUE} missing: {printers:?} (run scripts/cups-queue.sh)"
    );

    let dir = std::env::temp_dir().join(format!("nac-cups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("cards.pdf");
    let cards = sample::cards(10, 11);
    let fonts = Fonts::system().unwrap();
    let stats = render_to_path(Layout::A4Grid8, &cards, &fonts, &pdf, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap();

    let before = pdfs_now();
    let title = format!("nac-test-{}", std::process::id());
    let job = send_to_printer(&pdf, QUEUE, &title).expect("lp accepted the job");
    assert!(job.0.starts_with(QUEUE), "job id {job}");

    let deadline = Instant::now() + Duration::from_secs(90);
    let produced = loop {
        let new: Vec<PathBuf> = pdfs_now().difference(&before).cloned().collect();
        // cups-pdf names the file after the title; the file backend has one name.
        let hit = new
            .iter()
            .find(|p| p.to_string_lossy().contains(&title))
            .or_else(|| new.first())
            .cloned();
        if let Some(p) = hit {
            // Wait until cups-pdf has finished writing it.
            if pages(&p) == Some(stats.pages) {
                break p;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no output for job {job} in {:?} after 90 s",
            output_dirs()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let bytes = std::fs::read(&produced).unwrap();
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{} is not a PDF",
        produced.display()
    );
    let _ = std::fs::remove_file(&produced);
    let _ = std::fs::remove_dir_all(&dir);
}
