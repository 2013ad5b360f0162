//! The workflow database: SQLite (embedded) or PostgreSQL (a bureau's
//! server) behind one interface. No UI types live here. Writes load what
//! the domain's rules read, ask them, and apply what they plan.

mod audit;
mod batch;
mod bulk;
mod cascade;
mod claim;
mod decide;
mod error;
mod load;
mod maintain;
mod paper;
mod people;
mod queue;
mod secure;
pub(crate) mod sql;
mod supervise;
mod types;
mod unbind;
mod verify;
mod watch;

pub use batch::*;
pub use bulk::*;
pub use claim::{Claim, ClaimResult};
pub use decide::validated_reason;
pub use error::{Error, Result};
pub use supervise::{Imposition, Lapsing, MeasureEnd, SeriousShare, Supervision, WarningStep};
pub use types::*;
pub use verify::{Checkpoint, Finding, Report};
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

/// Before the migrations, as the administrator: the owner role nobody
/// logs in as (it may create officers' roles), the officers' group, the
/// schema closed to everyone else, and what an older version made moved
/// to the owner.
const SECURE_SETUP: &[&str] = &[
    "DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leqi_owner') THEN
            CREATE ROLE leqi_owner NOLOGIN CREATEROLE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leqi_officers') THEN
            CREATE ROLE leqi_officers NOLOGIN;
        END IF;
    END $$",
    "GRANT leqi_owner TO CURRENT_USER",
    "GRANT USAGE, CREATE ON SCHEMA public TO leqi_owner",
    "GRANT USAGE ON SCHEMA public TO leqi_officers",
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    "DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'leqi_owner' LOOP
            EXECUTE format('ALTER TABLE public.%I OWNER TO leqi_owner', r.tablename);
        END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'leqi_owner' LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO leqi_owner', r.f);
        END LOOP;
        FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                  WHERE n.nspname = 'public' AND t.typtype = 'c' AND pg_get_userbyid(t.typowner) <> 'leqi_owner'
                    AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c') LOOP
            EXECUTE format('ALTER TYPE public.%I OWNER TO leqi_owner', r.typname);
        END LOOP;
    END $$",
];

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
    /// PostgreSQL: the session's login, who every write is by.
    pub login: Option<String>,
    /// How many of a batch's chunks run at once, each on its own
    /// connection: PostgreSQL runs them on as many cores; SQLite has one
    /// writer, so there it is always one.
    pub lanes: usize,
}

