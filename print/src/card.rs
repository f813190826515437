//! The data a card shows, and what a render reports.

/// One paper code card.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Card {
    /// Full name; may contain rare characters (李𠮷) and a middle dot (阿依古丽·买买提).
    pub name: String,
    /// Credential text, encoded as-is (QR alphanumeric mode when possible, ECC Q).
    pub qr_text: String,
    /// Already formatted local time "YYYY-MM-DD HH:MM", printed as "有效期至 …".
    pub expires_at: String,
    /// Masked ID number, e.g. "310***********123X".
    pub masked_id: String,
    /// What kind of document `masked_id` is, printed before it ("身份证", "护照", …);
    /// empty means "身份证".
    pub id_label: String,
    /// Home address.
    pub address: String,
    /// Issuing station.
    pub station_name: String,
    /// Short serial printed small, e.g. "7K3QD-9XAZM".
    pub serial: String,
    /// Household key/label: cards with the same value share a household sheet.
    pub household: String,
    /// A card of a demo station (fictional resident): printed with [`DEMO_MARK`] in bold
    /// above the name, so that it can never pass for a real code on paper.
    pub demo: bool,
}

/// What a demo card says, above the name.
pub const DEMO_MARK: &str = "演示 DEMO · 非真实核酸码";

impl Card {
    /// The expiry line as printed (Chinese).
    pub fn expiry_line(&self) -> String {
        format!("有效期至 {}", self.expires_at)
    }
    /// The expiry line in English (printed small where there is room).
    pub fn english_line(&self) -> String {
        format!("Valid until {}", self.expires_at)
    }
    /// The ID line as printed.
    pub fn id_line(&self) -> String {
        let label = if self.id_label.trim().is_empty() {
            "身份证"
        } else {
            self.id_label.trim()
        };
        format!("{label} {}", self.masked_id)
    }
    /// The serial line as printed.
    pub fn serial_line(&self) -> String {
        format!("编号 {}", self.serial)
    }
}

/// Collapse every run of whitespace (tabs, newlines, ideographic spaces) into one
/// ASCII space and trim: what is printed on one line.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The strings a card prints, cleaned, with the field each comes from.
pub(crate) struct Printed {
    /// [`DEMO_MARK`] on a demo card, empty otherwise (an empty field is not drawn).
    pub demo: String,
    pub name: String,
    pub expiry: String,
    pub english: String,
    pub id: String,
    pub address: String,
    pub station: String,
    pub serial: String,
}

impl Printed {
    pub(crate) fn of(card: &Card) -> Printed {
        Printed {
            demo: if card.demo {
                DEMO_MARK.to_string()
            } else {
                String::new()
            },
            name: clean(&card.name),
            expiry: clean(&card.expiry_line()),
            english: clean(&card.english_line()),
            id: clean(&card.id_line()),
            address: clean(&card.address),
            station: clean(&card.station_name),
            serial: if clean(&card.serial).is_empty() {
                String::new()
            } else {
                clean(&card.serial_line())
            },
        }
    }

    /// (field, text, bold) for every printed string.
    pub(crate) fn fields(&self) -> [(&'static str, &str, bool); 8] {
        [
            ("demo", &self.demo, true),
            ("name", &self.name, true),
            ("expires_at", &self.expiry, true),
            ("expires_at", &self.english, false),
            ("masked_id", &self.id, false),
            ("address", &self.address, false),
            ("station_name", &self.station, false),
            ("serial", &self.serial, false),
        ]
    }
}

/// Heading printed on household sheets.
pub(crate) fn household_heading(household: &str, continued: bool, members: usize) -> String {
    let household = clean(household);
    if continued {
        format!("家庭 {household}（续，共 {members} 人）")
    } else {
        format!("家庭 {household}（共 {members} 人）")
    }
}

/// Where a render is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Checking fonts and text, preparing font subsets.
    Preparing,
    /// Drawing pages (QR encoding, layout), each written to the output after its
    /// report; `pages_done` counts up.
    Drawing,
    /// All pages are written; the fonts, page tree and cross-reference table follow
    /// (cancelling at this report still fails the job; it cannot be cancelled later).
    Writing,
    /// The file is written.
    Done,
}

/// Progress report passed to the render callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Pages drawn so far.
    pub pages_done: usize,
    /// Pages in the document.
    pub pages_total: usize,
    /// Cards drawn so far.
    pub cards_done: usize,
    /// Cards in the job.
    pub cards_total: usize,
}

/// What a finished render produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderStats {
    /// Pages written.
    pub pages: usize,
    /// Cards written.
    pub cards: usize,
    /// Bytes written to the output.
    pub bytes: u64,
    /// Highest QR version used.
    pub max_qr_version: u8,
    /// Side of the QR symbol (modules only, no quiet zone) in mm; the same for every
    /// card of a layout.
    pub qr_symbol_mm: f32,
    /// Smallest module size used, in mm.
    pub min_module_mm: f32,
    /// Families of the fonts embedded (as subsets).
    pub fonts: Vec<String>,
}
