//! Volunteer accounts: who is at the keyboard, and what they may see.
//!
//! Every application, print, import, export and reveal is recorded with the volunteer who
//! did it, so the desktop app asks who is there before it shows anything. The first start of
//! a station creates its administrator; the administrator adds volunteers (role `volunteer` or
//! `admin`, a 6-digit PIN or a passphrase of 8+ characters, hashed with Argon2id) and disables
//! them (never deletes: the log keeps pointing at the account).
//!
//! Roles: only an administrator reveals a full ID number or phone, exports the roster (it
//! carries the full numbers), manages accounts, reads the audit log and writes backups. A
//! volunteer does everything else. The core enforces this, so the app and the CLI cannot
//! differ.
//!
//! Wrong secrets slow down per account, in the database (a restart does not reset it): the
//! first three are free, then each waits twice as long as the last (30 s … 15 min); every
//! failure and every sign-in is in the audit log.
//!
//! The `nac` CLI holds the station passphrase, so it acts as the built-in administrator
//! account `station` (scripts keep working unattended); `--as NAME` signs in as someone else.
//!
//! Account names are checked ([`check_account_name`]) before they are stored or logged, a
//! sign-in's name too (it is logged even when no such account exists): a name with a newline
//! and a terminal escape once showed as a fake row in `nac audit list`. What the log already
//! holds is shown escaped ([`crate::audit::escape_text`]).

use super::role::Role;
use super::{audit, Station};
use crate::error::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{params, OptionalExtension as _};
use serde::Serialize;

/// Wrong secrets answered at once before the waits start.
const FREE_ATTEMPTS: i64 = 3;
/// The first wait, doubled after each further wrong secret.
const FIRST_WAIT_SECS: i64 = 30;
/// The longest wait.
const MAX_WAIT_SECS: i64 = 15 * 60;

/// An account as the management screen lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub account: String,
    pub role: Role,
    pub disabled: bool,
    /// Whether the account can sign in (has a PIN or passphrase).
    pub can_sign_in: bool,
    pub created_at: i64,
}

/// One row of the audit log as administrators read it: its texts escaped for a screen
/// ([`crate::audit::escape_text`]: control and invisible characters as `\u{…}`, `\` doubled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub source: String,
    pub volunteer: String,
    pub action: String,
    pub subject: String,
}

/// The wait before the next attempt after `failed` wrong secrets in a row.
pub fn signin_wait_secs(failed: i64) -> i64 {
    if failed <= FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failed - FREE_ATTEMPTS - 1).min(10) as u32;
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// A PIN is exactly 6 digits; anything else is a passphrase of at least 8 characters.
fn check_secret(secret: &str) -> Result<()> {
    let pin = secret.len() == 6 && secret.bytes().all(|b| b.is_ascii_digit());
    if pin || secret.chars().count() >= 8 {
        Ok(())
    } else {
        Err(Error::WeakSecret)
    }
}

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(
        crate::store::KDF_MEMORY_KIB,
        crate::store::KDF_PASSES,
        crate::store::KDF_LANES,
        None,
    )
    .map_err(|_| crate::store::StoreError::KeyDerivation)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_secret(secret: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| crate::store::StoreError::KeyDerivation)?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|_| crate::store::StoreError::KeyDerivation)?;
    Ok(hasher()?
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|_| crate::store::StoreError::KeyDerivation)?
        .to_string())
}

fn secret_matches(secret: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // The parameters come from the stored string, so older hashes keep verifying.
    Argon2::default()
        .verify_password(secret.as_bytes(), &parsed)
        .is_ok()
}

/// What a sign-in reads of an account.
struct SignInRow {
    id: i64,
    hash: Option<String>,
    disabled: bool,
    failed: i64,
    wait_until: Option<i64>,
}

/// The longest account name, in characters.
const MAX_ACCOUNT_NAME_CHARS: usize = 30;

