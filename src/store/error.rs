//! Errors a caller can cause, typed so that the command line maps them to
//! exit codes and the console to one clear line.

use crate::domain::State;
use crate::domain::workflow::Forbidden;
use chrono::{DateTime, Utc};

/// Someone else moved the item first.
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
        let at = crate::fmt::beijing(self.at).format("%Y-%m-%d %H:%M:%S");
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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("无权办理：{0}")]
    Forbidden(#[from] Forbidden),
    #[error("{0}")]
    Conflict(Conflict),
    #[error("输入无效：{0}")]
    Invalid(String),
    #[error("不满足条件：{0}")]
    Precondition(String),
    #[error("{0}")]
    Connect(String),
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "数据库的结构版本 {found} 比本程序支持的 {supported} 新，请升级 leqi-console (the database schema is newer than this program: upgrade leqi-console)"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("数据库错误 (database error): {0}")]
    Db(#[from] sqlx::Error),
    #[error("数据库迁移失败 (migration failed): {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// The command line's exit codes: 3 not found, 4 forbidden, 5 conflict
    /// (stale version, already decided, or a precondition such as bound user
    /// units), 6 invalid input, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotFound(_) => 3,
            Error::Forbidden(_) => 4,
            Error::Conflict(_) | Error::Precondition(_) => 5,
            Error::Invalid(_) => 6,
            Error::BadUrl(_) => 2,
            _ => 1,
        }
    }

    /// A short tag for result tables and CSV exports.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(_) => "conflict",
            Error::Precondition(_) => "precondition",
            Error::Invalid(_) => "invalid",
            _ => "error",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
