use thiserror::Error;
use tidings_engine::ParseError;
use tidings_store::StoreError;

/// Everything a service call can refuse or fail with. Dialects map each
/// variant to their own code; messages are safe to show to callers.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("invalid {0}")]
    Invalid(#[from] ParseError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),

    #[error("invalid grant_type")]
    InvalidGrantType,
    #[error("appid missing")]
    AppIdMissing,
    #[error("appsecret missing")]
    SecretMissing,
    #[error("invalid appid")]
    InvalidAppId,
    #[error("invalid appsecret")]
    InvalidSecret,
    #[error("reach max api daily quota limit")]
    TokenQuotaReached,
    #[error("too many failed attempts, retry in {retry_after_secs} s")]
    TooManyFailures { retry_after_secs: i64 },

    #[error("access_token missing")]
    TokenMissing,
    #[error("invalid credential, access_token is invalid or not latest")]
    TokenInvalid,
    #[error("access_token expired")]
    TokenExpired,
    #[error("app is disabled")]
    AppDisabled,

    #[error("admin key missing or wrong")]
    Unauthorized,
    #[error("inbox pass missing, unknown or expired")]
    InboxPassInvalid,

    #[error("api unauthorized: {0}")]
    ApiUnauthorized(&'static str),
    #[error("invalid openid")]
    UnknownUser,
    #[error("invalid template_id")]
    TemplateNotFound,
    #[error("template size out of limit: an app has at most {0} templates")]
    TemplateLimit(u32),
    #[error("invalid form id: unknown, expired, or another user's")]
    GrantInvalid,
    #[error("form id used count reach limit")]
    GrantUsedUp,
    #[error("invalid page: {0}")]
    InvalidPage(ParseError),
    #[error("reach max api daily quota limit: the app's sends for today are used up")]
    SendQuotaReached,
    #[error("data format error: {0}")]
    InvalidData(ParseError),

    #[error("没有对应的雇员")]
    NoEmployees,
    #[error("api unauthorized: the app's send APIs are banned until {until}")]
    Banned { until: String },
    #[error("marketing content is not allowed: {0}")]
    MarketingContent(String),

    #[error("storage failure")]
    Store(#[from] StoreError),
}
