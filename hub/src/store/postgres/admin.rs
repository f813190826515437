//! Stations, enrolment, the trust-list feed, epochs, district events and upkeep on PostgreSQL
//! (see the [`crate::store::Store`] methods; the SQLite backend does the same in its own SQL).

use nac_credential::PublicKey;
use nac_protocol::{DistrictSecret, TrustEntry, PHONE_CHANNEL};
use tokio_postgres::Transaction;

use super::keys::{key_in_use, retire_all};
use super::PgStore;
use crate::store::rows::{
    corrupt, district_event, principal as principal_row, seal_answer, seal_stored, trust_entry,
};
use crate::store::{
    DistrictEvent, EnrolRefusal, Enrolled, Enrolment, Epoch, LegacySecrets, NewStation, Page,
    PhoneKeys, Principal, PurgeReport, Rekey, StationRecord, StationStatus, StoreError,
    NONCE_RETENTION_SECS, RECORD_RETENTION_SECS, SUBSCRIPTION_TTL_SECS,
};

/// Advisory lock key serialising appends to the trust-list feed ("NACTRST").
const TRUST_FEED_LOCK: i64 = 0x004e_4143_5452_5354;

/// Takes the next trust-list position under the feed lock (held to commit), so positions
/// become visible in order and a station's cursor never passes an entry still uncommitted.
async fn next_trust_pos(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TRUST_FEED_LOCK])
        .await?;
    Ok(tx
        .query_one("SELECT COALESCE(MAX(pos), 0)::bigint + 1 FROM trust", &[])
        .await?
        .try_get(0)?)
}

pub(super) async fn insert_trust(
    tx: &Transaction<'_>,
    key: &PublicKey,
    station: &str,
) -> Result<(), StoreError> {
    let pos = next_trust_pos(tx).await?;
    tx.execute(
        "INSERT INTO trust (kid, pos, station, public_key, status) VALUES ($1, $2, $3, $4, 'active')",
        &[&key.kid().to_string(), &pos, &station, &key.to_string()],
    )
    .await?;
    Ok(())
}

