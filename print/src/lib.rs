//! `nac-print`: the paper nucleic-acid-code card engine of NAC Station.
//!
//! Elderly residents without a smartphone carry their QR credential on paper. This
//! crate turns [`Card`]s into a print-ready PDF in one of five [`Layout`]s, and hands
//! the PDF to CUPS or the desktop viewer.
//!
//! Why it is built the way it is:
//! - **Nothing silently missing.** printpdf drops characters its font lacks; a name
//!   with a hole is worse than no card. [`check_coverage`] checks every printed
//!   character against the fonts' `cmap`s and [`render`] refuses (writing nothing)
//!   when any is uncovered, naming card, field and character. Rare characters
//!   (生僻字) come from the HanaMin fallback faces ([`fonts`]).
//! - **Vector QR, ECC Q, ≥ 35 mm, quiet zone.** Symbols are drawn as vector strokes,
//!   never a bitmap, with a 4-module quiet zone kept free of ink ([`layout`]).
//! - **Fast and small for big batches.** A station may print a whole district:
//!   QR encoding uses our own mask scoring ([`qr`]), QR drawing is raw PDF content
//!   deflated on all cores ([`qrdraw`], [`render`]), fonts are subset before
//!   printpdf sees them. 1,000 cards take well under half a second.
//! - **One layout table, one renderer.** The five layouts are rows of numbers in
//!   [`layout`]; one composer reads them.
//!
//! - **Flat memory.** Pages are written to the output as they are drawn ([`render`]);
//!   memory does not grow with the page count.
//!
//! Write to a temporary file and rename it (or use [`render_to_path`], which does):
//! a refused render writes nothing, but a render cancelled or failing after its first
//! page (or a failing disk) leaves a partial PDF behind.

mod card;
mod compose;
mod coverage;
mod error;
pub mod fonts;
mod glyphs;
pub mod layout;
mod pdfwrite;
pub mod qr;
pub mod qrdraw;
mod render;
pub mod sample;
mod system;
mod textblock;
mod textfit;

pub use card::{Card, Progress, RenderStats, Stage, DEMO_MARK};
pub use coverage::check_coverage;
pub use error::{PrintError, UncoveredItem, UncoveredText};
pub use fonts::{FontFace, Fonts};
pub use layout::Layout;
pub use render::{render, render_to_path};
pub use system::{
    child_command, list_printers, open_with_system_viewer, send_to_printer, JobId, Printer,
};
