//! Finding a resident the way volunteers ask for them: by name, by pinyin initials (`zsf` finds
//! 张三丰), by the last four digits of the ID or phone (what an elderly resident remembers), or by
//! a fragment of the address ("100弄", "天钥桥路").
//!
//! Initials are computed once when a name is written and indexed, so a letter query is an index
//! range scan; a four-digit query is an index lookup; only free text scans, over two short columns.

use crate::domain::Address;
use pinyin::ToPinyin;

/// Lower-case pinyin initials of a name; Latin letters and digits are kept, other characters
/// without a reading (rare characters, `·`) are skipped.
pub fn initials(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
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

    /// A SQL condition over `r` (residents) and `h` (households) with one parameter `:q`
    /// (and `:q_end` for the initials range), plus the parameter values.
    pub fn sql(&self) -> (&'static str, String, String) {
        match self {
            SearchTerm::Last4(q) => (
                "(r.doc_last4 = :q OR r.phone_last4 = :q OR h.lane = :q OR h.number = :q)",
                q.clone(),
                String::new(),
            ),
            SearchTerm::Digits(q) => (
                "(instr(r.doc_number, :q) > 0 OR instr(r.phone, :q) > 0 OR h.lane = :q OR h.number = :q OR h.room = :q)",
                q.clone(),
                String::new(),
            ),
            SearchTerm::Initials(q) => (
                "((r.name_initials >= :q AND r.name_initials < :q_end) OR r.name LIKE :q || '%')",
                q.clone(),
                format!("{q}\u{7f}"),
            ),
            SearchTerm::Text(q) => (
                "(instr(r.name, :q) > 0 OR instr(h.search_text, :q) > 0)",
                q.clone(),
                String::new(),
            ),
        }
    }
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
    }

    #[test]
    fn numbers_sort_naturally() {
        let a = Address::parse("徐汇区", "天钥桥路", "2", "5", "302").unwrap_or_default();
        let b = Address::parse("徐汇区", "天钥桥路", "10", "5", "302").unwrap_or_default();
        assert!(natural_sort_key(&a) < natural_sort_key(&b), "lane 2 must sort before lane 10");
    }

    #[test]
    fn query_kinds() {
        assert_eq!(SearchTerm::parse(" 123x "), Some(SearchTerm::Last4("123X".into())));
        assert_eq!(SearchTerm::parse("５６７８"), Some(SearchTerm::Last4("5678".into())));
        assert_eq!(SearchTerm::parse("ZSF"), Some(SearchTerm::Initials("zsf".into())));
        assert_eq!(SearchTerm::parse("天钥桥路 100弄"), Some(SearchTerm::Text("天钥桥路100弄".into())));
        assert_eq!(SearchTerm::parse("  "), None);
    }
}