pub(super) async fn set_trust_status(
    tx: &Transaction<'_>,
    kid: &str,
    status: &str,
    not_after: Option<i64>,
) -> Result<(), StoreError> {
    let pos = next_trust_pos(tx).await?;
    tx.execute(
        "UPDATE trust SET status = $2, not_after = $3, pos = $4 WHERE kid = $1",
        &[&kid, &status, &not_after, &pos],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_event(
    tx: &Transaction<'_>,
    kind: &str,
    station: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO district_events (at, kind, station, detail) VALUES ($1, $2, $3, $4)",
        &[&now, &kind, &station, &detail],
    )
    .await?;
    Ok(())
}

async fn kids_with_status(
    tx: &Transaction<'_>,
    station: &str,
    status: &str,
) -> Result<Vec<String>, StoreError> {
    tx.query(
        "SELECT kid FROM trust WHERE station = $1 AND status = $2 ORDER BY pos",
        &[&station, &status],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

impl PgStore {
    pub(super) async fn legacy(&self) -> Result<Option<LegacySecrets>, StoreError> {
        let client = self.client().await?;
        let rows = client.query("SELECT key, value FROM meta", &[]).await?;
        let mut meta = std::collections::HashMap::new();
        for row in rows {
            meta.insert(row.try_get::<_, String>(0)?, row.try_get::<_, String>(1)?);
        }
        LegacySecrets::from_meta(|k| meta.get(k).cloned()).map_err(StoreError::Schema)
    }

    pub(super) async fn seal_legacy_rows(
        &self,
        secret: &DistrictSecret,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut sealed = 0u64;
        for row in tx
            .query(
                "SELECT id, kid, serial, credential FROM applications
                 WHERE channel <> $1 AND credential LIKE 'NAC1:%' FOR UPDATE",
                &[&PHONE_CHANNEL],
            )
            .await?
        {
            let (id, kid, serial, credential): (i64, String, String, String) = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            );
            let text = seal_stored(secret, &kid, &serial, &credential)?;
            tx.execute(
                "UPDATE applications SET credential = $2 WHERE id = $1",
                &[&id, &text],
            )
            .await?;
            sealed += 1;
        }
        for row in tx
            .query("SELECT event_id, answer FROM event_records FOR UPDATE", &[])
            .await?
        {
            let (id, answer): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            if let Some(answer) = seal_answer(&answer, secret)? {
                tx.execute(
                    "UPDATE event_records SET answer = $2 WHERE event_id = $1",
                    &[&id, &answer],
                )
                .await?;
            }
        }
        tx.execute(
            "DELETE FROM meta WHERE key IN ('district_secret', 'phone_issuer_secret',
                                            'phone_gateway_secret')",
            &[],
        )
        .await?;
        tx.commit().await?;
        // The old row versions stay in the table files until vacuumed: rewrite them now.
        client
            .batch_execute("VACUUM FULL meta; VACUUM FULL applications; VACUUM FULL event_records")
            .await?;
        Ok(sealed)
    }

    pub(super) async fn phone_public_keys(&self) -> Result<Option<PhoneKeys>, StoreError> {
        let client = self.client().await?;
        let gateway = client
            .query_opt(
                "SELECT public_key FROM principals WHERE id = $1",
                &[&PHONE_CHANNEL],
            )
            .await?
            .map(|r| r.try_get::<_, Option<String>>(0))
            .transpose()?
            .flatten();
        let issuer = client
            .query_opt(
                "SELECT public_key FROM trust WHERE station = $1 AND status = 'active'
                 ORDER BY pos DESC LIMIT 1",
                &[&PHONE_CHANNEL],
            )
            .await?
            .map(|r| r.try_get::<_, String>(0))
            .transpose()?;
        match (gateway, issuer) {
            (Some(gateway), Some(issuer)) => Ok(Some(PhoneKeys {
                issuer: issuer.parse().map_err(|_| corrupt("phone issuer key"))?,
                gateway: gateway.parse().map_err(|_| corrupt("phone gateway key"))?,
            })),
            (None, None) => Ok(None),
            _ => Err(corrupt("the phone issuer or gateway key is missing")),
        }
    }

    pub(super) async fn init_phone(&self, keys: PhoneKeys, now: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        client
            .execute(
                "SELECT pg_advisory_lock($1)",
                &[&super::schema::MIGRATION_LOCK],
            )
            .await?;
        let result = async {
            let tx = client.transaction().await?;
            // Two hubs starting on a new database at once: the second finds the first's keys.
            let exists = tx
                .query_opt("SELECT 1 FROM principals WHERE id = $1", &[&PHONE_CHANNEL])
                .await?
                .is_some();
            if !exists {
                tx.execute(
                    "INSERT INTO principals (id, kind, name, area, status, public_key, kid,
                         created_at, enrolled_at)
                     VALUES ($1, 'gateway', 'phone gateway', '', 'active', $2, $3, $4, $4)",
                    &[
                        &PHONE_CHANNEL,
                        &keys.gateway.to_string(),
                        &keys.gateway.kid().to_string(),
                        &now,
                    ],
                )
                .await?;
                insert_trust(&tx, &keys.issuer, PHONE_CHANNEL).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }
        .await;
        client
            .execute(
                "SELECT pg_advisory_unlock($1)",
                &[&super::schema::MIGRATION_LOCK],
            )
            .await?;
        result
    }

    pub(super) async fn all_epochs(&self) -> Result<Vec<Epoch>, StoreError> {
        let client = self.client().await?;
        client
            .query("SELECT no, epoch FROM epochs ORDER BY no", &[])
            .await?
            .iter()
            .map(|r| {
                Ok(Epoch {
                    no: r.try_get(0)?,
                    name: r.try_get(1)?,
                })
            })
            .collect()
    }

    pub(super) async fn start_epoch(&self, reason: &str, now: i64) -> Result<Epoch, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("LOCK TABLE epochs IN EXCLUSIVE MODE", &[])
            .await?;
        let name = crate::store::new_epoch_name()?;
        let no: i64 = tx
            .query_one(
                "INSERT INTO epochs (no, epoch, started_at, reason)
                 VALUES ((SELECT COALESCE(MAX(no), 0) + 1 FROM epochs), $1, $2, $3) RETURNING no",
                &[&name, &now, &reason],
            )
            .await?
            .try_get(0)?;
        record_event(
            &tx,
            "epoch_started",
            None,
            &format!("epoch {no} ({name}) started: {reason}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Epoch { no, name })
    }

    pub(super) async fn insert_station(
        &self,
        new: NewStation,
    ) -> Result<StationRecord, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO principals (id, kind, name, area, status, created_at)
             VALUES ($1, 'station', $2, $3, 'pending', $4)",
            &[&new.id, &new.name, &new.area, &new.now],
        )
        .await?;
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, station_id, expires_at, sealed_secret, purpose)
             VALUES ($1, $2, $3, $4, 'enrol')",
            &[&new.code_hash, &new.id, &new.code_expires_at, &new.sealed_secret],
        )
        .await?;
        tx.commit().await?;
        Ok(StationRecord {
            id: new.id,
            name: new.name,
            area: new.area,
            status: StationStatus::Pending,
            kid: None,
            device_name: None,
            created_at: new.now,
            enrolled_at: None,
            disabled_at: None,
            last_seen_at: None,
        })
    }

    pub(super) async fn stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, name, area, status, kid, device_name, created_at, enrolled_at,
                        disabled_at, last_seen_at
                 FROM principals WHERE kind = 'station' ORDER BY pos",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(3)?;
                Ok(StationRecord {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    area: r.try_get(2)?,
                    status: StationStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
                    kid: r.try_get(4)?,
                    device_name: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                    enrolled_at: r.try_get(7)?,
                    disabled_at: r.try_get(8)?,
                    last_seen_at: r.try_get(9)?,
                })
            })
            .collect()
    }

    pub(super) async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = if disabled {
            tx.execute(
                "UPDATE principals SET status = 'disabled', disabled_at = $2
                 WHERE id = $1 AND kind = 'station' AND status <> 'disabled'",
                &[&id, &now],
            )
            .await?
        } else {
            tx.execute(
                "UPDATE principals
                 SET status = CASE WHEN public_key IS NULL THEN 'pending' ELSE 'active' END,
                     disabled_at = NULL
                 WHERE id = $1 AND kind = 'station' AND status = 'disabled'",
                &[&id],
            )
            .await?
        };
        if n == 1 {
            let (from, to, not_after, kind) = if disabled {
                ("active", "disabled", Some(now), "station_disabled")
            } else {
                ("disabled", "active", None, "station_enabled")
            };
            for kid in kids_with_status(&tx, id, from).await? {
                set_trust_status(&tx, &kid, to, not_after).await?;
            }
            let detail = if disabled {
                "disabled by the district"
            } else {
                "enabled by the district"
            };
            record_event(&tx, kind, Some(id), detail, now).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    pub(super) async fn rekey_code(
        &self,
        r: Rekey,
    ) -> Result<Result<(), EnrolRefusal>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let status = tx
            .query_opt(
                "SELECT status FROM principals WHERE id = $1 AND kind = 'station' FOR UPDATE",
                &[&r.station],
            )
            .await?
            .map(|row| row.try_get::<_, String>(0))
            .transpose()?;
        match status.as_deref() {
            Some("active") => {}
            Some("disabled") => return Ok(Err(EnrolRefusal::StationDisabled)),
            _ => return Ok(Err(EnrolRefusal::Unknown)),
        }
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, station_id, expires_at, sealed_secret, purpose)
             VALUES ($1, $2, $3, $4, 'rekey')",
            &[&r.code_hash, &r.station, &r.code_expires_at, &r.sealed_secret],
        )
        .await?;
        record_event(
            &tx,
            "rekey_code_issued",
            Some(&r.station),
            "a re-key code was issued",
            r.now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub(super) async fn use_code(
        &self,
        e: Enrolment,
    ) -> Result<Result<Enrolled, EnrolRefusal>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(code) = tx
            .query_opt(
                "SELECT station_id, expires_at, used_at, sealed_secret, purpose FROM enrolment_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&e.code_hash],
            )
            .await?
        else {
            return Ok(Err(EnrolRefusal::Unknown));
        };
        let station: String = code.try_get(0)?;
        let expires_at: i64 = code.try_get(1)?;
        let used_at: Option<i64> = code.try_get(2)?;
        let sealed: Option<String> = code.try_get(3)?;
        let purpose: String = code.try_get(4)?;
        if used_at.is_some() {
            return Ok(Err(EnrolRefusal::AlreadyUsed));
        }
        let Some(sealed_secret) = sealed else {
            return Ok(Err(EnrolRefusal::Expired));
        };
        if e.now >= expires_at {
            return Ok(Err(EnrolRefusal::Expired));
        }
        let status: String = tx
            .query_one(
                "SELECT status FROM principals WHERE id = $1 FOR UPDATE",
                &[&station],
            )
            .await?
            .try_get(0)?;
        let rekey = purpose == "rekey";
        if status != if rekey { "active" } else { "pending" } {
            return Ok(Err(EnrolRefusal::StationDisabled));
        }
        let key = e.public_key.to_string();
        if key_in_use(&tx, &key).await? {
            return Ok(Err(EnrolRefusal::KeyInUse));
        }
        if rekey {
            retire_all(&tx, &station, e.now).await?;
            record_event(
                &tx,
                "station_rekeyed",
                Some(&station),
                &format!(
                    "re-keyed by the district's code; new key {}",
                    e.public_key.kid()
                ),
                e.now,
            )
            .await?;
        }
        tx.execute(
            "UPDATE enrolment_codes SET used_at = $1, sealed_secret = NULL WHERE code_hash = $2",
            &[&e.now, &e.code_hash],
        )
        .await?;
        tx.execute(
            "UPDATE principals SET status = 'active', public_key = $1, kid = $2,
                    device_name = $3, enrolled_at = COALESCE(enrolled_at, $4)
             WHERE id = $5",
            &[
                &key,
                &e.public_key.kid().to_string(),
                &e.device_name,
                &e.now,
                &station,
            ],
        )
        .await?;
        insert_trust(&tx, &e.public_key, &station).await?;
        tx.commit().await?;
        Ok(Ok(Enrolled {
            station,
            sealed_secret,
            rekeyed: rekey,
        }))
    }

    pub(super) async fn find_principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT p.id, p.kind, p.status, p.public_key, r.public_key, p.disabled_at,
                        p.max_subscriptions
                 FROM principals p
                 LEFT JOIN retired_keys r ON r.station = p.id AND r.retired_at IS NULL
                 WHERE p.id = $1",
            )
            .await?;
        let Some(r) = client.query_opt(&stmt, &[&id]).await? else {
            return Ok(None);
        };
        let key: Option<String> = r.try_get(3)?;
        let previous: Option<String> = r.try_get(4)?;
        let mut p = principal_row(
            r.try_get(0)?,
            &r.try_get::<_, String>(1)?,
            &r.try_get::<_, String>(2)?,
            key.as_deref(),
            previous.as_deref(),
        )?;
        p.disabled_at = r.try_get(5)?;
        p.max_subscriptions = r.try_get(6)?;
        Ok(Some(p))
    }

    pub(super) async fn trust_page(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT pos, kid, station, public_key, status, not_after FROM trust
                 WHERE pos > $1 ORDER BY pos LIMIT $2",
                &[&since, &(limit as i64 + 1)],
            )
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::new();
        let mut next = since;
        for r in rows.iter().take(limit) {
            next = r.try_get(0)?;
            items.push(trust_entry(
                &r.try_get::<_, String>(1)?,
                r.try_get(2)?,
                &r.try_get::<_, String>(3)?,
                &r.try_get::<_, String>(4)?,
                r.try_get(5)?,
            )?);
        }
        Ok(Page { items, next, more })
    }

    pub(super) async fn add_event(
        &self,
        kind: &str,
        station: Option<&str>,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO district_events (at, kind, station, detail) VALUES ($1, $2, $3, $4)",
                &[&now, &kind, &station, &detail],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT id, at, kind, station, detail FROM district_events
                 WHERE id > $1 ORDER BY id LIMIT $2",
                &[&since, &(limit as i64)],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(district_event(
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }

    pub(super) async fn purge_old(&self, now: i64) -> Result<PurgeReport, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let records = tx
            .execute(
                "DELETE FROM event_records WHERE received_at < $1",
                &[&now.saturating_sub(RECORD_RETENTION_SECS)],
            )
            .await?;
        let nonces = tx
            .execute(
                "DELETE FROM nonces WHERE seen_at < $1",
                &[&now.saturating_sub(NONCE_RETENTION_SECS)],
            )
            .await?;
        let subscriptions = tx
            .execute(
                "DELETE FROM subscriptions WHERE refreshed_at < $1",
                &[&now.saturating_sub(SUBSCRIPTION_TTL_SECS)],
            )
            .await?;
        let codes = tx
            .execute(
                "UPDATE enrolment_codes SET sealed_secret = NULL
                 WHERE sealed_secret IS NOT NULL AND expires_at <= $1",
                &[&now],
            )
            .await?;
        tx.commit().await?;
        Ok(PurgeReport {
            records,
            nonces,
            subscriptions,
            codes,
        })
    }
}

/// The tables that make up the hub's state (as in the SQLite backend; `principals` without
/// `last_seen_at`, which moves with every request).
pub(super) const DUMPED: [(&str, &str, &str); 12] = [
    (
        "principals",
        "id, kind, name, area, status, public_key, kid, device_name, created_at, enrolled_at, disabled_at, max_subscriptions",
        "id",
    ),
    ("enrolment_codes", "*", "code_hash"),
    ("trust", "*", "pos"),
    ("applications", "*", "id"),
    ("active_codes", "*", "person_key"),
    ("event_records", "*", "event_id"),
    ("changes", "*", "seq"),
    ("subscriptions", "*", "station, person_key"),
    ("retired_keys", "*", "kid"),
    ("audit_anchors", "*", "station, seq"),
    ("epochs", "*", "no"),
    ("district_events", "*", "id"),
];
