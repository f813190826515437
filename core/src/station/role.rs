//! What an account may do: a volunteer renews and prints; an administrator also manages
//! accounts, settings, backups and the hub.

use serde::Serialize;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Volunteer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volunteer => "volunteer",
            Role::Admin => "admin",
        }
    }

    pub(super) fn parse(text: &str) -> Role {
        if text == "admin" {
            Role::Admin
        } else {
            Role::Volunteer
        }
    }
}
