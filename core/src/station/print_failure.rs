//! A render or send that failed, as the frontends report it back to the station: kept apart
//! from the print job so the core's [`Error`](crate::Error) can carry it without depending on
//! the station.

use std::fmt;

/// Why rendering or sending failed, as far as callers branch on it ([`Error::code`](crate::Error::code)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintFailureKind {
    /// Text no installed font can print; nothing was written (`uncovered_text`).
    UncoveredText,
    /// The volunteer stopped the job; nothing was written (`cancelled`).
    Cancelled,
    /// Anything else: fonts, the PDF, the file, CUPS (`print`).
    Other,
}

/// A render or send that failed, carried through the core's [`Error::Print`](crate::Error::Print) so the ledger
/// records it and callers get the usual codes. Shows (and chains) as the renderer's own error,
/// which a frontend may downcast to through [`PrintFailure::inner`].
#[derive(Debug)]
pub struct PrintFailure {
    kind: PrintFailureKind,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl PrintFailure {
    pub fn new(
        kind: PrintFailureKind,
        error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> PrintFailure {
        PrintFailure {
            kind,
            error: error.into(),
        }
    }

    pub fn kind(&self) -> PrintFailureKind {
        self.kind
    }

    /// The renderer's or printer's own error.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }
}

impl fmt::Display for PrintFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Transparent, like the renderer's error it wraps: the same message and the same source.
impl std::error::Error for PrintFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}
