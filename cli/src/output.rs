//! How results reach the terminal: a human text in the chosen language, or JSON, plus the exit
//! status. Errors become `{ "error": { "code", "message" } }` in JSON mode.

use nac_core::ErrorCode;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_env() -> Lang {
        let lang = std::env::var("LC_ALL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| std::env::var("LANG").ok())
            .unwrap_or_default();
        if lang.is_empty() || lang.starts_with("zh") || lang == "C" || lang == "C.UTF-8" {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// Picks the text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Picks one side of a core message written as "中文 / English".
    pub fn pick(self, bilingual: &str) -> String {
        let (zh, en) = nac_core::error::split_bilingual(bilingual);
        self.t(zh, en).to_string()
    }
}

pub struct Report {
    pub human: String,
    pub json: Value,
    pub exit: u8,
    /// An error message: printed on standard error.
    pub error: bool,
}

impl Report {
    pub fn ok(human: String, json: Value) -> Report {
        Report {
            human,
            json,
            exit: 0,
            error: false,
        }
    }

    pub fn refused(human: String, json: Value) -> Report {
        Report {
            human,
            json,
            exit: 1,
            error: false,
        }
    }

    pub fn from_error(e: &anyhow::Error, lang: Lang) -> Report {
        let (core_code, message) = match e.downcast_ref::<nac_core::Error>() {
            Some(core) => (Some(core.code()), core.to_string()),
            None => (None, format!("{e:#}")),
        };
        // Refusals by a rule (nothing printable, text no font can print) exit 1; anything
        // else is bad usage or unreadable input.
        let exit = match core_code {
            Some(ErrorCode::UncoveredText | ErrorCode::NothingToPrint) => 1,
            _ => 2,
        };
        let code = core_code.map_or("usage", ErrorCode::as_str);
        Report {
            human: format!("{}: {}", lang.t("错误", "error"), lang.pick(&message)),
            json: json!({ "error": { "code": code, "message": message } }),
            exit,
            error: true,
        }
    }

    pub fn print(&self, json: bool) {
        if json {
            println!("{}", self.json);
        } else if self.error {
            eprintln!("{}", self.human);
        } else if !self.human.is_empty() {
            println!("{}", self.human.trim_end());
        }
    }
}
