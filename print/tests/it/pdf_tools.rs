//! End-to-end checks of rendered PDFs with the real tools a print shop or a
//! verifier would use: poppler (`pdftoppm`, `pdftotext`, `pdffonts`) and zbar
//! (`zbarimg`). Every QR on every page must decode to exactly the credentials that
//! went in; every name (rare characters included) must be in the text layer; only
//! embedded subset fonts may be used.
//!
//! Needs poppler-utils, zbar-tools, fonts-noto-cjk and fonts-hanazono; a missing
//! tool fails the test (it does not skip).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use nac_test_support::pdf;
use pdf::{decode_all, tool};

use nac_print::{
    check_coverage, render, render_to_path, sample, Card, Fonts, Layout, PrintError, Progress,
    Stage,
};

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("nac-print-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("NAC_KEEP_TEST_OUTPUT").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Cards with the hard cases: 生僻字 in Noto (𠮷, 𡈼), in HanaMin A only (𪚥), in
/// HanaMin B only (𠀁), a middle-dot name, a very long name, a long address, and a
/// household of seven (more than one household page).
fn hard_cards() -> Vec<Card> {
    let mut cards = sample::cards(11, 2026);
    let names = [
        "李𠮷",
        "𡈼小明",
        "阿依古丽·买买提",
        "王𪚥",
        "𠀁小明",
        "阿卜杜热合曼·阿卜杜克热木",
        "张秀英",
        "陈建国",
        "刘玉兰",
        "赵德明",
        "孙美华",
    ];
    for (i, card) in cards.iter_mut().enumerate() {
        card.name = names[i].to_string();
        card.household = match i {
            0..=6 => "H-天钥桥路100弄5号302室".into(),
            7 | 8 => "H-0002".into(),
            _ => "H-0003".into(),
        };
    }
    cards[4].address =
        "徐汇区 天钥桥路 100弄 5号 302室 （近南丹东路，小区东门进入后左转第二栋，电梯到三楼）"
            .into();
    cards[5].qr_text = format!(
        "NAC1:{}",
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".repeat(5)
    );
    cards
}

fn fonts() -> Fonts {
    Fonts::system().expect("Noto Sans CJK must be installed (fonts-noto-cjk)")
}

fn render_file(layout: Layout, cards: &[Card], dir: &Path) -> PathBuf {
    let path = dir.join(format!("{layout}.pdf"));
    let stats = render_to_path(layout, cards, &fonts(), &path, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{layout}: {e}"));
    assert_eq!(stats.cards, cards.len());
    assert!(stats.qr_symbol_mm >= 35.0);
    path
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_text(pdf: &Path, cards: &[Card]) {
    let out = tool("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    assert!(out.status.success());
    let text = squash(&String::from_utf8(out.stdout).unwrap());
    for card in cards {
        assert!(
            text.contains(&squash(&card.name)),
            "name {} missing from text layer",
            card.name
        );
        let expiry = format!("有效期至 {}", card.expires_at);
        assert!(
            text.contains(&squash(&expiry)),
            "{expiry} missing from text layer"
        );
    }
}

/// Every font embedded and subset (`ABCDEF+Name`, emb yes, sub yes).
fn check_fonts(pdf: &Path, expect: &[&str]) {
    let out = tool("pdffonts", &[pdf.to_str().unwrap()]);
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts in {}", pdf.display());
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let name = cols[0];
        let tag = name.split('+').next().unwrap();
        assert!(
            name.contains('+') && tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
            "font {name} is not a subset"
        );
        // emb sub uni are the three yes/no columns before the object number.
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            &["yes", "yes", "yes"],
            "font row: {row}"
        );
    }
    for family in expect {
        assert!(
            rows.iter().any(|r| r.contains(family)),
            "{family} not embedded:\n{listing}"
        );
    }
}

fn full_check(layout: Layout, cards: &[Card], expect_pages: usize) {
    let dir = Scratch::new(layout.as_str());
    let pdf = render_file(layout, cards, &dir.0);
    let (decoded, pages) = decode_all(&pdf, &dir.0);
    assert_eq!(pages, expect_pages, "{layout}: page count");
    let mut want: Vec<String> = cards.iter().map(|c| c.qr_text.clone()).collect();
    let mut got = decoded;
    want.sort();
    got.sort();
    assert_eq!(
        got.len(),
        want.len(),
        "{layout}: number of decoded QR codes"
    );
    assert_eq!(got, want, "{layout}: decoded QR texts");
    check_text(&pdf, cards);
    check_fonts(
        &pdf,
        &[
            "NotoSansCJKsc-Bold",
            "NotoSansCJKsc-Regular",
            "HanaMinA",
            "HanaMinB",
        ],
    );
}

#[test]
fn a4_8up_decodes_and_reads() {
    full_check(Layout::A4Grid8, &hard_cards(), 2);
}

#[test]
fn a4_4up_decodes_and_reads() {
    full_check(Layout::A4Grid4, &hard_cards(), 3);
}

#[test]
fn large_decodes_and_reads() {
    let cards: Vec<Card> = hard_cards().into_iter().take(6).collect();
    full_check(Layout::Large, &cards, 6);
}

#[test]
fn household_decodes_and_reads() {
    // 7 members (5 + continuation page), then 2 and 2.
    full_check(Layout::HouseholdSheet, &hard_cards(), 4);
}

#[test]
fn household_continuation_repeats_heading() {
    let dir = Scratch::new("household-heading");
    let cards = hard_cards();
    let pdf = render_file(Layout::HouseholdSheet, &cards, &dir.0);
    for (page, want) in [
        (1, "家庭 H-天钥桥路100弄5号302室（共 7 人）"),
        (2, "家庭 H-天钥桥路100弄5号302室（续，共 7 人）"),
    ] {
        let p = page.to_string();
        let out = tool(
            "pdftotext",
            &["-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"],
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(squash(&text).contains(&squash(want)), "page {page}: {text}");
    }
}

#[test]
fn label_62mm_decodes_and_reads() {
    full_check(Layout::Label62mm, &hard_cards(), 11);
}

/// Read a binary PGM (P5) as written by `pdftoppm -gray`.
fn read_pgm(path: &Path) -> (usize, usize, Vec<u8>) {
    let data = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).to_string());
    }
    assert_eq!(fields[0], "P5");
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[i + 1..].to_vec())
}

