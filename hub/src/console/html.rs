//! Pages as text: escaping, the language, the frame every page shares, dates in CST.
//!
//! The console is server-rendered HTML with one stylesheet and no script: nothing to run in
//! the browser means nothing for an injected string to run as, the CSP can be `default-src
//! 'self'` with no exception, and every page works from the keyboard as plain links, forms
//! and tables.

use std::fmt::Write as _;

use chrono::DateTime;

/// China Standard Time's offset from UTC: the district's clock, and the hub's CST days'.
const CST_SECS: i64 = 8 * 3600;

/// The console's languages: Chinese first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The cookie's value.
    pub fn from_cookie(value: Option<&str>) -> Lang {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The text in this language.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Text made safe for HTML content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-07 21:56` (CST) for unix seconds; `—` for none.
pub fn when(at: Option<i64>) -> String {
    match at.and_then(|s| DateTime::from_timestamp(s.saturating_add(CST_SECS), 0)) {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => "—".to_owned(),
    }
}

/// The date of a CST day number (`nac_protocol::cst_day`), e.g. `12-07`.
pub fn day_label(day: i64) -> String {
    match DateTime::from_timestamp(day.saturating_mul(86_400), 0) {
        Some(t) => t.format("%m-%d").to_string(),
        None => day.to_string(),
    }
}

/// The full date of a CST day number, e.g. `2026-12-07`.
pub fn day_date(day: i64) -> String {
    match DateTime::from_timestamp(day.saturating_mul(86_400), 0) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => day.to_string(),
    }
}

/// How long ago, in the page's language: `3 分钟前` / `3 min ago`; `从未` / `never`.
pub fn ago(lang: Lang, now: i64, at: Option<i64>) -> String {
    let Some(at) = at else {
        return lang.t("从未", "never").to_owned();
    };
    let secs = (now - at).max(0);
    if secs < 60 {
        return lang.t("刚刚", "just now").to_owned();
    }
    let (n, zh, en) = if secs < 3600 {
        (secs / 60, "分钟前", "min ago")
    } else if secs < 2 * 86_400 {
        (secs / 3600, "小时前", "h ago")
    } else {
        (secs / 86_400, "天前", "days ago")
    };
    match lang {
        Lang::Zh => format!("{n} {zh}"),
        Lang::En => format!("{n} {en}"),
    }
}

/// A page's navigation entries: (path, Chinese, English).
const NAV: [(&str, &str, &str); 5] = [
    ("/console/", "概览", "Overview"),
    ("/console/stations", "站点", "Stations"),
    ("/console/rejections", "驳回记录", "Rejections"),
    ("/console/keys", "密钥与撤销", "Keys & revocations"),
    ("/console/audit", "审计", "Audit"),
];

/// Who is signed in, for the frame.
pub struct Frame<'a> {
    /// The page's language.
    pub lang: Lang,
    /// The page's path (its nav entry is marked current, the language switch returns to it).
    pub path: &'a str,
    /// The signed-in account and whether it is a viewer; `None` on the sign-in pages.
    pub who: Option<(&'a str, bool)>,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: &'a str,
}

/// A whole page: the frame around `body`.
pub fn page(frame: &Frame<'_>, title: &str, body: &str) -> String {
    let lang = frame.lang;
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         </head><body><a class=\"skip\" href=\"#main\">{}</a><header class=\"top\">\
         <p class=\"brand\">{}</p>",
        lang.code(),
        esc(title),
        lang.t("NAC 区平台", "NAC Hub"),
        lang.t("跳到正文", "Skip to content"),
        lang.t("NAC 区平台控制台", "NAC Hub console"),
    );
    if let Some((name, viewer)) = frame.who {
        let _ = write!(out, "<nav aria-label=\"{}\"><ul>", lang.t("主导航", "Main"));
        for (href, zh, en) in NAV {
            let current =
                if frame.path == href || (href != "/console/" && frame.path.starts_with(href)) {
                    " aria-current=\"page\""
                } else {
                    ""
                };
            let _ = write!(
                out,
                "<li><a href=\"{href}\"{current}>{}</a></li>",
                lang.t(zh, en)
            );
        }
        let role = if viewer {
            lang.t("只读", "viewer")
        } else {
            lang.t("管理员", "administrator")
        };
        let _ = write!(
            out,
            "</ul></nav><div class=\"who\"><span>{}（{role}）</span>\
             <form method=\"post\" action=\"/console/signout\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\" class=\"link\">{}</button></form>",
            esc(name),
            esc(frame.csrf),
            lang.t("退出登录", "Sign out"),
        );
    } else {
        out.push_str("<div class=\"who\">");
    }
    let (to, label) = match lang {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    let _ = write!(
        out,
        "<a href=\"/console/lang?to={to}&amp;back={}\" lang=\"{}\">{label}</a></div></header>\
         <main id=\"main\"><h1>{}</h1>{body}</main>\
         <footer><p>NAC Hub {}</p></footer></body></html>",
        esc(&url_component(frame.path)),
        if to == "en" { "en" } else { "zh-CN" },
        esc(title),
        nac_protocol::APP_VERSION,
    );
    out
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_component(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A message box: `kind` is `ok` or `error` (read out by screen readers as it appears).
pub fn notice(kind: &str, text: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!(
        "<p class=\"notice {kind}\" role=\"{role}\">{}</p>",
        esc(text)
    )
}

/// A table's opening up to its body: the caption and one column header per name (the page's
/// own text, not data: not escaped). Close it with `</tbody></table>`.
pub fn table_head(caption: &str, columns: &[&str]) -> String {
    let mut out = format!("<table><caption>{caption}</caption><thead><tr>");
    for column in columns {
        let _ = write!(out, "<th scope=\"col\">{column}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    out
}

/// The hidden CSRF field of a form.
pub fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(csrf)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_stays_text() {
        assert_eq!(
            esc("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn times_are_shown_in_china_standard_time() {
        // 2026-12-07T13:56:00Z is 21:56 in Beijing.
        assert_eq!(when(Some(1_796_651_760)), "2026-12-07 21:56");
        assert_eq!(when(None), "—");
        let day = nac_protocol::cst_day(1_796_651_760);
        assert_eq!(day_date(day), "2026-12-07");
        assert_eq!(ago(Lang::En, 1_000_000, Some(1_000_000 - 7200)), "2 h ago");
        assert_eq!(ago(Lang::Zh, 1_000_000, None), "从未");
    }
}
