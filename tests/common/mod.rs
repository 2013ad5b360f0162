//! Shared by the integration tests: a fresh database on each backend, demo
//! data, and raw SQL reads for assertions.
#![allow(dead_code)]

pub mod fixtures;
pub mod screen;
use leqi_console::demo;
use leqi_console::domain::*;
use leqi_console::store::*;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestDb {
    pub label: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server for tests. Without one the tests say so where
/// cargo's capture cannot hide it; under CI its absence is a failure.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("LEQI_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but LEQI_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run under CI"
            );
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: PostgreSQL part of this test (set LEQI_TEST_POSTGRES_URL to run it)"
            );
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new database on the test server, set up as an administrator would.
pub async fn fresh_pg() -> Option<TestDb> {
    let db = empty_pg().await?;
    // Roles, owner, schema: `admin init`.
    Store::init(&db.url)
        .await
        .expect("admin init")
        .close()
        .await;
    Some(db)
}

/// A new database on the test server with nothing in it.
pub async fn empty_pg() -> Option<TestDb> {
    use sqlx::Connection;
    let admin = pg_admin_url()?;
    let name = format!(
        "leqi_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .expect("test PostgreSQL reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let url = format!("{base}/{name}");
    Some(TestDb {
        label: "postgres",
        url,
        _dir: None,
    })
}

/// The URL with another login (PostgreSQL; the test server trusts local
/// logins, as a bureau's pg_hba.conf may for its jump host).
pub fn login_url(url: &str, login: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("postgres") => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://{login}@{host}")
        }
        _ => url.to_string(),
    }
}

/// The database URL a command naming `--officer X` connects with: on
/// PostgreSQL X's own login (identity is the login, not the flag).
pub fn acting_url(url: &str, args: &[&str]) -> String {
    match args.iter().position(|a| *a == "--officer") {
        Some(i) if i + 1 < args.len() => login_url(url, args[i + 1]),
        _ => url.to_string(),
    }
}

/// A store connected as the officer `o` (see `as_officer`).
pub async fn st(db: &TestDb, o: &Officer) -> Store {
    Store::open(&login_url(&db.url, &o.login)).await.unwrap()
}

/// A store acting as `login`: on PostgreSQL connected with the officer's
/// own login role, on SQLite the same file.
pub async fn as_officer(db: &TestDb, login: &str) -> (Store, Officer) {
    let s = Store::open(&login_url(&db.url, login)).await.unwrap();
    let o = s.officer(login).await.unwrap();
    (s, o)
}

pub fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    TestDb {
        label: "sqlite",
        url,
        _dir: Some(dir),
    }
}

/// SQLite always, PostgreSQL when a server is given.
pub async fn databases() -> Vec<TestDb> {
    let mut v = vec![fresh_sqlite()];
    v.extend(fresh_pg().await);
    v
}

pub async fn demo_store(db: &TestDb, n: u64) -> Store {
    let s = Store::open(&db.url).await.unwrap();
    demo::generate(&s, n, 1, |_| {}).await.unwrap();
    s
}

pub async fn officer(s: &Store, login: &str) -> Officer {
    s.officer(login).await.unwrap()
}

/// One integer from raw SQL.
pub async fn scalar(s: &Store, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &s.backend {
        Backend::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Backend::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

/// Rows of (i64, String) from raw SQL.
pub async fn pairs(s: &Store, sql: &str) -> Vec<(i64, String)> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &s.backend {
        Backend::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Backend::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

pub async fn exec(s: &Store, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &s.backend {
        Backend::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
        Backend::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
    }
}

/// `n` fresh applications of `kind` in `state` in the seed county.
pub async fn pending_items(s: &Store, kind: Kind, state: State, n: usize) -> Vec<i64> {
    fixtures::synthetic_items(s, kind, state, n).await.unwrap()
}

/// The console of `login` on `store`, headless: its app (started, the
/// clock fixed if given) and the executor its effects run on, with drafts
/// kept in `drafts`.
pub async fn console_app(
    store: &Store,
    login: &str,
    lang: leqi_console::i18n::Lang,
    drafts: &std::path::Path,
    url: &str,
    clock: Option<chrono::DateTime<chrono::Utc>>,
) -> (
    leqi_console::app::App,
    leqi_console::console::executor::Executor,
) {
    use leqi_console::app::{App, Ctx};
    use leqi_console::console::{drafts::Drafts, executor::Executor};
    let officer = store.officer(login).await.unwrap();
    let exec = Executor::new(
        std::sync::Arc::new(store.clone()),
        officer.clone(),
        drafts.join("exports"),
        Drafts::new(Some(drafts.to_path_buf()), url),
    );
    let mut app = App::new(Ctx {
        officer,
        lang,
        embedded: store.is_embedded(),
        keymap: leqi_console::keymap::Keymap::builtin("default").unwrap(),
        workflow: store.workflow.clone(),
        thresholds: store.thresholds.clone(),
        overdue_days: 7,
        claim_minutes: 15,
        clock,
        names: Default::default(),
    });
    let fx = app.start();
    leqi_console::console::headless::settle(&mut app, &exec, fx).await;
    (app, exec)
}

/// Raw SQL with text arguments bound as $1, $2, ... (for poisoning rows).
pub async fn exec_with(s: &Store, sql: &str, args: &[&str]) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &s.backend {
        Backend::Sqlite(p) => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(a.to_string());
            }
            q.execute(p).await.unwrap();
        }
        Backend::Postgres(p) => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(a.to_string());
            }
            q.execute(p).await.unwrap();
        }
    }
}

/// Every character a terminal would obey, but a line break.
pub fn unsafe_chars(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| *c != '\n' && leqi_console::domain::text::is_unsafe(*c))
        .collect()
}
