//! Households and residents as a volunteer edits them: validation that names every bad field,
//! duplicates refused, moves and removals that keep history, change events after commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{count, valid_id, Fixture};
use nac_core::domain::Capacity;
use nac_core::roster::ColumnSet;
use nac_core::station::{Change, HouseholdInput, ResidentInput, ResidentQuery};
use nac_core::{Error, Field, WriteSource};
use std::sync::{Arc, Mutex};

fn fields(e: Error) -> Vec<Field> {
    match e {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn every_bad_field_is_reported_and_nothing_is_written() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let before = f.dump();
    let e = f
        .station
        .add_resident(
            hh,
            &ResidentInput {
                name: " ".into(),
                document_number: "110105194912310021".into(),
                phone: "1381234567".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        fields(e),
        [Field::Name, Field::DocumentNumber, Field::Phone]
    );
    let e = f
        .station
        .add_household(&HouseholdInput {
            district: "徐汇区".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(fields(e), [Field::Road]);
    assert_eq!(before, f.dump());
}

#[test]
fn a_birth_date_in_the_future_is_refused() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let e = f
        .station
        .add_resident(
            hh,
            &ResidentInput {
                name: "张三".into(),
                document_number: valid_id("310104", "20261128", 1),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(fields(e), [Field::DocumentNumber]);
}

#[test]
fn duplicates_are_refused() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    f.resident(hh, "张三丰", 1);
    let dup = f.station.add_resident(
        hh,
        &ResidentInput {
            name: "张三".into(),
            // same number, typed with a lower-case x variant and spaces where possible
            document_number: format!(" {} ", valid_id("310104", "19450312", 1)),
            ..Default::default()
        },
    );
    assert!(matches!(dup, Err(Error::DuplicateDocument { name }) if name == "张三丰"));
    let again = f.station.add_household(&HouseholdInput {
        district: "徐汇区".into(),
        road: "天钥桥路".into(),
        lane: "１００弄".into(),
        number: "5号".into(),
        room: "302室".into(),
        phone: String::new(),
    });
    assert!(
        matches!(again, Err(Error::DuplicateAddress)),
        "弄/号/室 and full-width digits normalised"
    );
}

#[test]
fn move_update_and_remove_keep_history() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let a = f.household("302");
    let b = f.household("401");
    let id = f.resident(a, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();

    f.station.move_resident(id, b).unwrap();
    assert_eq!(f.station.resident(id).unwrap().row.household_id, b);
    assert!(matches!(
        f.station.remove_household(b),
        Err(Error::HouseholdNotEmpty)
    ));

    f.station
        .update_resident(
            id,
            &ResidentInput {
                name: "张三丰".into(),
                document_number: valid_id("310104", "19450312", 1),
                phone: "13900001111".into(),
                notes: "卧床，需上门服务".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let row = f.station.resident(id).unwrap().row;
    assert_eq!(row.masked_phone.as_deref(), Some("139****1111"));
    assert_eq!(row.notes, "卧床，需上门服务");

    f.station.remove_resident(id).unwrap();
    assert!(f
        .station
        .residents(&ResidentQuery::default())
        .unwrap()
        .is_empty());
    assert_eq!(
        count(f.station.connection(), "SELECT count(*) FROM codes"),
        1,
        "history kept"
    );
    f.station.remove_household(b).unwrap();
    assert!(matches!(
        f.station.remove_household(b),
        Err(Error::NotFound { .. })
    ));

    // Registering the same person again restores them with their history.
    let back = f.resident(a, "张三丰", 1);
    assert_eq!(back, id);
    assert_eq!(f.station.resident(id).unwrap().history.len(), 1);
}

#[test]
fn changes_are_announced_after_commit_with_their_source() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let seen: Arc<Mutex<Vec<Change>>> = Arc::default();
    let sink = seen.clone();
    f.station
        .set_listener(move |c| sink.lock().unwrap().push(c.clone()));
    f.station.set_source(WriteSource::Ui);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    f.station.renew(id, Capacity::Volunteer).unwrap(); // refused: no change announced
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        [
            Change::Roster {
                source: WriteSource::Ui
            },
            Change::Roster {
                source: WriteSource::Ui
            },
            Change::Codes {
                source: WriteSource::Ui,
                residents: vec![id]
            },
        ]
    );
}

#[test]
fn audit_log_is_append_only_and_holds_no_identity_numbers() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    let conn = f.station.connection();
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    assert!(conn
        .execute("UPDATE audit_log SET action = 'x'", [])
        .is_err());
    let doc = valid_id("310104", "19450312", 1);
    let leaks = count(
        conn,
        &format!(
            "SELECT count(*) FROM audit_log WHERE subject LIKE '%{doc}%' OR action LIKE '%{doc}%'"
        ),
    );
    assert_eq!(leaks, 0);
}

#[test]
fn a_newer_schema_is_refused() {
    let f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let path = f.dir.path().join("station.db");
    f.station
        .connection()
        .pragma_update(None, "user_version", 42)
        .unwrap();
    drop(f.station);
    let err = nac_core::Station::open(
        &path,
        common::key(),
        Arc::new(f.clock.clone()),
        WriteSource::Cli,
    )
    .err()
    .expect("a newer schema must be refused");
    assert_eq!(err.code(), "schema_too_new");
    assert!(err.to_string().contains("42"));
}

#[test]
fn reopening_keeps_station_identity_and_key() {
    let f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let path = f.dir.path().join("station.db");
    let info = f.station.info().unwrap();
    drop(f.station);
    let again = nac_core::Station::open(
        &path,
        common::key(),
        Arc::new(f.clock.clone()),
        WriteSource::Cli,
    )
    .unwrap();
    let info2 = again.info().unwrap();
    assert_eq!((info.station_id, info.kid), (info2.station_id, info2.kid));
    assert_eq!(info2.schema_version, nac_core::store::SCHEMA_VERSION);
    for pragma in ["journal_mode", "foreign_keys", "synchronous"] {
        let v: String = again
            .connection()
            .query_row(&format!("PRAGMA {pragma}"), [], |r| {
                Ok(match r.get_ref(0)? {
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => format!("{other:?}"),
                })
            })
            .unwrap();
        let expected = match pragma {
            "journal_mode" => "wal",
            "foreign_keys" => "Integer(1)",
            _ => "Integer(2)", // FULL
        };
        assert_eq!(v, expected, "{pragma}");
    }
}

#[test]
fn an_import_reports_progress_and_a_cancelled_import_writes_nothing() {
    use nac_core::station::{HouseholdDraft, ResidentDraft, IMPORT_REPORT_EVERY};
    use std::ops::ControlFlow;
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let drafts: Vec<(HouseholdDraft, ResidentDraft)> = nac_core::demo::roster(500, 1)
        .iter()
        .map(|r| {
            (
                HouseholdDraft::validate(&r.household).unwrap(),
                ResidentDraft::validate(&r.resident, today).unwrap(),
            )
        })
        .collect();
    assert!(drafts.len() > 2 * IMPORT_REPORT_EVERY);
    let before = f.dump();
    let mut reports = Vec::new();
    let cancelled = f
        .station
        .import_drafts_with(&drafts, ColumnSet::ALL, &mut |done, total| {
            reports.push((done, total));
            if done >= IMPORT_REPORT_EVERY {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
    assert!(matches!(cancelled, Err(Error::Cancelled)));
    assert_eq!(
        reports,
        [(0, drafts.len()), (IMPORT_REPORT_EVERY, drafts.len())]
    );
    assert_eq!(
        before,
        f.dump(),
        "a cancelled import rolls back every row it wrote"
    );

    let outcome = f.station.import_drafts(&drafts).unwrap();
    assert_eq!(outcome.residents_added as usize, drafts.len());
}
