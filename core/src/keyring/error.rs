//! What the keyring can refuse, apart from the keyring so the OS backends below it can say so.

use crate::error::ErrorCode;

/// Why the keyring did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("本机的系统密钥环不可用（{0}），请每次用口令解锁 / the system keyring is not available on this computer ({0}); unlock with the passphrase each time")]
    Unavailable(String),
    #[error("系统密钥环拒绝了操作：{0} / the system keyring refused: {0}")]
    Refused(String),
    #[error("保持解锁的截止时间应在现在之后、24小时之内 / the station can be kept unlocked until a time after now and within 24 hours")]
    BadEnd,
}

impl KeyringError {
    /// A stable code for callers that branch on the kind.
    pub fn code(&self) -> ErrorCode {
        match self {
            KeyringError::Unavailable(_) => ErrorCode::KeyringUnavailable,
            KeyringError::Refused(_) => ErrorCode::Keyring,
            KeyringError::BadEnd => ErrorCode::KeepUntil,
        }
    }
}
