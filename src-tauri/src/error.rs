//! Errors on their way to the UI: every failure becomes an [`ApiError`] `{code, message, fields}`
//! with the message in the UI's language (the core writes "中文 / English"; we pick one half).
//!
//! The code is an [`ApiCode`]: one of the core's [`ErrorCode`]s or of the app's own
//! [`AppCode`]s, sent as the same plain string. The UI branches on a few of them, so
//! ui/types.d.ts declares both as unions of string literals generated from these enums: a
//! renamed or misspelt code fails the UI's type check (and Rust's build), not silently matching
//! nothing.

use crate::view::{pick, ApiError, FieldMessage, Lang};
use nac_core::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

/// The app's own error codes, next to the core's [`ErrorCode`]s (no string is both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AppCode {
    Image,
    FileName,
    NoSuchJob,
    Fonts,
    ImageTooLarge,
    Task,
    Locked,
    SignedOut,
    UnlockWait,
    Internal,
}

impl AppCode {
    /// Every code (a test checks it against the derived TypeScript union).
    pub const ALL: &'static [AppCode] = &[
        AppCode::Image,
        AppCode::FileName,
        AppCode::NoSuchJob,
        AppCode::Fonts,
        AppCode::ImageTooLarge,
        AppCode::Task,
        AppCode::Locked,
        AppCode::SignedOut,
        AppCode::UnlockWait,
        AppCode::Internal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AppCode::Image => "image",
            AppCode::FileName => "file_name",
            AppCode::NoSuchJob => "no_such_job",
            AppCode::Fonts => "fonts",
            AppCode::ImageTooLarge => "image_too_large",
            AppCode::Task => "task",
            // No station open: the UI shows the passphrase screen.
            AppCode::Locked => "locked",
            // No volunteer signed in (or the idle lock): the UI shows the sign-in.
            AppCode::SignedOut => "signed_out",
            AppCode::UnlockWait => "unlock_wait",
            // The UI's own, for a failure that reached it as no ApiError at all (the bridge to
            // the app failed); never sent by the app.
            AppCode::Internal => "internal",
        }
    }
}

/// An [`ApiError`]'s code: the core's or the app's own, serialized as the plain string.
/// Compares with either kind: `e.code() == ErrorCode::Cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum ApiCode {
    Core(ErrorCode),
    App(AppCode),
}

impl ApiCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiCode::Core(code) => code.as_str(),
            ApiCode::App(code) => code.as_str(),
        }
    }

    /// The code spelt `code`, if there is one.
    pub fn from_code(code: &str) -> Option<ApiCode> {
        let core = ErrorCode::ALL.iter().copied().map(ApiCode::Core);
        let app = AppCode::ALL.iter().copied().map(ApiCode::App);
        core.chain(app).find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ApiCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for ApiCode {
    fn from(code: ErrorCode) -> Self {
        ApiCode::Core(code)
    }
}

impl From<AppCode> for ApiCode {
    fn from(code: AppCode) -> Self {
        ApiCode::App(code)
    }
}

impl PartialEq<ErrorCode> for ApiCode {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == ApiCode::Core(*other)
    }
}

impl PartialEq<AppCode> for ApiCode {
    fn eq(&self, other: &AppCode) -> bool {
        *self == ApiCode::App(*other)
    }
}

/// For assertions written against the strings (`assert_eq!(e.code(), "not_allowed")`); code
/// that branches compares values. A string that is no code panics in debug builds rather than
/// silently never matching.
impl PartialEq<&str> for ApiCode {
    fn eq(&self, other: &&str) -> bool {
        debug_assert!(
            ApiCode::from_code(other).is_some(),
            "{other:?} is not an error code"
        );
        self.as_str() == *other
    }
}

