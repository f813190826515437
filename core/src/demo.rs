//! A realistic demo roster: Shanghai addresses, valid resident IDs of elderly residents, a few
//! rare-character (生僻字) and minority names, and codes in every state (active, expiring,
//! expired, never, superseded with a printed card still in circulation).
//!
//! It is what a volunteer sees when trying the app (`--demo`), what the benchmarks load, and
//! what tests use for realistic volume. Generation is deterministic for a given seed.
//!
//! The people are fictional, but their ID numbers pass the checksum and their codes are signed
//! with a real station key, so a demo must never be mistaken for a real station or reach the
//! hub. Hence a demo lives in its own file ([`DEMO_FILE_NAME`], next to `station.db`), and the
//! file itself says it is a demo: [`create`] opens it with [`Station::open_demo`], which marks
//! a new station (`settings.demo = 1`) in the transaction that creates its identity, before any
//! of its data exists, and refuses a real station. The database files a demo's outbox events
//! as `demo`, never sendable; the app shows "演示 DEMO" in the title bar and a banner, and
//! every printed card carries the mark.
//!
//! A demo file is encrypted like every station file, with the published passphrase
//! [`DEMO_PASSPHRASE`]: its people are fictional, so the app opens it without asking.

use crate::domain::document::resident_id_check_char;
use crate::domain::Capacity;
use crate::error::Result;
use crate::station::{
    HouseholdDraft, HouseholdInput, PrintRequest, ResidentDraft, ResidentInput, Station,
    WriteSource,
};
use crate::time::{ManualClock, DAY_SECS};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DISTRICTS: &[(&str, &str, &[&str])] = &[
    (
        "黄浦区",
        "310101",
        &["淮海中路", "复兴中路", "瑞金二路", "建国东路"],
    ),
    (
        "徐汇区",
        "310104",
        &["天钥桥路", "宛平南路", "漕溪北路", "建国西路", "零陵路"],
    ),
    ("长宁区", "310105", &["江苏路", "安顺路", "武夷路"]),
    (
        "静安区",
        "310106",
        &["常德路", "愚园路", "延安中路", "新闸路"],
    ),
    ("普陀区", "310107", &["曹杨路", "真如路", "兰溪路"]),
    ("虹口区", "310109", &["四川北路", "山阴路", "溧阳路"]),
    ("杨浦区", "310110", &["控江路", "国和路", "鞍山路"]),
    (
        "浦东新区",
        "310115",
        &["崂山路", "东方路", "潍坊路", "浦东南路"],
    ),
];

/// Birthplaces of residents who moved to Shanghai (region codes of GB/T 2260).
const OTHER_REGIONS: &[&str] = &["320102", "330106", "340102", "370102", "420102", "510104"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "沈", "顾", "陆", "蒋", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂英", "玉兰", "凤英", "志强", "国强", "美华", "丽华", "德明", "文华", "淑珍",
    "永福", "宝林", "金宝", "阿毛", "根娣", "巧珍", "明", "华", "敏", "伟", "芳", "静", "三丰",
    "海燕", "培德", "荣生", "雪梅", "惠芬",
];
/// Names a real roster has and a careless system breaks: CJK Extension A/B characters and
/// minority names with the middle dot.
const SPECIAL_NAMES: &[&str] = &[
    "李𠮷",
    "王㛃",
    "陈𡈽生",
    "阿依古丽·买买提",
    "热依拉·艾合买提",
    "张三丰",
];
const NOTES: &[&str] = &[
    "",
    "",
    "",
    "",
    "卧床，需上门服务",
    "独居老人",
    "听力较弱，请大声说话",
    "行动不便",
];

/// Deterministic xorshift generator: demo data must look random but be reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One generated resident with their household.
#[derive(Debug, Clone)]
pub struct DemoRow {
    pub household: HouseholdInput,
    pub resident: ResidentInput,
}

/// Generates `households` households (1–4 members each) deterministically from `seed`.
pub fn roster(households: usize, seed: u64) -> Vec<DemoRow> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut rows = Vec::with_capacity(households * 5 / 2);
    let mut serial = 0u32;
    let mut special = 0usize;
    let mut issued = std::collections::HashSet::new();
    for h in 0..households {
        let (district, region, roads) = *rng.pick(DISTRICTS);
        let road = *rng.pick(roads);
        let household = HouseholdInput {
            district: district.to_string(),
            road: road.to_string(),
            lane: (1 + h / 400 % 900).to_string(),
            number: (1 + h / 8 % 50).to_string(),
            room: format!("{}{:02}", 1 + h % 8 / 2 + h / 20_000 * 10, 1 + h % 2),
            phone: String::new(),
        };
        let members = 1 + rng.below(4);
        let surname = *rng.pick(SURNAMES);
        for m in 0..members {
            serial += 1;
            let name = if rows.len() % 97 == 13 {
                special += 1;
                SPECIAL_NAMES[special % SPECIAL_NAMES.len()].to_string()
            } else if m == 0 || rng.below(2) == 0 {
                format!("{surname}{}", rng.pick(GIVEN))
            } else {
                format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
            };
            let region = if rng.below(5) == 0 {
                *rng.pick(OTHER_REGIONS)
            } else {
                region
            };
            let year = 1930 + rng.below(40);
            let month = 1 + rng.below(12);
            let day = 1 + rng.below(28);
            // Two people never share an ID: move to the next sequence number on a clash.
            let mut sequence = serial;
            let first17 = loop {
                let candidate =
                    format!("{region}{year:04}{month:02}{day:02}{:03}", sequence % 1000);
                if issued.insert(candidate.clone()) {
                    break candidate;
                }
                sequence += 1;
            };
            let check = resident_id_check_char(&first17).unwrap_or('0');
            let phone = if rng.below(3) == 0 {
                String::new()
            } else {
                format!("13{}{:08}", rng.below(10), rng.next() % 100_000_000)
            };
            rows.push(DemoRow {
                household: household.clone(),
                resident: ResidentInput {
                    name,
                    document_type: String::new(),
                    document_number: format!("{first17}{check}"),
                    phone,
                    notes: rng.pick(NOTES).to_string(),
                    has_smartphone: rng.below(4) == 0,
                },
            });
        }
    }
    rows
}

