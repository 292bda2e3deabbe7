//! Service errors as WeChat error codes.

use tidings_service::ServiceError;

use super::wire::WxError;

impl From<ServiceError> for WxError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        let code = match &e {
            E::InvalidGrantType => 40002,
            E::AppIdMissing => 41002,
            E::SecretMissing => 41004,
            E::InvalidAppId => 40013,
            E::InvalidSecret => 40125,
            E::TokenQuotaReached => 45009,
            E::TooManyFailures { .. } => 45011,
            E::TokenMissing => 41001,
            E::TokenInvalid | E::Unauthorized | E::InboxPassInvalid => 40001,
            E::TokenExpired => 42001,
            E::AppDisabled => 50002,
            E::Invalid(_) | E::NotFound(_) => 40097,
            E::ApiUnauthorized(_) | E::Banned { .. } => 48001,
            E::UnknownUser | E::NoEmployees => 40003,
            E::TemplateNotFound => 40037,
            E::TemplateLimit(_) => 45026,
            E::GrantInvalid => 41028,
            E::GrantUsedUp => 41029,
            E::InvalidPage(_) => 41030,
            E::SendQuotaReached => 45009,
            E::InvalidData(_) | E::MarketingContent(_) => 47001,
            E::Conflict(_) => -1,
            E::Store(inner) => {
                tracing::error!(error = %inner, "store failure");
                -1
            }
        };
        let msg = match &e {
            E::TooManyFailures { retry_after_secs } => format!(
                "api minute-quota reach limit mustslower retry next minute: too many wrong credentials, retry in {retry_after_secs} s"
            ),
            E::Invalid(p) => format!("invalid args: {p}"),
            E::NotFound(what) => format!("invalid args: {what} not found"),
            E::Store(_) | E::Conflict(_) => "system error".to_owned(),
            other => other.to_string(),
        };
        WxError::new(code, msg)
    }
}
