//! Finding a resident the way volunteers ask for them: by name, by pinyin initials (`zsf` finds
//! 张三丰), by the last four digits of the ID or phone (what an elderly resident remembers), or by
//! a fragment of the address ("100弄", "天钥桥路").
//!
//! Every kind of query is answered from an index, never a scan of the roster: pinyin initials are
//! computed when a name is written and indexed (a letter query is a range scan); the last four
//! digits are indexed columns; name and address fragments go through an FTS5 table of unigrams
//! and bigrams (CJK text has no word boundaries, so "三丰" must match inside "张三丰").

use crate::domain::Address;
use pinyin::ToPinyin;

/// Surnames read differently from the character's everyday reading (曾 is zēng as a surname,
/// céng otherwise): a volunteer types the surname reading.
const SURNAME_INITIALS: &[(char, char)] = &[
    ('曾', 'z'),
    ('单', 's'),
    ('解', 'x'),
    ('朴', 'p'),
    ('仇', 'q'),
    ('区', 'o'),
    ('查', 'z'),
    ('盖', 'g'),
    ('缪', 'm'),
    ('翟', 'z'),
    ('覃', 'q'),
    ('乐', 'y'),
    ('召', 's'),
    ('重', 'c'),
    ('种', 'c'),
    ('秘', 'b'),
    ('隗', 'w'),
    ('折', 's'),
    ('薄', 'b'),
    ('阚', 'k'),
    ('蔚', 'y'),
];

fn initial(c: char) -> Option<char> {
    match c.to_pinyin() {
        Some(p) => p.first_letter().chars().next(),
        None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
        None => None,
    }
}

/// Lower-case pinyin initials of a name, the surname read as a surname; Latin letters and
/// digits are kept, other characters without a reading (rare characters, `·`) are skipped.
pub fn initials(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().and_then(|c| {
        SURNAME_INITIALS
            .iter()
            .find(|(s, _)| *s == c)
            .map(|(_, i)| *i)
            .or_else(|| initial(c))
    });
    first.into_iter().chain(chars.filter_map(initial)).collect()
}

/// The initials with every character read in its everyday reading, when that differs from
/// [`initials`] (so `cgf` finds 曾国藩 as well as `zgf`).
pub fn everyday_initials(name: &str) -> Option<String> {
    let everyday: String = name.chars().filter_map(initial).collect();
    (everyday != initials(name)).then_some(everyday)
}

/// Address parts with digit runs zero-padded, so "2弄" sorts before "10弄".
pub fn natural_sort_key(a: &Address) -> String {
    [&a.district, &a.road, &a.lane, &a.number, &a.room]
        .iter()
        .map(|part| pad_numbers(part))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

fn pad_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut out, &mut digits);
            out.push(c);
        }
    }
    flush(&mut out, &mut digits);
    out
}

fn flush(out: &mut String, digits: &mut String) {
    if !digits.is_empty() {
        out.push_str(&format!("{:0>8}", digits));
        digits.clear();
    }
}

/// How a search text is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    /// Exactly four digits: last four of the document number or phone, or a lane/house number.
    Last4(String),
    /// Other digit strings: part of a document number, phone or address number.
    Digits(String),
    /// ASCII letters: pinyin initials prefix, or the start of a Latin name.
    Initials(String),
    /// Anything else: a fragment of the name or address.
    Text(String),
}

impl SearchTerm {
    pub fn parse(raw: &str) -> Option<SearchTerm> {
        let q: String = raw
            .chars()
            .map(crate::domain::document::fold_full_width)
            .filter(|c| !c.is_whitespace())
            .collect();
        if q.is_empty() {
            return None;
        }
        let id_tail_with_x = q.len() == 4
            && q.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && q.ends_with(['x', 'X']);
        Some(if id_tail_with_x {
            SearchTerm::Last4(q.to_ascii_uppercase())
        } else if q.bytes().all(|b| b.is_ascii_digit()) {
            if q.len() == 4 {
                SearchTerm::Last4(q)
            } else {
                SearchTerm::Digits(q)
            }
        } else if q.bytes().all(|b| b.is_ascii_alphabetic()) {
            SearchTerm::Initials(q.to_ascii_lowercase())
        } else {
            SearchTerm::Text(q)
        })
    }

    /// A SQL condition on `r` (residents) selecting the matching ids through indexes, and its
    /// parameters `:q`, `:q_end` (initials range) and `:fts` (FTS5 query).
    pub fn sql(&self) -> (&'static str, SearchParams) {
        match self {
            SearchTerm::Last4(q) => (
                "r.id IN (SELECT id FROM residents WHERE doc_last4 = :q OR phone_last4 = :q
                          UNION SELECT rowid FROM resident_search WHERE resident_search MATCH :fts)",
                SearchParams::new(q, fts_query(q)),
            ),
            SearchTerm::Digits(q) | SearchTerm::Text(q) => (
                "r.id IN (SELECT rowid FROM resident_search WHERE resident_search MATCH :fts)",
                SearchParams::new(q, fts_query(q)),
            ),
            SearchTerm::Initials(q) => (
                "r.id IN (SELECT id FROM residents WHERE name_initials >= :q AND name_initials < :q_end
                          UNION SELECT id FROM residents
                                WHERE name_initials_alt >= :q AND name_initials_alt < :q_end
                          UNION SELECT rowid FROM resident_search WHERE resident_search MATCH :fts)",
                SearchParams {
                    q: q.clone(),
                    q_end: format!("{q}\u{7f}"),
                    fts: fts_query(q),
                },
            ),
        }
    }
}

