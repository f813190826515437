//! Render benchmark: `cargo run --release -p nac-print --example bench -- [--cards 1000,10000]
//! [--layout a4-8up] [--runs 3] [--keep DIR]`.
//!
//! Each count runs in a fresh child process so its peak RSS (VmHWM) is its own. The
//! child generates realistic cards (~230-character Base45 credentials, QR version
//! 11), loads the system fonts, then times `render` into a file. Wall time is the
//! best of `--runs` renders (font discovery and card generation excluded, shown
//! separately); RSS is the peak of the whole child, "before MB" the resident
//! memory just before the first render (fonts found, cards generated: the input, which
//! grows with the count).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use nac_print::{render, sample, Fonts, Layout};

fn peak_rss_kb() -> u64 {
    rss_kb("VmHWM:")
}

/// A memory figure from /proc/self/status, in kB (`VmHWM:` peak, `VmRSS:` now).
fn rss_kb(key: &str) -> u64 {
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

/// user + system CPU seconds of this process so far (/proc/self/stat, 100 Hz ticks).
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn child(
    n: usize,
    layout: Layout,
    runs: usize,
    keep: Option<PathBuf>,
) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let fonts = Fonts::system()?;
    let fonts_s = t.elapsed().as_secs_f64();
    let cards = sample::cards(n, 42);
    let dir = keep.unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("nac-bench-{layout}-{n}.pdf"));
    // Memory held before rendering (fonts found, cards generated): the render's
    // own peak is the rest.
    let before_kb = rss_kb("VmRSS:");
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut bytes = 0;
    let mut pages = 0;
    for _ in 0..runs.max(1) {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let t = Instant::now();
        let cpu0 = cpu_s();
        let stats = render(layout, &cards, &fonts, &mut file, &mut |_| {
            ControlFlow::Continue(())
        })?;
        std::io::Write::flush(&mut file)?;
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_s() - cpu0);
        bytes = stats.bytes;
        pages = stats.pages;
    }
    println!(
        "RESULT cards={n} pages={pages} wall_s={best:.3} cpu_s={best_cpu:.2} bytes={bytes} peak_rss_kb={} before_kb={before_kb} fonts_s={fonts_s:.3} file={}",
        peak_rss_kb(),
        path.display()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let layout: Layout = arg(&args, "--layout")
        .unwrap_or_else(|| "a4-8up".into())
        .parse()?;
    let runs: usize = arg(&args, "--runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let keep = arg(&args, "--keep").map(PathBuf::from);
    if let Some(n) = arg(&args, "--single") {
        return child(n.parse()?, layout, runs, keep);
    }
    let counts: Vec<usize> = arg(&args, "--cards")
        .unwrap_or_else(|| "1000,10000".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    println!(
        "layout {layout}, {} cores, best of {runs} runs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>8} {:>7} {:>9} {:>8} {:>12} {:>13} {:>15}",
        "cards", "pages", "wall s", "CPU s", "file bytes", "peak RSS MB", "before MB"
    );
    for n in counts {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args([
            "--single",
            &n.to_string(),
            "--layout",
            layout.as_str(),
            "--runs",
            &runs.to_string(),
        ]);
        if let Some(k) = &keep {
            cmd.arg("--keep").arg(k);
        }
        let out = cmd.output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let Some(line) = text.lines().find(|l| l.starts_with("RESULT")) else {
            eprintln!("{n} cards failed: {}", String::from_utf8_lossy(&out.stderr));
            std::process::exit(1);
        };
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .unwrap_or("?")
                .to_string()
        };
        let rss_mb = field("peak_rss_kb").parse::<f64>().unwrap_or(0.0) / 1024.0;
        let before_mb = field("before_kb").parse::<f64>().unwrap_or(0.0) / 1024.0;
        println!(
            "{:>8} {:>7} {:>9} {:>8} {:>12} {:>13.1} {:>15.1}   (font discovery {} s)",
            n,
            field("pages"),
            field("wall_s"),
            field("cpu_s"),
            field("bytes"),
            rss_mb,
            before_mb,
            field("fonts_s")
        );
    }
    Ok(())
}
