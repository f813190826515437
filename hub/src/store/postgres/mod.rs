//! The PostgreSQL backend (production): a deadpool of tokio-postgres connections.
//!
//! Concurrency, unlike SQLite, is real here, so a page of events takes, in its transaction:
//! advisory locks on its person keys (sorted, so two pages cannot deadlock on them) — two
//! stations renewing the same person queue up instead of both reading "no application today";
//! then, only for appending to the change feed, one global advisory lock held until commit, so
//! change sequence numbers become visible in order and a pull cursor never skips a change that
//! commits late. A page that loses a race to a constraint (the same event id pushed by two
//! stations at once) or to a deadlock is retried from the start; the constraints themselves
//! (R2's primary key, R3's partial unique index) refuse anything the locks would miss.

mod admin;
mod console;
mod keys;
mod page;
mod schema;
mod tls;

use deadpool_postgres::{Config, Pool, PoolConfig, Runtime};
use nac_protocol::{AuditAnchor, Change, DistrictSecret, PersonKey, RevokedSerial, TrustEntry};
use tokio_postgres::error::SqlState;
use tokio_postgres::IsolationLevel;

use super::rows::revoked;
use super::rules::{decide_page, CheckedEvent, EpochOrder, PageKeys};
use super::{
    DistrictEvent, EnrolRefusal, Enrolled, Enrolment, Epoch, KeyRotation, LegacySecrets,
    NewStation, Page, PhoneKeys, Principal, PurgeReport, Rekey, RetiredKey, RotateRefusal, Rotated,
    StationRecord, Store, StoreError, SubscribeLimits, SubscribeRefusal, Subscribed,
    LOOKUP_WINDOW_SECS,
};

pub use schema::MIGRATIONS;

/// How many times a page that lost a race is retried before the push fails with 500.
const MAX_ATTEMPTS: usize = 8;

/// A hub database on a PostgreSQL server.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Pool(e.to_string())
}

