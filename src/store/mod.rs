//! The workflow database: SQLite (embedded) or PostgreSQL (a bureau's
//! server) behind one interface. No UI types live here.

mod batch;
mod bulk;
mod decide;
mod error;
mod load;
mod types;

pub use batch::*;
pub use bulk::*;
pub use decide::{BatchOp, DecideItem, ItemResult, validated_reason};
pub use error::{Conflict, Error, Result};
pub use types::*;

use crate::domain::workflow::Workflow;
use crate::domain::*;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row};
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
            let path = rest.trim_start_matches("//");
            if path.is_empty() {
                return Err(Error::Connect("sqlite 数据库地址缺少文件路径，例如 sqlite:///tmp/leqi.db (the sqlite URL names no file)".into()));
            }
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
                && !dir.exists()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Connect(format!(
                        "无法创建目录 {}：{e} (cannot create the database folder)",
                        dir.display()
                    ))
                })?;
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
            Backend::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
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
            Backend::Postgres(pool)
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
        store.workflow = store.load_workflow().await?;
        // A new database gets the default workflow written, so that the
        // table holds what the Rust code acts on from the start.
        let stored: i64 = on_pool!(store, |p| sqlx::query_scalar(
            "SELECT count(*) FROM workflow_stages"
        )
        .fetch_one(p)
        .await?);
        if stored == 0 {
            let wf = store.workflow.clone();
            store.save_workflow(&wf).await?;
        }
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

    /// Writes the workflow table (defaults plus configuration) and
    /// recomputes the acting bureau of items whose stage moved level.
    pub async fn save_workflow(&mut self, wf: &Workflow) -> Result<()> {
        in_tx!(self, |tx| {
            async {
            for r in &wf.rules {
                sqlx::query(
                    "INSERT INTO workflow_stages (kind, stage, level, role) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (kind, stage) DO UPDATE SET level = excluded.level, role = excluded.role",
                )
                .bind(r.kind.code())
                .bind(r.stage.code())
                .bind(r.level.code())
                .bind(r.role.code())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE applications SET acting_bureau = CASE WHEN $1 = 'county' THEN county_id ELSE province_id END
                     WHERE kind = $2 AND state = $3 AND acting_bureau IS DISTINCT FROM (CASE WHEN $1 = 'county' THEN county_id ELSE province_id END)",
                )
                .bind(r.level.code())
                .bind(r.kind.code())
                .bind(r.stage.state().code())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ('separation_of_duties', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(if wf.separation_of_duties { "on" } else { "off" })
            .execute(&mut *tx)
            .await?;
            Ok::<_, Error>(())
        }
        .await
        });
        self.workflow = wf.clone();
        Ok(())
    }

    async fn load_workflow(&self) -> Result<Workflow> {
        let mut wf = Workflow::default();
        let rows: Vec<(String, String, String, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT kind, stage, level, role FROM workflow_stages")
                .fetch_all(p)
                .await?
        });
        for (k, s, l, r) in rows {
            if let (Some(kind), Some(stage), Some(level), Some(role)) = (
                Kind::parse(&k),
                Stage::parse(&s),
                Level::parse(&l),
                Role::parse(&r),
            ) {
                let _ = wf.set(crate::domain::workflow::StageRule {
                    kind,
                    stage,
                    level,
                    role,
                });
            }
        }
        let sod: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'separation_of_duties'")
                .fetch_optional(p)
                .await?
        });
        wf.separation_of_duties = sod.as_deref() != Some("off");
        Ok(wf)
    }

    /// Whether the database holds any application or unit.
    pub async fn has_data(&self) -> Result<bool> {
        let n: i64 = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT (SELECT count(*) FROM (SELECT 1 FROM units LIMIT 1) u) + (SELECT count(*) FROM (SELECT 1 FROM officers LIMIT 1) o)")
                .fetch_one(p)
                .await?
        });
        Ok(n > 0)
    }

    pub async fn upsert_bureau(&self, b: &Bureau) -> Result<()> {
        on_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO bureaus (id, name, level, province_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, province_id = excluded.province_id",
            )
            .bind(&b.id)
            .bind(&b.name)
            .bind(b.level.code())
            .bind(&b.province_id)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Creates or replaces an officer and their roles.
    pub async fn upsert_officer(
        &self,
        login: &str,
        name: &str,
        bureau: &str,
        roles: &[Role],
    ) -> Result<()> {
        in_tx!(self, |tx| {
            async {
            sqlx::query(
                "INSERT INTO officers (login, name, bureau_id) VALUES ($1, $2, $3)
                 ON CONFLICT (login) DO UPDATE SET name = excluded.name, bureau_id = excluded.bureau_id",
            )
            .bind(login)
            .bind(name)
            .bind(bureau)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM officer_roles WHERE login = $1").bind(login).execute(&mut *tx).await?;
            for r in roles {
                sqlx::query("INSERT INTO officer_roles (login, role) VALUES ($1, $2)")
                    .bind(login)
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, Error>(())
        }
        .await
        });
        Ok(())
    }

    pub async fn officers(&self) -> Result<Vec<Officer>> {
        let rows = on_pool!(self, |p| {
            sqlx::query(
                "SELECT o.login, o.name, o.bureau_id, b.name AS bureau_name, b.level, b.province_id,
                        (SELECT string_agg(role, ',') FROM officer_roles r WHERE r.login = o.login) AS roles
                 FROM officers o JOIN bureaus b ON b.id = o.bureau_id ORDER BY b.level DESC, o.bureau_id, o.login",
            )
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| -> Result<Officer> {
                let roles: Option<String> = r.try_get("roles")?;
                let mut roles: Vec<Role> = roles.unwrap_or_default().split(',').filter_map(Role::parse).collect();
                roles.sort();
                Ok(Officer {
                    login: r.try_get("login")?,
                    name: r.try_get("name")?,
                    bureau_id: r.try_get("bureau_id")?,
                    bureau_name: r.try_get("bureau_name")?,
                    level: Level::parse(&r.try_get::<String, _>("level")?).unwrap_or(Level::County),
                    province_id: r.try_get("province_id")?,
                    roles,
                })
            })
            .collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    pub async fn officer(&self, login: &str) -> Result<Officer> {
        self.officers().await?.into_iter().find(|o| o.login == login).ok_or_else(|| {
            Error::NotFound(format!(
                "未登记的税务人员“{}”：请用 --officer 指定已登记的登录名，`leqi-console officers` 可列出 (officer not registered: pass --officer with a login that `leqi-console officers` lists)",
                crate::domain::text::inert(login)
            ))
        })
    }
}

/// Tells a console when another connection changed the database.
pub enum Watch {
    /// LISTEN on a dedicated connection; a reconnect may have lost notices.
    Postgres(sqlx::postgres::PgListener),
    /// `PRAGMA data_version` on a dedicated connection changes when any
    /// other connection commits.
    Sqlite(sqlx::SqliteConnection, i64),
}

impl Store {
    pub async fn watch(&self) -> Result<Watch> {
        match &self.backend {
            Backend::Postgres(p) => {
                let mut l = sqlx::postgres::PgListener::connect_with(p).await?;
                l.listen("leqi_changes").await?;
                Ok(Watch::Postgres(l))
            }
            Backend::Sqlite(p) => {
                let mut c = p.acquire().await?.detach();
                let v: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut c)
                    .await?;
                Ok(Watch::Sqlite(c, v))
            }
        }
    }
}

impl Watch {
    /// Waits until something changed. Both a notice and a reconnect count:
    /// notices sent while the listener reconnected are lost, so a
    /// reconnect means reload.
    pub async fn changed(&mut self) -> Result<()> {
        match self {
            Watch::Postgres(l) => {
                match l.try_recv().await? {
                    // Several officers' commits arrive together: take them all.
                    Some(_) => {
                        while let Ok(Ok(Some(_))) =
                            tokio::time::timeout(Duration::from_millis(150), l.try_recv()).await
                        {
                        }
                    }
                    None => tracing::info!("change listener reconnected: reloading"),
                }
                Ok(())
            }
            Watch::Sqlite(c, last) => loop {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let v: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *c)
                    .await?;
                if v != *last {
                    *last = v;
                    return Ok(());
                }
            },
        }
    }
}
