//! The hub over HTTPS (issue 9 §9): `nac-hub serve --tls-cert --tls-key` with a self-signed
//! certificate made here for 127.0.0.1; the station enrols and syncs over TLS trusting that
//! certificate (`nac enrol --hub-ca`), is refused without it, and plain HTTP to the TLS port
//! gets nowhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use nac_test_support::tls;

use std::path::Path;
use std::process::Output;

/// `nac --json …` on the station file `db`.
fn nac(db: &Path, args: &[&str]) -> Output {
    common::nac(db, &[&["--json"], args].concat())
}

#[test]
fn a_station_enrols_and_syncs_over_tls_trusting_the_districts_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls::TlsHub {
        hub,
        cert_file: cert,
        ..
    } = tls::self_signed_hub(dir.path());
    assert!(hub.url.starts_with("https://127.0.0.1:"), "{}", hub.url);
    let db = dir.path().join("station.db");
    let code = hub.station_code("TLS station");

    // Without the district's certificate the station does not trust the hub: nothing sent.
    let out = nac(&db, &["enrol", "--hub", &hub.url, "--code", &code]);
    assert_eq!(out.status.code(), Some(2), "{}", common::output_text(&out));
    assert!(
        common::output_text(&out).contains("hub_unreachable"),
        "{}",
        common::output_text(&out)
    );
    // A file that is not a certificate is refused before any connection.
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let enrol_trusting = |ca: &Path| {
        nac(
            &db,
            &[
                "enrol",
                "--hub",
                &hub.url,
                "--code",
                &code,
                "--hub-ca",
                ca.to_str().unwrap(),
            ],
        )
    };
    let out = enrol_trusting(&not_pem);
    assert_eq!(out.status.code(), Some(2), "{}", common::output_text(&out));
    assert!(
        common::output_text(&out).contains("hub_certificate"),
        "{}",
        common::output_text(&out)
    );

    // With it: enrolled (the code was still unused), and syncs over TLS from then on.
    let out = enrol_trusting(&cert);
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let out = nac(&db, &["sync"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));

    // Plain HTTP to the TLS port gets no answer the station accepts.
    let plain = hub.url.replace("https://", "http://");
    let out = nac(&db, &["sync", "--hub", &plain]);
    assert_eq!(out.status.code(), Some(2), "{}", common::output_text(&out));
}
