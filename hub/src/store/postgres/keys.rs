//! Key rotation and audit anchors on PostgreSQL (see the [`crate::store::Store`] methods).

use nac_credential::PublicKey;
use nac_protocol::AuditAnchor;

use super::PgStore;
use crate::store::rows::corrupt;
use crate::store::sqlite::with_margin;
use crate::store::{KeyRotation, RetiredKey, RotateRefusal, Rotated, StoreError};

/// Whether a public key (hex) is registered anywhere: a station's current key, or any key in the
/// trust list (retired and disabled ones included). A key serves one station, once.
pub(super) async fn key_in_use(
    tx: &tokio_postgres::Transaction<'_>,
    key: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM principals WHERE public_key = $1)
                 OR EXISTS (SELECT 1 FROM trust WHERE public_key = $1)",
            &[&key],
        )
        .await?
        .try_get(0)?)
}

/// Retires the station's replaced key that still signs, if any, as of `not_after` (see the
/// SQLite backend).
async fn retire_previous_in(
    tx: &tokio_postgres::Transaction<'_>,
    station: &str,
    not_after: i64,
) -> Result<(), StoreError> {
    let now = not_after;
    let Some(row) = tx
        .query_opt(
            "UPDATE retired_keys SET retired_at = $2 WHERE station = $1 AND retired_at IS NULL
             RETURNING kid",
            &[&station, &now],
        )
        .await?
    else {
        return Ok(());
    };
    let kid: String = row.try_get(0)?;
    let active = tx
        .query_opt(
            "SELECT 1 FROM trust WHERE kid = $1 AND status = 'active'",
            &[&kid],
        )
        .await?
        .is_some();
    if active {
        super::admin::set_trust_status(tx, &kid, "retired", Some(now)).await?;
    }
    Ok(())
}

/// A re-key: every key the station holds is retired at `now`.
pub(super) async fn retire_all(
    tx: &tokio_postgres::Transaction<'_>,
    station: &str,
    now: i64,
) -> Result<(), StoreError> {
    retire_previous_in(tx, station, now).await?;
    let row = tx
        .query_one(
            "SELECT kid, public_key FROM principals WHERE id = $1",
            &[&station],
        )
        .await?;
    let (kid, key): (Option<String>, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
    if let (Some(kid), Some(key)) = (kid, key) {
        tx.execute(
            "INSERT INTO retired_keys (kid, station, public_key, rotated_at, retired_at)
             VALUES ($1, $2, $3, $4, $4)",
            &[&kid, &station, &key, &now],
        )
        .await?;
        super::admin::set_trust_status(tx, &kid, "retired", Some(now)).await?;
    }
    Ok(())
}

impl PgStore {
    pub(super) async fn rotate(
        &self,
        r: &KeyRotation,
    ) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT status, kid, public_key FROM principals
                 WHERE id = $1 AND kind = 'station' FOR UPDATE",
                &[&r.station],
            )
            .await?
        else {
            return Ok(Err(RotateRefusal::NotActive));
        };
        let status: String = row.try_get(0)?;
        let (Some(old_kid), Some(old_key)) = (
            row.try_get::<_, Option<String>>(1)?,
            row.try_get::<_, Option<String>>(2)?,
        ) else {
            return Ok(Err(RotateRefusal::NotActive));
        };
        if status != "active" {
            return Ok(Err(RotateRefusal::NotActive));
        }
        let new_key = r.new_key.to_string();
        if old_key == new_key {
            let last = tx
                .query_opt(
                    "SELECT kid, rotated_at FROM retired_keys WHERE station = $1
                     ORDER BY rotated_at DESC, kid DESC LIMIT 1",
                    &[&r.station],
                )
                .await?;
            return Ok(match last {
                Some(row) => Ok(Rotated {
                    replaced_kid: row.try_get(0)?,
                    rotated_at: row.try_get(1)?,
                }),
                None => Err(RotateRefusal::KeyInUse),
            });
        }
        if key_in_use(&tx, &new_key).await? {
            return Ok(Err(RotateRefusal::KeyInUse));
        }
        let new_kid = r.new_key.kid().to_string();
        retire_previous_in(&tx, &r.station, with_margin(r.now)).await?;
        tx.execute(
            "INSERT INTO retired_keys (kid, station, public_key, rotated_at)
             VALUES ($1, $2, $3, $4)",
            &[&old_kid, &r.station, &old_key, &r.now],
        )
        .await?;
        tx.execute(
            "UPDATE principals SET public_key = $1, kid = $2 WHERE id = $3",
            &[&new_key, &new_kid, &r.station],
        )
        .await?;
        super::admin::insert_trust(&tx, &r.new_key, &r.station).await?;
        super::admin::record_event(
            &tx,
            "key_rotated",
            Some(&r.station),
            &format!("key {old_kid} replaced by {new_kid}"),
            r.now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Rotated {
            replaced_kid: old_kid,
            rotated_at: r.now,
        }))
    }

    pub(super) async fn retired(&self, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT public_key, rotated_at, retired_at FROM retired_keys WHERE station = $1
                 ORDER BY rotated_at, kid",
                &[&station],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let key: String = row.try_get(0)?;
                let public_key: PublicKey =
                    key.parse().map_err(|_| corrupt("retired public key"))?;
                Ok(RetiredKey {
                    public_key,
                    rotated_at: row.try_get(1)?,
                    retired_at: row.try_get(2)?,
                })
            })
            .collect()
    }

    pub(super) async fn retire_previous(&self, station: &str, now: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        retire_previous_in(&tx, station, with_margin(now)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn add_anchor(
        &self,
        station: &str,
        a: &AuditAnchor,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO audit_anchors (station, seq, hash, received_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (station, seq) DO NOTHING",
                &[&station, &a.seq, &a.hash, &a.received_at],
            )
            .await?;
        let kept: String = client
            .query_one(
                "SELECT hash FROM audit_anchors WHERE station = $1 AND seq = $2",
                &[&station, &a.seq],
            )
            .await?
            .try_get(0)?;
        Ok(kept == a.hash)
    }

    pub(super) async fn anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> Result<Vec<AuditAnchor>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT seq, hash, received_at FROM audit_anchors WHERE station = $1
                 ORDER BY seq DESC LIMIT $2",
                &[&station, &(limit as i64)],
            )
            .await?;
        let mut anchors = rows
            .iter()
            .map(|row| {
                Ok(AuditAnchor {
                    seq: row.try_get(0)?,
                    hash: row.try_get(1)?,
                    received_at: row.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        anchors.reverse();
        Ok(anchors)
    }
}
