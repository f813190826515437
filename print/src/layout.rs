//! The five layouts, as one table of numbers read by one renderer.
//!
//! A layout is a page size, a grid of cells, and a card template: where the QR goes
//! relative to the text (`Arrangement`), the QR symbol size, and a type style per
//! field. Sizes are in millimetres, type in points. Name ≥ 20 pt and expiry ≥ 16 pt
//! are floors every style keeps (`min_pt`); the QR symbol (modules only) is ≥ 35 mm
//! everywhere, with a 4-module quiet zone kept free of ink around it.

use std::fmt;
use std::str::FromStr;

use crate::error::PrintError;

/// Page layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// A4, 2 × 4 cards with dashed cut lines.
    A4Grid8,
    /// A4, 2 × 2 badge cards for laminating, larger QR.
    A4Grid4,
    /// One large card per A4 page (door or fridge).
    Large,
    /// A4 sheet per household: its members one under another, heading repeated on
    /// continuation pages.
    HouseholdSheet,
    /// 62 mm continuous label roll (Brother QL), one 62 × 100 mm label per card.
    Label62mm,
}

impl Layout {
    /// Every layout, in menu order.
    pub const ALL: [Layout; 5] = [
        Layout::A4Grid8,
        Layout::A4Grid4,
        Layout::Large,
        Layout::HouseholdSheet,
        Layout::Label62mm,
    ];

    /// The stable name used on the command line and in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::A4Grid8 => "a4-8up",
            Layout::A4Grid4 => "a4-4up",
            Layout::Large => "large",
            Layout::HouseholdSheet => "household",
            Layout::Label62mm => "label-62mm",
        }
    }

    /// Chinese name for menus.
    pub fn label_zh(self) -> &'static str {
        match self {
            Layout::A4Grid8 => "A4 每页 8 张（裁剪）",
            Layout::A4Grid4 => "A4 每页 4 张（过塑胸卡）",
            Layout::Large => "大号（每页 1 张）",
            Layout::HouseholdSheet => "按家庭（每户一页）",
            Layout::Label62mm => "62 毫米标签纸",
        }
    }

    /// Side of the printed QR symbol in mm (modules only, without quiet zone).
    pub fn qr_symbol_mm(self) -> f32 {
        self.spec().qr_mm
    }

    /// Page size in mm (width, height).
    pub fn page_mm(self) -> (f32, f32) {
        self.spec().page
    }

    /// Cards per page.
    pub fn cards_per_page(self) -> usize {
        let s = self.spec();
        s.cols * s.rows
    }

    pub(crate) fn spec(self) -> &'static Spec {
        match self {
            Layout::A4Grid8 => &A4_8,
            Layout::A4Grid4 => &A4_4,
            Layout::Large => &LARGE,
            Layout::HouseholdSheet => &HOUSEHOLD,
            Layout::Label62mm => &LABEL,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = PrintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Layout::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| PrintError::UnknownLayout(s.to_string()))
    }
}

/// Where the QR sits relative to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrangement {
    /// Name and expiry across the top; QR below left, details to its right.
    Header,
    /// Everything centred in one column: name, expiry, QR, details.
    Stacked,
    /// QR on the left, all text in a column to its right.
    Side,
}

/// Type style of one field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    /// Preferred size (pt).
    pub pt: f32,
    /// Smallest size the text may shrink to before wrapping (pt).
    pub min_pt: f32,
    /// Bold face.
    pub bold: bool,
    /// Most lines the text may wrap to.
    pub max_lines: usize,
}

const fn style(pt: f32, min_pt: f32, bold: bool, max_lines: usize) -> Style {
    Style {
        pt,
        min_pt,
        bold,
        max_lines,
    }
}

/// Separators drawn between cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separators {
    None,
    /// Dashed grey cut lines between cells.
    CutLines,
    /// Thin solid rules between rows (household sheet).
    Rules,
}

/// One layout's numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    /// Page (width, height) mm.
    pub page: (f32, f32),
    /// Page margin around the grid, mm.
    pub margin: f32,
    /// Household heading band above the grid (style, height mm).
    pub heading: Option<(Style, f32)>,
    pub cols: usize,
    pub rows: usize,
    pub separators: Separators,
    /// Padding inside each cell, mm.
    pub pad: f32,
    pub arrangement: Arrangement,
    /// QR symbol side, mm (modules only).
    pub qr_mm: f32,
    pub name: Style,
    pub expiry: Style,
    /// Masked ID, address (wraps to `max_lines`), station.
    pub detail: Style,
    pub address: Style,
    /// English line and serial.
    pub small: Style,
    /// Whether the English expiry line is printed.
    pub english: bool,
    /// English line and serial share one line (wide columns).
    pub small_one_line: bool,
}

/// Line height as a multiple of the type size.
pub(crate) const LEADING: f32 = 1.2;

const A4: (f32, f32) = (210.0, 297.0);