/// Parameter values for [`SearchTerm::sql`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    pub q: String,
    pub q_end: String,
    pub fts: String,
}

impl SearchParams {
    fn new(q: &str, fts: String) -> SearchParams {
        SearchParams {
            q: q.to_string(),
            q_end: String::new(),
            fts,
        }
    }
}

/// Letters and digits of `text`, lower-cased: what the index holds.
fn index_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The FTS5 query for a fragment: one unigram, or the phrase of its consecutive bigrams.
/// Only letters and digits reach the query, each token quoted, so no input is FTS syntax.
pub fn fts_query(fragment: &str) -> String {
    let chars = index_chars(fragment);
    match chars.len() {
        0 => "\"\"".to_string(),
        1 => format!("uni : \"{}\"", chars[0]),
        _ => {
            let bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
            format!("bi : \"{}\"", bigrams.join(" "))
        }
    }
}

/// The (unigrams, bigrams) columns indexed for a resident's name and address. Bigrams do not
/// cross from the name into the address, so a fragment never matches across the two.
pub fn index_tokens(name: &str, address: &str) -> (String, String) {
    let mut uni = String::new();
    let mut bi = String::new();
    for part in [name, address] {
        let chars = index_chars(part);
        for c in &chars {
            uni.push(*c);
            uni.push(' ');
        }
        for w in chars.windows(2) {
            bi.extend(w);
            bi.push(' ');
        }
        bi.push_str("| ");
    }
    (uni, bi)
}

/// Rewrites the search entry of one resident (after any change to their name or address):
/// the everyday-reading initials and the FTS tokens.
pub(crate) fn index_resident(
    conn: &rusqlite::Connection,
    resident_id: i64,
) -> rusqlite::Result<()> {
    let (name, address): (String, String) = conn
        .prepare_cached(
            "SELECT r.name, h.search_text FROM residents r JOIN households h ON h.id = r.household_id
             WHERE r.id = ?1",
        )?
        .query_row([resident_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    conn.prepare_cached("UPDATE residents SET name_initials_alt = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![resident_id, everyday_initials(&name)])?;
    let (uni, bi) = index_tokens(&name, &address);
    conn.prepare_cached("DELETE FROM resident_search WHERE rowid = ?1")?
        .execute([resident_id])?;
    conn.prepare_cached("INSERT INTO resident_search (rowid, uni, bi) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![resident_id, uni, bi])?;
    Ok(())
}

/// Rewrites the search entries of every member of a household (after an address change).
pub(crate) fn index_household(
    conn: &rusqlite::Connection,
    household_id: i64,
) -> rusqlite::Result<()> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM residents WHERE household_id = ?1")?
        .query_map([household_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        index_resident(conn, id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_common_and_rare_names() {
        assert_eq!(initials("张三丰"), "zsf");
        assert_eq!(initials("阿依古丽·买买提"), "aygl".to_string() + "mmt");
        // 𠮷 (U+20BB7) has no reading in the table: skipped, the rest still searchable.
        assert_eq!(initials("李𠮷"), "l");
        assert_eq!(initials("Anna Lee"), "annalee");
        assert_eq!(initials("曾国藩"), "zgf", "曾 as a surname is zeng");
        assert_eq!(everyday_initials("曾国藩").as_deref(), Some("cgf"));
        assert_eq!(everyday_initials("张三丰"), None);
    }

    #[test]
    fn numbers_sort_naturally() {
        let a = Address::parse("徐汇区", "天钥桥路", "2", "5", "302").unwrap_or_default();
        let b = Address::parse("徐汇区", "天钥桥路", "10", "5", "302").unwrap_or_default();
        assert!(
            natural_sort_key(&a) < natural_sort_key(&b),
            "lane 2 must sort before lane 10"
        );
    }

    #[test]
    fn fts_queries_are_bigram_phrases_of_letters_and_digits_only() {
        assert_eq!(fts_query("三丰"), "bi : \"三丰\"");
        assert_eq!(fts_query("张三丰"), "bi : \"张三 三丰\"");
        assert_eq!(fts_query("王"), "uni : \"王\"");
        assert_eq!(
            fts_query("a\" OR *"),
            "bi : \"ao or\"",
            "quotes and operators never reach FTS"
        );
        let (uni, bi) = index_tokens("张三丰", "天钥桥路100弄");
        assert!(uni.starts_with("张 三 丰 天"));
        assert!(bi.contains("张三 三丰 | 天钥"));
    }

    #[test]
    fn query_kinds() {
        assert_eq!(
            SearchTerm::parse(" 123x "),
            Some(SearchTerm::Last4("123X".into()))
        );
        assert_eq!(
            SearchTerm::parse("５６７８"),
            Some(SearchTerm::Last4("5678".into()))
        );
        assert_eq!(
            SearchTerm::parse("ZSF"),
            Some(SearchTerm::Initials("zsf".into()))
        );
        assert_eq!(
            SearchTerm::parse("天钥桥路 100弄"),
            Some(SearchTerm::Text("天钥桥路100弄".into()))
        );
        assert_eq!(SearchTerm::parse("  "), None);
    }
}
