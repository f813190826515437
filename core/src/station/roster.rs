//! Households and residents: validation, add / edit / move / remove, and roster import.

use super::{audit, Change, Station, WriteSource};
use crate::domain::drafts::{HouseholdDraft, HouseholdInput, ResidentDraft, ResidentInput};
use crate::domain::{Address, Document, Phone};
use crate::error::{Error, Result};
use crate::ids;
use crate::roster::{Column, ColumnSet};
use crate::roster::{FieldChanges, ImportOutcome};
use crate::search::{index_household, index_resident, initials, natural_sort_key};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use std::ops::ControlFlow;

/// One household in the list, with the counts a volunteer scans for (R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdSummary {
    pub id: i64,
    pub address: String,
    pub building: String,
    pub room: String,
    pub members: u32,
    pub expired: u32,
    pub expiring: u32,
    pub never: u32,
    pub cards_to_replace: u32,
}

/// A household with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdDetail {
    pub id: i64,
    pub uid: String,
    pub address: String,
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub room: String,
    pub masked_phone: Option<String>,
    pub members: Vec<super::ResidentRow>,
}

/// Rows between two progress reports of an import.
pub const IMPORT_REPORT_EVERY: usize = 500;

impl Station {
    pub fn add_household(&mut self, input: &HouseholdInput) -> Result<i64> {
        let draft = HouseholdDraft::validate(input).map_err(Error::Invalid)?;
        self.write_audited_subject_after("household.add", Some(Change::roster), |tx, now| {
            if household_by_address(tx, &draft.address)?.is_some() {
                return Err(Error::DuplicateAddress);
            }
            let id = insert_household(tx, &draft, now)?;
            Ok((id, id))
        })
    }

