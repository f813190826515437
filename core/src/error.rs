//! The core's error type. Each variant carries a message a volunteer can act on (Chinese first,
//! English second) and a stable [`Error::code`] for callers that branch on the kind of failure.
//!
//! The codes are one enum, [`ErrorCode`], not strings: the UI and the CLI branch on them (and
//! the CLI's JSON prints them), so a renamed or misspelt code must fail to compile (or the UI's
//! type check), not silently stop matching.

/// Validation problems are the domain's: here so `nac_core::error::{Field, FieldError}` keep working.
pub use crate::domain::fields::{Field, FieldError};

pub use crate::error_code::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("数据库错误 / database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("输入有误 / invalid input: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("未找到{what_zh} / {what} not found")]
    NotFound {
        what: &'static str,
        what_zh: &'static str,
    },
    #[error("该证件号码已登记（{name}） / this document number is already registered ({name})")]
    DuplicateDocument { name: String },
    #[error("该地址已有住户 / a household with this address already exists")]
    DuplicateAddress,
    #[error("该户仍有成员，请先移除或迁出成员 / the household still has members; remove or move them first")]
    HouseholdNotEmpty,
    #[error("签发凭证失败 / could not sign the code: {0}")]
    Credential(#[from] nac_credential::CredentialError),
    #[error("操作已取消 / cancelled")]
    Cancelled,
    #[error(transparent)]
    Roster(#[from] crate::roster::RosterError),
    #[error("文件读写失败 / file error: {0}")]
    Io(#[from] std::io::Error),
    /// Rendering or sending a print job failed (the frontends render: see `station::print_job`).
    #[error(transparent)]
    Print(#[from] crate::station::PrintFailure),
    #[error("所选居民都没有有效的核酸码，请先申领 / none of the selected residents has a valid code; renew first")]
    NothingToPrint,
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("这是演示站点，其数据不能注册到区平台或同步 / this is a demo station; it is never enrolled or synced with the hub")]
    DemoStation,
    #[error("{path} 是真实站点的数据文件，不能加入演示数据 / {path} is a real station's data file; demo data is never added to it")]
    NotADemo { path: String },
    #[error("演示数据库已有{residents}位居民，未再生成 / the demo database already holds {residents} residents; nothing added")]
    DemoNotEmpty { residents: u32 },
    #[error("数据库中的签名密钥已损坏 / the signing key stored in the database is damaged")]
    DamagedKey,
    #[error(
        "系统随机数不可用，未作任何更改 / the system's random source failed; nothing was changed"
    )]
    Random,
    #[error(
        "备份属于{backup}，不是本站{current}；未作任何更改（确需替换请加 --force-other-station） / \
         the backup is of {backup}, not of this station {current}; nothing was changed (add \
         --force-other-station to replace it anyway)"
    )]
    OtherStation { current: String, backup: String },
    #[error("本站尚未注册到区平台，请先运行 nac enrol / this station is not enrolled with a hub; run `nac enrol` first")]
    NotEnrolled,
    #[error("本站已注册到区平台（{station}） / this station is already enrolled with the hub as {station}")]
    AlreadyEnrolled { station: String },
    #[error("本站注册前已签发{codes}个核酸码；请在首次申领之前注册 / this station issued {codes} codes before enrolling; enrol a station before its first renewal")]
    CodesBeforeEnrolment { codes: u32 },
    #[error(transparent)]
    Hub(#[from] crate::station::TransportError),
    #[error("正在同步，请稍候 / a sync is already running; wait for it to finish")]
    SyncRunning,
    #[error("只有站点管理员可以{what_zh} / only a station administrator may {what}")]
    NotAllowed {
        what: &'static str,
        what_zh: &'static str,
    },
    #[error("姓名或PIN不正确 / wrong name or PIN")]
    WrongSecret,
    #[error(
        "尝试次数过多，请{wait_secs}秒后再试 / too many wrong attempts; try again in {wait_secs} s"
    )]
    SignInWait { wait_secs: i64 },
    #[error("账号{account}已停用 / the account {account} is disabled")]
    AccountDisabled { account: String },
    #[error("账号{account}已存在 / the account {account} already exists")]
    AccountExists { account: String },
    #[error(
        "PIN应为6位数字，口令至少8个字符 / a PIN is 6 digits; a passphrase at least 8 characters"
    )]
    WeakSecret,
    #[error("区平台已停用本站，停用期间不能签发核酸码，请联系区里 / the district hub has disabled this station; it issues no codes until the hub enables it again")]
    StationDisabled,
    #[error("不能停用最后一位管理员或自己的账号 / the last administrator and your own account cannot be disabled")]
    LastAdministrator,
    #[error("本机时钟比区平台{}，请先校正电脑的日期和时间，再同步一次 / this computer's clock is {} off the district hub's; set the date and time right, then sync once", crate::time::span_zh(*offset_secs), crate::time::span_en(*offset_secs))]
    ClockOff { offset_secs: i64 },
    #[error("本机时钟早于{}（本站最近一次签发或与区平台联系的时间），可能电脑时钟电池没电了；请先校正日期和时间 / this computer's clock is before {} (this station's latest code or its last contact with the hub): the clock battery may be flat; set the date and time right first", crate::time::cst_text(*floor), crate::time::cst_text(*floor))]
    ClockBehind { floor: i64 },
}

