//! Recognising a hub restored from a backup.
//!
//! A restored database has forgotten what it accepted after the backup, while stations still
//! hold those events as synced and their pull cursors beyond its feed. If nothing told them,
//! the hub would accept a second same-day renewal of a person whose first one it lost, and the
//! station that holds the first would keep it valid (issue 15, item 9). So each lifetime of
//! the database has a name (its **epoch**, sent on every answer as `x-nac-hub-epoch`); a
//! station that sees a new one re-sends what it holds as synced and pulls from the start.
//!
//! The database cannot tell by itself that it was restored — a backup holds the epoch it was
//! taken in. The key directory can: the hub writes the epoch and the feed's head beside its
//! keys (`feed-stamp`) every minute and when it stops. At start, the same epoch with a
//! *shorter* feed than the stamp recorded means the database went back in time: a new epoch
//! begins. (`nac-hub epoch new` starts one by hand, e.g. after a PostgreSQL restore on a host
//! whose stamp was lost.) Stations also treat a pull cursor beyond the feed as a restore.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use crate::keys::KeyDir;
use crate::service::ServiceError;
use crate::store::{Epoch, Store};

/// The stamp file in the key directory.
pub const STAMP: &str = "feed-stamp";

/// The database's current epoch, after starting a new one if the stamp shows the database
/// went back in time.
pub async fn current<S: Store>(store: &S, keys: &KeyDir, now: i64) -> Result<Epoch, ServiceError> {
    let epochs = store.epochs().await?;
    let latest = epochs
        .last()
        .cloned()
        .ok_or_else(|| crate::StoreError::Corrupt("the database has no epoch".into()))?;
    let head = store.feed_head().await?;
    if let Some((stamped_epoch, stamped_head)) = read_stamp(keys) {
        if stamped_epoch == latest.name && head < stamped_head {
            let epoch = store.new_epoch("restored", now).await?;
            tracing::warn!(
                head,
                stamped_head,
                epoch = %epoch.name,
                "the database's change feed is shorter than when this hub last ran: it was \
                 restored from a backup; new epoch, stations will re-send what it lost"
            );
            write_stamp(keys, &epoch.name, head)?;
            return Ok(epoch);
        }
    }
    write_stamp(keys, &latest.name, head)?;
    Ok(latest)
}

fn read_stamp(keys: &KeyDir) -> Option<(String, i64)> {
    let text = fs::read_to_string(keys.path().join(STAMP)).ok()?;
    let (epoch, head) = text.trim().split_once(' ')?;
    Some((epoch.to_owned(), head.parse().ok()?))
}

/// Records the epoch and the feed's head (atomically: a new file renamed over the old).
pub fn write_stamp(keys: &KeyDir, epoch: &str, head: i64) -> Result<(), ServiceError> {
    let path = keys.path().join(STAMP);
    // A name of this process's own: an administration command and a starting hub may both
    // write the stamp at once.
    let tmp = keys
        .path()
        .join(format!("{STAMP}.{}.tmp", std::process::id()));
    let io = |source| crate::keys::KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(format!("{epoch} {head}\n").as_bytes())
        .map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, &path).map_err(io)?;
    Ok(())
}

/// Refreshes the stamp with the feed's head now (the server does this every minute).
pub async fn refresh<S: Store>(
    store: &S,
    keys: &KeyDir,
    epoch: &Epoch,
) -> Result<(), ServiceError> {
    let head = store.feed_head().await?;
    // Never move the stamp backwards within an epoch: a shorter feed is what a restore looks
    // like, and the next start must still see it.
    if let Some((stamped_epoch, stamped_head)) = read_stamp(keys) {
        if stamped_epoch == epoch.name && head < stamped_head {
            return Ok(());
        }
    }
    write_stamp(keys, &epoch.name, head)
}