/// Whether a failed page should be retried (lost a race rather than broke a rule).
fn is_race(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == SqlState::UNIQUE_VIOLATION
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrating the schema on first use.
    /// The URL's `sslmode` (and `sslrootcert`) choose TLS as libpq does (see `tls.rs`).
    pub async fn connect(url: &str, now: i64) -> Result<Self, StoreError> {
        let target = tls::target(url)?;
        let mut cfg = Config::new();
        cfg.url = Some(target.url);
        cfg.pool = Some(PoolConfig::new(16));
        let pool = match target.tls {
            Some(tls) => cfg.create_pool(Some(Runtime::Tokio1), tls),
            None => cfg.create_pool(Some(Runtime::Tokio1), tokio_postgres::NoTls),
        }
        .map_err(pool_error)?;
        let described = target.described;
        let mut client = pool.get().await.map_err(|e| {
            // The causes too: tokio-postgres says only "error performing TLS handshake", its
            // cause says which certificate check failed.
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let more = c.to_string();
                if !text.contains(&more) {
                    text = format!("{text}: {more}");
                }
                cause = c.source();
            }
            pool_error(format!("{text} ({described})"))
        })?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&schema::MIGRATION_LOCK])
            .await?;
        let migrated = schema::migrate(&mut client, now).await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&schema::MIGRATION_LOCK])
            .await?;
        migrated?;
        drop(client);
        Ok(Self { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

impl Store for PgStore {
    async fn legacy_secrets(&self) -> Result<Option<LegacySecrets>, StoreError> {
        self.legacy().await
    }

    async fn seal_legacy(&self, secret: &DistrictSecret) -> Result<u64, StoreError> {
        self.seal_legacy_rows(secret).await
    }

    async fn phone_keys(&self) -> Result<Option<PhoneKeys>, StoreError> {
        self.phone_public_keys().await
    }

    async fn init_phone_keys(&self, keys: PhoneKeys, now: i64) -> Result<(), StoreError> {
        self.init_phone(keys, now).await
    }

    async fn epochs(&self) -> Result<Vec<Epoch>, StoreError> {
        self.all_epochs().await
    }

    async fn new_epoch(&self, reason: &str, now: i64) -> Result<Epoch, StoreError> {
        self.start_epoch(reason, now).await
    }

    async fn feed_head(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT COALESCE(MAX(seq), 0)::bigint FROM changes", &[])
            .await?
            .try_get(0)?)
    }

    async fn add_station(&self, new: NewStation) -> Result<StationRecord, StoreError> {
        self.insert_station(new).await
    }

    async fn list_stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        self.stations().await
    }

    async fn disable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        self.set_disabled(id, true, now).await
    }

    async fn enable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        self.set_disabled(id, false, now).await
    }

    async fn set_max_subscriptions(&self, id: &str, max: Option<i64>) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE principals SET max_subscriptions = $2 WHERE id = $1 AND kind = 'station'",
                &[&id, &max],
            )
            .await?;
        Ok(n == 1)
    }

    async fn add_rekey_code(&self, r: Rekey) -> Result<Result<(), EnrolRefusal>, StoreError> {
        self.rekey_code(r).await
    }

    async fn enrol(&self, e: Enrolment) -> Result<Result<Enrolled, EnrolRefusal>, StoreError> {
        self.use_code(e).await
    }

    async fn principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        self.find_principal(id).await
    }

    async fn remember_nonce(
        &self,
        p: &str,
        nonce: &str,
        now: i64,
        app_version: Option<&str>,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH fresh AS (
                     INSERT INTO nonces (principal, nonce, seen_at) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING RETURNING 1
                 )
                 UPDATE principals
                 SET last_seen_at = $3, app_version = COALESCE($4, app_version)
                 WHERE id = $1 AND EXISTS (SELECT 1 FROM fresh)",
            )
            .await?;
        Ok(client
            .execute(&stmt, &[&p, &nonce, &now, &app_version])
            .await?
            == 1)
    }

    async fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        order: EpochOrder,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let keys = PageKeys::of(&events);
        let mut client = self.client().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let tx = client.transaction().await?;
                page::lock_persons(&tx, &keys).await?;
                let mut state = page::load(&tx, &keys).await?;
                let (answers, writes) = decide_page(station, &events, &mut state, order, now)?;
                page::write(&tx, &writes, now).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(answers)
            }
            .await;
            match result {
                Err(e) if attempt < MAX_ATTEMPTS && is_race(&e) => {
                    tracing::debug!(attempt, "push page lost a race; retrying");
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
        limits: SubscribeLimits,
        now: i64,
    ) -> Result<Result<Subscribed, SubscribeRefusal>, StoreError> {
        let mut keys: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One station's subscribes queue up, so two cannot both pass the allowance.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('subscribe:' || $1, 0))",
            &[&station],
        )
        .await?;
        let counts = tx
            .query_one(
                "SELECT count(*) FILTER (WHERE s.person_key IS NULL),
                        count(*) FILTER (WHERE s.person_key IS NULL AND ac.person_key IS NOT NULL)
                 FROM unnest($2::text[]) AS k (key)
                 LEFT JOIN subscriptions s ON s.station = $1 AND s.person_key = k.key
                 LEFT JOIN active_codes ac ON ac.person_key = k.key",
                &[&station, &keys],
            )
            .await?;
        let (new_keys, known_at_hub): (i64, i64) = (counts.try_get(0)?, counts.try_get(1)?);
        let held = tx
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE subscribed_at > $2)
                 FROM subscriptions WHERE station = $1",
                &[&station, &(now - LOOKUP_WINDOW_SECS)],
            )
            .await?;
        let (total, recent): (i64, i64) = (held.try_get(0)?, held.try_get(1)?);
        let refusal = if total + new_keys > limits.max_total {
            Some(SubscribeRefusal::TooMany {
                allowed: limits.max_total,
            })
        } else if recent + new_keys > limits.max_new_per_day {
            Some(SubscribeRefusal::TooFast {
                allowed: limits.max_new_per_day,
            })
        } else {
            None
        };
        let detail = crate::store::lookup_detail(new_keys, known_at_hub, recent, refusal);
        if let Some(refusal) = refusal {
            admin::record_event(&tx, "subscription_refused", Some(station), &detail, now).await?;
            tx.commit().await?;
            return Ok(Err(refusal));
        }
        if new_keys > 0
            && recent < limits.alert_new_per_day
            && recent + new_keys >= limits.alert_new_per_day
        {
            admin::record_event(&tx, "bulk_lookup", Some(station), &detail, now).await?;
        }
        tx.execute(
            "INSERT INTO subscriptions (station, person_key, subscribed_at, refreshed_at)
             SELECT $1, k, $3, $3 FROM unnest($2::text[]) AS k
             ON CONFLICT (station, person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
            &[&station, &keys, &now],
        )
        .await?;
        let active = page::active_codes(&tx, &keys)
            .await?
            .into_iter()
            .map(|a| a.code)
            .collect();
        tx.commit().await?;
        Ok(Ok(Subscribed {
            added: new_keys as u64,
            active,
        }))
    }

    async fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> Result<Page<Change>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let stmt = tx
            .prepare_cached(
                "SELECT c.seq, c.kind, c.person_key, a.serial, b.serial, c.reason,
                        a.channel, a.issued_at, a.expires_at, a.kid, a.credential, b.kid
                 FROM changes c
                 JOIN subscriptions s ON s.station = $1 AND s.person_key = c.person_key
                 JOIN applications a ON a.id = c.application_id
                 LEFT JOIN applications b ON b.id = c.by_application
                 WHERE c.seq > $2 ORDER BY c.seq LIMIT $3",
            )
            .await?;
        let rows = tx
            .query(&stmt, &[&station, &since, &(limit as i64 + 1)])
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        let mut last = since;
        for r in rows.iter().take(limit) {
            last = r.try_get(0)?;
            items.push(page::change_from_row(r)?);
        }
        // A cursor beyond the feed (a restored hub) comes back lower: the station re-syncs.
        let next = if more {
            last
        } else {
            page::max_seq(&tx).await?
        };
        tx.commit().await?;
        Ok(Page { items, next, more })
    }

    async fn feed_tag(&self, seq: i64) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT a.kid, a.serial, c.kind FROM changes c
                 JOIN applications a ON a.id = c.application_id WHERE c.seq = $1",
                &[&seq],
            )
            .await?;
        row.map(|r| {
            Ok(super::change_tag(
                &r.try_get::<_, String>(0)?,
                &r.try_get::<_, String>(1)?,
                &r.try_get::<_, String>(2)?,
            ))
        })
        .transpose()
    }

    async fn held_applications(&self, station: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM applications WHERE channel = $1 AND status = 'accepted'",
                &[&station],
            )
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    async fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        self.trust_page(since, limit).await
    }

    async fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<RevokedSerial>, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let rows = tx
            .query(
                "SELECT c.seq, a.serial, a.kid, c.kind FROM changes c
                 JOIN applications a ON a.id = c.application_id
                 WHERE c.kind <> 'issued' AND c.seq > $1 ORDER BY c.seq LIMIT $2",
                &[&since, &(limit as i64 + 1)],
            )
            .await?;
        let more = rows.len() > limit;
        let mut items = Vec::new();
        let mut last = since;
        for r in rows.iter().take(limit) {
            last = r.try_get(0)?;
            items.push(revoked(
                r.try_get(1)?,
                &r.try_get::<_, String>(2)?,
                &r.try_get::<_, String>(3)?,
            )?);
        }
        let next = if more {
            last
        } else {
            page::max_seq(&tx).await?
        };
        tx.commit().await?;
        Ok(Page { items, next, more })
    }

    async fn rotate_key(
        &self,
        r: KeyRotation,
    ) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
        self.rotate(&r).await
    }

    async fn retired_keys(&self, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
        self.retired(station).await
    }

    async fn retire_previous_key(&self, station: &str, now: i64) -> Result<(), StoreError> {
        self.retire_previous(station, now).await
    }

    async fn add_audit_anchor(&self, station: &str, a: AuditAnchor) -> Result<bool, StoreError> {
        self.add_anchor(station, &a).await
    }

    async fn audit_anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> Result<Vec<AuditAnchor>, StoreError> {
        self.anchors(station, limit).await
    }

    async fn record_district_event(
        &self,
        kind: &str,
        station: Option<&str>,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.add_event(kind, station, detail, now).await
    }

    async fn district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        self.events(since, limit).await
    }

    async fn purge(&self, now: i64) -> Result<PurgeReport, StoreError> {
        self.purge_old(now).await
    }

    async fn dump(&self) -> Result<String, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let mut out = String::new();
        for (table, columns, order) in admin::DUMPED {
            let row = if columns == "*" {
                "t::text".to_owned()
            } else {
                format!("ROW({columns})::text")
            };
            let rows = tx
                .query(
                    &format!("SELECT {row} FROM {table} t ORDER BY {order}"),
                    &[],
                )
                .await?;
            for r in rows {
                out.push_str(table);
                out.push('|');
                out.push_str(&r.try_get::<_, String>(0)?);
                out.push('\n');
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
