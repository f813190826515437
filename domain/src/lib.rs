//! Domain values, validated at the edge so the rest of the core never sees a malformed one.

pub mod address;
pub mod document;
pub mod drafts;
pub mod fields;
pub mod person;

pub use address::{Address, AddressError, AddressPart};
pub use document::{Document, DocumentError, DocumentType};
pub use person::{NameError, PersonName, Phone, PhoneError};

/// In what capacity an application is made (R5): the protocol's, one spelling everywhere.
pub use nac_protocol::{Capacity, CapacityError};
