//! Batch work against the bare statements it is built from, on both
//! backends, in one run: medians of RUNS runs and their ratios.
//!
//!     LEQI_TEST_POSTGRES_URL=postgres://… cargo bench --bench store
//!
//! Every run gets a fresh database with one province of demo data; each
//! timed operation starts from a checkpointed (SQLite) or vacuumed and
//! checkpointed (PostgreSQL) state, and the clock runs around the work
//! only.

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use leqi_console::demo;
use leqi_console::domain::*;
use leqi_console::store::*;
use std::time::Instant;

const N: usize = 10_000;
const RUNS: usize = 7;
fn runs() -> usize {
    std::env::var("LEQI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(RUNS)
}

/// The chunk the console and the command line use, or LEQI_BATCH_CHUNK.
fn chunk() -> usize {
    std::env::var("LEQI_BATCH_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BATCH_CHUNK)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn open(kind: &str, n: usize, keep: &mut Vec<tempfile::TempDir>) -> Option<Db> {
    let url = match kind {
        "sqlite" => {
            let d = tempfile::tempdir().unwrap();
            let u = format!("sqlite://{}", d.path().join("bench.db").display());
            keep.push(d);
            u
        }
        _ => {
            use sqlx::Connection;
            let admin = std::env::var("LEQI_TEST_POSTGRES_URL")
                .ok()
                .filter(|s| !s.is_empty())?;
            let name = format!("leqi_bench_{}_{n}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut c)
            .await
            .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            // Set up as an administrator would: roles, owner, schema.
            Store::init(&url).await.unwrap().close().await;
            url
        }
    };
    let s = Store::open(&url).await.unwrap();
    // A realistic database around the work: one province of demo data.
    demo::generate(&s, 3000, 1, |_| {}).await.unwrap();
    let as_login = |login: &str| match url.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("postgres") => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://{login}@{host}")
        }
        _ => url.clone(),
    };
    // The officers work through their own logins: on PostgreSQL every
    // write goes through the database's checking functions.
    let zhao = Store::open(&as_login("mouxian-zhao")).await.unwrap();
    let zhou = Store::open(&as_login("sheng-zhou")).await.unwrap();
    Some(Db {
        admin: s,
        zhao,
        zhou,
    })
}

/// One run's database: the administrator's connection (fixtures, bare
/// statements) and two officers' own.
struct Db {
    admin: Store,
    zhao: Store,
    zhou: Store,
}

impl Db {
    /// The same connections, the officers' batches run `lanes` chunks at
    /// a time.
    fn with_lanes(&self, lanes: usize) -> Db {
        let (mut zhao, mut zhou) = (self.zhao.clone(), self.zhou.clone());
        zhao.lanes = lanes;
        zhou.lanes = lanes;
        Db {
            admin: self.admin.clone(),
            zhao,
            zhou,
        }
    }
}

/// Every timed operation starts from the same state.
async fn settle(s: &Store) {
    match &s.backend {
        Backend::Sqlite(p) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .unwrap();
        }
        Backend::Postgres(p) => {
            sqlx::query("VACUUM ANALYZE").execute(p).await.unwrap();
            // No checkpoint falls inside a timed operation.
            sqlx::query("CHECKPOINT").execute(p).await.unwrap();
        }
    }
}

async fn unbind(db: &Db) -> f64 {
    let (_, ids) = fixtures::synthetic_bindings(&db.admin, N).await.unwrap();
    settle(&db.admin).await;
    let s = &db.zhao;
    let o = s.officer("mouxian-zhao").await.unwrap();
    let items: Vec<DecideItem> = ids
        .iter()
        .map(|&id| DecideItem {
            id,
            version: Some(1),
        })
        .collect();
    let t = Instant::now();
    let b = s
        .create_batch(
            &o,
            BatchOp::Unbind,
            Some("直连单位申请退出，解除全部使用单位"),
            &items,
        )
        .await
        .unwrap();
    let info = s.run_batch(&o, &b, chunk(), |_, _| true).await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(info.done, N as i64, "every binding ended");
    ms
}

