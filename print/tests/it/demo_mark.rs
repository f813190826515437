//! A demo station's cards say so: "演示 DEMO" on every card, in every layout, in the text layer
//! a viewer and a printer see, and never over the QR (every code still decodes). A real card
//! carries no mark.
//!
//! Needs poppler-utils, zbar-tools and fonts-noto-cjk; a missing tool fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ops::ControlFlow;
use std::path::Path;

use nac_test_support::pdf;
use pdf::{decode_all, tool};

use nac_print::{render_to_path, sample, Card, Fonts, Layout, DEMO_MARK};

/// A scratch directory removed on drop (the print crate has no tempfile dependency).
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("nac-demo-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn demo_cards(demo: bool) -> Vec<Card> {
    let mut cards = sample::cards(6, 7);
    // The tightest content: the longest name and address the other tests print.
    cards[0].name = "阿卜杜热合曼·阿卜杜克热木".into();
    cards[1].address =
        "徐汇区 天钥桥路 100弄 5号 302室 （近南丹东路，小区东门进入后左转第二栋，电梯到三楼）"
            .into();
    for card in &mut cards {
        card.demo = demo;
    }
    cards
}

fn text_of(pdf: &Path) -> String {
    let out = tool("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_demo_card_in_every_layout_is_marked_and_still_scans() {
    let fonts = Fonts::system().expect("Noto Sans CJK must be installed (fonts-noto-cjk)");
    let dir = Scratch::new("layouts");
    for layout in Layout::ALL {
        let cards = demo_cards(true);
        let sub = dir.path().join(layout.as_str());
        std::fs::create_dir(&sub).unwrap();
        let pdf = sub.join("cards.pdf");
        render_to_path(layout, &cards, &fonts, &pdf, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{layout}: {e}"));
        let text = text_of(&pdf);
        assert_eq!(
            text.matches("演示 DEMO").count(),
            cards.len(),
            "{layout}: one mark per card in:\n{text}"
        );
        assert!(text.contains(DEMO_MARK), "{layout}");
        let (decoded, _) = decode_all(&pdf, &sub);
        let mut want: Vec<String> = cards.iter().map(|c| c.qr_text.clone()).collect();
        let mut got = decoded;
        want.sort();
        got.sort();
        assert_eq!(
            got, want,
            "{layout}: every QR decodes with the mark on the card"
        );
    }
}

#[test]
fn a_real_card_carries_no_mark() {
    let fonts = Fonts::system().expect("Noto Sans CJK must be installed (fonts-noto-cjk)");
    let dir = Scratch::new("real");
    let pdf = dir.path().join("cards.pdf");
    render_to_path(
        Layout::A4Grid8,
        &demo_cards(false),
        &fonts,
        &pdf,
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let text = text_of(&pdf);
    assert!(!text.contains("DEMO") && !text.contains("演示"), "{text}");
}

#[cfg(unix)]
#[test]
fn the_pdf_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let fonts = Fonts::system().expect("Noto Sans CJK must be installed (fonts-noto-cjk)");
    let dir = Scratch::new("mode");
    let pdf = dir.path().join("cards.pdf");
    render_to_path(
        Layout::Large,
        &demo_cards(false)[..1],
        &fonts,
        &pdf,
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let mode = std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
