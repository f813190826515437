//! A hub serving HTTPS with a self-signed certificate for 127.0.0.1 made here (rcgen). Behind
//! the feature `tls` of its own, so the other users of [`crate::hub`] (the E2E crate) need no
//! certificate generator.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::hub::{Hub, HubData, HubTime};

/// The hub, and the certificate a station must trust to reach it (as PEM text and as a file).
pub struct TlsHub {
    pub hub: Hub,
    pub cert_pem: String,
    pub cert_file: PathBuf,
}

/// Starts a hub on SQLite in `dir`, at the real time, over HTTPS.
pub fn self_signed_hub(dir: &Path) -> TlsHub {
    let issued =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert_file = dir.join("hub-cert.pem");
    let key_file = dir.join("hub-key.pem");
    let cert_pem = issued.cert.pem();
    std::fs::write(&cert_file, &cert_pem).unwrap();
    std::fs::write(&key_file, issued.signing_key.serialize_pem()).unwrap();
    let hub = Hub::start_tls(
        HubData::Sqlite(dir.join("hub.db")),
        dir,
        HubTime::at(chrono::Utc::now().timestamp()),
        &cert_file,
        &key_file,
    );
    TlsHub {
        hub,
        cert_pem,
        cert_file,
    }
}
