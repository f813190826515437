//! The print ledger (R7, R8): every paper card handed out is recorded with the code it carries,
//! so when a code is superseded or rejected the station knows which cards in circulation are now
//! worthless and whom to give a current one. Printing never counts as an application.
//!
//! A print job is `pending` from before its PDF is written until it is `sent` or `failed`
//! (see `print_job`). Only cards that may exist on paper are in `printed_cards`: those of sent
//! jobs and, conservatively, of pending ones (a crash mid-send may or may not have printed
//! them); a failed job's cards are deleted, so every R8 query (here and in `status`) can read
//! `printed_cards` as "cards in circulation" without looking at job states.

use super::{Change, Station};
use crate::domain::DocumentType;
use crate::error::{Error, Result};
use crate::ids::display_serial;
use crate::time::format_cst_minute;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// Everything printed on one card, read from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintedCard {
    pub resident_id: i64,
    pub household_id: i64,
    pub name: String,
    pub credential: String,
    pub serial: String,
    /// `XXXXX-XXXXX`, as printed.
    pub serial_display: String,
    pub expires_at: i64,
    /// `YYYY-MM-DD HH:MM` in CST.
    pub expires_at_text: String,
    pub masked_document: String,
    /// Short Chinese name of the document type, as printed ("身份证", "护照", …).
    pub document_label: String,
    pub address: String,
}

/// A print job to record once the cards have been rendered (and sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintRequest {
    pub layout: String,
    /// A file path or `printer:NAME`.
    pub destination: String,
    /// The serials printed, one per card.
    pub serials: Vec<String>,
}

/// A card in circulation whose code is no longer active (R8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardToReplace {
    pub card_id: i64,
    pub resident_id: i64,
    pub name: String,
    pub address: String,
    pub serial: String,
    pub printed_at: i64,
    /// `superseded` or `rejected`.
    pub code_state: String,
    /// The resident's current code, which should be printed for them, if any.
    pub current_serial: Option<String>,
}