/// The console's path: the selection claimed in one step as its dialog
/// opens, then the batch run once the officer confirms. Returns (claim,
/// run); the command line does both in one run.
async fn confirm(db: &Db) -> (f64, f64) {
    let ids = fixtures::synthetic_items(&db.admin, Kind::Access, State::PendingConfirmation, N)
        .await
        .unwrap();
    settle(&db.admin).await;
    let s = &db.zhou;
    let o = s.officer("sheng-zhou").await.unwrap();
    let items: Vec<DecideItem> = ids
        .iter()
        .map(|&id| DecideItem {
            id,
            version: Some(1),
        })
        .collect();
    let t = Instant::now();
    let r = s.claim(&o, &ids, 15, None).await.unwrap();
    let claimed = t.elapsed().as_secs_f64() * 1e3;
    assert!(r.iter().all(|c| c.ok()), "every application claimed");
    let t = Instant::now();
    let b = s
        .create_batch(&o, BatchOp::Decide(Decision::Pass), None, &items)
        .await
        .unwrap();
    let info = s.run_batch(&o, &b, chunk(), |_, _| true).await.unwrap();
    let ran = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(info.done, N as i64, "every application confirmed");
    (claimed, ran)
}

/// N versioned updates and N audit inserts in one transaction, one
/// statement (one round trip) each.
async fn bare_per_statement(s: &Store) -> f64 {
    let ids = fixtures::synthetic_items(s, Kind::Extension, State::PendingAcceptance, N)
        .await
        .unwrap();
    settle(s).await;
    let now = now();
    macro_rules! body {
        ($tx:ident) => {
            for id in &ids {
                let r = sqlx::query("UPDATE applications SET state = 'pending_confirmation', version = version + 1, updated_at = $3 WHERE id = $1 AND version = $2")
                    .bind(id)
                    .bind(1i64)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .unwrap();
                assert_eq!(r.rows_affected(), 1);
                sqlx::query("INSERT INTO audit_events (application_id, action, from_state, to_state, officer, at) VALUES ($1, 'accept', 'pending_acceptance', 'pending_confirmation', 'bench', $2)")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .unwrap();
            }
        };
    }
    let t = Instant::now();
    match &s.backend {
        Backend::Sqlite(p) => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await.unwrap();
            body!(tx);
            tx.commit().await.unwrap();
        }
        Backend::Postgres(p) => {
            let mut tx = p.begin().await.unwrap();
            body!(tx);
            tx.commit().await.unwrap();
        }
    }
    t.elapsed().as_secs_f64() * 1e3
}