/// An account name as typed, trimmed, or why it cannot be one: 1–30 characters, none of them
/// a control or invisible character ([`crate::audit::is_unsafe_char`]: newline, ESC, bidi
/// overrides, zero-width spaces). The error names the field and the character.
fn check_account_name(name: &str) -> Result<String> {
    let name = name.trim();
    let refuse = |message: String| {
        Err(Error::Invalid(vec![crate::FieldError::new(
            crate::Field::Name,
            message,
        )]))
    };
    if let Some(bad) = name.chars().find(|c| crate::audit::is_unsafe_char(*c)) {
        let bad = crate::domain::address::describe_control(bad);
        return refuse(format!(
            "账号名称不能含控制字符或不可见字符（{bad}） / an account name must not contain \
             control or invisible characters ({bad})"
        ));
    }
    if name.is_empty() || name.chars().count() > MAX_ACCOUNT_NAME_CHARS {
        return refuse(format!(
            "账号名称应为1–{MAX_ACCOUNT_NAME_CHARS}个字 / an account name must be \
             1–{MAX_ACCOUNT_NAME_CHARS} characters"
        ));
    }
    Ok(name.to_string())
}

impl Station {
    /// The role of the volunteer in use.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Refuses with [`Error::NotAllowed`] unless the volunteer in use is an administrator.
    pub(crate) fn require_admin(&self, what: &'static str, what_zh: &'static str) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::NotAllowed { what, what_zh })
        }
    }

    /// Every account, administrators first.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self.conn.prepare(
            "SELECT account, role, disabled_at IS NOT NULL, secret_hash IS NOT NULL, created_at
             FROM volunteers ORDER BY role = 'admin' DESC, account",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Account {
                account: r.get(0)?,
                role: Role::parse(&r.get::<_, String>(1)?),
                disabled: r.get(2)?,
                can_sign_in: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether the station still needs its first administrator who can sign in.
    pub fn needs_administrator(&self) -> Result<bool> {
        let admins: i64 = self.conn.query_row(
            "SELECT count(*) FROM volunteers
             WHERE role = 'admin' AND secret_hash IS NOT NULL AND disabled_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(admins == 0)
    }

    /// Creates the station's first administrator (only while [`Station::needs_administrator`])
    /// and acts as them.
    pub fn create_administrator(&mut self, name: &str, secret: &str) -> Result<()> {
        if !self.needs_administrator()? {
            return Err(Error::NotAllowed {
                what: "create the first administrator once",
                what_zh: "创建一次首位管理员",
            });
        }
        let name = check_account_name(name)?;
        self.insert_account(&name, Role::Admin, secret, "account.first_admin")?;
        self.use_volunteer(&name)
    }

    /// Adds an account (administrators only). An existing account without a secret (one the
    /// CLI recorded before accounts existed) gets this role and secret.
    pub fn add_account(&mut self, name: &str, role: Role, secret: &str) -> Result<()> {
        self.require_admin("add volunteers", "添加志愿者")?;
        self.insert_account(&check_account_name(name)?, role, secret, "account.add")
    }

    fn insert_account(&mut self, name: &str, role: Role, secret: &str, action: &str) -> Result<()> {
        check_secret(secret)?;
        let hash = hash_secret(secret)?;
        let subject = format!("{name} {}", role.as_str());
        self.write_audited(action, &subject, None, |tx, now| {
            let existing: Option<Option<String>> = tx
                .query_row(
                    "SELECT secret_hash FROM volunteers WHERE account = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(Some(_)) => {
                    return Err(Error::AccountExists {
                        account: name.to_string(),
                    })
                }
                Some(None) => tx.execute(
                    "UPDATE volunteers SET role = ?2, secret_hash = ?3, disabled_at = NULL
                     WHERE account = ?1",
                    params![name, role.as_str(), hash],
                )?,
                None => tx.execute(
                    "INSERT INTO volunteers (account, display_name, created_at, role, secret_hash)
                     VALUES (?1, ?1, ?2, ?3, ?4)",
                    params![name, now, role.as_str(), hash],
                )?,
            };
            Ok(())
        })
    }

    /// Disables an account (administrators only): it can no longer sign in; its history stays.
    /// The last enabled administrator and the account in use cannot be disabled.
    pub fn disable_account(&mut self, name: &str) -> Result<()> {
        self.require_admin("disable volunteers", "停用志愿者")?;
        self.write_audited("account.disable", name, None, |tx, now| {
            let role: String = tx
                .query_row(
                    "SELECT role FROM volunteers WHERE account = ?1 AND disabled_at IS NULL",
                    [name],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or(Error::NotFound {
                    what: "account",
                    what_zh: "账号",
                })?;
            let other_admins: i64 = tx.query_row(
                "SELECT count(*) FROM volunteers
                 WHERE role = 'admin' AND disabled_at IS NULL AND secret_hash IS NOT NULL
                   AND account <> ?1",
                [name],
                |r| r.get(0),
            )?;
            if name == self.volunteer || (role == "admin" && other_admins == 0) {
                return Err(Error::LastAdministrator);
            }
            tx.execute(
                "UPDATE volunteers SET disabled_at = ?2 WHERE account = ?1",
                params![name, now],
            )?;
            Ok(())
        })
    }

    /// Signs `name` in with their PIN or passphrase and acts as them from now on. Wrong: the
    /// failure is counted and audited, and after three the account waits (see the module
    /// docs); nothing else changes and the volunteer in use stays.
    pub fn sign_in(&mut self, name: &str, secret: &str) -> Result<Role> {
        // Checked before anything is logged: no account can have such a name anyway.
        let name = &check_account_name(name)?;
        let now = self.now();
        let row = self
            .conn
            .query_row(
                "SELECT id, secret_hash, disabled_at, failed_signins, signin_wait_until
                 FROM volunteers WHERE account = ?1",
                [name],
                |r| {
                    Ok(SignInRow {
                        id: r.get(0)?,
                        hash: r.get(1)?,
                        disabled: r.get::<_, Option<i64>>(2)?.is_some(),
                        failed: r.get(3)?,
                        wait_until: r.get(4)?,
                    })
                },
            )
            .optional()?;
        let Some(SignInRow {
            id,
            hash,
            disabled,
            failed,
            wait_until,
        }) = row
        else {
            // An unknown name costs a hash like a known one and is logged without an account.
            let _ = hash_secret(secret);
            self.record_signin(None, "signin.failed", name, now)?;
            return Err(Error::WrongSecret);
        };
        if disabled {
            self.record_signin(Some(id), "signin.refused", name, now)?;
            return Err(Error::AccountDisabled {
                account: name.to_string(),
            });
        }
        if let Some(until) = wait_until.filter(|until| *until > now) {
            return Err(Error::SignInWait {
                wait_secs: until - now,
            });
        }
        // Not write_audited: a sign-in, right or wrong, is audited as the account signing in.
        if hash.as_deref().is_some_and(|h| secret_matches(secret, h)) {
            let tx = self.write()?;
            tx.execute(
                "UPDATE volunteers SET failed_signins = 0, signin_wait_until = NULL WHERE id = ?1",
                [id],
            )?;
            audit(&tx, now, self.source, id, "signin", name)?;
            tx.commit()?;
            self.use_volunteer(name)?;
            return Ok(self.role);
        }
        let failed = failed + 1;
        let wait = signin_wait_secs(failed);
        let tx = self.write()?;
        tx.execute(
            "UPDATE volunteers SET failed_signins = ?2, signin_wait_until = ?3 WHERE id = ?1",
            params![id, failed, (wait > 0).then_some(now + wait)],
        )?;
        audit(&tx, now, self.source, id, "signin.failed", name)?;
        tx.commit()?;
        Err(if wait > 0 {
            Error::SignInWait { wait_secs: wait }
        } else {
            Error::WrongSecret
        })
    }

    fn record_signin(&self, id: Option<i64>, action: &str, name: &str, now: i64) -> Result<()> {
        // Not write_audited: audited as the account signing in (or none), not the one in use.
        let tx = self.write()?;
        crate::audit::append(&tx, now, self.source.as_str(), id, action, name)?;
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first (administrators only).
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.require_admin("read the audit log", "查看审计记录")?;
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.at, a.source, coalesce(v.account, ''), a.action, a.subject
             FROM audit_log a LEFT JOIN volunteers v ON v.id = a.volunteer_id
             ORDER BY a.id DESC LIMIT ?1",
        )?;
        let text = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<String> {
            Ok(crate::audit::escape_text(&r.get::<_, String>(i)?).into_owned())
        };
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                source: text(r, 2)?,
                volunteer: text(r, 3)?,
                action: text(r, 4)?,
                subject: text(r, 5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records that the volunteer in use signed out or the app locked (audited).
    pub fn sign_out(&mut self, reason: &str) -> Result<()> {
        self.write_audited("signout", reason, None, |_, _| Ok(()))
    }
}
