//! Governance: library proposals, complaints about messages, and the
//! penalty ladder (WeChat's 处罚说明): the 1st violation deletes the
//! offending template, the 2nd bans the app's send APIs for 7 days, the 3rd
//! for 30 days, the 4th for good.

use serde::{Deserialize, Serialize};

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::library::TitleId;
use crate::review::{ProposedKeyword, Verdict, Violation};
use crate::user::OpenId;

/// A proposal of a new library title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub appid: Option<AppId>,
    pub title: String,
    pub keywords: Vec<ProposedKeyword>,
    pub state: Verdict,
    pub violations: Vec<Violation>,
    /// The library title it became, once approved.
    pub title_id: Option<TitleId>,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

impl Proposal {
    /// Records a reviewer's verdict on a pending proposal.
    pub fn decide(&mut self, approve: bool, now: Timestamp) {
        self.state = if approve {
            Verdict::Approved
        } else {
            Verdict::Rejected
        };
        self.decided_at = Some(now);
    }
}

/// Why a recipient complains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComplaintReason {
    Harassment,
    Marketing,
    Induced,
    Other,
}

impl ComplaintReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintReason::Harassment => "harassment",
            ComplaintReason::Marketing => "marketing",
            ComplaintReason::Induced => "induced",
            ComplaintReason::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Ok(match raw {
            "harassment" => ComplaintReason::Harassment,
            "marketing" => ComplaintReason::Marketing,
            "induced" => ComplaintReason::Induced,
            "other" => ComplaintReason::Other,
            _ => {
                return Err(ParseError::new(
                    "reason",
                    "harassment, marketing, induced or other",
                ))
            }
        })
    }
}

/// A complaint about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub id: i64,
    pub appid: AppId,
    pub openid: OpenId,
    pub message_id: i64,
    pub template_id: String,
    pub reason: ComplaintReason,
    pub text: Option<String>,
    /// pending, confirmed or dismissed.
    pub state: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// A rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyAction {
    DeleteTemplate,
    Ban7Days,
    Ban30Days,
    BanPermanent,
}

impl PenaltyAction {
    /// The rung of the `nth` violation (from 1).
    pub fn ladder(nth: u32) -> Self {
        match nth {
            0 | 1 => PenaltyAction::DeleteTemplate,
            2 => PenaltyAction::Ban7Days,
            3 => PenaltyAction::Ban30Days,
            _ => PenaltyAction::BanPermanent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PenaltyAction::DeleteTemplate => "delete_template",
            PenaltyAction::Ban7Days => "ban_7_days",
            PenaltyAction::Ban30Days => "ban_30_days",
            PenaltyAction::BanPermanent => "ban_permanent",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Ok(match raw {
            "delete_template" => PenaltyAction::DeleteTemplate,
            "ban_7_days" => PenaltyAction::Ban7Days,
            "ban_30_days" => PenaltyAction::Ban30Days,
            "ban_permanent" => PenaltyAction::BanPermanent,
            _ => return Err(ParseError::new("action", "unknown penalty")),
        })
    }

    /// When a ban starting `now` ends: `None` for no ban, [`FOREVER`] for a
    /// permanent one.
    pub fn ban_until(self, now: Timestamp) -> Option<Timestamp> {
        match self {
            PenaltyAction::DeleteTemplate => None,
            PenaltyAction::Ban7Days => Some(now.plus_secs(7 * 86_400)),
            PenaltyAction::Ban30Days => Some(now.plus_secs(30 * 86_400)),
            PenaltyAction::BanPermanent => Some(FOREVER),
        }
    }
}

/// The end of a permanent ban.
pub const FOREVER: Timestamp = Timestamp::from_millis(i64::MAX);

/// A penalty an app received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub id: i64,
    pub appid: AppId,
    /// 1 for the app's first violation, and so on.
    pub nth: u32,
    pub action: PenaltyAction,
    pub complaint_id: Option<i64>,
    /// The template deleted (1st violation) or complained about.
    pub template_id: Option<String>,
    pub starts_at: Timestamp,
    /// The end of a ban; `None` for a deletion, [`FOREVER`] for good.
    pub ends_at: Option<Timestamp>,
}

impl Penalty {
    /// The site message (站内信) telling the app.
    pub fn notice(&self) -> (String, String) {
        let what = match self.action {
            PenaltyAction::DeleteTemplate => format!(
                "模板 {} 已删除以示警告",
                self.template_id.as_deref().unwrap_or("")
            ),
            PenaltyAction::BanPermanent => "发送接口已永久封禁".to_owned(),
            _ => format!(
                "发送接口封禁至 {}",
                self.ends_at.map(|t| t.cst_datetime()).unwrap_or_default()
            ),
        };
        (
            format!("第{}次违规处罚", self.nth),
            format!("因用户投诉被确认违规（第{}次）：{what}。", self.nth),
        )
    }
}

/// A site message to an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub appid: AppId,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// Whether an app's send APIs are banned at `now`; the ban's end if so.
pub fn banned(banned_until: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
    banned_until.filter(|until| *until > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_climbs_and_stays_at_the_top() {
        let now = Timestamp::from_millis(1_000);
        let rungs: Vec<_> = (1..=5).map(PenaltyAction::ladder).collect();
        assert_eq!(
            rungs,
            [
                PenaltyAction::DeleteTemplate,
                PenaltyAction::Ban7Days,
                PenaltyAction::Ban30Days,
                PenaltyAction::BanPermanent,
                PenaltyAction::BanPermanent
            ]
        );
        assert_eq!(PenaltyAction::DeleteTemplate.ban_until(now), None);
        assert_eq!(
            PenaltyAction::Ban7Days.ban_until(now),
            Some(now.plus_secs(604_800))
        );
        assert_eq!(banned(Some(now), now), None, "a ban ends at its end");
        assert_eq!(banned(Some(FOREVER), now), Some(FOREVER));
    }
}
