//! Refuse to print what no font can draw.
//!
//! printpdf silently drops a character whose glyph is missing, which on paper is a
//! name with a hole in it. Every string a card prints is checked against the
//! installed faces' `cmap`s before anything is laid out, and the job is refused
//! with a list of card, field and character, so the volunteer can fix the record
//! (or install a font) before printing.

use crate::card::{household_heading, Card, Printed};
use crate::error::{UncoveredItem, UncoveredText};
use crate::fonts::Fonts;

/// Check every printed field of every card (the household label included).
pub fn check_coverage(cards: &[Card], fonts: &Fonts) -> Result<(), UncoveredText> {
    check(cards, fonts, true)
}

/// As [`check_coverage`]; the household label only when the layout prints it.
pub(crate) fn check(cards: &[Card], fonts: &Fonts, household: bool) -> Result<(), UncoveredText> {
    let mut items = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let printed = Printed::of(card);
        let heading = household_heading(&card.household, true, 0);
        let mut fields: Vec<(&'static str, &str)> =
            printed.fields().iter().map(|(f, t, _)| (*f, *t)).collect();
        if household {
            fields.push(("household", &heading));
        }
        for (field, text) in fields {
            let mut missing: Vec<char> = Vec::new();
            for c in text.chars() {
                if !fonts.covers(c) && !missing.contains(&c) {
                    missing.push(c);
                }
            }
            if !missing.is_empty() {
                items.push(UncoveredItem {
                    card: i + 1,
                    name: card.name.clone(),
                    field,
                    chars: missing,
                });
            }
        }
    }
    if items.is_empty() {
        Ok(())
    } else {
        Err(UncoveredText { items })
    }
}
