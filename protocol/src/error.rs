//! Why a message, though well-formed JSON, breaks the protocol's rules.

/// A field value the protocol does not allow. The hub answers such an event with a
/// `rejected`/`invalid_event` outcome and stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A field is out of its allowed form or range; the text names the field and the rule.
    #[error("invalid {field}: {rule}")]
    Invalid {
        /// The JSON field, e.g. `event_id` or `code.expires_at`.
        field: &'static str,
        /// The rule it breaks, in English.
        rule: &'static str,
    },
    /// Bytes that should be hex are not (or have the wrong length).
    #[error("invalid hex in {0}")]
    Hex(&'static str),
}

impl ProtocolError {
    pub(crate) fn invalid(field: &'static str, rule: &'static str) -> Self {
        Self::Invalid { field, rule }
    }
}
