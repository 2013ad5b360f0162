//! The workflow database: SQLite (embedded) or PostgreSQL (a bureau's
//! server) behind one interface. No UI types live here. Writes load what
//! the domain's rules read, ask them, and apply what they plan.

mod batch;
mod bulk;
mod cascade;
mod decide;
mod error;
mod load;
mod maintain;
mod paper;
mod people;
mod queue;
pub(crate) mod sql;
mod types;
mod unbind;
mod watch;

pub use batch::*;
pub use bulk::*;
pub use decide::validated_reason;
pub use error::{Error, Result};
pub use types::*;
pub use watch::Watch;

pub use crate::domain::Conflict;
use crate::domain::judge::Item;
use crate::domain::workflow::Workflow;
use crate::domain::*;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool this store has. The body is
/// expanded once per backend, so it must use only SQL both dialects accept.
macro_rules! on_pool {
    ($self:expr, |$p:ident| $body:expr) => {
        match &$self.backend {
            $crate::store::Backend::Sqlite($p) => $body,
            $crate::store::Backend::Postgres($p) => $body,
        }
    };
}
/// Like `on_pool!` inside a write transaction: `BEGIN IMMEDIATE` on SQLite
/// (a deferred one fails at once under contention), a plain one on
/// PostgreSQL. An early return or error rolls back.
macro_rules! in_tx {
    ($self:expr, |$tx:ident| $body:expr) => {
        match &$self.backend {
            $crate::store::Backend::Sqlite(p) => {
                let mut $tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let r = $body?;
                $tx.commit().await?;
                r
            }
            $crate::store::Backend::Postgres(p) => {
                let mut $tx = p.begin().await?;
                let r = $body?;
                $tx.commit().await?;
                r
            }
        }
    };
}
pub(crate) use {in_tx, on_pool};

#[derive(Clone, Debug)]
pub struct Store {
    pub backend: Backend,
    pub workflow: Workflow,
    pub thresholds: ThresholdTable,
}

/// Time as stored: whole microseconds, so that SQLite's text and
/// PostgreSQL's timestamps compare the same.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The client an officer works from, for the audit trail.
pub fn client() -> Option<String> {
    std::env::var("SSH_CONNECTION")
        .ok()
        .filter(|s| !s.is_empty())
}

fn describe_connect_error(url: &str, e: &sqlx::Error) -> String {
    let shown = redact(url);
    match e {
        sqlx::Error::Io(io) => format!(
            "无法连接数据库 {shown}：{io} (cannot reach the database server; is it running?)"
        ),
        sqlx::Error::Database(d) => format!(
            "数据库 {shown} 拒绝连接：{} (the server refused the connection)",
            d.message()
        ),
        other => format!("无法打开数据库 {shown}：{other} (cannot open the database)"),
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens (creating an SQLite file if needed) and migrates.
    pub async fn open(url: &str) -> Result<Store> {
        let backend = if let Some(rest) = url.strip_prefix("sqlite:") {
            Backend::Sqlite(open_sqlite(url, rest.trim_start_matches("//")).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(open_postgres(url).await?)
        } else {
            return Err(Error::BadUrl(format!(
                "不支持的数据库地址“{}”：请用 sqlite:///路径 或 postgres://用户@主机/库 (unsupported database URL: use sqlite:///PATH or postgres://USER@HOST/DB)",
                crate::domain::text::inert(&redact(url))
            )));
        };
        let mut store = Store {
            backend,
            workflow: Workflow::default(),
            thresholds: ThresholdTable::default(),
        };
        store.migrate().await?;
        let filled = store.fill_name_keys().await?;
        if filled > 0 {
            tracing::info!("filled the name keys of {filled} applications");
        }
        // Shared settings are read, never written, here.
        store.workflow = store.load_workflow().await?;
        store.thresholds = store.load_thresholds().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match &self.backend {
            Backend::Sqlite(_) => &SQLITE_MIGRATIONS,
            Backend::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        // Fails when the table does not exist yet: a new database.
        let applied: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
                .fetch_one(p)
                .await
                .ok()
                .flatten()
        });
        let supported = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        if let Some(found) = applied
            && found > supported
        {
            return Err(Error::NewerSchema { found, supported });
        }
        match &self.backend {
            Backend::Sqlite(p) => migrator.run(p).await?,
            Backend::Postgres(p) => migrator.run(p).await?,
        }
        Ok(())
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Sqlite(_))
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

/// An SQLite file (its folder made if missing), WAL, `synchronous=NORMAL`.
async fn open_sqlite(url: &str, path: &str) -> Result<SqlitePool> {
    if path.is_empty() {
        return Err(Error::BadUrl("sqlite 数据库地址缺少文件路径，例如 sqlite:///tmp/leqi.db (the sqlite URL names no file)".into()));
    }
    // The file is the user's own: made 0600 before SQLite opens it (its
    // -wal and -shm files take the same mode), tightened if found looser.
    let tightened = crate::files::private_file(std::path::Path::new(path)).map_err(|e| {
        Error::Connect(format!(
            "无法创建数据库文件 {}：{e} (cannot create the database file)",
            crate::domain::text::inert(path)
        ))
    })?;
    for line in tightened {
        tracing::warn!("{line}");
    }
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
        .map_err(|e| Error::BadUrl(describe_connect_error(url, &e)))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        // Checkpoints run when the console is idle (see Watch), not
        // inside an officer's decision; this is the backstop.
        .pragma("wal_autocheckpoint", "8000")
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .map_err(|e| Error::Connect(describe_connect_error(url, &e)))?;
    Ok(pool)
}

/// A PostgreSQL pool, after one direct connection.
async fn open_postgres(url: &str) -> Result<PgPool> {
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| {
            Error::BadUrl(format!(
                "数据库地址无效 {}：{e} (bad PostgreSQL URL)",
                redact(url)
            ))
        })?
        .disable_statement_logging();
    // One direct connection first: a refused or failed login is
    // reported at once, not after the pool's acquire timeout.
    let probe = opts
        .connect()
        .await
        .map_err(|e| Error::Connect(describe_connect_error(url, &e)))?;
    probe.close().await.ok();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
        .map_err(|e| Error::Connect(describe_connect_error(url, &e)))?;
    Ok(pool)
}
