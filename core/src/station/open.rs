//! Opening a station file, and creating the station's identity (id, signing key) the first
//! time: the one place that needs the keys and the hub's secret before a [`Station`] exists.

use super::handle::{Station, WriteSource, DEFAULT_VOLUNTEER};
use super::role::Role;
use super::{keys, settings, sync, StationInfo};
use crate::error::Result;
use crate::ids;
use crate::store;
use crate::time::Clock;
use nac_credential::StationKey;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// What an open does with a file that has no station identity yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A real station; any existing station (real or demo) opens as it is.
    Any,
    /// A demo: a new station is marked as one when its identity is created; an existing real
    /// station is refused.
    Demo,
}

impl Station {
    /// Opens the station database at `path`, creating it (with a fresh station id and signing
    /// key) when it does not exist.
    ///
    /// Opening an existing station only reads (schema version, identity, volunteer), so it
    /// works while another process holds the write lock, e.g. the desktop app importing a
    /// roster while `nac list` runs; a write lock is taken only to create what is missing.
    ///
    /// `key` is the database key derived from the station passphrase for this file (see
    /// [`store::DatabaseKey::for_file`]); a key that does not fit is
    /// [`store::StoreError::WrongPassphrase`] with the file unchanged.
    pub fn open(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
    ) -> Result<Station> {
        Station::open_kind(path, key, clock, source, Kind::Any)
    }

    /// Opens the demo station at `path`, creating it marked as a demo (`settings.demo = 1`, in
    /// the same transaction as its identity, so no row of it ever exists unmarked). Refuses an
    /// existing real station with [`crate::Error::NotADemo`]. Used by [`crate::demo::create`].
    pub fn open_demo(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
    ) -> Result<Station> {
        Station::open_kind(path, key, clock, source, Kind::Demo)
    }

    fn open_kind(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
        kind: Kind,
    ) -> Result<Station> {
        let conn = store::open(path, key)?;
        let database_key = key.clone();
        let now = clock.now().timestamp();
        let station_id = match read_identity(&conn)? {
            Some(station_id) => station_id,
            None => create_identity(&conn, now, kind == Kind::Demo)?,
        };
        let demo = read_demo(&conn)?;
        if kind == Kind::Demo && !demo {
            return Err(crate::Error::NotADemo {
                path: path.display().to_string(),
            });
        }
        let district_secret = sync::read_district_secret(&conn)?;
        let mut station = Station {
            conn,
            path: path.to_path_buf(),
            database_key,
            clock,
            station_id,
            demo,
            district_secret,
            volunteer_id: 0,
            volunteer: String::new(),
            volunteer_uid: String::new(),
            role: Role::Volunteer,
            source,
            listener: None,
        };
        station.use_volunteer(DEFAULT_VOLUNTEER)?;
        Ok(station)
    }

    pub fn info(&self) -> Result<StationInfo> {
        let (station_id, _) = sync::current_identity(&self.conn)?;
        Ok(StationInfo {
            station_id,
            station_name: self.station_name()?,
            kid: keys::active_kid(&self.conn)?,
            expiring_days: self.expiring_days()?,
            volunteer: self.volunteer.clone(),
            schema_version: store::schema_version(&self.conn)?,
            demo: self.demo,
        })
    }
}

/// The station id, if the station has been created with its signing key.
fn read_identity(conn: &Connection) -> Result<Option<String>> {
    let station_id = settings::read(conn, settings::key::STATION_ID)?;
    match (station_id, keys::active_key(conn)?) {
        (Some(id), Some(_)) => Ok(Some(id)),
        _ => Ok(None),
    }
}

fn read_demo(conn: &Connection) -> Result<bool> {
    Ok(settings::read(conn, settings::key::DEMO)?.as_deref() == Some("1"))
}

/// Creates what is missing of the station's identity (id, signing key) under the write lock;
/// `demo` marks a station created here as a demo in the same transaction.
fn create_identity(conn: &Connection, now: i64, demo: bool) -> Result<String> {
    let tx = store::immediate(conn)?;
    let station_id = match settings::read(&tx, settings::key::STATION_ID)? {
        Some(id) => id,
        None => {
            let id = ids::new_station_id()?;
            settings::write(&tx, settings::key::STATION_ID, &id)?;
            if demo {
                settings::write(&tx, settings::key::DEMO, "1")?;
            }
            id
        }
    };
    if keys::active_key(&tx)?.is_none() {
        keys::insert_key(&tx, &StationKey::generate()?, "active", &station_id, now)?;
    }
    tx.commit()?;
    Ok(station_id)
}
