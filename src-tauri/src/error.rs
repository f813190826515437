//! Errors on their way to the UI: every failure becomes an [`ApiError`] `{code, message, fields}`
//! with the message in the UI's language (the core writes "中文 / English"; we pick one half).

use crate::view::{pick, ApiError, FieldMessage, Lang};

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
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Core(e) => e.code(),
            AppError::Image => "image",
            AppError::FileName => "file_name",
            AppError::Io(_) => "io",
            AppError::NoSuchJob => "no_such_job",
            AppError::NothingToPrint => "nothing_to_print",
            AppError::Fonts(_) => "fonts",
            AppError::Scan(
                nac_scan::ScanError::TooLarge { .. } | nac_scan::ScanError::Limits(_),
            ) => "image_too_large",
            AppError::Scan(_) => "image",
            AppError::Task(_) => "task",
            AppError::Keep(e) => e.code(),
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
            code: self.code().to_string(),
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

    #[test]
    fn invalid_input_becomes_field_messages_in_the_ui_language() {
        let e = AppError::Core(nac_core::Error::Invalid(vec![FieldError::new(
            Field::Name,
            "姓名为空 / name is empty",
        )]));
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