/// Width in pixels of the QR symbol whose finder patterns lie on one scanline:
/// find rows where two 1:1:3:1:1 runs of the same module size sit at least 20
/// modules apart, and take the distance from the left one's start to the right
/// one's end. Text never produces that pattern.
fn measure_symbol_px(w: usize, h: usize, px: &[u8], x_max: usize) -> Option<f64> {
    let mut best: Option<f64> = None;
    for y in 0..h {
        let row = &px[y * w..y * w + x_max.min(w)];
        let mut runs: Vec<(bool, usize, usize)> = Vec::new(); // (dark, start, len)
        for (x, &v) in row.iter().enumerate() {
            let dark = v < 128;
            match runs.last_mut() {
                Some(r) if r.0 == dark => r.2 += 1,
                _ => runs.push((dark, x, 1)),
            }
        }
        let mut finders: Vec<(usize, usize, f64)> = Vec::new(); // start, end, unit
        for k in 0..runs.len().saturating_sub(4) {
            let r = &runs[k..k + 5];
            if !r[0].0 {
                continue;
            }
            let total: usize = r.iter().map(|r| r.2).sum();
            let unit = total as f64 / 7.0;
            let ok = [1.0, 1.0, 3.0, 1.0, 1.0]
                .iter()
                .zip(r)
                .all(|(want, run)| (run.2 as f64 - want * unit).abs() <= unit * 0.5);
            if ok && unit >= 3.0 {
                finders.push((r[0].1, r[4].1 + r[4].2, unit));
            }
        }
        if let (Some(first), Some(last)) = (finders.first(), finders.last()) {
            let same_unit = (first.2 - last.2).abs() < first.2 * 0.2;
            if same_unit && (last.1 - first.0) as f64 > 20.0 * first.2 {
                let width = (last.1 - first.0) as f64;
                best = Some(best.map_or(width, |b: f64| b.max(width)));
            }
        }
    }
    best
}

