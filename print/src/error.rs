//! Errors. Messages are Chinese-first with the English after, as volunteers see them.

use std::fmt;
use std::path::PathBuf;

use crate::qr::QrFailure;

/// Everything that can stop a print job.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No usable font was found.
    #[error("找不到字体 / font not found: {0}")]
    FontNotFound(String),
    /// A font file could not be read or parsed.
    #[error("字体文件无法读取 / cannot read font {path}: {reason}")]
    Font {
        /// The font file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Some text has characters no available font covers (nothing was written).
    #[error(transparent)]
    Uncovered(#[from] UncoveredText),
    /// A card's QR text cannot be encoded.
    #[error("第 {card} 张卡片（{name}）的二维码无法生成 / card {card} ({name}): {reason}")]
    Qr {
        /// 1-based card number in the input.
        card: usize,
        /// The card's name.
        name: String,
        /// Why.
        reason: QrFailure,
    },
    /// A required field does not fit on the card even at its minimum type size.
    #[error("第 {card} 张卡片（{name}）的{field}太长，无法按最小字号打印 / card {card}: {field} is too long to print at the minimum size")]
    TextTooLong {
        /// 1-based card number.
        card: usize,
        /// The card's name.
        name: String,
        /// Which field.
        field: &'static str,
    },
    /// Nothing to print.
    #[error("没有要打印的卡片 / no cards to print")]
    NoCards,
    /// The progress callback asked to stop; nothing was written.
    #[error("已取消 / cancelled")]
    Cancelled,
    /// The PDF could not be assembled.
    #[error("PDF 生成失败 / PDF error: {0}")]
    Pdf(String),
    /// Writing the output failed.
    #[error("写入失败 / write failed: {0}")]
    Io(#[from] std::io::Error),
    /// Unknown layout name.
    #[error("未知版式 / unknown layout {0:?} (a4-8up, a4-4up, large, household, label-62mm)")]
    UnknownLayout(String),
    /// A printing command (lpstat, lp, xdg-open) is missing or failed: the message says which
    /// and what to do ([`system_message`]).
    #[error("{}", system_message(command, message))]
    System {
        /// The command that failed.
        command: String,
        /// Its error output or the reason.
        message: String,
    },
    /// A printer name that CUPS would not accept (or that could be read as an option).
    #[error("打印机名称无效 / invalid printer name {0:?}")]
    InvalidPrinterName(String),
}

/// Characters that no available font can print, per card and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncoveredText {
    /// One entry per card field with uncovered characters.
    pub items: Vec<UncoveredItem>,
}

/// Uncovered characters in one field of one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncoveredItem {
    /// 1-based card number in the input.
    pub card: usize,
    /// The card's name (as given, so the volunteer can find the person).
    pub name: String,
    /// Which field: "name", "address", …
    pub field: &'static str,
    /// The characters, each once, in order of appearance.
    pub chars: Vec<char>,
}

impl fmt::Display for UncoveredText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "以下文字没有可用字体，无法打印（请改用常用字或联系管理员）/ no installed font covers these characters:"
        )?;
        for item in &self.items {
            write!(
                f,
                "\n  第 {} 张卡片（{}）{}：",
                item.card, item.name, item.field
            )?;
            for (i, c) in item.chars.iter().enumerate() {
                if i > 0 {
                    write!(f, "、")?;
                }
                write!(f, "U+{:04X}", *c as u32)?;
                if !c.is_control() {
                    write!(f, " “{c}”")?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for UncoveredText {}

/// What a failed printing command means to the volunteer, and what to do, in both languages;
/// the command's own words follow in brackets for whoever supports the station.
pub fn system_message(command: &str, message: &str) -> String {
    match command {
        "xdg-open" => format!(
            "无法打开预览：这台电脑没有可用的PDF阅读器。请安装PDF阅读器，或点“保存PDF”后用其他程序打开（{message}） / \
             cannot open the preview: no PDF viewer on this computer. Install one, or save the PDF \
             and open it with another program ({message})"
        ),
        "lpstat" | "lp" => format!(
            "打印机没有响应：请检查打印机已开机并连接，并在“设置”中选择它；也可以先保存PDF（{command}: {message}） / \
             the printer did not answer: check it is on and connected and chosen in Settings, \
             or save the PDF for now ({command}: {message})"
        ),
        _ => format!(
            "打印系统出错，请重试或先保存PDF（{command}: {message}） / the printing system failed; \
             retry or save the PDF for now ({command}: {message})"
        ),
    }
}

#[cfg(test)]
mod system_message_tests {
    use super::system_message;

    #[test]
    fn each_failing_command_says_what_to_do() {
        let preview = system_message("xdg-open", "not found");
        assert!(
            preview.contains("PDF阅读器") && preview.contains("保存PDF"),
            "{preview}"
        );
        let printer = system_message("lp", "no default destination");
        assert!(
            printer.contains("设置") && printer.contains("no default destination"),
            "{printer}"
        );
        assert!(system_message("other", "x").contains("保存PDF"));
    }
}
