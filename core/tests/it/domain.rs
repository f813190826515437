//! Identity, name and phone validation: GB 11643-1999 resident IDs with the ISO 7064 MOD 11-2
//! check digit, other documents by shape, names incl. 生僻字, mainland mobile numbers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::domain::document::resident_id_check_char;
use nac_core::domain::{Document, DocumentError, DocumentType, PersonName, Phone};
use proptest::prelude::*;

const REGIONS: &[&str] = &[
    "110105", "310104", "310115", "440305", "510104", "650102", "810000",
];

fn id_from(region: &str, y: u32, m: u32, d: u32, seq: u32) -> String {
    let first17 = format!("{region}{y:04}{m:02}{d:02}{seq:03}");
    format!("{first17}{}", resident_id_check_char(&first17).unwrap())
}

prop_compose! {
    fn valid_id()(r in 0..REGIONS.len(), y in 1900u32..2025, m in 1u32..=12, d in 1u32..=28, seq in 0u32..1000) -> String {
        id_from(REGIONS[r], y, m, d, seq)
    }
}

fn parse_id(s: &str) -> Result<Document, DocumentError> {
    Document::parse(DocumentType::ResidentId, s)
}

#[test]
fn known_good_ids_from_the_standard() {
    // The examples printed in GB 11643-1999 itself.
    for id in ["11010519491231002X", "440524188001010014"] {
        let doc = parse_id(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(doc.number, id);
    }
    assert_eq!(
        parse_id("11010519491231002X")
            .unwrap()
            .birth_date()
            .unwrap()
            .to_string(),
        "1949-12-31"
    );
}

#[test]
fn lower_case_x_full_width_and_spaces_are_normalised() {
    let doc = parse_id(" １１０１０５ 19491231002x ").unwrap();
    assert_eq!(doc.number, "11010519491231002X");
    assert_eq!(doc.masked(), "110***********002X");
    assert_eq!(doc.last4(), "002X");
}

#[test]
fn specific_refusals_say_why() {
    assert_eq!(parse_id("1101051949123100"), Err(DocumentError::Length(16)));
    assert_eq!(
        parse_id("11010519491231002A"),
        Err(DocumentError::Characters)
    );
    assert!(matches!(
        parse_id(&id_from("990101", 1950, 1, 1, 1)),
        Err(DocumentError::Region(_))
    ));
    // 1999-02-30 does not exist; the check digit is made right so only the date is wrong.
    assert!(matches!(
        parse_id(&id_from("310104", 1999, 2, 30, 1)),
        Err(DocumentError::BirthDate(_))
    ));
    assert!(matches!(
        parse_id(&id_from("310104", 1999, 13, 1, 1)),
        Err(DocumentError::BirthDate(_))
    ));
    assert!(matches!(
        parse_id("110105194912310021"),
        Err(DocumentError::CheckDigit {
            expected: 'X',
            found: '1'
        })
    ));
}

proptest! {
    #[test]
    fn generated_ids_are_valid(id in valid_id()) {
        prop_assert!(parse_id(&id).is_ok(), "{}", id);
    }

    /// MOD 11-2 detects every single-character substitution: each must be refused.
    #[test]
    fn every_single_substitution_is_rejected(id in valid_id()) {
        let chars: Vec<char> = id.chars().collect();
        for i in 0..18 {
            for c in "0123456789X".chars() {
                if c == chars[i] {
                    continue;
                }
                let mut m = chars.clone();
                m[i] = c;
                let mutated: String = m.into_iter().collect();
                prop_assert!(parse_id(&mutated).is_err(), "accepted {} (from {})", mutated, id);
            }
        }
    }

    /// …and every adjacent transposition of two different characters.
    #[test]
    fn every_adjacent_transposition_is_rejected(id in valid_id()) {
        let chars: Vec<char> = id.chars().collect();
        for i in 0..17 {
            if chars[i] == chars[i + 1] {
                continue;
            }
            let mut m = chars.clone();
            m.swap(i, i + 1);
            let mutated: String = m.into_iter().collect();
            prop_assert!(parse_id(&mutated).is_err(), "accepted {} (from {})", mutated, id);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(s in "\\PC{0,30}") {
        for kind in DocumentType::ALL {
            let _ = Document::parse(kind, &s);
        }
        let _ = Phone::parse(&s);
        let _ = PersonName::parse(&s);
    }
}

#[test]
fn other_documents_by_shape() {
    assert!(Document::parse(DocumentType::HkMacauPermit, "h12345678").is_ok());
    assert!(Document::parse(DocumentType::HkMacauPermit, "X12345678").is_err());
    assert!(Document::parse(DocumentType::TaiwanPermit, "12345678").is_ok());
    assert!(Document::parse(DocumentType::TaiwanPermit, "1234567").is_err());
    assert!(Document::parse(DocumentType::Passport, "E12345678").is_ok());
    assert!(Document::parse(DocumentType::Passport, "E12").is_err());
    assert_eq!(
        "回乡证".parse::<DocumentType>().unwrap(),
        DocumentType::HkMacauPermit
    );
    assert_eq!(
        "".parse::<DocumentType>().unwrap(),
        DocumentType::ResidentId
    );
    assert!("驾照".parse::<DocumentType>().is_err());
}

#[test]
fn names_keep_rare_characters_and_the_middle_dot() {
    for raw in ["李𠮷", "王㛃", "阿依古丽·买买提", "  张三丰 "] {
        let name = PersonName::parse(raw).unwrap();
        assert_eq!(name.as_str(), raw.trim(), "never silently altered");
    }
    assert_eq!(PersonName::parse("张三丰").unwrap().masked(), "张*丰");
    assert_eq!(PersonName::parse("李𠮷").unwrap().masked(), "李*");
    assert_eq!(
        PersonName::parse("阿依古丽·买买提").unwrap().masked(),
        "阿*·*提"
    );
    assert!(PersonName::parse("   ").is_err());
    assert!(PersonName::parse("张3").is_err());
    assert!(PersonName::parse("张\u{0}").is_err());
}

#[test]
fn phones_are_normalised_and_checked() {
    assert_eq!(
        Phone::parse("+86 138-1234-5678").unwrap().as_str(),
        "13812345678"
    );
    assert_eq!(
        Phone::parse("１３８１２３４５６７８").unwrap().as_str(),
        "13812345678"
    );
    assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    assert!(Phone::parse("1381234567").is_err(), "10 digits");
    assert!(Phone::parse("23812345678").is_err(), "must start with 1");
}

/// Masking hides at least half of every document number: a Taiwan permit (8 digits) masked
/// like a resident ID (first 3, last 4) would hide a single digit.
#[test]
fn every_masked_document_hides_at_least_half_of_it() {
    use nac_core::domain::document::{Document, DocumentType};
    for (kind, raw, masked) in [
        (
            DocumentType::ResidentId,
            "11010519491231002X",
            "110***********002X",
        ),
        (DocumentType::TaiwanPermit, "12345678", "****5678"),
        (DocumentType::HkMacauPermit, "H12345678", "*****5678"),
        (DocumentType::Passport, "E12345678", "*****5678"),
    ] {
        let doc = Document::parse(kind, raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        let shown = doc.masked();
        assert_eq!(shown, masked);
        let hidden = shown.chars().filter(|c| *c == '*').count();
        assert!(hidden * 2 >= raw.len(), "{shown} hides too little");
    }
}
