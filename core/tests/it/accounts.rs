//! Volunteer accounts (issue 9 §3–4): the first administrator, PINs hashed and checked with a
//! backoff that is audited, disabling, and what each role may see: a volunteer never obtains a
//! full ID number or phone through any read of the core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Fixture;
use nac_core::domain::Capacity;
use nac_core::station::{HouseholdInput, ResidentInput, ResidentQuery, Role};

const PHONE: &str = "13912345678";
const HOUSEHOLD_PHONE: &str = "13800001111";

/// A station with its administrator 王主任 (PIN 135790) and volunteer 李梅 (PIN 246810), one
/// household with a phone and one resident with a phone, renewed and printed.
fn station() -> (Fixture, i64, i64, String) {
    let mut f = Fixture::at_cst(2026, 12, 2, 9, 0, 0);
    assert!(f.station.needs_administrator().unwrap());
    f.station.create_administrator("王主任", "135790").unwrap();
    assert!(!f.station.needs_administrator().unwrap());
    assert_eq!(f.station.role(), Role::Admin);
    f.station
        .add_account("李梅", Role::Volunteer, "246810")
        .unwrap();
    let hh = f
        .station
        .add_household(&HouseholdInput {
            district: "徐汇区".into(),
            road: "天钥桥路".into(),
            lane: "100".into(),
            number: "5".into(),
            room: "301".into(),
            phone: HOUSEHOLD_PHONE.into(),
        })
        .unwrap();
    let number = common::valid_id("310104", "19450312", 7);
    let id = f
        .station
        .add_resident(
            hh,
            &ResidentInput {
                name: "张秀英".into(),
                document_number: number.clone(),
                phone: PHONE.into(),
                ..Default::default()
            },
        )
        .unwrap();
    f.station.renew(id, Capacity::Volunteer).unwrap();
    (f, hh, id, number)
}

