//! Errors a caller can cause, typed so that the command line maps them to
//! exit codes and the console to one clear line.

use crate::domain::judge::Refusal;
use crate::domain::workflow::Forbidden;
use crate::domain::{Conflict, FailureKind, Precondition};

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
    Precondition(#[from] Precondition),
    #[error("{0}")]
    Connect(String),
    #[error("{0}")]
    BadUrl(String),
    /// The database's schema is not this program's: whom to ask.
    #[error("{0}")]
    Schema(String),
    #[error(
        "数据库的结构版本 {found} 比本程序支持的 {supported} 新，请升级 leqi-console (the database schema is newer than this program: upgrade leqi-console)"
    )]
    NewerSchema { found: i64, supported: i64 },
    /// A batch of another officer's: only they may run it.
    #[error(
        "批次 {id} 属于 {owner}，只能由其本人继续处理 (batch {id} is {owner}'s: only they can resume it)"
    )]
    NotYourBatch { id: String, owner: String },
    /// A batch none of whose items can be done: each item's reason; no
    /// batch was recorded.
    #[error("{}", nothing_to_do(.0))]
    NothingToDo(Vec<crate::store::ItemResult>),
    /// Named earlier in the same batch: skipped.
    #[error(
        "重复：{0} 在本批中已列出，只办理一次 (repeated: {0} is listed earlier in this batch and is done once)"
    )]
    Repeated(i64),
    /// Another officer's live claim holds the item.
    #[error("{0}")]
    Held(crate::domain::claim::Held),
    /// A refusal the database raised, by its SQLSTATE.
    #[error("{message}")]
    Database { kind: FailureKind, message: String },
    #[error("数据库错误 (database error): {0}")]
    Db(sqlx::Error),
    #[error("数据库迁移失败 (migration failed): {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// A deadlock's victim or a serialisation failure: the transaction was
    /// rolled back and may simply be run again.
    pub fn is_transient(&self) -> bool {
        let Error::Db(e) = self else { return false };
        e.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "40P01" || c == "40001")
    }

    /// The kind of failure: what a batch records and the exit code it maps to.
    pub fn kind(&self) -> FailureKind {
        match self {
            Error::NotFound(_) => FailureKind::NotFound,
            Error::Forbidden(_) | Error::NotYourBatch { .. } => FailureKind::Forbidden,
            Error::Conflict(_) => FailureKind::Conflict,
            Error::Held(_) => FailureKind::Held,
            Error::Precondition(_) => FailureKind::Precondition,
            Error::Invalid(_) => FailureKind::Invalid,
            Error::Repeated(_) => FailureKind::Duplicate,
            Error::Database { kind, .. } => *kind,
            // The batch's code is its first item's.
            Error::NothingToDo(items) => items
                .iter()
                .find_map(|r| r.error.as_ref().map(|f| f.kind))
                .unwrap_or(FailureKind::Invalid),
            _ => FailureKind::Error,
        }
    }

    /// The command line's exit code: a bad database URL is a usage error
    /// (2); everything else by its kind.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadUrl(_) => 2,
            e => e.kind().exit_code(),
        }
    }

    pub fn not_found_application(id: i64) -> Error {
        Error::NotFound(format!("未找到申请 {id} (no such application)"))
    }
}

/// A database error: a refusal by SQLSTATE (the database's functions and
/// privileges) becomes its kind; anything else stays a database error.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        super::secure::refused(&e).unwrap_or(Error::Db(e))
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Repeated(id) => Error::Repeated(id),
            Refusal::NoApplication(id) => Error::not_found_application(id),
            Refusal::NoBinding(id) => {
                Error::NotFound(format!("未找到绑定关系 {id} (no such binding)"))
            }
            Refusal::Conflict(c) => Error::Conflict(c),
            Refusal::Forbidden(f) => Error::Forbidden(f),
            Refusal::ReasonRequired => {
                Error::Invalid(crate::domain::validate::ReasonError::Empty.to_string())
            }
            Refusal::Precondition(p) => Error::Precondition(p),
            Refusal::Held(h) => Error::Held(h),
        }
    }
}

fn nothing_to_do(items: &[crate::store::ItemResult]) -> String {
    let first = items
        .iter()
        .find_map(|r| r.error.as_ref().map(|f| format!("{}：{}", r.id, f.message)))
        .unwrap_or_default();
    format!(
        "{} 项都不能办理，未建立批次；第一项 {first} (none of the {} items can be done: no batch was recorded)",
        items.len(),
        items.len()
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