/// Splits a core message written as "中文 / English" into its Chinese and English halves
/// (a message without the separator is returned as both).
pub fn split_bilingual(message: &str) -> (&str, &str) {
    match message.split_once(" / ") {
        Some((zh, en)) => (zh.trim(), en.trim()),
        None => (message, message),
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field.label_zh(), e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A stable machine-readable code for the kinds callers branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Store(crate::store::StoreError::SchemaTooNew { .. }) => ErrorCode::SchemaTooNew,
            Error::Store(crate::store::StoreError::WrongPassphrase { .. }) => {
                ErrorCode::WrongPassphrase
            }
            Error::Store(crate::store::StoreError::WeakPassphrase { .. }) => {
                ErrorCode::WeakPassphrase
            }
            Error::Store(crate::store::StoreError::InUse) => ErrorCode::InUse,
            Error::Store(crate::store::StoreError::BadBackup { .. }) => ErrorCode::BadBackup,
            Error::Store(_) | Error::Sqlite(_) => ErrorCode::Database,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::DuplicateDocument { .. } => ErrorCode::DuplicateDocument,
            Error::DuplicateAddress => ErrorCode::DuplicateAddress,
            Error::HouseholdNotEmpty => ErrorCode::HouseholdNotEmpty,
            Error::Credential(_) => ErrorCode::Credential,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::Roster(_) => ErrorCode::RosterFile,
            Error::Io(_) => ErrorCode::Io,
            Error::Print(e) => match e.kind() {
                crate::station::PrintFailureKind::UncoveredText => ErrorCode::UncoveredText,
                crate::station::PrintFailureKind::Cancelled => ErrorCode::Cancelled,
                crate::station::PrintFailureKind::Other => ErrorCode::Print,
            },
            Error::NothingToPrint => ErrorCode::NothingToPrint,
            Error::File(e) => e.code(),
            Error::DemoStation => ErrorCode::DemoStation,
            Error::NotADemo { .. } => ErrorCode::NotADemo,
            Error::DemoNotEmpty { .. } => ErrorCode::DemoNotEmpty,
            Error::DamagedKey => ErrorCode::DamagedKey,
            Error::Random => ErrorCode::RandomFailed,
            Error::OtherStation { .. } => ErrorCode::OtherStation,
            Error::NotEnrolled => ErrorCode::NotEnrolled,
            Error::AlreadyEnrolled { .. } => ErrorCode::AlreadyEnrolled,
            Error::CodesBeforeEnrolment { .. } => ErrorCode::CodesBeforeEnrolment,
            Error::Hub(e) => e.code(),
            Error::SyncRunning => ErrorCode::SyncRunning,
            Error::NotAllowed { .. } => ErrorCode::NotAllowed,
            Error::WrongSecret => ErrorCode::WrongPin,
            Error::SignInWait { .. } => ErrorCode::SigninWait,
            Error::AccountDisabled { .. } => ErrorCode::AccountDisabled,
            Error::AccountExists { .. } => ErrorCode::AccountExists,
            Error::WeakSecret => ErrorCode::WeakPin,
            Error::LastAdministrator => ErrorCode::LastAdministrator,
            Error::StationDisabled => ErrorCode::StationDisabled,
            Error::ClockOff { .. } => ErrorCode::ClockOff,
            Error::ClockBehind { .. } => ErrorCode::ClockBehind,
        }
    }

    pub(crate) fn resident_not_found() -> Error {
        Error::NotFound {
            what: "resident",
            what_zh: "居民",
        }
    }

    pub(crate) fn household_not_found() -> Error {
        Error::NotFound {
            what: "household",
            what_zh: "住户",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<getrandom::Error> for Error {
    fn from(_: getrandom::Error) -> Self {
        Error::Random
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// Every code reads the same through `as_str`, `Display` and serde (what the UI and the
    /// CLI's JSON receive), and no two codes share a string.
    #[test]
    fn every_code_is_one_string_everywhere() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let text = code.as_str();
            assert_eq!(code.to_string(), text);
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(text))
            );
            assert_eq!(ErrorCode::from_code(text), Some(code));
            assert!(seen.insert(text), "{text} is the string of two codes");
        }
    }
}
