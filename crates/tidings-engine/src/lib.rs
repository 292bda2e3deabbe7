//! The Tidings engine: domain types, parsed once at the edge, and the rules
//! that every dialect shares. Nothing in this crate performs I/O.

pub mod app;
pub mod clock;
pub mod error;
pub mod secret;
pub mod token;

pub use app::{App, AppId, AppKind, AppName, Page, Pages};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use error::ParseError;
pub use secret::{AppSecret, SecretHash};
pub use token::{AccessToken, TokenHash, TokenLane, TokenPolicy, TokenRecord, TokenStatus};
