//! Schema 7's Rust step: unsent outbox events rewritten in the form the hub wants since then.
//! Here, beside the migrations that run it, rather than with the outbox: the store sits below
//! the station and must not call back up into it.

use crate::station::settings;
use nac_protocol::{DistrictSecret, Event};
use rusqlite::{params, Connection};

/// Schema 7's upgrade of events written before it and not yet accepted: the hub now wants the
/// credential sealed for stations (it keeps only that form) and a volunteer id that names the
/// station. Events already synced or refused are history and stay as they are.
pub(crate) fn upgrade_unsent_events(conn: &Connection) -> rusqlite::Result<()> {
    let Some(secret) = settings::read(conn, settings::key::DISTRICT_SECRET)?
        .and_then(|hex| DistrictSecret::from_hex(&hex).ok())
    else {
        return Ok(());
    };
    let rows: Vec<(i64, String)> = conn
        .prepare(
            "SELECT id, payload FROM outbox
             WHERE state IN ('queued', 'sending', 'error') AND payload <> '{}'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE outbox SET payload = ?2 WHERE id = ?1")?;
    for (id, payload) in rows {
        let Ok(mut event) = serde_json::from_str::<Event>(&payload) else {
            continue;
        };
        let station = event.channel.as_str().to_owned();
        if event.code.sealed.is_none() {
            let Ok(sealed) = nac_protocol::seal_credential(
                &secret,
                &event.code.kid,
                &event.code.serial,
                &event.code.credential,
            ) else {
                continue;
            };
            event.code.sealed = Some(sealed);
        }
        if let Some(v) = &event.volunteer {
            if !v.starts_with(&format!("{station}/")) {
                event.volunteer = Some(format!("{station}/{v}"));
            }
        }
        if let Ok(text) = serde_json::to_string(&event) {
            update.execute(params![id, text])?;
        }
    }
    Ok(())
}
