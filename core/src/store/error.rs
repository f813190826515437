//! What can go wrong with the station file, apart from the code that opens and rewrites it so
//! that every part of the store can report it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "数据库版本{found}比本程序支持的版本{supported}新，请升级NAC Station / \
         the database has schema version {found}, newer than this program supports \
         ({supported}); please upgrade NAC Station"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error(
        "数据库升级到版本{version}时发现{broken}处失效引用，未作任何更改 / upgrading the \
         database to schema version {version} found {broken} broken references; nothing was \
         changed"
    )]
    BrokenReferences { version: u32, broken: i64 },
    #[error("无法打开数据库 / cannot open the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "口令不正确，或{}不是本站的数据文件；文件未作任何更改 / wrong passphrase, or {} is \
         not a station data file; the file was not changed",
        .path.display(), .path.display()
    )]
    WrongPassphrase { path: PathBuf },
    #[error(
        "{} 不是站点数据文件 / {} is not a station data file",
        .path.display(), .path.display()
    )]
    NotAStationFile { path: PathBuf },
    #[error("口令太弱 / the passphrase is too weak: {}", .reason.text())]
    WeakPassphrase { reason: WeakReason },
    #[error("无法由口令生成密钥 / could not derive the key from the passphrase")]
    KeyDerivation,
    #[error(
        "数据文件正被其他程序使用，请先关闭NAC Station应用和其他nac命令 / the data file is in \
         use; close the NAC Station app and other nac commands first"
    )]
    InUse,
    #[error("备份文件检查未通过，未作任何更改 / the backup failed its check; nothing was changed: {reason}")]
    BadBackup { reason: String },
    #[error("无法创建或保护数据文件{} / cannot create or protect the data file {}: {source}", .path.display(), .path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why a new passphrase was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakReason {
    TooShort,
    Demo,
    OnlyDigits,
    NamesTheStation,
    Guessable,
}

impl WeakReason {
    /// The reason in Chinese and English, for the error message.
    pub fn text(&self) -> &'static str {
        match self {
            WeakReason::TooShort => "至少8个字符 / it needs at least 8 characters",
            WeakReason::Demo => "不能用演示口令 / it must not be the demo's",
            WeakReason::OnlyDigits => {
                "不能只有数字（电话、日期、证件号容易被猜到） / digits alone (a phone number, a \
                 date, an ID) are guessed first"
            }
            WeakReason::NamesTheStation => {
                "不能包含站点名称或编号 / it must not contain the station's name or id"
            }
            WeakReason::Guessable => {
                "太常见、太容易猜，请用几个不相关的词组成较长的口令 / it is too common or easy \
                 to guess; use a longer phrase of several unrelated words"
            }
        }
    }
}
