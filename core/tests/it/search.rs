//! Search as volunteers use it: name, pinyin initials, last four digits, address fragment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{valid_id, Fixture};
use nac_core::station::{HouseholdInput, ResidentInput, ResidentQuery};

fn names(f: &Fixture, q: &str) -> Vec<String> {
    f.station
        .residents(&ResidentQuery {
            search: Some(q.into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

fn station() -> Fixture {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let a = f.household("302");
    let b = f
        .station
        .add_household(&HouseholdInput {
            district: "静安区".into(),
            road: "常德路".into(),
            lane: "18".into(),
            number: "3".into(),
            room: "101".into(),
            phone: String::new(),
        })
        .unwrap();
    for (hh, name, id, phone) in [
        (
            a,
            "张三丰",
            valid_id("310104", "19400101", 1),
            "13812345678",
        ),
        (a, "王秀英", valid_id("310104", "19420202", 2), ""),
        (b, "李𠮷", valid_id("310106", "19380303", 3), "13900009999"),
        (b, "阿依古丽·买买提", "11010519491231002X".to_string(), ""),
        (b, "曾国藩", valid_id("310106", "19360404", 4), ""),
    ] {
        f.station
            .add_resident(
                hh,
                &ResidentInput {
                    name: name.into(),
                    document_number: id,
                    phone: phone.into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    f
}

#[test]
fn by_pinyin_initials() {
    let f = station();
    assert_eq!(names(&f, "zsf"), ["张三丰"]);
    assert_eq!(names(&f, "ZS"), ["张三丰"], "prefix, case-insensitive");
    assert_eq!(names(&f, "wxy"), ["王秀英"]);
    assert_eq!(names(&f, "aygl"), ["阿依古丽·买买提"]);
    assert_eq!(names(&f, "zgf"), ["曾国藩"], "the surname reading");
    assert_eq!(names(&f, "cgf"), ["曾国藩"], "and the everyday reading");
}

#[test]
fn by_name_fragment_including_rare_characters() {
    let f = station();
    assert_eq!(names(&f, "三丰"), ["张三丰"]);
    assert_eq!(names(&f, "𠮷"), ["李𠮷"]);
    assert_eq!(names(&f, "买买提"), ["阿依古丽·买买提"]);
}

#[test]
fn by_last_four_digits_of_id_or_phone() {
    let f = station();
    assert_eq!(names(&f, "5678"), ["张三丰"], "phone");
    assert_eq!(
        names(&f, "002x"),
        ["阿依古丽·买买提"],
        "ID ending in X, typed lower-case"
    );
    let last4 = &valid_id("310104", "19420202", 2)[14..];
    assert_eq!(names(&f, last4), ["王秀英"]);
}

#[test]
fn by_address_fragment() {
    let f = station();
    assert_eq!(names(&f, "常德路"), ["李𠮷", "阿依古丽·买买提", "曾国藩"]);
    assert_eq!(names(&f, "天钥桥路 100弄"), ["张三丰", "王秀英"]);
    assert_eq!(
        names(&f, "静安区常德路18弄"),
        ["李𠮷", "阿依古丽·买买提", "曾国藩"]
    );
}

#[test]
fn nothing_matches_nothing() {
    let f = station();
    assert!(names(&f, "qqq").is_empty());
    assert!(names(&f, "0000").is_empty());
    assert_eq!(names(&f, "   ").len(), 5, "an empty search lists everyone");
}