#[test]
fn qr_symbol_on_8up_card_is_at_least_35mm() {
    // Geometry: the layout's symbol size, whatever the QR version.
    assert!(Layout::A4Grid8.qr_symbol_mm() >= 35.0);
    let cards: Vec<Card> = hard_cards().into_iter().take(1).collect();
    let mut out = Vec::new();
    let stats = render(Layout::A4Grid8, &cards, &fonts(), &mut out, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(stats.qr_symbol_mm >= 35.0);
    assert!(
        stats.max_qr_version >= 9,
        "a ~230-char credential needs version ≥ 9"
    );
    let modules = 17 + 4 * stats.max_qr_version as usize;
    assert!((stats.min_module_mm * modules as f32 - stats.qr_symbol_mm).abs() < 0.01);

    // Bitmap: rasterise and measure the symbol between its finder patterns.
    let dir = Scratch::new("qr-size");
    let pdf = dir.0.join("one.pdf");
    std::fs::write(&pdf, &out).unwrap();
    let dpi = 300.0;
    let prefix = dir.0.join("one");
    let o = tool(
        "pdftoppm",
        &[
            "-r",
            "300",
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let pgm = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .unwrap();
    let (w, h, px) = read_pgm(&pgm);
    // Only the first card's cell (left half of the page).
    let px_per_mm = dpi / 25.4;
    let measured = measure_symbol_px(w, h / 4, &px, (105.0 * px_per_mm) as usize)
        .expect("finder patterns of the first card not found");
    let mm = measured / px_per_mm;
    assert!(
        mm >= 35.0 - 0.2,
        "QR symbol measures {mm:.2} mm on the bitmap"
    );
    assert!(
        (mm - f64::from(Layout::A4Grid8.qr_symbol_mm())).abs() < 0.5,
        "{mm:.2} mm"
    );
}

#[test]
fn uncovered_character_is_refused_and_nothing_written() {
    let fonts = fonts();
    let mut cards = hard_cards();
    cards[2].name = "张\u{F8FF}明".into();
    cards[7].address = "徐汇区\u{10FFFD}路".into();

    let err = check_coverage(&cards, &fonts).unwrap_err();
    assert_eq!(err.items.len(), 2);
    assert_eq!(err.items[0].card, 3);
    assert_eq!(err.items[0].field, "name");
    assert_eq!(err.items[0].chars, vec!['\u{F8FF}']);
    assert_eq!(err.items[1].card, 8);
    assert_eq!(err.items[1].field, "address");
    assert_eq!(err.items[1].chars, vec!['\u{10FFFD}']);
    let message = err.to_string();
    assert!(
        message.contains("U+F8FF") && message.contains("U+10FFFD") && message.contains("第 3 张"),
        "{message}"
    );

    for layout in Layout::ALL {
        let mut out = Vec::new();
        let result = render(layout, &cards, &fonts, &mut out, &mut |_| {
            ControlFlow::Continue(())
        });
        assert!(
            matches!(result, Err(PrintError::Uncovered(_))),
            "{layout}: {result:?}"
        );
        assert!(out.is_empty(), "{layout}: bytes were written");
    }

    let dir = Scratch::new("uncovered");
    let path = dir.0.join("cards.pdf");
    let result = render_to_path(Layout::A4Grid8, &cards, &fonts, &path, &mut |_| {
        ControlFlow::Continue(())
    });
    assert!(matches!(result, Err(PrintError::Uncovered(_))));
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn cancel_writes_nothing() {
    let cards = sample::cards(40, 3);
    let mut out = Vec::new();
    let mut seen = 0;
    let result = render(Layout::A4Grid8, &cards, &fonts(), &mut out, &mut |p| {
        if p.stage == Stage::Drawing {
            seen += 1;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    assert!(matches!(result, Err(PrintError::Cancelled)), "{result:?}");
    assert_eq!(seen, 1);
    assert!(out.is_empty());

    let dir = Scratch::new("cancel");
    let path = dir.0.join("cards.pdf");
    let result = render_to_path(Layout::A4Grid8, &cards, &fonts(), &path, &mut |p| {
        if p.stage == Stage::Writing {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert!(matches!(result, Err(PrintError::Cancelled)));
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "no partial file"
    );
}

#[test]
fn progress_counts_pages_and_cards() {
    let cards = sample::cards(20, 4);
    let mut reports: Vec<Progress> = Vec::new();
    let mut out = Vec::new();
    let stats = render(Layout::A4Grid8, &cards, &fonts(), &mut out, &mut |p| {
        reports.push(p);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(stats.pages, 3);
    assert_eq!(stats.bytes as usize, out.len());
    assert!(out.starts_with(b"%PDF-"));
    let stages: Vec<Stage> = reports.iter().map(|p| p.stage).collect();
    assert_eq!(stages.first(), Some(&Stage::Preparing));
    assert_eq!(stages.last(), Some(&Stage::Done));
    let drawing: Vec<&Progress> = reports
        .iter()
        .filter(|p| p.stage == Stage::Drawing)
        .collect();
    assert_eq!(drawing.len(), 3);
    assert_eq!(
        drawing.last().map(|p| (p.pages_done, p.cards_done)),
        Some((3, 20))
    );
    assert!(reports
        .iter()
        .all(|p| p.pages_total == 3 && p.cards_total == 20));
}

#[test]
fn text_too_long_for_the_card_is_an_error() {
    let mut cards = sample::cards(1, 5);
    cards[0].name = "阿".repeat(40);
    let mut out = Vec::new();
    let result = render(Layout::Label62mm, &cards, &fonts(), &mut out, &mut |_| {
        ControlFlow::Continue(())
    });
    assert!(
        matches!(result, Err(PrintError::TextTooLong { card: 1, .. })),
        "{result:?}"
    );
    assert!(out.is_empty());
}

#[test]
fn empty_and_oversized_qr_text_are_errors() {
    let mut cards = sample::cards(2, 6);
    cards[1].qr_text = String::new();
    let mut out = Vec::new();
    let r = render(Layout::A4Grid8, &cards, &fonts(), &mut out, &mut |_| {
        ControlFlow::Continue(())
    });
    assert!(matches!(r, Err(PrintError::Qr { card: 2, .. })), "{r:?}");
    cards[1].qr_text = "A".repeat(4000);
    let r = render(Layout::A4Grid8, &cards, &fonts(), &mut out, &mut |_| {
        ControlFlow::Continue(())
    });
    assert!(matches!(r, Err(PrintError::Qr { card: 2, .. })), "{r:?}");
    assert!(out.is_empty());
    assert!(matches!(
        render(Layout::A4Grid8, &[], &fonts(), &mut out, &mut |_| {
            ControlFlow::Continue(())
        }),
        Err(PrintError::NoCards)
    ));
}

#[test]
fn every_layout_fits_worst_case_content() {
    // Longest realistic fields in every layout: must lay out without error.
    let mut cards = sample::cards(3, 8);
    cards[0].name = "阿卜杜热合曼·阿卜杜克热木".into();
    cards[0].address =
        "徐汇区 天钥桥路 100弄 5号 302室 （近南丹东路，小区东门进入后左转第二栋）".repeat(2);
    cards[0].station_name = "徐汇区天平路街道天钥桥路第三社区卫生服务站核酸采样点".into();
    cards[1].name = "欧阳娜娜·买买提·艾力".into();
    for layout in Layout::ALL {
        let mut out = Vec::new();
        render(layout, &cards, &fonts(), &mut out, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert!(!out.is_empty());
    }
}

/// Distinct QR texts decode distinctly: guards against drawing one card's code twice.
#[test]
fn distinct_codes_per_card_on_a_full_page() {
    let cards = sample::cards(8, 9);
    let set: BTreeSet<&str> = cards.iter().map(|c| c.qr_text.as_str()).collect();
    assert_eq!(set.len(), 8);
    let dir = Scratch::new("distinct");
    let pdf = render_file(Layout::A4Grid8, &cards, &dir.0);
    let (decoded, _) = decode_all(&pdf, &dir.0);
    let got: BTreeSet<&str> = decoded.iter().map(String::as_str).collect();
    assert_eq!(got, set);
}

#[test]
fn without_fallback_fonts_rare_characters_are_refused() {
    let system = fonts();
    let primary_only =
        Fonts::from_faces(system.regular().clone(), system.bold().cloned(), Vec::new());
    let cards = hard_cards();
    let err = check_coverage(&cards, &primary_only).unwrap_err();
    let flagged: Vec<(usize, Vec<char>)> = err
        .items
        .iter()
        .map(|i| (i.card, i.chars.clone()))
        .collect();
    // 李𠮷 and 𡈼小明 are in Noto itself; 王𪚥 and 𠀁小明 need HanaMin.
    assert_eq!(flagged, vec![(4, vec!['𪚥']), (5, vec!['𠀁'])]);
    assert!(check_coverage(&cards, &system).is_ok());
}

#[test]
fn regular_face_alone_still_prints_everything_legibly() {
    // No bold face: bold text is drawn with the regular face plus an outline stroke.
    let system = fonts();
    let fonts = Fonts::from_faces(system.regular().clone(), None, system.fallbacks().to_vec());
    let cards: Vec<Card> = hard_cards().into_iter().take(8).collect();
    let dir = Scratch::new("no-bold");
    let pdf = dir.0.join("cards.pdf");
    let stats = render_to_path(Layout::A4Grid8, &cards, &fonts, &pdf, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    assert!(
        stats.fonts.iter().all(|f| !f.contains("Bold")),
        "{:?}",
        stats.fonts
    );
    let (decoded, _) = decode_all(&pdf, &dir.0);
    assert_eq!(decoded.len(), 8);
    check_text(&pdf, &cards);
    check_fonts(&pdf, &["NotoSansCJKsc-Regular", "HanaMinA", "HanaMinB"]);
}