/// `type ErrorCode = "schema_too_new" | …;` for ui/types.d.ts (see [`crate::bindings`]), from
/// [`ErrorCode::ALL`] (the core has no ts-rs).
pub fn error_code_decl() -> String {
    let codes: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    format!("type ErrorCode = {};", codes.join(" | "))
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Core(#[from] nac_core::Error),
    #[error(
        "无法读取图片，请选择PNG或JPEG图片 / cannot read the image; choose a PNG or JPEG picture"
    )]
    Image,
    #[error("文件名应以 .csv 或 .xlsx 结尾 / the file name must end in .csv or .xlsx")]
    FileName,
    #[error("文件读写失败 / file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("该任务已结束 / that job has already finished")]
    NoSuchJob,
    #[error("请先选择至少一位居民 / choose at least one resident to print")]
    NothingToPrint,
    #[error("找不到打印用的中文字体，请安装 fonts-noto-cjk / no Chinese font for printing; install fonts-noto-cjk: {0}")]
    Fonts(String),
    /// A picture to verify that could not be scanned (too large, not an image, decoder failure).
    #[error(transparent)]
    Scan(#[from] nac_scan::ScanError),
    /// Work handed to a background thread did not come back (it panicked, or the app is
    /// shutting down).
    #[error("后台任务意外中止，请重试 / the background task stopped unexpectedly; try again: {0}")]
    Task(#[source] tauri::Error),
    /// Keeping the station unlocked in the system keyring, or locking it (see
    /// `nac_core::keyring`).
    #[error(transparent)]
    Keep(#[from] nac_core::keyring::KeepError),
}

impl AppError {
    /// The code the UI branches on (`invalid`, `duplicate_document`, …) or a general kind.
    /// The app's own kinds a core code already names (`io`, `nothing_to_print`) are that code.
    pub fn code(&self) -> ApiCode {
        match self {
            AppError::Core(e) => e.code().into(),
            AppError::Image => AppCode::Image.into(),
            AppError::FileName => AppCode::FileName.into(),
            AppError::Io(_) => ErrorCode::Io.into(),
            AppError::NoSuchJob => AppCode::NoSuchJob.into(),
            AppError::NothingToPrint => ErrorCode::NothingToPrint.into(),
            AppError::Fonts(_) => AppCode::Fonts.into(),
            AppError::Scan(
                nac_scan::ScanError::TooLarge { .. } | nac_scan::ScanError::Limits(_),
            ) => AppCode::ImageTooLarge.into(),
            AppError::Scan(_) => AppCode::Image.into(),
            AppError::Task(_) => AppCode::Task.into(),
            AppError::Keep(e) => e.code().into(),
        }
    }

    pub fn to_api(&self, lang: Lang) -> ApiError {
        let fields = match self {
            AppError::Core(nac_core::Error::Invalid(errors)) => errors
                .iter()
                .map(|e| FieldMessage {
                    field: e.field.as_str().to_string(),
                    message: pick(lang, &e.message),
                })
                .collect(),
            _ => Vec::new(),
        };
        let message = match self {
            AppError::Core(nac_core::Error::Invalid(_)) => pick(
                lang,
                "请更正标红的项目 / please correct the fields marked in red",
            ),
            other => pick(lang, &other.to_string()),
        };
        ApiError {
            code: self.code(),
            message,
            fields,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use nac_core::{Field, FieldError};

    /// Every code, the core's and the app's, reads the same through `as_str`, `Display` and
    /// serde (what the UI receives), and no two share a string.
    #[test]
    fn every_code_is_one_string_everywhere() {
        let core = ErrorCode::ALL.iter().copied().map(ApiCode::from);
        let app = AppCode::ALL.iter().copied().map(ApiCode::from);
        let mut seen = std::collections::HashSet::new();
        for code in core.chain(app) {
            let text = code.as_str();
            assert_eq!(code.to_string(), text);
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(text))
            );
            assert_eq!(ApiCode::from_code(text), Some(code));
            assert!(seen.insert(text), "{text} is the string of two codes");
        }
        assert!(ApiError::decl().contains("code: ErrorCode | AppCode,"));
        // AppCode::ALL has every variant: the derived union lists as many strings.
        assert_eq!(AppCode::decl().matches('"').count(), 2 * AppCode::ALL.len());
        assert_eq!(
            error_code_decl().matches('"').count(),
            2 * ErrorCode::ALL.len()
        );
    }

    #[test]
    fn invalid_input_becomes_field_messages_in_the_ui_language() {
        let e = AppError::Core(nac_core::Error::Invalid(vec![FieldError::new(
            Field::Name,
            "姓名为空 / name is empty",
        )]));
        assert_eq!(e.code(), ErrorCode::Invalid);
        let zh = e.to_api(Lang::Zh);
        assert_eq!(zh.code, "invalid");
        assert_eq!(zh.fields[0].field, "name");
        assert_eq!(zh.fields[0].message, "姓名为空");
        let en = e.to_api(Lang::En);
        assert_eq!(en.fields[0].message, "name is empty");
        assert!(en.message.contains("correct"));
    }

    #[test]
    fn picture_errors_reach_the_ui_in_one_language() {
        let not_an_image = nac_scan::decode_image(b"hello").err().map(AppError::from);
        let api = not_an_image.map(|e| e.to_api(Lang::Zh));
        assert_eq!(api.as_ref().map(|a| a.code.as_str()), Some("image"));
        assert_eq!(
            api.map(|a| a.message.starts_with("无法读取图片")),
            Some(true)
        );
        let too_large = AppError::from(nac_scan::ScanError::TooLarge { size: 2, max: 1 });
        let api = too_large.to_api(Lang::En);
        assert_eq!(api.code, "image_too_large");
        assert!(
            api.message.starts_with("the picture file is too large"),
            "{}",
            api.message
        );
    }
}