/// A batch's chunks in flight at once on PostgreSQL: two keeps a 2-core
/// server busy without starving other officers' sessions of the rest.
pub const BATCH_LANES: usize = 2;

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
    /// Opens the database. An SQLite file is the user's own: created if
    /// needed and migrated. A PostgreSQL database is migrated only by its
    /// administrator (`init`); here its schema is checked.
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
            login: None,
            lanes: BATCH_LANES,
        };
        match &store.backend {
            Backend::Sqlite(_) => {
                store.migrate().await?;
                store.maintain().await?;
            }
            Backend::Postgres(p) => {
                store.login = Some(Store::session_login(p).await?);
                store.check_schema().await?;
            }
        }
        // Shared settings are read, never written, here.
        store.workflow = store.load_workflow().await?;
        store.thresholds = store.load_thresholds().await?;
        Ok(store)
    }

    /// What an older version left unfilled: name keys, unchained events.
    async fn maintain(&self) -> Result<()> {
        let filled = self.fill_name_keys().await?;
        if filled > 0 {
            tracing::info!("filled the name keys of {filled} applications");
        }
        let sealed = self.seal_all().await?;
        if sealed > 0 {
            tracing::info!("chained {sealed} audit events");
        }
        Ok(())
    }

    /// An administrator's set-up or upgrade: on PostgreSQL the owner and
    /// officers' roles, the objects made the owner's, the migrations
    /// applied as the owner (with the credentials given, which must be
    /// allowed to create roles); on SQLite what `open` does.
    pub async fn init(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = open_postgres(url).await?;
            let store = Store {
                backend: Backend::Postgres(pool.clone()),
                workflow: Workflow::default(),
                thresholds: ThresholdTable::default(),
                login: None,
                lanes: BATCH_LANES,
            };
            store.secure_and_migrate(&pool).await?;
            store.maintain().await?;
            pool.close().await;
        }
        Store::open(url).await
    }

    /// The roles, the owner's objects, the migrations run as the owner.
    async fn secure_and_migrate(&self, pool: &PgPool) -> Result<()> {
        let mut c = pool.acquire().await?;
        for sql in SECURE_SETUP {
            // Roles are the cluster's: another database set up on the same
            // server at the same moment can race this one's grants (a
            // duplicate membership, a tuple updated concurrently). Such a
            // statement is tried again; it checks before it grants.
            let mut tries = 0;
            let done = loop {
                let r = sqlx::query(*sql).execute(&mut *c).await;
                let racing = r
                    .as_ref()
                    .err()
                    .and_then(|e| e.as_database_error())
                    .and_then(|d| d.code())
                    .is_some_and(|code| {
                        matches!(code.as_ref(), "23505" | "XX000" | "40001" | "40P01")
                    });
                tries += 1;
                if !racing || tries == 5 {
                    break r;
                }
                tokio::time::sleep(Duration::from_millis(50 * tries)).await;
            };
            done.map_err(|e| {
                Error::Connect(format!(
                    "无法设置数据库角色：{} (cannot set up the database roles: connect as the database owner with CREATEROLE, or a superuser)",
                    e.as_database_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string())
                ))
            })?;
        }
        self.check_newer(&mut c).await?;
        sqlx::query("SET ROLE leqi_owner").execute(&mut *c).await?;
        let ran = POSTGRES_MIGRATIONS.run(&mut *c).await;
        sqlx::query("RESET ROLE").execute(&mut *c).await?;
        ran?;
        sqlx::query("GRANT SELECT ON _sqlx_migrations TO leqi_officers")
            .execute(&mut *c)
            .await?;
        // Every registered officer gets their login role (no password:
        // pg_hba.conf decides), able to log in while they are active.
        sqlx::query(
            "DO $$ DECLARE r record; BEGIN
                FOR r IN SELECT login, active FROM officers LOOP
                    BEGIN
                        PERFORM leqi_login_role(r.login, r.active, NULL);
                    EXCEPTION WHEN OTHERS THEN
                        RAISE WARNING 'officer %: %', r.login, SQLERRM;
                    END;
                END LOOP;
            END $$",
        )
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// A database of a newer schema than this program is left alone.
    async fn check_newer(&self, c: &mut sqlx::PgConnection) -> Result<()> {
        let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(&mut *c)
            .await
            .ok()
            .flatten();
        let supported = POSTGRES_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        match found {
            Some(found) if found > supported => Err(Error::NewerSchema { found, supported }),
            _ => Ok(()),
        }
    }

    /// An officer's console on PostgreSQL does not migrate: it says which
    /// schema it found and whom to ask.
    async fn check_schema(&self) -> Result<()> {
        let Backend::Postgres(p) = &self.backend else {
            return Ok(());
        };
        let supported = POSTGRES_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(p)
            .await
            .ok()
            .flatten();
        match found {
            None => Err(Error::Schema(
                "数据库尚未为税务人员的登录设置：请管理员运行 leqi-console admin init（新库）或 admin upgrade（旧库） (the database is not set up for officers' logins: ask your administrator to run `leqi-console admin init`, or `admin upgrade` for an older one)".into()
            )),
            Some(f) if f < supported => Err(Error::Schema(format!(
                "数据库结构版本 {f} 旧于本程序的 {supported}：请管理员运行 leqi-console admin upgrade (the database schema {f} is older than this program's {supported}: ask your administrator to run `leqi-console admin upgrade`)"
            ))),
            Some(found) if found > supported => Err(Error::NewerSchema { found, supported }),
            Some(_) => Ok(()),
        }
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
        // The console's queries are short: compiling them (JIT) costs more
        // than running them.
        .options([("jit", "off")])
        .disable_statement_logging();
    // One direct connection first: a refused or failed login is
    // reported at once, not after the pool's acquire timeout.
    let probe = opts.connect().await.map_err(|e| {
        // A login refused (not allowed to log in, or bad credentials) is
        // a refusal, not an unreachable server.
        let refused = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c.starts_with("28"));
        if refused {
            Error::Forbidden(crate::domain::workflow::Forbidden::Denied(
                describe_connect_error(url, &e),
            ))
        } else {
            Error::Connect(describe_connect_error(url, &e))
        }
    })?;
    probe.close().await.ok();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
        .map_err(|e| Error::Connect(describe_connect_error(url, &e)))?;
    Ok(pool)
}