/// The same work set-wise on PostgreSQL: arrays and unnest, the events
/// chained as the functions chain them (head look-up and hash), nothing
/// checked.
async fn bare_setwise(s: &Store) -> Option<f64> {
    let Backend::Postgres(p) = &s.backend else {
        return None;
    };
    let ids = fixtures::synthetic_items(s, Kind::Extension, State::PendingAcceptance, N)
        .await
        .unwrap();
    settle(s).await;
    let vers = vec![1i64; ids.len()];
    let now = now();
    let t = Instant::now();
    let mut tx = p.begin().await.unwrap();
    // As the functions run (SET jit = off): compiling these statements
    // costs more than running them, and would flatter the ratios.
    sqlx::query("SET LOCAL jit = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let done: Vec<i64> = sqlx::query_scalar(
        "UPDATE applications a SET state = 'pending_confirmation', version = a.version + 1, updated_at = $3
         FROM unnest($1::bigint[], $2::bigint[]) AS u(id, ver) WHERE a.id = u.id AND a.version = u.ver RETURNING a.id",
    )
    .bind(&ids)
    .bind(&vers)
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(done.len(), N);
    sqlx::query(
        "INSERT INTO audit_events (application_id, action, from_state, to_state, officer, at, chain, chain_seq, prev_hash, hash)
         SELECT x.id, 'accept', 'pending_acceptance', 'pending_confirmation', 'bench', $2, x.chain, x.seq, x.prev,
                leqi_event_hash(x.chain, x.seq, x.id, NULL, NULL, NULL, NULL, 'accept', 'pending_acceptance', 'pending_confirmation',
                                'bench', NULL, NULL, $2, NULL, NULL, x.prev)
           FROM (SELECT u.id, 'a' || u.id AS chain, COALESCE(h.chain_seq, 0) + 1 AS seq, COALESCE(h.hash, '') AS prev
                   FROM unnest($1::bigint[]) AS u(id)
                   LEFT JOIN LATERAL (SELECT chain_seq, hash FROM audit_events e WHERE e.chain = 'a' || u.id
                                       ORDER BY chain_seq DESC LIMIT 1) h ON TRUE) x",
    )
    .bind(&done)
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Some(t.elapsed().as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    // `cargo test --benches` runs bench targets with these: do nothing then.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let batch_only = std::env::var("LEQI_BENCH_ONLY").as_deref() == Ok("batch");
    let mut keep = Vec::new();
    println!(
        "{N} items per operation, median of {} runs (ms), chunks of {}\n",
        runs(),
        chunk()
    );
    println!(
        "{:<11} {:>8} {:>8} {:>8} {:>10} {:>9} {:>9} {:>8} {:>8}",
        "backend",
        "unbind",
        "claim",
        "confirm",
        "claim+conf",
        "bare/stmt",
        "bare/set",
        "unbind÷",
        "confirm÷"
    );
    // PostgreSQL as the program runs it (its chunks on BATCH_LANES
    // connections at once) and one chunk at a time, both in every run, on
    // the same database, in alternating order: a pair measured together.
    for kind in ["sqlite", "postgres"] {
        let lanes: Vec<usize> = if kind == "sqlite" {
            vec![1]
        } else {
            vec![BATCH_LANES, 1]
        };
        let mut m: Vec<[Vec<f64>; 4]> = lanes.iter().map(|_| Default::default()).collect();
        let (mut b, mut w) = (vec![], vec![]);
        for run in 0..runs() {
            // A fresh database each run: no run inherits another's rows.
            let Some(db) = open(kind, run, &mut keep).await else {
                break;
            };
            let mut order: Vec<usize> = (0..lanes.len()).collect();
            if run % 2 == 1 {
                order.reverse();
            }
            for &i in &order {
                let db = db.with_lanes(lanes[i]);
                m[i][0].push(unbind(&db).await);
                let (claimed, ran) = confirm(&db).await;
                m[i][1].push(claimed);
                m[i][2].push(ran);
                m[i][3].push(claimed + ran);
            }
            if !batch_only {
                b.push(bare_per_statement(&db.admin).await);
                w.extend(bare_setwise(&db.admin).await);
            }
            for s in [&db.admin, &db.zhao, &db.zhou] {
                s.close().await;
            }
        }
        if m[0][0].is_empty() {
            println!("{kind:<11} skipped: set LEQI_TEST_POSTGRES_URL");
            continue;
        }
        let b = if b.is_empty() { f64::NAN } else { median(b) };
        // The ratio is against the cheapest bare form the backend has.
        let base = if w.is_empty() { b } else { median(w.clone()) };
        let set = if w.is_empty() {
            "—".to_string()
        } else {
            format!("{:.1}", median(w))
        };
        for (i, [u, k, c, kc]) in m.into_iter().enumerate() {
            let row = if kind == "sqlite" {
                kind.to_string()
            } else {
                format!("{kind} ×{}", lanes[i])
            };
            let (u, k, c, kc) = (median(u), median(k), median(c), median(kc));
            println!(
                "{row:<11} {u:>8.1} {k:>8.1} {c:>8.1} {kc:>10.1} {b:>9.1} {set:>9} {:>8.2} {:>8.2}",
                u / base,
                c / base,
            );
        }
    }
    println!(
        "\nunbind:  batch record + {N} bindings ended, their authorisations ended, {N} audit events, per-item results"
    );
    println!(
        "claim:   {N} applications claimed for 15 minutes in one call (leqi_claim, one transaction), {N} audit events:"
    );
    println!("         the step the console takes when a selection's dialog opens");
    println!(
        "confirm: once confirmed: batch record + 待确认 → 确认通过, units made direct-connect, {N} audit events, per-item results"
    );
    println!(
        "claim+conf: the two in one run, as the command line does them (median of the runs' sums)"
    );
    println!(
        "bare/stmt: {N} versioned UPDATEs + {N} audit INSERTs in one transaction, one statement each"
    );
    println!(
        "bare/set:  the same on PostgreSQL with arrays and unnest (two statements), events hash-chained"
    );
    println!(
        "on PostgreSQL the batches run as the officers' own login roles, through leqi_decide / leqi_unbind"
    );
    println!("ratios: against bare/set on PostgreSQL, bare/stmt on SQLite");
    println!(
        "postgres ×{BATCH_LANES}: a batch's chunks {BATCH_LANES} at a time, each on its own connection (as the program runs them); ×1: one at a time"
    );
}