static A4_8: Spec = Spec {
    page: A4,
    margin: 0.0,
    heading: None,
    cols: 2,
    rows: 4,
    separators: Separators::CutLines,
    pad: 6.0,
    arrangement: Arrangement::Header,
    qr_mm: 36.0,
    name: style(22.0, 20.0, true, 2),
    expiry: style(16.0, 16.0, true, 2),
    detail: style(11.0, 9.0, false, 1),
    address: style(11.0, 9.0, false, 2),
    small: style(8.0, 7.0, false, 1),
    english: true,
    small_one_line: false,
};

static A4_4: Spec = Spec {
    page: A4,
    margin: 0.0,
    heading: None,
    cols: 2,
    rows: 2,
    separators: Separators::CutLines,
    pad: 8.0,
    arrangement: Arrangement::Stacked,
    qr_mm: 60.0,
    name: style(30.0, 20.0, true, 2),
    expiry: style(20.0, 16.0, true, 2),
    detail: style(14.0, 10.0, false, 1),
    address: style(14.0, 10.0, false, 2),
    small: style(10.0, 8.0, false, 1),
    english: true,
    small_one_line: false,
};

static LARGE: Spec = Spec {
    page: A4,
    margin: 0.0,
    heading: None,
    cols: 1,
    rows: 1,
    separators: Separators::None,
    pad: 18.0,
    arrangement: Arrangement::Stacked,
    qr_mm: 120.0,
    name: style(40.0, 24.0, true, 2),
    expiry: style(28.0, 18.0, true, 2),
    detail: style(18.0, 12.0, false, 1),
    address: style(18.0, 12.0, false, 2),
    small: style(14.0, 10.0, false, 1),
    english: true,
    small_one_line: false,
};

static HOUSEHOLD: Spec = Spec {
    page: A4,
    margin: 12.0,
    heading: Some((style(18.0, 14.0, true, 1), 14.0)),
    cols: 1,
    rows: 5,
    separators: Separators::Rules,
    pad: 3.0,
    arrangement: Arrangement::Side,
    qr_mm: 36.0,
    name: style(22.0, 20.0, true, 1),
    expiry: style(16.0, 16.0, true, 1),
    detail: style(12.0, 10.0, false, 1),
    address: style(12.0, 10.0, false, 2),
    small: style(9.0, 8.0, false, 1),
    english: true,
    small_one_line: true,
};

static LABEL: Spec = Spec {
    page: (62.0, 100.0),
    margin: 0.0,
    heading: None,
    cols: 1,
    rows: 1,
    separators: Separators::None,
    pad: 3.0,
    arrangement: Arrangement::Stacked,
    qr_mm: 36.0,
    name: style(20.0, 20.0, true, 2),
    expiry: style(16.0, 16.0, true, 2),
    detail: style(10.0, 8.0, false, 1),
    address: style(10.0, 8.0, false, 2),
    small: style(8.0, 7.0, false, 1),
    english: false,
    small_one_line: false,
};

/// A rectangle in mm, origin at the page's top-left, y down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Boxmm {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Boxmm {
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
}

impl Spec {
    /// Box of cell `i` (row-major).
    pub fn cell(&self, i: usize) -> Boxmm {
        let top = self.margin + self.heading.map_or(0.0, |(_, h)| h);
        let w = (self.page.0 - 2.0 * self.margin) / self.cols as f32;
        let h = (self.page.1 - self.margin - top) / self.rows as f32;
        Boxmm {
            x: self.margin + (i % self.cols) as f32 * w,
            y: top + (i / self.cols) as f32 * h,
            w,
            h,
        }
    }

    /// Box of the household heading band.
    pub fn heading_box(&self) -> Option<Boxmm> {
        self.heading.map(|(_, h)| Boxmm {
            x: self.margin,
            y: self.margin,
            w: self.page.0 - 2.0 * self.margin,
            h,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in Layout::ALL {
            assert_eq!(l.to_string().parse::<Layout>().unwrap(), l);
        }
        assert!("a5".parse::<Layout>().is_err());
        assert_eq!("A4-8UP".parse::<Layout>().unwrap(), Layout::A4Grid8);
    }

    #[test]
    fn floors_hold_in_every_layout() {
        for l in Layout::ALL {
            let s = l.spec();
            assert!(s.qr_mm >= 35.0, "{l}: QR symbol {} mm", s.qr_mm);
            assert!(s.name.min_pt >= 20.0 && s.name.bold, "{l}: name style");
            assert!(
                s.expiry.min_pt >= 16.0 && s.expiry.bold,
                "{l}: expiry style"
            );
        }
    }

    #[test]
    fn grid_tiles_the_page() {
        let s = Layout::A4Grid8.spec();
        let last = s.cell(7);
        assert!((last.right() - 210.0).abs() < 1e-3 && (last.bottom() - 297.0).abs() < 1e-3);
        assert!((s.cell(1).x - 105.0).abs() < 1e-3);
        assert!((s.cell(2).y - 74.25).abs() < 1e-3);
    }
}