impl Station {
    /// The cards to print for these residents: their active, still valid codes. Residents
    /// without one are returned separately (renew them first).
    pub fn cards_for(&self, resident_ids: &[i64]) -> Result<(Vec<PrintedCard>, Vec<i64>)> {
        let now = self.now();
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.household_id, r.name, r.doc_number, h.district, h.road, h.lane, h.number,
                    h.room, c.serial, c.credential, c.expires_at, r.doc_type
             FROM residents r JOIN households h ON h.id = r.household_id
             JOIN codes c ON c.resident_id = r.id AND c.state = 'active' AND c.expires_at > ?2
             WHERE r.id = ?1 AND r.removed_at IS NULL",
        )?;
        let mut cards = Vec::with_capacity(resident_ids.len());
        let mut without = Vec::new();
        for &id in resident_ids {
            let card = stmt
                .query_row(params![id, now], |r| {
                    let doc: String = r.get(3)?;
                    let address = super::address_at(r, 4)?;
                    let serial: String = r.get(9)?;
                    let expires_at: i64 = r.get(11)?;
                    let doc_type: String = r.get(12)?;
                    Ok(PrintedCard {
                        resident_id: r.get(0)?,
                        household_id: r.get(1)?,
                        name: r.get(2)?,
                        credential: r.get(10)?,
                        serial_display: display_serial(&serial),
                        serial,
                        expires_at,
                        expires_at_text: format_cst_minute(expires_at),
                        masked_document: crate::domain::document::mask_document(&doc),
                        document_label: doc_type
                            .parse::<DocumentType>()
                            .map(DocumentType::short_label_zh)
                            .unwrap_or("证件")
                            .to_string(),
                        address: address.to_string(),
                    })
                })
                .optional()?;
            match card {
                Some(c) => cards.push(c),
                None => without.push(id),
            }
        }
        Ok((cards, without))
    }

    /// Records a print job that has already been handed out (state `sent`); returns its id.
    /// Unknown serials are refused (nothing recorded), so the ledger never holds a card that
    /// does not match a code.
    pub fn record_print(&mut self, request: &PrintRequest) -> Result<i64> {
        self.insert_print_job(request, "sent")
    }

    /// Records a print job about to be rendered or sent (state `pending`), with its cards,
    /// which count as handed out until [`Station::mark_print_failed`] (see `print_job`).
    pub fn record_pending_print(&mut self, request: &PrintRequest) -> Result<i64> {
        self.insert_print_job(request, "pending")
    }

    fn insert_print_job(&mut self, request: &PrintRequest, state: &str) -> Result<i64> {
        self.write_audited_subject_after("print", Some(Change::ledger), |tx, now| {
            tx.execute(
                "INSERT INTO print_jobs (printed_at, layout, volunteer_id, destination, card_count,
                                         state, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 = 'sent' THEN ?1 END)",
                params![
                    now,
                    request.layout,
                    self.volunteer_id,
                    request.destination,
                    request.serials.len() as i64,
                    state
                ],
            )?;
            let job = tx.last_insert_rowid();
            let mut find =
                // A serial is unique per key; of two codes sharing one here (two stations picked
                // it), the card is this station's active one, else its newest.
                tx.prepare_cached(
                    "SELECT id, resident_id FROM codes WHERE serial = ?1
                     ORDER BY state = 'active' DESC, id DESC LIMIT 1",
                )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO printed_cards (job_id, code_id, resident_id, printed_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for serial in &request.serials {
                let (code_id, resident_id): (i64, i64) = find
                    .query_row([serial], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or(Error::NotFound {
                        what: "code",
                        what_zh: "核酸码",
                    })?;
                insert.execute(params![job, code_id, resident_id, now])?;
            }
            let subject = format!(
                "job {job}: {} cards, {} ({state})",
                request.serials.len(),
                request.layout
            );
            Ok((job, subject))
        })
    }

    /// Marks a pending print job as handed out (the PDF is written, or CUPS took it).
    pub fn mark_print_sent(&mut self, job: i64) -> Result<()> {
        let now = self.now();
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE print_jobs SET state = 'sent', finished_at = ?2
             WHERE id = ?1 AND state = 'pending'",
            params![job, now],
        )?;
        if changed == 0 {
            return Err(pending_job_not_found());
        }
        tx.commit()?;
        self.emit(Change::Ledger {
            source: self.source,
        });
        Ok(())
    }

    /// Marks a pending print job as failed with its reason: its cards leave the ledger, so
    /// they never count as printed (R8); the job row stays as the record of the attempt.
    pub fn mark_print_failed(&mut self, job: i64, reason: &str) -> Result<()> {
        let subject = format!("job {job}");
        self.write_audited("print.failed", &subject, Some(Change::ledger), |tx, now| {
            let changed = tx.execute(
                "UPDATE print_jobs SET state = 'failed', finished_at = ?2, error = ?3
                 WHERE id = ?1 AND state = 'pending'",
                params![job, now, reason],
            )?;
            if changed == 0 {
                return Err(pending_job_not_found());
            }
            tx.execute("DELETE FROM printed_cards WHERE job_id = ?1", [job])?;
            Ok(())
        })
    }

    /// The state of a print job: `pending`, `sent` or `failed`.
    pub fn print_job_state(&self, job: i64) -> Result<String> {
        self.conn
            .query_row("SELECT state FROM print_jobs WHERE id = ?1", [job], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(Error::NotFound {
                what: "print job",
                what_zh: "打印任务",
            })
    }

    /// Printed cards of superseded or rejected codes not yet replaced by a card of the
    /// resident's current code, nor withdrawn (R8).
    pub fn cards_to_replace(&self) -> Result<Vec<CardToReplace>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, r.id, r.name, h.district, h.road, h.lane, h.number, h.room,
                    pc.serial, p.printed_at, pc.state,
                    (SELECT serial FROM codes a WHERE a.resident_id = r.id AND a.state = 'active')
             FROM printed_cards p
             JOIN codes pc ON pc.id = p.code_id
             JOIN residents r ON r.id = p.resident_id
             JOIN households h ON h.id = r.household_id
             WHERE pc.state <> 'active' AND p.withdrawn_at IS NULL AND r.removed_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM printed_cards q JOIN codes qc ON qc.id = q.code_id
                               WHERE q.resident_id = p.resident_id AND qc.state = 'active'
                                 AND q.printed_at >= p.printed_at)
             ORDER BY h.sort_key, r.id, p.printed_at",
        )?;
        let rows = stmt.query_map([], |r| {
            let address = super::address_at(r, 3)?;
            Ok(CardToReplace {
                card_id: r.get(0)?,
                resident_id: r.get(1)?,
                name: r.get(2)?,
                address: address.to_string(),
                serial: r.get(8)?,
                printed_at: r.get(9)?,
                code_state: r.get(10)?,
                current_serial: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Residents whose valid code has no printed card yet (e.g. after a batch renewal), in
    /// address order.
    pub fn residents_without_card(&self) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id
             JOIN codes c ON c.resident_id = r.id AND c.state = 'active' AND c.expires_at > ?1
             WHERE r.removed_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM printed_cards p WHERE p.code_id = c.id)
             ORDER BY h.sort_key, h.id, r.id",
        )?;
        let ids = stmt.query_map([self.now()], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a printed card as taken back or destroyed.
    pub fn withdraw_card(&mut self, card_id: i64) -> Result<()> {
        self.write_audited("card.withdraw", card_id, Some(Change::ledger), |tx, now| {
            let changed = tx.execute(
                "UPDATE printed_cards SET withdrawn_at = ?2 WHERE id = ?1 AND withdrawn_at IS NULL",
                params![card_id, now],
            )?;
            if changed == 0 {
                return Err(Error::NotFound {
                    what: "printed card",
                    what_zh: "纸质码记录",
                });
            }
            Ok(())
        })
    }
}

fn pending_job_not_found() -> Error {
    Error::NotFound {
        what: "pending print job",
        what_zh: "待完成的打印任务",
    }
}