/// What [`create`] made.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    pub households: u32,
    pub residents: u32,
    pub codes_issued: u32,
    pub cards_printed: u32,
}

/// The passphrase of every demo file; kept beside the cipher, which refuses it for a real station.
pub use crate::store::DEMO_PASSPHRASE;

/// The key of the demo file at `path` (derived from [`DEMO_PASSPHRASE`]).
pub fn key(path: &Path) -> Result<crate::store::DatabaseKey> {
    Ok(crate::store::DatabaseKey::for_file(
        path,
        &crate::store::Passphrase::new(DEMO_PASSPHRASE),
    )?)
}

/// The demo's file name, next to where `station.db` would be.
pub const DEMO_FILE_NAME: &str = "demo-station.db";

/// The demo file that goes with the station file `station_db`: `demo-station.db` in the same
/// directory.
pub fn path_beside(station_db: &Path) -> PathBuf {
    station_db.with_file_name(DEMO_FILE_NAME)
}

/// Creates a demo station at `path` (or fills an empty one) with a demo roster as of `now`:
/// codes issued over the past two months so that every state appears. Returns what was
/// written. Refuses a real station ([`crate::Error::NotADemo`]) and a demo that already holds
/// residents ([`crate::Error::DemoNotEmpty`]).
pub fn create(
    path: &Path,
    key: &crate::store::DatabaseKey,
    households: usize,
    now: DateTime<Utc>,
) -> Result<DemoSummary> {
    let clock = ManualClock::at(now);
    // A file the demo passphrase does not open is someone's real station.
    let mut station = Station::open_demo(path, key, Arc::new(clock.clone()), WriteSource::Demo)
        .map_err(|e| match e {
            crate::Error::Store(crate::store::StoreError::WrongPassphrase { .. }) => {
                crate::Error::NotADemo {
                    path: path.display().to_string(),
                }
            }
            e => e,
        })?;
    let residents = station.counts(None)?.residents;
    if residents > 0 {
        return Err(crate::Error::DemoNotEmpty { residents });
    }
    // Named by the built-in administrator the file was opened as; the roster is written by
    // the demo's own volunteer.
    if station.station_name()? == "社区服务站" {
        station.set_station_name("天平街道示范社区服务站")?;
    }
    station.use_volunteer("demo")?;
    let today = crate::time::cst_day(now.timestamp());
    let drafts: Vec<(HouseholdDraft, ResidentDraft)> = roster(households, 2026)
        .iter()
        .filter_map(|row| {
            Some((
                HouseholdDraft::validate(&row.household).ok()?,
                ResidentDraft::validate(&row.resident, today).ok()?,
            ))
        })
        .collect();
    let outcome = station.import_drafts(&drafts)?;
    let ids: Vec<i64> = station
        .residents(&Default::default())?
        .into_iter()
        .map(|r| r.id)
        .collect();

    // Spread first issues over the past 60 days: index i is issued `days_ago(i)` days ago.
    let mut by_age: Vec<Vec<i64>> = vec![Vec::new(); 61];
    let mut superseded = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match i % 20 {
            0..=2 => {}                             // never issued
            3..=5 => by_age[31 + i % 29].push(*id), // expired
            6..=8 => by_age[23 + i % 7].push(*id),  // expiring (≤ 7 days left)
            9 | 10 => {
                by_age[40 + i % 15].push(*id); // renewed later, old card in circulation
                superseded.push(*id);
            }
            _ => by_age[1 + i % 21].push(*id), // active
        }
    }
    let mut summary = DemoSummary {
        households: outcome.households_added,
        residents: outcome.residents_added,
        ..DemoSummary::default()
    };
    let mut keep_going = |_: &crate::station::BatchProgress<'_>| ControlFlow::Continue(());
    // Oldest first: a station never dates a code before its latest one, so the demo's
    // history is written in the order it happened.
    for (days_ago, group) in by_age.iter().enumerate().rev() {
        if days_ago == 9 {
            // Ten days ago those residents renewed again: their old cards are still out.
            clock.set(now - chrono::Duration::seconds(10 * DAY_SECS));
            let done = station.renew_many(&superseded, Capacity::Family, 500, &mut keep_going)?;
            summary.codes_issued += done.renewed as u32;
        }
        if group.is_empty() {
            continue;
        }
        clock.set(now - chrono::Duration::seconds(days_ago as i64 * DAY_SECS + 3600));
        let done = station.renew_many(group, Capacity::Volunteer, 500, &mut keep_going)?;
        summary.codes_issued += done.renewed as u32;
        if days_ago >= 40 {
            let (cards, _) = station.cards_for(group)?;
            station.record_print(&PrintRequest {
                layout: "a4-8up".to_string(),
                destination: "demo".to_string(),
                serials: cards.iter().map(|c| c.serial.clone()).collect(),
            })?;
            summary.cards_printed += cards.len() as u32;
        }
    }
    Ok(summary)
}
