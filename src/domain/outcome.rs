//! How an item of work ends: done, still pending, or refused for one of a
//! few kinds of reason. One kind decides the batch result, the console's
//! next step and the command line's exit code.

use super::model::State;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Serialize, Serializer};

/// Why an item was not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    NotFound,
    Forbidden,
    /// Someone else moved the item first (stale version, already decided).
    Conflict,
    /// A condition of the item itself, such as user units still bound.
    Precondition,
    Invalid,
    /// Named again in the same batch: done once, the repeat skipped.
    Duplicate,
    /// Another officer's claim holds it: skipped, not decided.
    Held,
    /// Anything else: the database, the network.
    Error,
}

impl FailureKind {
    pub const ALL: [FailureKind; 8] = [
        FailureKind::NotFound,
        FailureKind::Forbidden,
        FailureKind::Conflict,
        FailureKind::Precondition,
        FailureKind::Invalid,
        FailureKind::Duplicate,
        FailureKind::Held,
        FailureKind::Error,
    ];

    /// The code stored with a batch result and printed in JSON.
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::NotFound => "not_found",
            FailureKind::Forbidden => "forbidden",
            FailureKind::Conflict => "conflict",
            FailureKind::Precondition => "precondition",
            FailureKind::Invalid => "invalid",
            FailureKind::Duplicate => "duplicate",
            FailureKind::Held => "held",
            FailureKind::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// An item's result as officers read it: skipped (a repeat, or held
    /// by another), else failed and why.
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (FailureKind::Duplicate, true) => "跳过（重复）",
            (FailureKind::Duplicate, false) => "skipped (repeat)",
            (FailureKind::Held, true) => "跳过（他人处理中）",
            (FailureKind::Held, false) => "skipped (held)",
            (FailureKind::NotFound, true) => "失败（未找到）",
            (FailureKind::NotFound, false) => "failed (not found)",
            (FailureKind::Forbidden, true) => "失败（无权办理）",
            (FailureKind::Forbidden, false) => "failed (forbidden)",
            (FailureKind::Conflict, true) => "失败（已被改动）",
            (FailureKind::Conflict, false) => "failed (conflict)",
            (FailureKind::Precondition, true) => "失败（条件不满足）",
            (FailureKind::Precondition, false) => "failed (precondition)",
            (FailureKind::Invalid, true) => "失败（输入有误）",
            (FailureKind::Invalid, false) => "failed (invalid)",
            (FailureKind::Error, true) => "失败（错误）",
            (FailureKind::Error, false) => "failed (error)",
        }
    }

    /// The command line's exit code: 3 not found, 4 forbidden, 5 conflict
    /// or precondition, 6 invalid input, 1 anything else. A repeat in a
    /// batch is skipped, not failed: it does not set a batch's code.
    pub fn exit_code(self) -> i32 {
        match self {
            FailureKind::NotFound => 3,
            FailureKind::Forbidden => 4,
            FailureKind::Conflict | FailureKind::Precondition | FailureKind::Held => 5,
            FailureKind::Invalid | FailureKind::Duplicate => 6,
            FailureKind::Error => 1,
        }
    }
}

/// Where one item of a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemOutcome {
    Done,
    Pending,
    Failed(FailureKind),
}

impl ItemOutcome {
    pub fn code(self) -> &'static str {
        match self {
            ItemOutcome::Done => "done",
            ItemOutcome::Pending => "pending",
            ItemOutcome::Failed(k) => k.code(),
        }
    }

    /// A stored code; one this version does not know reads as an error
    /// (it is shown, never dropped).
    pub fn parse(s: &str) -> ItemOutcome {
        match s {
            "done" => ItemOutcome::Done,
            "pending" => ItemOutcome::Pending,
            other => ItemOutcome::Failed(FailureKind::parse(other).unwrap_or(FailureKind::Error)),
        }
    }
}

impl Serialize for ItemOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl Serialize for FailureKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("a valid offset"))
}

/// Someone else moved the item first: who, when, and where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub id: i64,
    pub state: State,
    pub version: i64,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by = self.by.as_deref().unwrap_or("申请人");
        let at = beijing(self.at).format("%Y-%m-%d %H:%M:%S");
        write!(
            f,
            "冲突：{} 已由 {by} 于 {at} 处理，当前状态“{}”（版本 {}） (conflict: item {} was handled by {by} at {at}; it is now {}, version {})",
            self.id,
            self.state.zh(),
            self.version,
            self.id,
            self.state.en(),
            self.version
        )
    }
}

/// A condition of the item that stops the step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Precondition {
    #[error(
        "仍有{0}个使用单位未解除绑定，请先解除 (user units still bound: {0}; unbind them first)"
    )]
    StillBound(i64),
    #[error("绑定关系 {id} 已由 {} 于 {} 解除 (already unbound)", .by.as_deref().unwrap_or("?"), .at.map(|t| beijing(t).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())]
    AlreadyUnbound {
        id: i64,
        by: Option<String>,
        at: Option<DateTime<Utc>>,
    },
    #[error("绑定关系 {id} 已被修改（版本 {version}） (changed since you saw it)")]
    BindingChanged { id: i64, version: i64 },
    #[error("绑定关系 {0} 刚被他人解除或修改 (changed by someone else just now)")]
    BindingTaken(i64),
    #[error(
        "该使用单位已绑定此直连单位，不能再次确认 (the user unit is already bound to this direct-connect unit)"
    )]
    AlreadyBound,
    #[error("该单位已订阅此能力，不能再次确认 (the unit has this capability already)")]
    AlreadySubscribed,
    #[error("监管措施“{}”执行中，不能确认 (the measure {} in force stops it)", .0.zh(), .0.en())]
    Measure(super::model::MeasureKind),
    #[error("该单位不是直连单位 (not a direct-connect unit)")]
    NotDirect,
    #[error("该单位已终止接入服务 (the unit's access was terminated)")]
    Terminated,
    #[error("该单位已有执行中的“{}” (already in force)", .0.zh())]
    InForce(super::model::MeasureKind),
    #[error("终止接入服务不能解除或升级 (a termination is final)")]
    FinalMeasure,
    #[error(
        "只有暂停与限制措施有整改期限，可以升级为终止 (only a suspension or a limit has a deadline to escalate)"
    )]
    NoDeadline,
    #[error("措施 {id} 已是“{}” (the measure was handled first: it is {})", .state.zh(), .state.en())]
    MeasureChanged {
        id: i64,
        state: super::model::MeasureState,
    },
}
