//! The Tidings engine: domain types, parsed once at the edge, and the rules
//! that every dialect shares. Nothing in this crate performs I/O.

pub mod app;
pub mod clock;
pub mod employee;
pub mod error;
pub mod governance;
pub mod inbox;
pub mod library;
pub mod marketing;
pub mod message;
pub mod official;
pub mod review;
pub mod secret;
pub mod segment;
pub mod send_data;
pub mod template;
pub mod token;
pub mod user;
pub mod webhook;
pub mod workspace;
pub mod workspace_template;

pub use app::{App, AppId, AppKind, AppName, Page, Pages, DEFAULT_DAILY_SEND_LIMIT};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use error::ParseError;
pub use inbox::InboxPass;
pub use library::{builtin_library, Keyword, LibraryTitle, TitleId};
pub use marketing::{ContentRow, MarketingTemplate, MiniProgramTarget};
pub use message::{Message, Rendered, Row};
pub use secret::{AppSecret, SecretHash};
pub use segment::{Audience, Match, SendRecord, SendSpec, SendState, Tag};
pub use send_data::SendData;
pub use template::{Template, TemplateId};
pub use token::{AccessToken, TokenHash, TokenLane, TokenPolicy, TokenRecord, TokenStatus};
pub use user::{Grant, GrantId, GrantKind, OpenId, User};
pub use webhook::Webhook;
pub use workspace::Platform;
pub use workspace_template::{SourceType, TemplateDraft, WorkspacePush, WorkspaceTemplate};
