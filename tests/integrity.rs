//! Integrity: a batch is a set and the database refuses duplicates; shared
//! settings are an administrator's, audited; no stage is left without an
//! officer unseen; the command line's own errors are one line; files are
//! the user's alone. On SQLite and PostgreSQL where a database is involved.

mod common;
use common::*;
use leqi_console::demo::{PROVINCE, SEED_COUNTY};
use leqi_console::domain::*;
use leqi_console::store::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin_in(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("LEQI_DATABASE_URL")
        .output()
        .unwrap()
}

fn bin(db: &str, args: &[&str]) -> Output {
    let home = std::env::temp_dir().join("leqi-integrity-home");
    let url = acting_url(db, args);
    let mut all = vec!["--database", url.as_str()];
    all.extend(args);
    bin_in(&home, &all)
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn one_line(o: &Output) -> String {
    let e = err(o);
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e:?}");
    assert!(!e.contains("panicked") && !e.contains("Usage:"), "{e}");
    e
}

async fn count(s: &Store, sql: &str) -> i64 {
    scalar(s, sql).await
}

#[test]
fn a_batch_is_a_set() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![fresh_sqlite()];
    dbs.extend(rt.block_on(fresh_pg()));
    for db in &dbs {
        let u = db.url.as_str();
        assert!(bin(u, &["demo", "--scale", "300"]).status.success());
        let s = rt.block_on(Store::open(u)).unwrap();
        let ids = rt.block_on(pending_items(
            &s,
            Kind::Extension,
            State::PendingAcceptance,
            3,
        ));
        let (one, a, b) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
        let events = |id: &str| {
            rt.block_on(count(
                &s,
                &format!("SELECT count(*) FROM audit_events WHERE application_id = {id} AND to_state IS NOT NULL"),
            ))
        };
        let claims = |id: &str| {
            rt.block_on(count(
                &s,
                &format!("SELECT count(*) FROM audit_events WHERE application_id = {id} AND action = 'claim'"),
            ))
        };
        // One id named three times: decided once, the repeats said.
        let o = bin(
            u,
            &[
                "--officer",
                "mouxian-zhao",
                "decide",
                "pass",
                &one,
                &one,
                &one,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}: {}", db.label, err(&o));
        assert!(err(&o).contains("重复"), "{}", err(&o));
        assert_eq!(events(&one), 1, "{}: one audit event", db.label);
        // A batch with a repeat: each once, the repeat reported once as skipped.
        let o = bin(
            u,
            &[
                "--officer",
                "mouxian-qian",
                "decide",
                "pass",
                &a,
                &b,
                &a,
                &b,
                &a,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let items = v["items"].as_array().unwrap();
        let outcomes: Vec<&str> = items
            .iter()
            .map(|i| i["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(
            outcomes,
            vec!["done", "done", "duplicate", "duplicate"],
            "{}",
            db.label
        );
        assert_eq!(v["batch"]["total"], 2);
        assert_eq!(o.status.code(), Some(0), "repeats are skipped, not failed");
        assert_eq!((events(&a), events(&b)), (1, 1));
        // The summary counts the repeats it lists as skipped.
        let o = bin(u, &["--officer", "mouxian-qian", "batch", "list"]);
        let listed = String::from_utf8_lossy(&o.stdout).to_string();
        let id = v["batch"]["id"].as_str().unwrap();
        let row = listed.lines().find(|l| l.contains(id)).unwrap_or_default();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells.get(cells.len().wrapping_sub(2)),
            Some(&"2"),
            "{}: {listed}",
            db.label
        );
        // The batch claimed each item once, and its decision ended the claim.
        assert_eq!((claims(&a), claims(&b)), (1, 1));
        // Confirming an invitation listed twice: one binding, one authorisation.
        let inv = rt.block_on(pairs(&s, "SELECT a.id, CAST(a.direct_unit_id AS TEXT) || ':' || CAST(a.unit_id AS TEXT) FROM applications a
            WHERE a.kind = 'invitation' AND a.state = 'pending_confirmation' AND a.county_id = '13301010000'
              AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = a.direct_unit_id AND b.user_unit_id = a.unit_id AND b.active)
            ORDER BY a.id LIMIT 1"));
        let (inv, pair) = inv[0].clone();
        let (d, user) = pair.split_once(':').unwrap();
        let inv = inv.to_string();
        let o = bin(
            u,
            &["--officer", "mouxian-li", "decide", "pass", &inv, &inv],
        );
        assert_eq!(o.status.code(), Some(0), "{}: {}", db.label, err(&o));
        let active = |t: &str, cols: &str| {
            rt.block_on(count(
                &s,
                &format!("SELECT count(*) FROM {t} WHERE active AND {cols}"),
            ))
        };
        assert_eq!(
            active(
                "bindings",
                &format!("direct_unit_id = {d} AND user_unit_id = {user}")
            ),
            1
        );
        assert_eq!(
            active(
                "authorisations",
                &format!("direct_unit_id = {d} AND unit_id = {user}")
            ),
            1
        );
        // Unbinding one binding listed twice: one unbind event.
        let binding = rt.block_on(pairs(&s, &format!("SELECT id, relation FROM bindings WHERE direct_unit_id = {d} AND user_unit_id = {user} AND active")))[0].0.to_string();
        // By an accepting officer of the direct-connect unit's county.
        let county = rt.block_on(pairs(
            &s,
            &format!("SELECT id, bureau_id FROM units WHERE id = {d}"),
        ))[0]
            .1
            .clone();
        let prefix = leqi_console::demo::COUNTIES
            .iter()
            .find(|c| c.0 == county)
            .unwrap()
            .2;
        let officer = format!("{prefix}-zhao");
        let o = bin(
            u,
            &[
                "--officer",
                &officer,
                "unbind",
                &binding,
                &binding,
                "--reason",
                "使用单位申请解除",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}: {}", db.label, err(&o));
        assert_eq!(
            rt.block_on(count(&s, &format!("SELECT count(*) FROM audit_events WHERE binding_id = {binding} AND action = 'unbind'"))),
            1
        );
        // A subscription listed twice in a batch adds its capability once.
        let sub = rt.block_on(pairs(&s, "SELECT id, CAST(unit_id AS TEXT) FROM applications WHERE kind = 'subscription' AND state = 'pending_confirmation' AND county_id = '13301010000' ORDER BY id LIMIT 1"));
        if let Some((sub, unit)) = sub.first() {
            let before = active("capabilities", &format!("unit_id = {unit}"));
            let sub = sub.to_string();
            bin(
                u,
                &[
                    "--officer",
                    "mouxian-li",
                    "decide",
                    "pass",
                    &sub,
                    &sub,
                    &sub,
                ],
            );
            assert!(active("capabilities", &format!("unit_id = {unit}")) <= before + 1);
        }
        rt.block_on(s.close());
    }
}

#[tokio::test]
async fn the_database_refuses_duplicates_and_unknown_states() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let b = pairs(&s, "SELECT id, CAST(direct_unit_id AS TEXT) || ',' || CAST(user_unit_id AS TEXT) || ',' || CAST(invitation_id AS TEXT) FROM bindings WHERE active LIMIT 1").await;
        let cols = &b[0].1;
        let dup = format!(
            "INSERT INTO bindings (direct_unit_id, user_unit_id, invitation_id, relation, since) SELECT direct_unit_id, user_unit_id, invitation_id, relation, since FROM bindings WHERE id = {}",
            b[0].0
        );
        let tries = [
            dup,
            "INSERT INTO capabilities (unit_id, capability) SELECT unit_id, capability FROM capabilities WHERE active LIMIT 1".to_string(),
            "INSERT INTO authorisations (direct_unit_id, unit_id, capability) SELECT direct_unit_id, unit_id, capability FROM authorisations WHERE active LIMIT 1".to_string(),
            "UPDATE applications SET state = 'approved_by_magic' WHERE id = 1".to_string(),
            "UPDATE applications SET kind = 'loan' WHERE id = 1".to_string(),
        ];
        for sql in tries {
            let r = match &s.backend {
                Backend::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(p)
                    .await
                    .map(|_| ()),
                Backend::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(p)
                    .await
                    .map(|_| ()),
            };
            assert!(r.is_err(), "{}: accepted {sql}", db.label);
        }
        let _ = cols;
    }
}

#[test]
fn shared_settings_are_an_administrators_and_audited() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![fresh_sqlite()];
    dbs.extend(rt.block_on(fresh_pg()));
    let dir = tempfile::tempdir().unwrap();
    for db in &dbs {
        let u = db.url.as_str();
        assert!(bin(u, &["demo", "--scale", "300"]).status.success());
        let s = rt.block_on(Store::open(u)).unwrap();
        let q = |sql: &str| rt.block_on(count(&s, sql));
        let officers = q("SELECT count(*) FROM officers");
        let audits = q("SELECT count(*) FROM audit_events");
        // A personal file that sets shared settings changes nothing.
        let personal = dir.path().join("config.toml");
        std::fs::write(&personal, format!("lang = \"zh\"\n[[officers]]\nlogin = \"x\"\nname = \"x\"\nbureau = \"{SEED_COUNTY}\"\nroles = [\"admin\"]\n")).unwrap();
        let o = bin(u, &["--config", personal.to_str().unwrap(), "officers"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(one_line(&o).contains("admin apply"));
        assert_eq!(q("SELECT count(*) FROM officers"), officers);
        // A deployment: invitations confirmed by the province, a new officer.
        let file = dir.path().join("deploy.toml");
        let deploy = format!(
            "[[officers]]\nlogin = \"mouxian-wang\"\nname = \"王五\"\nbureau = \"{SEED_COUNTY}\"\nroles = [\"accept\"]\n\n\
             [[workflow]]\nkind = \"invitation\"\nstage = \"confirmation\"\nlevel = \"province\"\n"
        );
        std::fs::write(&file, &deploy).unwrap();
        let o = bin(
            u,
            &[
                "--officer",
                "mouxian-zhao",
                "admin",
                "apply",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            o.status.code(),
            Some(4),
            "{}: not an administrator",
            db.label
        );
        one_line(&o);
        assert_eq!(
            (
                q("SELECT count(*) FROM officers"),
                q("SELECT count(*) FROM audit_events")
            ),
            (officers, audits)
        );
        // A file with an error: nothing of it is written.
        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            deploy.replace("roles = [\"accept\"]", "roles = [\"accept\", \"boss\"]"),
        )
        .unwrap();
        let o = bin(
            u,
            &[
                "--officer",
                "sheng-zheng",
                "admin",
                "apply",
                bad.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        let e = one_line(&o);
        assert!(
            e.contains("bad.toml") && e.contains("officers[0].roles[1]") && e.contains("boss"),
            "{e}"
        );
        assert_eq!(q("SELECT count(*) FROM officers"), officers);
        // By the administrator: written whole, with its audit event.
        let o = bin(
            u,
            &[
                "--officer",
                "sheng-zheng",
                "admin",
                "apply",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}: {}", db.label, err(&o));
        assert_eq!(
            q("SELECT count(*) FROM officers WHERE login = 'mouxian-wang'"),
            1
        );
        assert_eq!(
            q(
                "SELECT count(*) FROM audit_events WHERE action = 'admin_apply' AND officer = 'sheng-zheng'"
            ),
            1
        );
        // Ordinary runs, with or without a personal config, leave it so.
        std::fs::write(&personal, "lang = \"en\"\n").unwrap();
        bin(u, &["--config", personal.to_str().unwrap(), "officers"]);
        bin(u, &["officers"]);
        let s2 = rt.block_on(Store::open(u)).unwrap();
        assert_eq!(
            s2.workflow
                .rule(Kind::Invitation, Stage::Confirmation)
                .unwrap()
                .level,
            Level::Province,
            "{}: not put back to the defaults",
            db.label
        );
        assert_eq!(
            q("SELECT count(*) FROM audit_events WHERE action = 'admin_apply'"),
            1
        );
        rt.block_on(s.close());
    }
    // A database with no administrator: the first deployment bootstraps it.
    let db = fresh_sqlite();
    let file = dir.path().join("first.toml");
    std::fs::write(
        &file,
        format!(
            "[[bureaus]]\nid = \"{PROVINCE}\"\nname = \"省局\"\nlevel = \"province\"\nprovince = \"{PROVINCE}\"\n\n\
             [[officers]]\nlogin = \"boss\"\nname = \"管理员\"\nbureau = \"{PROVINCE}\"\nroles = [\"admin\"]\n"
        ),
    )
    .unwrap();
    let o = bin(
        &db.url,
        &[
            "--officer",
            "root",
            "admin",
            "apply",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = bin(
        &db.url,
        &[
            "--officer",
            "root",
            "admin",
            "apply",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "once there is an administrator, only they apply"
    );
}

const BEILING: &str = "13301060000";

#[test]
fn no_stage_is_left_without_an_officer_unseen() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![fresh_sqlite()];
    dbs.extend(rt.block_on(fresh_pg()));
    let dir = tempfile::tempdir().unwrap();
    for db in &dbs {
        let u = db.url.as_str();
        let o = bin(u, &["demo", "--scale", "600"]);
        assert!(
            !err(&o).contains("无人可办"),
            "{}: the demo staffs every stage: {}",
            db.label,
            err(&o)
        );
        let o = bin(u, &["workflow", "check"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            db.label,
            String::from_utf8_lossy(&o.stdout)
        );
        // A county's only confirmer leaves (北岭: no other test logs in as
        // them, and on PostgreSQL their login role is the cluster's).
        let file = dir.path().join("leave.toml");
        std::fs::write(&file, format!("[[officers]]\nlogin = \"beiling-li\"\nname = \"李洋\"\nbureau = \"{BEILING}\"\nroles = [\"confirm\"]\nactive = false\n")).unwrap();
        let o = bin(
            u,
            &[
                "--officer",
                "sheng-zheng",
                "admin",
                "apply",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        assert!(
            err(&o).contains("无人可办"),
            "admin apply warns: {}",
            err(&o)
        );
        let o = bin(u, &["workflow", "check", "--json"]);
        assert_eq!(o.status.code(), Some(5));
        let gaps: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let inv = gaps
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["kind"] == "invitation" && g["bureau"] == BEILING)
            .unwrap();
        assert_eq!(inv["stage"], "confirmation");
        assert!(inv["waiting"].as_i64().unwrap() > 0, "{}", db.label);
        let o = bin(
            u,
            &["--officer", "beiling-li", "queue", "--stage", "待确认"],
        );
        assert_eq!(o.status.code(), Some(4), "a disabled officer acts no more");
    }
}

#[test]
fn the_command_lines_own_errors_are_one_line() {
    let db = fresh_sqlite();
    let u = db.url.as_str();
    assert!(bin(u, &["demo", "--scale", "300"]).status.success());
    for args in [
        vec!["show", "abc"],
        vec!["decide", "approve", "1"],
        vec![
            "--officer",
            "mouxian-zhao",
            "queue",
            "--stage",
            "待受理",
            "--limit",
            "-5",
        ],
        vec![
            "--officer",
            "mouxian-zhao",
            "queue",
            "--stage",
            "待受理",
            "--limit",
            "0",
        ],
        vec![
            "--officer",
            "mouxian-zhao",
            "queue",
            "--stage",
            "待受理",
            "--limit",
            "10001",
        ],
        vec![
            "--officer",
            "mouxian-zhao",
            "queue",
            "--stage",
            "待受理",
            "--limit",
            "9223372036854775807",
        ],
        vec!["--lang", "fr", "officers"],
        vec!["batch"],
        vec!["frobnicate"],
    ] {
        let o = bin(u, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(
            one_line(&o).contains("--help") || args.contains(&"fr"),
            "{args:?}"
        );
    }
    for url in ["sqlite:", "sqlite://"] {
        let o = bin(url, &["officers"]);
        assert_eq!(o.status.code(), Some(2), "{url}");
        one_line(&o);
    }
    // A batch of which nothing can be done: said, and no batch recorded.
    let o = bin(
        u,
        &[
            "--officer",
            "mouxian-zhao",
            "decide",
            "pass",
            "999998",
            "999999",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let e = err(&o);
    assert!(
        e.contains("999998") && e.contains("999999") && e.contains("未建立批次"),
        "{e}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(Store::open(u)).unwrap();
    assert_eq!(rt.block_on(count(&s, "SELECT count(*) FROM batches")), 0);
    // Another officer's batch: whose it is.
    let ids = rt.block_on(pending_items(
        &s,
        Kind::Extension,
        State::PendingAcceptance,
        2,
    ));
    let zhao = rt.block_on(s.officer("mouxian-zhao")).unwrap();
    let items: Vec<DecideItem> = ids
        .iter()
        .map(|&id| DecideItem { id, version: None })
        .collect();
    let batch = rt
        .block_on(s.create_batch(&zhao, BatchOp::Decide(Decision::Pass), None, &items))
        .unwrap();
    let o = bin(u, &["--officer", "mouxian-qian", "batch", "resume", &batch]);
    assert_eq!(o.status.code(), Some(4));
    assert!(one_line(&o).contains("mouxian-zhao"));
    // A closed pipe ends the command quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .args([
            "--database",
            u,
            "--officer",
            "mouxian-zhao",
            "queue",
            "--stage",
            "待受理",
            "--limit",
            "5000",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(141)),
        "{:?}",
        out.status
    );
    assert!(out.stderr.is_empty(), "{}", err(&out));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn files_on_a_shared_host_are_the_users_alone() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // Left world-readable by an earlier version.
    let state = h.join("state/leqi-console");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = state.join("leqi-console.log");
    std::fs::write(&log, "").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = bin_in(h, &["demo", "--scale", "100"]);
    assert!(o.status.success(), "{}", err(&o));
    let data = h.join("data/leqi-console");
    let db = data.join("leqi.db");
    assert_eq!((mode(&data), mode(&db)), (0o700, 0o600));
    assert_eq!((mode(&state), mode(&log)), (0o700, 0o600));
    assert_eq!(mode(&state.join("drafts")), 0o700);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("tightened") && said.contains("755"), "{said}");
    // A clean exit closes the database: no -wal or -shm left.
    assert!(!data.join("leqi.db-wal").exists() && !data.join("leqi.db-shm").exists());
    let csv = h.join("out.csv");
    let o = bin_in(h, &["--officer", "mouxian-zhao", "batch", "list"]);
    assert!(o.status.success());
    let url = format!("sqlite://{}", db.display());
    let s = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(Store::open(&url))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids = rt.block_on(pending_items(
        &s,
        Kind::Extension,
        State::PendingAcceptance,
        2,
    ));
    let o = bin_in(
        h,
        &[
            "--officer",
            "mouxian-zhao",
            "decide",
            "pass",
            &ids[0].to_string(),
            &ids[1].to_string(),
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let batch = v["batch"]["id"].as_str().unwrap();
    assert!(
        bin_in(
            h,
            &[
                "--officer",
                "mouxian-zhao",
                "batch",
                "export",
                batch,
                csv.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    assert_eq!(mode(&csv), 0o600, "an export holds taxpayers' data");
}
