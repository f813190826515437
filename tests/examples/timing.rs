//! Times the household list queries on a database: `cargo run --release -p nac-e2e --example timing -- DB`
//! (passphrase from `$NAC_PASSPHRASE`, else the demo's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::station::HouseholdQuery;
use std::time::Instant;

fn main() {
    let db = std::env::args().nth(1).expect("db path");
    let pass =
        std::env::var("NAC_PASSPHRASE").unwrap_or_else(|_| nac_core::demo::DEMO_PASSPHRASE.into());
    let key = nac_core::store::DatabaseKey::for_file(
        std::path::Path::new(&db),
        &nac_core::store::Passphrase::new(pass),
    )
    .expect("key");
    let s = nac_core::Station::open(
        std::path::Path::new(&db),
        &key,
        std::sync::Arc::new(nac_core::SystemClock),
        nac_core::WriteSource::Cli,
    )
    .expect("open");
    let t = Instant::now();
    let b = s.building_counts().expect("buildings");
    println!(
        "buildings: {:.1} ms, {}",
        t.elapsed().as_secs_f64() * 1000.0,
        b.len()
    );
    let t = Instant::now();
    s.counts(None).expect("counts");
    println!("counts: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    for q in ["", "z", "z", "zs", "1", "1", "王", "1234"] {
        let query = HouseholdQuery {
            search: Some(q.to_string()).filter(|s| !s.is_empty()),
            limit: 100,
            ..HouseholdQuery::default()
        };
        let t = Instant::now();
        let page = s.household_page(&query).expect("page");
        println!(
            "{q:>6}: {:>6.1} ms, total {}",
            t.elapsed().as_secs_f64() * 1000.0,
            page.total
        );
    }
}