fn audit_actions(f: &Fixture) -> Vec<String> {
    let mut stmt = f
        .station
        .connection()
        .prepare("SELECT action || ' ' || subject FROM audit_log ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_first_administrator_is_created_once_and_secrets_must_be_pins_or_passphrases() {
    let mut f = Fixture::at_cst(2026, 12, 2, 9, 0, 0);
    for weak in ["12345", "1234567", "abcdefg", "12345a"] {
        let err = f.station.create_administrator("王主任", weak).unwrap_err();
        assert_eq!(err.code(), "weak_pin", "{weak:?} must be refused");
    }
    f.station.create_administrator("王主任", "135790").unwrap();
    let again = f
        .station
        .create_administrator("另一位", "a long passphrase");
    assert_eq!(again.unwrap_err().code(), "not_allowed");
    let stored: String = f
        .station
        .connection()
        .query_row(
            "SELECT secret_hash FROM volunteers WHERE account = '王主任'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains("135790"));
}

#[test]
fn wrong_pins_wait_longer_and_longer_and_every_attempt_is_audited() {
    let (mut f, ..) = station();
    for n in 1..=3 {
        let err = f.station.sign_in("李梅", "000000").unwrap_err();
        assert_eq!(err.code(), "wrong_pin", "attempt {n} is answered at once");
    }
    let err = f.station.sign_in("李梅", "000000").unwrap_err();
    assert_eq!(err.code(), "signin_wait");
    assert!(err.to_string().contains("30"), "{err}");
    // During the wait even the right PIN is not checked.
    assert_eq!(
        f.station.sign_in("李梅", "246810").unwrap_err().code(),
        "signin_wait"
    );
    assert_eq!(f.station.role(), Role::Admin, "still the administrator");
    f.clock.advance_secs(31);
    let err = f.station.sign_in("李梅", "000000").unwrap_err();
    assert!(
        err.to_string().contains("60"),
        "the next wait doubles: {err}"
    );
    f.clock.advance_secs(61);
    assert_eq!(
        f.station.sign_in("李梅", "246810").unwrap(),
        Role::Volunteer
    );
    let actions = audit_actions(&f);
    let failed = actions
        .iter()
        .filter(|a| *a == "signin.failed 李梅")
        .count();
    assert_eq!(failed, 5, "{actions:?}");
    assert_eq!(actions.last().unwrap(), "signin 李梅");
    // A success starts the count again.
    assert_eq!(
        f.station.sign_in("李梅", "000000").unwrap_err().code(),
        "wrong_pin"
    );
    assert_eq!(
        nac_core::station::signin_wait_secs(40),
        15 * 60,
        "the wait is capped at 15 minutes"
    );
}

#[test]
fn a_disabled_account_cannot_sign_in_and_the_last_administrator_stays() {
    let (mut f, ..) = station();
    assert_eq!(
        f.station.disable_account("王主任").unwrap_err().code(),
        "last_administrator"
    );
    f.station.disable_account("李梅").unwrap();
    assert_eq!(
        f.station.sign_in("李梅", "246810").unwrap_err().code(),
        "account_disabled"
    );
    let accounts = f.station.accounts().unwrap();
    let li = accounts.iter().find(|a| a.account == "李梅").unwrap();
    assert!(li.disabled);
    assert_eq!(
        f.station
            .add_account("王主任", Role::Admin, "999999")
            .unwrap_err()
            .code(),
        "account_exists"
    );
}

#[test]
fn a_volunteer_may_not_manage_reveal_export_unmasked_back_up_or_read_the_audit_log() {
    let (mut f, hh, id, _) = station();
    f.station.sign_in("李梅", "246810").unwrap();
    let refused = [
        f.station
            .add_account("新人", Role::Volunteer, "111111")
            .err(),
        f.station.disable_account("王主任").err(),
        f.station.reveal_resident(id).err(),
        f.station.reveal_household_phone(hh).err(),
        f.station
            .export_roster(&f.dir.path().join("full.csv"), true)
            .err(),
        f.station.backup(&f.dir.path().join("b.nacbackup")).err(),
        f.station.audit_log(10).err(),
        f.station.verify_audit().err(),
        // The station's name is printed on every card (issue 18, item 7).
        f.station.set_station_name("别的名字").err(),
    ];
    for (n, err) in refused.into_iter().enumerate() {
        assert_eq!(
            err.map(|e| e.code()),
            Some(nac_core::ErrorCode::NotAllowed),
            "operation {n} must be refused to a volunteer"
        );
    }
    assert!(!f.dir.path().join("full.csv").exists());
    assert!(!f.dir.path().join("b.nacbackup").exists());
    assert_ne!(
        f.station.station_name().unwrap(),
        "别的名字",
        "the name is unchanged"
    );
    // What volunteers do stays open to them.
    f.station
        .export_roster(&f.dir.path().join("masked.csv"), false)
        .unwrap();
    f.station.sign_in("王主任", "135790").unwrap();
    assert_eq!(
        f.station.reveal_resident(id).unwrap().phone.as_deref(),
        Some(PHONE)
    );
}

/// Every read a volunteer can make, serialised: no full ID number or phone anywhere.
#[test]
fn nothing_a_volunteer_reads_carries_a_full_number_or_phone() {
    let (mut f, hh, id, number) = station();
    f.station.sign_in("李梅", "246810").unwrap();
    let masked_csv = f.dir.path().join("masked.csv");
    f.station.export_roster(&masked_csv, false).unwrap();
    let (cards, _) = f.station.cards_for(&[id]).unwrap();
    let reads = [
        serde_json::to_string(&f.station.residents(&ResidentQuery::default()).unwrap()).unwrap(),
        serde_json::to_string(&f.station.household(hh).unwrap()).unwrap(),
        serde_json::to_string(&f.station.resident(id).unwrap()).unwrap(),
        serde_json::to_string(&cards).unwrap(),
        serde_json::to_string(&f.station.cards_to_replace().unwrap()).unwrap(),
        serde_json::to_string(&f.station.queue(false, 100).unwrap()).unwrap(),
        std::fs::read_to_string(&masked_csv).unwrap(),
    ];
    for (n, text) in reads.iter().enumerate() {
        for secret in [number.as_str(), PHONE, HOUSEHOLD_PHONE] {
            assert!(!text.contains(secret), "read {n} carries {secret}: {text}");
        }
    }
    assert!(
        reads[0].contains("5678"),
        "the masked phone shows its last four"
    );
}

#[test]
fn an_untouched_masked_field_keeps_the_stored_value() {
    let (mut f, hh, id, number) = station();
    f.station.sign_in("李梅", "246810").unwrap();
    let row = f.station.household(hh).unwrap().members[0].clone();
    // The volunteer edits the name; the form sends the number and phone back as shown.
    f.station
        .update_resident(
            id,
            &ResidentInput {
                name: "张秀英".into(),
                document_number: row.masked_document.clone(),
                phone: row.masked_phone.clone().unwrap(),
                notes: "行动不便".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let household = f.station.household(hh).unwrap();
    f.station
        .update_household(
            hh,
            &HouseholdInput {
                district: "徐汇区".into(),
                road: "天钥桥路".into(),
                lane: "100".into(),
                number: "5".into(),
                room: "302".into(),
                phone: household.masked_phone.unwrap(),
            },
        )
        .unwrap();
    f.station.sign_in("王主任", "135790").unwrap();
    let revealed = f.station.reveal_resident(id).unwrap();
    assert_eq!(revealed.document_number, number);
    assert_eq!(revealed.phone.as_deref(), Some(PHONE));
    assert_eq!(
        f.station.reveal_household_phone(hh).unwrap().as_deref(),
        Some(HOUSEHOLD_PHONE)
    );
    assert_eq!(f.station.household(hh).unwrap().room, "302");
}
