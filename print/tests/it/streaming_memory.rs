//! Rendering streams page by page: the memory a render needs must not grow with
//! the number of pages (beyond the font subset and the output buffer).
//!
//! Each measurement runs in a fresh child process (this test binary, re-run with
//! an environment variable) so that neither allocator state nor an earlier peak of
//! another test blurs it. The child loads the fonts and generates the cards (the
//! input, which naturally grows with the count) and renders into a writer that
//! discards the bytes. When the first page is reported (the fonts are ready), it
//! resets the kernel's peak-RSS mark (`/proc/self/clear_refs`) and notes the
//! resident size; it reports how far the peak rose above that by the end. A thread
//! also samples the resident size, in case the peak mark cannot be reset.
//!
//! Holding the document until the end (as printpdf does) costs about 4 KB per card,
//! so 2,000 cards need ~7 MB more than 200; streaming needs the same.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::ops::ControlFlow;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use nac_print::{render, sample, Fonts, Layout, Stage};

const CHILD: &str = "NAC_PRINT_MEMORY_CHILD";

/// A field of /proc/self/status in kB.
fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Discards what is written (like a fast disk), counting the bytes.
struct Discard(u64);

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Not a test on its own: the body of the child process.
#[test]
fn memory_child() {
    let Ok(n) = std::env::var(CHILD) else {
        return;
    };
    let n: usize = n.parse().unwrap();
    let fonts = Fonts::system().expect("Noto Sans CJK must be installed (fonts-noto-cjk)");
    let cards = sample::cards(n, 17);
    // A small warm-up render: allocator arenas and lazy state reach their steady
    // size, so they count in neither measurement.
    render(
        Layout::A4Grid8,
        &cards[..16],
        &fonts,
        &mut Discard(0),
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();

    // Measure from the first drawn page on: preparing the fonts (reading a 20 MB
    // collection face to subset it) has a larger, page-independent peak that would
    // hide what the pages cost.
    let mut reset = false;
    let before = AtomicU64::new(0);
    let sampled = AtomicU64::new(0);
    let drawing = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let mut out = Discard(0);
    let stats = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if drawing.load(Ordering::Relaxed) {
                    sampled.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let stats = render(Layout::A4Grid8, &cards, &fonts, &mut out, &mut |p| {
            if p.stage == Stage::Drawing && !drawing.load(Ordering::Relaxed) {
                reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
                let now = status_kb("VmRSS:");
                before.store(now, Ordering::Relaxed);
                sampled.store(now, Ordering::Relaxed);
                drawing.store(true, Ordering::Relaxed);
            }
            ControlFlow::Continue(())
        });
        sampled.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
        done.store(true, Ordering::Relaxed);
        stats
    })
    .unwrap();
    assert_eq!(stats.bytes, out.0);
    let mut peak = sampled.load(Ordering::Relaxed);
    if reset {
        peak = peak.max(status_kb("VmHWM:"));
    }
    println!(
        "MEMORY cards={n} pages={} bytes={} growth_kb={}",
        stats.pages,
        out.0,
        peak.saturating_sub(before.load(Ordering::Relaxed))
    );
}

/// [`memory_child`] as the test harness names it: `streaming_memory::memory_child` (the path
/// of this module in the test binary, without the binary's own name).
fn memory_child_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    format!("{module}::memory_child")
}

/// Peak memory of a render of `n` cards above what was resident before it, in kB.
fn render_growth_kb(n: usize) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &memory_child_name(),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, n.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.find("MEMORY ").map(|at| &l[at..]))
        .unwrap_or_else(|| {
            panic!(
                "child for {n} cards failed:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    eprintln!("{line}");
    line.split_whitespace()
        .find_map(|f| f.strip_prefix("growth_kb="))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn memory_does_not_grow_with_pages() {
    let small = render_growth_kb(200); // 25 pages
    let large = render_growth_kb(2000); // 250 pages
                                        // Ten times the pages; allow 2.5 MB for allocator noise. Retaining the pages
                                        // until the end would cost ~7 MB more.
    assert!(
        large <= small + 2560,
        "a render of 2,000 cards rose {large} kB above its first page, 200 cards {small} kB: \
         memory grows with the page count"
    );
}
