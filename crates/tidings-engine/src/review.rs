//! The automated review of library proposals: the rules 1.1–1.6 for titles
//! and 2.1–2.5 for keywords of WeChat's 审核说明, with the measures and
//! vocabularies written here once (docs/governance.md lists them).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

use crate::error::ParseError;

/// Titles (without their 提醒/通知 suffix) or keywords at least this similar
/// are "too similar" (rules 1.2 and 2.2).
pub const SIMILAR: f64 = 0.8;
/// A title at least this similar to an existing one, but below [`SIMILAR`],
/// waits for an admin's decision.
pub const NEAR: f64 = 0.6;

/// Endings a title must have (rule 1.3).
pub const SUFFIXES: [&str; 2] = ["提醒", "通知"];

/// Marketing words (rules 1.6 and the marketing scan of sends).
pub const MARKETING_WORDS: [&str; 24] = [
    "优惠券",
    "代金券",
    "会员卡",
    "优惠",
    "返利",
    "返现",
    "红包",
    "积分",
    "活动",
    "促销",
    "上新",
    "新品",
    "折扣",
    "打折",
    "特价",
    "秒杀",
    "抢购",
    "满减",
    "领券",
    "福利",
    "抽奖",
    "团购",
    "大促",
    "限时",
];

/// Personalised words that have no place in a shared title or keyword
/// (rules 1.4 and 2.3).
pub const PERSONAL_WORDS: [&str; 14] = [
    "亲爱的",
    "亲",
    "宝宝",
    "宝贝",
    "小主",
    "主人",
    "大人",
    "专属",
    "尊贵",
    "您的",
    "你的",
    "哦",
    "啦",
    "呀",
];

/// Title stems too generic to name a service scenario (rule 1.5).
pub const GENERIC_STEMS: [&str; 12] = [
    "消息", "信息", "系统", "服务", "通用", "重要", "最新", "其他", "一般", "新", "提醒", "通知",
];

/// Keywords too broad to mean anything alone (rule 2.5).
pub const BROAD_KEYWORDS: [&str; 14] = [
    "内容",
    "信息",
    "备注",
    "详情",
    "说明",
    "其他",
    "描述",
    "数据",
    "事项",
    "结果",
    "情况",
    "消息",
    "备注信息",
    "详细信息",
];

/// A keyword of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedKeyword {
    pub name: String,
    #[serde(default)]
    pub example: String,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// `1.1` … `1.6`, `2.1` … `2.5`.
    pub rule: String,
    pub message: String,
}

fn violation(rule: &str, message: impl Into<String>) -> Violation {
    Violation {
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// The review's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approved,
    Rejected,
    /// Passes the rules, but is near an existing title: an admin decides.
    Pending,
}

/// Checks the shape of a proposal (not a rule: a bad request).
pub fn check_shape(title: &str, keywords: &[ProposedKeyword]) -> Result<(), ParseError> {
    if title.trim().is_empty() || title.chars().count() > 30 {
        return Err(ParseError::new("title", "1 to 30 characters"));
    }
    if keywords.is_empty() || keywords.len() > 30 {
        return Err(ParseError::new("keywords", "1 to 30 keywords"));
    }
    for k in keywords {
        if k.name.trim().is_empty() || k.name.chars().count() > 20 {
            return Err(ParseError::new("keywords.name", "1 to 20 characters"));
        }
        if k.example.chars().count() > 100 {
            return Err(ParseError::new(
                "keywords.example",
                "at most 100 characters",
            ));
        }
    }
    Ok(())
}

/// Levenshtein distance over characters.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// 1 − edit distance ÷ the longer length: 1 for equal strings, 0 for
/// strings with nothing in common.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    1.0 - distance(&a, &b) as f64 / longer as f64
}

/// A title without its 提醒/通知 ending.
pub fn stem(title: &str) -> &str {
    SUFFIXES
        .iter()
        .find_map(|s| title.strip_suffix(s))
        .unwrap_or(title)
}

/// A character a title or keyword may hold: CJK, letters and digits.
fn plain(c: char) -> bool {
    c.is_alphanumeric() && !c.is_ascii_punctuation()
}

fn symbols_or_personal(text: &str) -> Option<String> {
    if let Some(c) = text.chars().find(|c| !plain(*c)) {
        return Some(format!("special symbol {c:?}"));
    }
    PERSONAL_WORDS
        .iter()
        .find(|w| text.contains(*w))
        .map(|w| format!("personalised word {w:?}"))
}

