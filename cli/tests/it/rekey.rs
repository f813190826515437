//! A change of passphrase is all or nothing (issue 9 §1): `nac passphrase` is SIGKILLed at
//! staggered moments over a station of 3,000 residents; after every kill the file opens with
//! the old passphrase or the new one — never neither — whole and consistent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::store::{DatabaseKey, Passphrase};
use nac_core::{Station, SystemClock, WriteSource};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const RESIDENTS: u32 = 3_000;
const SURNAMES: [char; 10] = ['张', '王', '李', '赵', '刘', '陈', '杨', '黄', '周', '吴'];
const GIVEN: [char; 10] = ['秀', '英', '建', '国', '淑', '珍', '桂', '兰', '志', '强'];

/// A valid resident ID: 1,000 sequence numbers per birth date, dates 1945-03-11 onwards.
fn resident_id(n: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("3101041945031{}{:03}", 1 + n / 1000, n % 1000);
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// Which passphrase opens the station (with its residents count and integrity), if any.
fn opens_with(db: &Path, candidates: &[&str]) -> Option<(String, u32)> {
    candidates.iter().find_map(|pass| {
        let key = DatabaseKey::for_file(db, &Passphrase::new(*pass)).ok()?;
        let station = Station::open(db, &key, Arc::new(SystemClock), WriteSource::Cli).ok()?;
        let integrity: String = station
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .ok()?;
        assert_eq!(integrity, "ok", "opened with {pass} but damaged");
        Some((pass.to_string(), station.counts(None).ok()?.residents))
    })
}

#[test]
fn a_killed_change_of_passphrase_leaves_the_old_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    let csv = dir.path().join("roster.csv");
    let mut text =
        String::from("区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机,有智能手机,备注\n");
    for n in 0..RESIDENTS {
        let id = resident_id(n);
        let name: String = [
            SURNAMES[(n % 10) as usize],
            GIVEN[((n / 10) % 10) as usize],
            GIVEN[((n / 100) % 10) as usize],
        ]
        .iter()
        .collect();
        text.push_str(&format!(
            "徐汇区,天钥桥路,{},5,{},,{name},居民身份证,{id},,否,\n",
            n / 50,
            n % 50 + 100
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let mut current = "first station passphrase".to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", &current)
        .arg("--db")
        .arg(&db)
        .args(["import", "--accept-warnings", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .take(1500)
            .collect::<String>(),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut kept_old = 0;
    let mut took_new = 0;
    for (run, delay_ms) in [0u64, 30, 60, 90, 120, 160, 200, 260, 330, 420, 600, 2500]
        .into_iter()
        .enumerate()
    {
        let next = format!("passphrase number {run}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_nac"))
            .env("NAC_PASSPHRASE", &current)
            .env("NAC_NEW_PASSPHRASE", &next)
            .arg("--db")
            .arg(&db)
            .arg("passphrase")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let (opened, residents) = opens_with(&db, &[&current, &next])
            .unwrap_or_else(|| panic!("run {run} ({delay_ms} ms): neither passphrase opens"));
        assert_eq!(residents, RESIDENTS, "run {run}: every resident is there");
        if opened == next {
            took_new += 1;
        } else {
            kept_old += 1;
        }
        current = opened;
    }
    eprintln!("rekey killed 12 times: old passphrase kept {kept_old}, new one taken {took_new}");
    assert!(
        kept_old > 0 && took_new > 0,
        "the kills must land both before and after the switch (old {kept_old}, new {took_new})"
    );
}