    ///
    /// A phone sent back exactly as the screen showed it masked (`138****5678`) keeps the stored
    /// one: a volunteer without the reveal right edits the address without retyping it.
    pub fn update_household(&mut self, id: i64, input: &HouseholdInput) -> Result<()> {
        let stored: Option<String> = self
            .conn
            .query_row("SELECT phone FROM households WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        let mut input = input.clone();
        input.phone = kept(&input.phone, stored.as_deref(), mask_phone);
        let draft = HouseholdDraft::validate(&input).map_err(Error::Invalid)?;
        self.write_audited("household.update", id, Some(Change::roster), |tx, now| {
            ensure_household(tx, id)?;
            if household_by_address(tx, &draft.address)?.is_some_and(|other| other != id) {
                return Err(Error::DuplicateAddress);
            }
            let a = &draft.address;
            tx.execute(
                "UPDATE households SET district = ?2, road = ?3, lane = ?4, number = ?5, room = ?6,
                     address_key = ?7, sort_key = ?8, search_text = ?9, phone = ?10, updated_at = ?11
                 WHERE id = ?1",
                params![
                    id,
                    a.district,
                    a.road,
                    a.lane,
                    a.number,
                    a.room,
                    a.key(),
                    natural_sort_key(a),
                    search_text(a),
                    draft.phone.as_ref().map(Phone::as_str),
                    now
                ],
            )?;
            index_household(tx, id)?;
            Ok(())
        })
    }

    /// Removes an empty household (its history stays in the database).
    pub fn remove_household(&mut self, id: i64) -> Result<()> {
        self.write_audited("household.remove", id, Some(Change::roster), |tx, now| {
            ensure_household(tx, id)?;
            let members: i64 = tx.query_row(
                "SELECT count(*) FROM residents WHERE household_id = ?1 AND removed_at IS NULL",
                [id],
                |r| r.get(0),
            )?;
            if members > 0 {
                return Err(Error::HouseholdNotEmpty);
            }
            tx.execute(
                "UPDATE households SET removed_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            Ok(())
        })
    }

    pub fn add_resident(&mut self, household_id: i64, input: &ResidentInput) -> Result<i64> {
        let today = crate::time::cst_day(self.now());
        let draft = ResidentDraft::validate(input, today).map_err(Error::Invalid)?;
        self.write_audited_subject_after("resident.add", Some(Change::roster), |tx, now| {
            ensure_household(tx, household_id)?;
            let id = match resident_by_document(tx, &draft.document)? {
                Some((_, name, false)) => return Err(Error::DuplicateDocument { name }),
                Some((removed, _, true)) => {
                    write_resident_fields(tx, removed, household_id, &draft, now)?;
                    removed
                }
                None => upsert_resident(tx, household_id, &draft, ColumnSet::ALL, now)?.0,
            };
            Ok((id, id))
        })
    }

    ///
    /// A document number or phone sent back exactly as the screen showed it masked keeps the
    /// stored value (see [`Station::update_household`]).
    pub fn update_resident(&mut self, id: i64, input: &ResidentInput) -> Result<()> {
        let today = crate::time::cst_day(self.now());
        let stored: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT doc_number, phone FROM residents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut input = input.clone();
        if let Some((document, phone)) = stored {
            input.document_number = kept(
                &input.document_number,
                Some(&document),
                crate::domain::document::mask_document,
            );
            input.phone = kept(&input.phone, phone.as_deref(), mask_phone);
        }
        let draft = ResidentDraft::validate(&input, today).map_err(Error::Invalid)?;
        self.write_audited("resident.update", id, Some(Change::roster), |tx, now| {
            let household_id = resident_household(tx, id)?;
            if let Some((other, name, _)) = resident_by_document(tx, &draft.document)? {
                if other != id {
                    return Err(Error::DuplicateDocument { name });
                }
            }
            write_resident_fields(tx, id, household_id, &draft, now)
        })
    }

    /// Moves a resident to another household (e.g. moved in with family).
    pub fn move_resident(&mut self, id: i64, to_household: i64) -> Result<()> {
        self.write_audited("resident.move", id, Some(Change::roster), |tx, now| {
            resident_household(tx, id)?;
            ensure_household(tx, to_household)?;
            tx.execute(
                "UPDATE residents SET household_id = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, to_household, now],
            )?;
            index_resident(tx, id)?;
            Ok(())
        })
    }

    /// Removes a resident from the roster; their codes, applications and printed cards stay
    /// in the database as history.
    pub fn remove_resident(&mut self, id: i64) -> Result<()> {
        self.write_audited("resident.remove", id, Some(Change::roster), |tx, now| {
            resident_household(tx, id)?;
            tx.execute(
                "UPDATE residents SET removed_at = ?2, updated_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            Ok(())
        })
    }

    /// Finds a resident by document number (any type; the number is normalised first).
    pub fn find_by_document(&self, number: &str) -> Result<Option<i64>> {
        let number = crate::domain::document::normalise_code(number);
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM residents WHERE doc_number = ?1 AND removed_at IS NULL
                 ORDER BY doc_type = 'resident_id' DESC LIMIT 1",
                [number],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Writes validated roster rows in one transaction: households matched by address,
    /// residents by document; rows identical to what is stored change nothing. Every field of
    /// a draft counts (as in a form); see [`Station::import_drafts_with`] for files that have
    /// only some columns.
    pub fn import_drafts(
        &mut self,
        rows: &[(HouseholdDraft, ResidentDraft)],
    ) -> Result<ImportOutcome> {
        self.import_drafts_with(rows, ColumnSet::ALL, &mut |_, _| ControlFlow::Continue(()))
    }

    /// [`Station::import_drafts`] for rows read from a file with the header `columns`: the
    /// optional fields of an existing resident whose column the file lacks (phone, notes, has
    /// smartphone, household phone) keep their stored values; a present but empty phone or
    /// notes cell clears the value, and the outcome counts it as cleared. Reports
    /// `(rows done, rows)` every [`IMPORT_REPORT_EVERY`] rows; `Break` cancels the import and
    /// rolls everything back (nothing is imported).
    pub fn import_drafts_with(
        &mut self,
        rows: &[(HouseholdDraft, ResidentDraft)],
        columns: ColumnSet,
        progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<ImportOutcome> {
        // Not write_audited: audited as the import (whatever this session's source) and only
        // when the file changed something.
        let now = self.now();
        let tx = self.write()?;
        let mut outcome = ImportOutcome::default();
        for (done, (household, resident)) in rows.iter().enumerate() {
            if done % IMPORT_REPORT_EVERY == 0 && progress(done, rows.len()).is_break() {
                return Err(Error::Cancelled);
            }
            let household_id = match household_by_address(&tx, &household.address)? {
                Some(id) => {
                    if household.phone.is_some() {
                        outcome.households_updated += tx
                            .prepare_cached(
                                "UPDATE households SET phone = ?2, updated_at = ?3
                                 WHERE id = ?1 AND phone IS NOT ?2",
                            )?
                            .execute(params![
                                id,
                                household.phone.as_ref().map(Phone::as_str),
                                now
                            ])? as u32;
                    }
                    id
                }
                None => {
                    outcome.households_added += 1;
                    insert_household(&tx, household, now)?
                }
            };
            match upsert_resident(&tx, household_id, resident, columns, now)?.1 {
                Upsert::Added => outcome.residents_added += 1,
                Upsert::Updated(changes) => {
                    outcome.residents_updated += 1;
                    outcome.changes.add(&changes);
                }
                Upsert::Unchanged => outcome.residents_unchanged += 1,
            }
        }
        let changed = outcome.households_added
            + outcome.households_updated
            + outcome.residents_added
            + outcome.residents_updated
            > 0;
        if changed {
            let summary = format!(
                "+{} households, ~{} households, +{} residents, ~{} residents",
                outcome.households_added,
                outcome.households_updated,
                outcome.residents_added,
                outcome.residents_updated
            );
            audit(
                &tx,
                now,
                WriteSource::Import,
                self.volunteer_id,
                "roster.import",
                &summary,
            )?;
        }
        tx.commit()?;
        self.emit(Change::Roster {
            source: WriteSource::Import,
        });
        Ok(outcome)
    }
}

fn ensure_household(tx: &Transaction<'_>, id: i64) -> Result<()> {
    tx.query_row(
        "SELECT 1 FROM households WHERE id = ?1 AND removed_at IS NULL",
        [id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(Error::household_not_found)
}

fn resident_household(tx: &Transaction<'_>, id: i64) -> Result<i64> {
    tx.query_row(
        "SELECT household_id FROM residents WHERE id = ?1 AND removed_at IS NULL",
        [id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(Error::resident_not_found)
}

fn household_by_address(tx: &Transaction<'_>, address: &Address) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT id FROM households WHERE address_key = ?1 AND removed_at IS NULL")?
        .query_row([address.key()], |r| r.get(0))
        .optional()?)
}

/// (id, name, removed) of the resident registered with this document, if any.
fn resident_by_document(
    tx: &Transaction<'_>,
    document: &Document,
) -> Result<Option<(i64, String, bool)>> {
    Ok(tx
        .prepare_cached(
            "SELECT id, name, removed_at IS NOT NULL FROM residents WHERE doc_type = ?1 AND doc_number = ?2",
        )?
        .query_row(params![document.kind.as_str(), document.number], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
}

pub(crate) fn search_text(a: &Address) -> String {
    a.to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn insert_household(tx: &Transaction<'_>, draft: &HouseholdDraft, now: i64) -> Result<i64> {
    let a = &draft.address;
    tx.prepare_cached(
        "INSERT INTO households (uid, district, road, lane, number, room, address_key, sort_key,
             search_text, phone, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        ids::new_event_id()?,
        a.district,
        a.road,
        a.lane,
        a.number,
        a.room,
        a.key(),
        natural_sort_key(a),
        search_text(a),
        draft.phone.as_ref().map(Phone::as_str),
        now
    ])?;
    Ok(tx.last_insert_rowid())
}

enum Upsert {
    Added,
    Updated(FieldChanges),
    Unchanged,
}

/// Inserts the resident, or updates the one with the same document when anything the file
/// gives differs (restoring a removed one). Optional fields whose column is not in `columns`
/// keep their stored values. Returns the id and what happened.
fn upsert_resident(
    tx: &Transaction<'_>,
    household_id: i64,
    d: &ResidentDraft,
    columns: ColumnSet,
    now: i64,
) -> Result<(i64, Upsert)> {
    let existing = tx
        .prepare_cached(
            "SELECT id, household_id, name, phone, notes, removed_at IS NOT NULL, has_smartphone
             FROM residents WHERE doc_type = ?1 AND doc_number = ?2",
        )?
        .query_row(params![d.document.kind.as_str(), d.document.number], |r| {
            Ok(StoredResident {
                id: r.get(0)?,
                household_id: r.get(1)?,
                name: r.get(2)?,
                phone: r.get(3)?,
                notes: r.get(4)?,
                removed: r.get(5)?,
                has_smartphone: r.get(6)?,
            })
        })
        .optional()?;
    let Some(stored) = existing else {
        tx.prepare_cached(
            "INSERT INTO residents (uid, household_id, name, name_initials, doc_type, doc_number,
                 doc_last4, phone, phone_last4, birth_date, notes, has_smartphone, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        )?
        .execute(params![
            ids::new_event_id()?,
            household_id,
            d.name.as_str(),
            initials(d.name.as_str()),
            d.document.kind.as_str(),
            d.document.number,
            d.document.last4(),
            d.phone.as_ref().map(Phone::as_str),
            d.phone.as_ref().map(Phone::last4),
            d.birth_date.map(|b| b.to_string()),
            d.notes,
            d.has_smartphone,
            now
        ])?;
        let id = tx.last_insert_rowid();
        index_resident(tx, id)?;
        return Ok((id, Upsert::Added));
    };
    let merged = stored.merge(d, columns)?;
    let changes = stored.changes(household_id, &merged);
    if changes == FieldChanges::default() {
        return Ok((stored.id, Upsert::Unchanged));
    }
    write_resident_fields(tx, stored.id, household_id, &merged, now)?;
    Ok((stored.id, Upsert::Updated(changes)))
}

/// A resident as stored, for comparing with an imported row.
struct StoredResident {
    id: i64,
    household_id: i64,
    name: String,
    phone: Option<String>,
    notes: String,
    removed: bool,
    has_smartphone: bool,
}

impl StoredResident {
    /// The draft to write: the row's values, with the stored ones for absent optional columns.
    fn merge(&self, d: &ResidentDraft, columns: ColumnSet) -> Result<ResidentDraft> {
        let mut merged = d.clone();
        if !columns.contains(Column::Phone) {
            merged.phone =
                match &self.phone {
                    Some(p) => Some(Phone::parse(p).map_err(|e| {
                        Error::Invalid(vec![(crate::error::Field::Phone, e).into()])
                    })?),
                    None => None,
                };
        }
        if !columns.contains(Column::Notes) {
            merged.notes.clone_from(&self.notes);
        }
        if !columns.contains(Column::HasSmartphone) {
            merged.has_smartphone = self.has_smartphone;
        }
        Ok(merged)
    }

    fn changes(&self, household_id: i64, merged: &ResidentDraft) -> FieldChanges {
        let new_phone = merged.phone.as_ref().map(Phone::as_str);
        let count = |b: bool| u32::from(b);
        FieldChanges {
            moved: count(self.household_id != household_id),
            name: count(self.name != merged.name.as_str()),
            phone_changed: count(new_phone.is_some() && self.phone.as_deref() != new_phone),
            phone_cleared: count(new_phone.is_none() && self.phone.is_some()),
            notes_changed: count(!merged.notes.is_empty() && self.notes != merged.notes),
            notes_cleared: count(merged.notes.is_empty() && !self.notes.is_empty()),
            smartphone: count(self.has_smartphone != merged.has_smartphone),
            restored: count(self.removed),
        }
    }
}

fn write_resident_fields(
    tx: &Transaction<'_>,
    id: i64,
    household_id: i64,
    d: &ResidentDraft,
    now: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE residents SET household_id = ?2, name = ?3, name_initials = ?4, doc_type = ?5,
             doc_number = ?6, doc_last4 = ?7, phone = ?8, phone_last4 = ?9, birth_date = ?10,
             notes = ?11, has_smartphone = ?12, updated_at = ?13, removed_at = NULL
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        household_id,
        d.name.as_str(),
        initials(d.name.as_str()),
        d.document.kind.as_str(),
        d.document.number,
        d.document.last4(),
        d.phone.as_ref().map(Phone::as_str),
        d.phone.as_ref().map(Phone::last4),
        d.birth_date.map(|b| b.to_string()),
        d.notes,
        d.has_smartphone,
        now
    ])?;
    index_resident(tx, id)?;
    Ok(())
}

fn mask_phone(phone: &str) -> String {
    crate::domain::document::mask_middle(phone, 3, 4)
}

/// `sent`, or the stored value when `sent` is the stored value's mask (an untouched field).
fn kept(sent: &str, stored: Option<&str>, mask: fn(&str) -> String) -> String {
    match stored {
        Some(stored) if !stored.is_empty() && sent.trim() == mask(stored) => stored.to_string(),
        _ => sent.to_string(),
    }
}
