//! No screen, card, export or credential shows more than half of a document number (rounded
//! down), whatever its length or kind: `E1234` was shown as `*1234` and put `1234` in the QR.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Fixture;
use nac_core::domain::document::{document_tail, mask_document, Document, DocumentType};
use nac_core::domain::Capacity;
use nac_core::station::{ResidentInput, ResidentQuery};
use proptest::prelude::*;

/// Characters of `masked` that are not masking stars.
fn shown(masked: &str) -> usize {
    masked.chars().filter(|c| *c != '*').count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_mask_shows_more_than_half(
        number in "[0-9A-Z]{1,40}",
        kind in prop::sample::select(DocumentType::ALL.to_vec()),
    ) {
        let len = number.chars().count();
        let doc = Document { kind, number: number.clone() };
        for masked in [doc.masked(), mask_document(&number)] {
            prop_assert_eq!(masked.chars().count(), len, "{} → {}", number, masked);
            prop_assert!(shown(&masked) <= len / 2, "{} ({:?}) → {}", number, kind, masked);
        }
        let tail = doc.tail();
        prop_assert!(tail.chars().count() <= len / 2, "{} → tail {}", number, tail);
        prop_assert!(tail.chars().count() <= 4);
        prop_assert!(number.ends_with(&tail));
        // The card's masked number and the QR's tail agree: the tail is what the mask shows last.
        prop_assert!(doc.masked().ends_with(&tail));
        prop_assert_eq!(tail, document_tail(&number));
    }
}

#[test]
fn every_length_from_1_to_40_hides_at_least_half() {
    for len in 1..=40 {
        let number: String = "E1234567890ABCDEFGHJ".chars().cycle().take(len).collect();
        let masked = mask_document(&number);
        assert!(shown(&masked) <= len / 2, "{len}: {masked}");
        assert!(document_tail(&number).len() <= len / 2, "{len}");
    }
}

#[test]
fn the_reported_short_documents() {
    let e = Document::parse(DocumentType::Passport, "E1234").unwrap();
    assert_eq!(e.masked(), "***34");
    assert_eq!(e.tail(), "34");
    let ab = Document::parse(DocumentType::Passport, "AB12345").unwrap();
    assert_eq!(ab.masked(), "****345");
    assert_eq!(ab.tail(), "345");
    // Eight characters and more keep the last four; a resident ID its first three too.
    let tw = Document::parse(DocumentType::TaiwanPermit, "12345678").unwrap();
    assert_eq!(
        (tw.masked().as_str(), tw.tail().as_str()),
        ("****5678", "5678")
    );
    let id = Document::parse(DocumentType::ResidentId, "11010519491231002X").unwrap();
    assert_eq!(id.masked(), "110***********002X");
    assert_eq!(id.tail(), "002X");
}

/// The QR's `id_last4`, the list row, the resident detail and the printed card of a resident
/// with a 5-character passport all show 2 characters.
#[test]
fn a_short_passport_shows_two_characters_everywhere() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f
        .station
        .add_resident(
            hh,
            &ResidentInput {
                name: "约翰".into(),
                document_type: "passport".into(),
                document_number: "E1234".into(),
                ..Default::default()
            },
        )
        .unwrap();
    f.station.renew(id, Capacity::Volunteer).unwrap();

    let code = f.station.active_code(id).unwrap().unwrap();
    let (_, claims) = nac_credential::decode_unverified(&code.credential).unwrap();
    assert_eq!(claims.id_last4, "34", "the QR carries at most half");

    let detail = f.station.resident(id).unwrap();
    assert_eq!(detail.document_last4, "34");
    assert_eq!(detail.row.masked_document, "***34");
    let rows = f.station.residents(&ResidentQuery::default()).unwrap();
    assert_eq!(rows[0].masked_document, "***34");

    let out = f.dir.path().join("cards.pdf");
    let plan = f.station.plan_print(&[id], "a4-8up", &out, None).unwrap();
    assert_eq!(plan.cards[0].masked_id, "***34");
    let shown_on_card = plan.cards[0].masked_id.replace('*', "");
    assert!(!plan.cards[0].qr_text.is_empty());
    assert_eq!(shown_on_card, "34");
}