/// The marketing words a text holds, in vocabulary order, longer words
/// masking the shorter ones they contain (优惠券 is one hit, not two).
/// One pass over the text finds which words it holds at all; the usual
/// text, holding none, costs no more. Only a text that holds some is
/// masked word by word.
pub fn marketing_hits(text: &str) -> Vec<&'static str> {
    static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::new(MARKETING_WORDS).expect("the marketing words build an automaton")
    });
    let mut held = [false; MARKETING_WORDS.len()];
    for m in WORDS.find_overlapping_iter(text) {
        held[m.pattern().as_usize()] = true;
    }
    if !held.contains(&true) {
        return Vec::new();
    }
    // Masking only takes words away: a word the text does not hold cannot
    // appear in what is left of it.
    let words = MARKETING_WORDS.into_iter().zip(held).filter(|(_, h)| *h);
    mask_in_turn(text, words.map(|(w, _)| w))
}

/// The `words` found in `text`, each masked out before the next is looked
/// for.
fn mask_in_turn(text: &str, words: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut rest = text.to_owned();
    let mut hits = Vec::new();
    for w in words {
        if rest.contains(w) {
            hits.push(w);
            rest = rest.replace(w, "\u{0}");
        }
    }
    hits
}

/// What a keyword's example must look like, from the keyword's name
/// (rule 2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleKind {
    Time,
    Amount,
    Count,
    Code,
    Phone,
    Any,
}

pub fn example_kind(name: &str) -> ExampleKind {
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["时间", "日期", "时段", "期限", "截止", "有效期"]) {
        ExampleKind::Time
    } else if has(&[
        "金额", "价格", "费用", "单价", "总价", "余额", "票价", "运费", "租金", "工资",
    ]) {
        ExampleKind::Amount
    } else if has(&["数量", "人数", "次数", "份数", "件数", "天数", "个数"]) {
        ExampleKind::Count
    } else if has(&["电话", "手机", "联系方式"]) {
        ExampleKind::Phone
    } else if name.ends_with("单号") || name.ends_with("编号") || name.ends_with("号码") {
        ExampleKind::Code
    } else {
        ExampleKind::Any
    }
}

/// Whether an example fits its keyword; the reason when it does not.
pub fn example_fits(name: &str, example: &str) -> Result<(), String> {
    let ex = example.trim();
    if ex.is_empty() {
        return Err("the example is empty".into());
    }
    let digits = ex.chars().filter(char::is_ascii_digit).count();
    let ok = match example_kind(name) {
        ExampleKind::Time => {
            digits > 0
                && ex.chars().any(|c| "年月日时点分:：-/".contains(c))
                && ex
                    .chars()
                    .all(|c| c.is_ascii_digit() || "年月日时点分秒:：-/ 至~上下午".contains(c))
        }
        ExampleKind::Amount => {
            let bare: String = ex.chars().filter(|c| !"¥￥$元,， ".contains(*c)).collect();
            let bare = bare.trim_start_matches("RMB").trim_end_matches("RMB");
            !bare.is_empty() && bare.parse::<f64>().is_ok_and(|v| v.is_finite() && v >= 0.0)
        }
        ExampleKind::Count => digits > 0 && ex.chars().take_while(char::is_ascii_digit).count() > 0,
        ExampleKind::Code => {
            digits > 0
                && ex
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        ExampleKind::Phone => {
            (7..=20).contains(&digits)
                && ex.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c))
        }
        ExampleKind::Any => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{ex:?} is not an example of {name:?} (expected {})",
            match example_kind(name) {
                ExampleKind::Time => "a date or time, like 2026年11月21日 10:00",
                ExampleKind::Amount => "an amount, like 99.50元",
                ExampleKind::Count => "a number, like 3",
                ExampleKind::Code => "letters and digits, like TX20261121001",
                ExampleKind::Phone => "a phone number, like 020-12345678",
                ExampleKind::Any => "text",
            }
        ))
    }
}

