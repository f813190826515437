//! What an import changed in the station, counted for its report: the station's import fills
//! it in, the roster's report shows it.

use serde::Serialize;

/// What a roster import did to the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub households_added: u32,
    /// Existing households whose contact phone the file changed.
    pub households_updated: u32,
    pub residents_added: u32,
    pub residents_updated: u32,
    pub residents_unchanged: u32,
    /// What the updates changed, field by field.
    pub changes: FieldChanges,
}

/// The stored fields an import changed on existing residents, each counted once per resident
/// (one resident may count under several). A cleared phone or note is counted apart from a
/// changed one, so the report says plainly when the file emptied a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldChanges {
    /// Moved to another household (the row gives another address).
    pub moved: u32,
    pub name: u32,
    pub phone_changed: u32,
    pub phone_cleared: u32,
    pub notes_changed: u32,
    pub notes_cleared: u32,
    pub smartphone: u32,
    /// Removed residents the file brought back.
    pub restored: u32,
}

impl FieldChanges {
    /// The non-zero counts as one bilingual line ("中文 / English"), e.g.
    /// "手机号清空2人、备注修改1人 / phone cleared for 2, notes changed for 1"; empty when
    /// nothing changed.
    pub fn summary(&self) -> String {
        let parts: Vec<(String, String)> = [
            (self.moved, "换户", "moved to another household"),
            (self.name, "姓名修改", "name changed"),
            (self.phone_changed, "手机号修改", "phone changed"),
            (self.phone_cleared, "手机号清空", "phone cleared"),
            (self.notes_changed, "备注修改", "notes changed"),
            (self.notes_cleared, "备注清空", "notes cleared"),
            (self.smartphone, "有智能手机修改", "smartphone flag changed"),
            (self.restored, "恢复已移除居民", "removed resident restored"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, zh, en)| (format!("{zh}{n}人"), format!("{en} for {n}")))
        .collect();
        if parts.is_empty() {
            return String::new();
        }
        let zh: Vec<&str> = parts.iter().map(|(z, _)| z.as_str()).collect();
        let en: Vec<&str> = parts.iter().map(|(_, e)| e.as_str()).collect();
        format!("{} / {}", zh.join("、"), en.join(", "))
    }

    /// Adds `other`'s counts to these (one resident's changes into the import's).
    pub fn add(&mut self, other: &FieldChanges) {
        self.moved += other.moved;
        self.name += other.name;
        self.phone_changed += other.phone_changed;
        self.phone_cleared += other.phone_cleared;
        self.notes_changed += other.notes_changed;
        self.notes_cleared += other.notes_cleared;
        self.smartphone += other.smartphone;
        self.restored += other.restored;
    }
}