/// Reviews a proposal against the library's titles: the broken rules, and
/// the verdict.
pub fn review<'a>(
    title: &str,
    keywords: &[ProposedKeyword],
    existing: impl IntoIterator<Item = &'a str>,
) -> (Verdict, Vec<Violation>) {
    let title = title.trim();
    let mut out = Vec::new();
    let mut nearest: Option<(f64, &str)> = None;
    for other in existing {
        if other == title {
            out.push(violation(
                "1.1",
                format!("the library has the title {other:?}"),
            ));
            continue;
        }
        let sim = similarity(stem(title), stem(other));
        if nearest.is_none_or(|(best, _)| sim > best) {
            nearest = Some((sim, other));
        }
    }
    if let Some((sim, other)) = nearest.filter(|(s, _)| *s >= SIMILAR) {
        out.push(violation(
            "1.2",
            format!("too similar to {other:?} ({sim:.2} ≥ {SIMILAR})"),
        ));
    }
    if !SUFFIXES.iter().any(|s| title.ends_with(s)) {
        out.push(violation("1.3", "a title ends with 提醒 or 通知"));
    }
    if let Some(what) = symbols_or_personal(title) {
        out.push(violation("1.4", format!("the title holds a {what}")));
    }
    let s = stem(title);
    if s.chars().count() < 2 || GENERIC_STEMS.contains(&s) {
        out.push(violation(
            "1.5",
            format!("{s:?} names no service scenario (e.g. 订单发货提醒)"),
        ));
    }
    let hits = marketing_hits(title);
    if !hits.is_empty() {
        out.push(violation(
            "1.6",
            format!("marketing content: {}", hits.join(", ")),
        ));
    }
    for (i, k) in keywords.iter().enumerate() {
        let name = k.name.trim();
        for other in &keywords[..i] {
            let o = other.name.trim();
            if o == name {
                out.push(violation(
                    "2.1",
                    format!("the keyword {name:?} appears twice"),
                ));
            } else if similarity(o, name) >= SIMILAR {
                out.push(violation(
                    "2.2",
                    format!("the keywords {o:?} and {name:?} are too similar"),
                ));
            }
        }
        if let Some(what) = symbols_or_personal(name) {
            out.push(violation(
                "2.3",
                format!("the keyword {name:?} holds a {what}"),
            ));
        }
        if let Err(why) = example_fits(name, &k.example) {
            out.push(violation("2.4", why));
        }
        if BROAD_KEYWORDS.contains(&name) {
            out.push(violation(
                "2.5",
                format!("{name:?} is too broad; say what it holds (e.g. 订单备注)"),
            ));
        }
    }
    let verdict = if !out.is_empty() {
        Verdict::Rejected
    } else if nearest.is_some_and(|(s, _)| s >= NEAR) {
        Verdict::Pending
    } else {
        Verdict::Approved
    };
    (verdict, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(name: &str, example: &str) -> ProposedKeyword {
        ProposedKeyword {
            name: name.into(),
            example: example.into(),
        }
    }

    #[test]
    fn similarity_is_normalized_edit_distance() {
        assert_eq!(similarity("订单发货", "订单发货"), 1.0);
        assert!((similarity("订单发货", "订单已发货") - 0.8).abs() < 1e-9);
        assert!((similarity("购买成功", "购买失败") - 0.5).abs() < 1e-9);
        assert_eq!(stem("订单发货提醒"), "订单发货");
    }

    #[test]
    fn a_good_proposal_passes() {
        let (v, violations) = review(
            "课程预约成功通知",
            &[
                kw("课程名称", "瑜伽入门"),
                kw("上课时间", "2026年11月21日 10:00"),
                kw("课程费用", "99.00元"),
                kw("预约人数", "3"),
                kw("预约单号", "YY20261121001"),
            ],
            ["购买成功通知", "交易提醒"],
        );
        assert_eq!((v, violations), (Verdict::Approved, vec![]));
    }

    #[test]
    fn marketing_hits_count_longer_words_once() {
        assert_eq!(marketing_hits("领取优惠券，参加活动"), ["优惠券", "活动"]);
        assert!(marketing_hits("您的订单已发货").is_empty());
    }

    /// The one-pass scan finds what masking every word in turn finds,
    /// overlapping words included (促销 before 大促, 折扣 before 打折).
    #[test]
    fn marketing_hits_match_masking_every_word_in_turn() {
        let every_word = |t: &str| mask_in_turn(t, MARKETING_WORDS.into_iter());
        let texts = [
            "",
            "您的订单已发货",
            "领取优惠券，参加活动",
            "大促销",
            "打折扣，限时特价秒杀",
            "优惠优惠券优惠",
            "团购抢购购物",
            "红包 積分 积分积分",
            "满减领券福利抽奖上新新品返利返现代金券会员卡",
        ];
        for t in texts {
            assert_eq!(marketing_hits(t), every_word(t), "{t}");
        }
        assert_eq!(marketing_hits("大促销"), ["促销"]);
        assert_eq!(marketing_hits("打折扣"), ["折扣"]);
    }

    #[test]
    fn examples_fit_their_keywords() {
        assert!(example_fits("下单时间", "2026-11-21 10:00").is_ok());
        assert!(example_fits("下单时间", "明天").is_err());
        assert!(example_fits("支付金额", "¥1,299.00").is_ok());
        assert!(example_fits("支付金额", "很多").is_err());
        assert!(example_fits("商品数量", "3件").is_ok());
        assert!(example_fits("订单编号", "订单").is_err());
        assert!(example_fits("联系电话", "020-12345678").is_ok());
        assert!(example_fits("商品名称", "").is_err());
    }
}
