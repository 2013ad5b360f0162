//! A PostgreSQL that trusts no client (issue 10): officers connect as
//! their own login roles and, with plain SQL as psql would send it, can do
//! nothing the console would refuse them; the write functions refuse with
//! their SQLSTATEs; row-level security hides other counties; and whatever
//! a superuser changes behind the console's back, `audit verify` names.

mod common;
use common::*;
use leqi_console::demo::{PROVINCE, SEED_COUNTY};
use leqi_console::domain::audit;
use sqlx::{Connection, PgConnection, Row};
use std::process::{Command, Output};

fn bin(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .arg("--database")
        .arg(url)
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("leqi-security-none"),
        )
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn connect(db: &TestDb, login: &str) -> PgConnection {
    PgConnection::connect(&login_url(&db.url, login))
        .await
        .unwrap()
}

/// The SQLSTATE a statement fails with (None if it succeeds).
async fn sqlstate(c: &mut PgConnection, sql: &str) -> Option<String> {
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *c)
        .await
    {
        Ok(_) => None,
        Err(e) => Some(
            e.as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.to_string())
                .unwrap_or_else(|| format!("not a database error: {e}")),
        ),
    }
}

/// One item's code from `leqi_decide`.
async fn decide_code(
    c: &mut PgConnection,
    id: i64,
    version: Option<i64>,
    d: &str,
) -> (String, String) {
    let row = sqlx::query(
        "SELECT code, detail FROM leqi_decide(ARRAY[$1::bigint], ARRAY[$2::bigint], $3, $4)",
    )
    .bind(id)
    .bind(version)
    .bind(d)
    .bind(if d == "reject" { Some("理由") } else { None })
    .fetch_one(&mut *c)
    .await
    .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn an_officer_with_psql_can_do_nothing_the_console_would_refuse() {
    let Some(db) = fresh_pg().await else { return };
    let admin = demo_store(&db, 600).await;
    let mut zhao = connect(&db, "mouxian-zhao").await;
    let before = scalar(&admin, "SELECT count(*) FROM audit_events").await;
    let app1 = admin.application(1).await.unwrap();
    // Every direct write, to any table, and every change of the schema.
    for sql in [
        "UPDATE applications SET state = 'confirmed', version = version + 1 WHERE id = 1",
        "INSERT INTO audit_events (application_id, action, from_state, to_state, officer, at) VALUES (1, 'confirm_pass', 'pending_confirmation', 'confirmed', 'sheng-wu', now())",
        "UPDATE audit_events SET officer = 'sheng-wu', reason = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DROP TABLE audit_events",
        "ALTER TABLE applications DISABLE ROW LEVEL SECURITY",
        "INSERT INTO officer_roles (login, role) VALUES ('mouxian-zhao', 'admin')",
        "UPDATE workflow_stages SET level = 'county', role = 'accept'",
        "DELETE FROM bindings",
        "UPDATE units SET direct_connect = true",
        "SELECT leqi_append(ARRAY[]::leqi_event[], 'sheng-wu', NULL, now(), NULL, NULL)",
        "SELECT leqi_login_role('mouxian-zhao', true, 'secret')",
        "SELECT leqi_exit_cascade(ARRAY[1::bigint], 'sheng-wu', NULL, now(), NULL, NULL)",
        "CREATE TABLE public.mine (x int)",
    ] {
        assert_eq!(
            sqlstate(&mut zhao, sql).await.as_deref(),
            Some("42501"),
            "refused: {sql}"
        );
    }
    // A batch is its officer's: no events slipped into another's, no
    // taking another's next id.
    let mut qian = connect(&db, "mouxian-qian").await;
    assert_eq!(
        sqlstate(&mut qian, "SELECT leqi_batch_create('B20261121000000-mouxian-qian-0001', 'pass', NULL, 1, '[[1,null]]', NULL)").await,
        None
    );
    assert_eq!(
        sqlstate(&mut zhao, "SELECT * FROM leqi_decide(ARRAY[1::bigint], ARRAY[NULL::bigint], 'pass', NULL, true, 'B20261121000000-mouxian-qian-0001')").await.as_deref(),
        Some("42501")
    );
    assert_eq!(
        sqlstate(&mut zhao, "SELECT leqi_batch_create('B20261121000000-mouxian-qian-0002', 'pass', NULL, 1, '[]', NULL)").await.as_deref(),
        Some("LQ003")
    );
    assert_eq!(
        sqlstate(&mut zhao, "SELECT * FROM leqi_unbind(ARRAY[1::bigint], ARRAY[NULL::bigint], '理由', true, 'B20261121000000-mouxian-qian-0001')").await.as_deref(),
        Some("42501")
    );
    // Administrative functions, as a non-administrator.
    for sql in [
        "SELECT leqi_admin_apply('{\"bureaus\": [], \"officers\": [], \"workflow\": [], \"separation_of_duties\": false}', 'x')",
        "SELECT leqi_officer_add('eve', '夏娃', '13301010000', ARRAY['admin'])",
        "SELECT leqi_officer_disable('mouxian-qian')",
    ] {
        assert_eq!(
            sqlstate(&mut zhao, sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
    assert_eq!(
        scalar(&admin, "SELECT count(*) FROM audit_events").await,
        before
    );
    assert_eq!(admin.application(1).await.unwrap(), app1, "nothing changed");
    assert_eq!(
        scalar(
            &admin,
            "SELECT count(*) FROM officer_roles WHERE role = 'admin'"
        )
        .await,
        1
    );

    // What the county officer sees: their county only.
    for (table, other) in [
        ("applications", "county_id <> '13301010000'"),
        (
            "materials",
            "application_id IN (SELECT id FROM applications WHERE county_id <> '13301010000')",
        ),
        (
            "audit_events",
            "application_id IN (SELECT id FROM applications WHERE county_id <> '13301010000')",
        ),
        (
            "bindings",
            "direct_county <> '13301010000' AND user_county <> '13301010000'",
        ),
    ] {
        let sql = format!("SELECT count(*) FROM {table} WHERE {other}");
        let seen: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(&mut zhao)
            .await
            .unwrap();
        let there = scalar(&admin, &sql).await;
        assert!(there > 0, "{table}: the other counties have rows");
        assert_eq!(seen, 0, "{table}: another county's rows are not visible");
    }
    let mine: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&mut zhao)
        .await
        .unwrap();
    assert_eq!(
        mine,
        scalar(
            &admin,
            &format!("SELECT count(*) FROM applications WHERE county_id = '{SEED_COUNTY}'")
        )
        .await
    );
    // The province sees its counties.
    let mut zhou = connect(&db, "sheng-zhou").await;
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&mut zhou)
        .await
        .unwrap();
    assert_eq!(
        all,
        scalar(
            &admin,
            &format!("SELECT count(*) FROM applications WHERE province_id = '{PROVINCE}'")
        )
        .await
    );

    // The write function, item by item.
    let other = scalar(&admin, "SELECT min(id) FROM applications WHERE state = 'pending_acceptance' AND county_id <> '13301010000'").await;
    assert_eq!(
        decide_code(&mut zhao, other, None, "pass").await.0,
        "42501",
        "another bureau's item"
    );
    let confirm = scalar(&admin, "SELECT min(id) FROM applications WHERE state = 'pending_confirmation' AND kind = 'invitation' AND county_id = '13301010000'").await;
    assert_eq!(
        decide_code(&mut zhao, confirm, None, "pass").await,
        ("42501".to_string(), "missing_role:confirm".to_string()),
        "a stage whose role is not theirs"
    );
    let mine = scalar(&admin, "SELECT min(id) FROM applications WHERE state = 'pending_acceptance' AND kind = 'access' AND county_id = '13301010000'").await;
    let v = scalar(
        &admin,
        &format!("SELECT version FROM applications WHERE id = {mine}"),
    )
    .await;
    assert_eq!(
        decide_code(&mut zhao, mine, Some(v - 1), "pass").await.0,
        "LQ001",
        "a stale version"
    );
    assert_eq!(
        decide_code(&mut zhao, mine, Some(v), "pass").await.0,
        "00000"
    );
    assert_eq!(
        decide_code(&mut zhao, mine, Some(v), "pass").await.0,
        "LQ001",
        "twice in a row"
    );
    assert_eq!(
        decide_code(&mut zhao, mine, None, "pass").await,
        ("42501".to_string(), "separation".to_string()),
        "the review of what they accepted"
    );
    assert_eq!(
        decide_code(&mut zhao, 99_999_999, None, "pass").await.0,
        "LQ005"
    );
    let (_, _) = decide_code(&mut zhao, other, None, "reject").await;
    // The event is the login's, whatever the caller might claim.
    let by: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT officer FROM audit_events WHERE application_id = {mine} ORDER BY id DESC LIMIT 1"
    )))
    .fetch_one(&mut zhao)
    .await
    .unwrap();
    assert_eq!(by, "mouxian-zhao");
    // A login that is not a registered officer may not act at all.
    sqlx::raw_sql("DO $$ BEGIN CREATE ROLE stranger LOGIN IN ROLE leqi_officers; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        .execute(&mut PgConnection::connect(&db.url).await.unwrap())
        .await
        .unwrap();
    let mut stranger = PgConnection::connect(&login_url(&db.url, "stranger"))
        .await
        .unwrap();
    let e = sqlx::query(
        "SELECT * FROM leqi_decide(ARRAY[1::bigint], ARRAY[NULL::bigint], 'pass', NULL)",
    )
    .fetch_all(&mut stranger)
    .await
    .unwrap_err();
    assert_eq!(
        e.as_database_error().unwrap().code().as_deref(),
        Some("42501")
    );
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&mut stranger)
        .await
        .unwrap();
    assert_eq!(none, 0, "and sees nothing");
}

#[tokio::test]
async fn the_database_hashes_events_as_the_program_does() {
    let Some(db) = fresh_pg().await else { return };
    let mut c = PgConnection::connect(&db.url).await.unwrap();
    let e = audit::Event {
        id: 0,
        application_id: Some(42),
        binding_id: None,
        unit_id: None,
        measure_id: Some(9),
        warning_id: None,
        action: "not_accept".into(),
        from_state: Some("pending_acceptance".into()),
        to_state: Some("not_accepted".into()),
        officer: "mouxian-zhao".into(),
        bureau_id: None,
        reason: Some("材料不全|~ 2:xy\n\u{202e}".into()),
        at_micros: 1_772_416_800_123_456,
        batch_id: Some("B1".into()),
        client: None,
    };
    let theirs: String = sqlx::query_scalar(
        "SELECT leqi_event_hash('a42', 3, 42, NULL, NULL, 9, NULL, 'not_accept', 'pending_acceptance', 'not_accepted',
             'mouxian-zhao', NULL, $1, to_timestamp(1772416800.123456), 'B1', NULL, 'abc')",
    )
    .bind(e.reason.clone())
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(theirs, audit::hash(&e, "a42", 3, "abc"));
}

#[tokio::test]
async fn identity_is_the_login_not_a_flag() {
    let Some(db) = fresh_pg().await else { return };
    let admin = demo_store(&db, 300).await;
    let zhao = login_url(&db.url, "mouxian-zhao");
    let id = scalar(
        &admin,
        "SELECT min(id) FROM applications WHERE state = 'pending_confirmation' AND kind = 'access'",
    )
    .await;
    // Logged in as zhao, claiming to be the provincial confirmer.
    let o = bin(
        &zhao,
        &["--officer", "sheng-zhou", "decide", "pass", &id.to_string()],
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains("mouxian-zhao"),
        "says who the login is: {}",
        text(&o)
    );
    assert_eq!(
        o.stderr.iter().filter(|b| **b == b'\n').count(),
        1,
        "one line"
    );
    // USER does not make anyone someone else either.
    let o = Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .args(["--database", &zhao, "decide", "pass", &id.to_string()])
        .env("USER", "sheng-zhou")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(4),
        "zhao cannot confirm: {}",
        text(&o)
    );
    assert_eq!(
        admin.application(id).await.unwrap().version,
        scalar(
            &admin,
            &format!("SELECT version FROM applications WHERE id = {id}")
        )
        .await
    );
    // The login's own decision: done and audited under the login.
    let mine = scalar(&admin, "SELECT min(id) FROM applications WHERE state = 'pending_acceptance' AND kind = 'extension' AND county_id = '13301010000'").await;
    let o = bin(&zhao, &["decide", "pass", &mine.to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let h = admin.history(mine).await.unwrap();
    assert_eq!(h.last().unwrap().officer, "mouxian-zhao");
    // A password on the command line is refused before anything connects.
    let o = bin(
        &zhao.replace("mouxian-zhao@", "mouxian-zhao:secret@"),
        &["officers"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains(".pgpass"), "{}", text(&o));
    assert!(!text(&o).contains("secret"));
}

#[tokio::test]
async fn an_administrator_adds_and_disables_officers_with_their_logins() {
    let Some(db) = fresh_pg().await else { return };
    demo_store(&db, 300).await;
    let admin = login_url(&db.url, "sheng-zheng");
    let add = [
        "admin",
        "officer",
        "add",
        "mouxian-wang",
        "--name",
        "王五",
        "--bureau",
        SEED_COUNTY,
        "--roles",
        "accept",
    ];
    // Not by an officer without the admin role.
    let o = bin(&login_url(&db.url, "mouxian-zhao"), &add);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    // Not with a name a terminal would obey: refused by the program, and
    // by the table if the function is called from psql.
    let mut hostile = add;
    hostile[5] = "王\u{1b}[2J五";
    let o = bin(&admin, &hostile);
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(
        text(&o).contains("控制字符") && !text(&o).contains('\u{1b}'),
        "{}",
        text(&o)
    );
    let s = leqi_console::store::Store::open(&db.url).await.unwrap();
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM officers WHERE login = 'mouxian-wang'"
        )
        .await,
        0
    );
    let direct = format!(
        "SELECT leqi_officer_add('mouxian-wang', E'王\\u202e五', '{SEED_COUNTY}', ARRAY['accept'], NULL, NULL)"
    );
    let zheng = leqi_console::store::Store::open(&admin).await.unwrap();
    let leqi_console::store::Backend::Postgres(p) = &zheng.backend else {
        unreachable!()
    };
    let e = sqlx::query(sqlx::AssertSqlSafe(direct))
        .execute(p)
        .await
        .unwrap_err();
    assert_eq!(
        e.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("23514"),
        "{e}"
    );
    let o = bin(&admin, &add);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Adding again is refused, not a silent move to another bureau.
    let mut again = add;
    again[7] = PROVINCE;
    let o = bin(&admin, &again);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("已登记"), "{}", text(&o));
    let s = leqi_console::store::Store::open(&db.url).await.unwrap();
    assert_eq!(
        pairs(
            &s,
            "SELECT 1::bigint, bureau_id FROM officers WHERE login = 'mouxian-wang'"
        )
        .await[0]
            .1,
        SEED_COUNTY
    );
    // The new officer logs in as themselves and works.
    let wang = login_url(&db.url, "mouxian-wang");
    let o = bin(&wang, &["queue", "--stage", "待受理", "--limit", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin(&admin, &["admin", "officer", "disable", "mouxian-wang"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin(&wang, &["queue", "--stage", "待受理"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "a disabled officer cannot log in: {}",
        text(&o)
    );
    let s = leqi_console::store::Store::open(&db.url).await.unwrap();
    let events = pairs(&s, "SELECT id, action || ' ' || officer || ' ' || reason FROM audit_events WHERE action IN ('officer_add', 'officer_disable') ORDER BY id").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events[0]
            .1
            .starts_with("officer_add sheng-zheng mouxian-wang")
    );
    assert!(
        events[1]
            .1
            .starts_with("officer_disable sheng-zheng mouxian-wang")
    );
}

/// A database an earlier version made (schema 8, tables owned by whoever
/// ran it, events unchained): an officer is told whom to ask; the
/// administrator's upgrade makes it this version's, chains its events and
/// gives its officers their logins.
#[tokio::test]
async fn an_older_database_is_upgraded_by_its_administrator() {
    let Some(db) = empty_pg().await else { return };
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/postgres"))
        .await
        .unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 8)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut su = PgConnection::connect(&db.url).await.unwrap();
    old.run(&mut su).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO bureaus VALUES ('13301010000', '某某县税务局', 'county', '13300000000'),
                                    ('13300000000', '某某省税务局', 'province', '13300000000');
         INSERT INTO officers (login, name, bureau_id) VALUES ('oldtimer', '老王', '13301010000');
         INSERT INTO officer_roles VALUES ('oldtimer', 'accept');
         INSERT INTO units (id, uscc, name, bureau_id) VALUES (1, '91330101MA00000001', '旧单位', '13301010000');
         INSERT INTO applications (id, kind, state, unit_id, uscc, unit_name, county_id, province_id, acting_bureau, submitted_at, updated_at)
             VALUES (1, 'extension', 'pending_acceptance', 1, '91330101MA00000001', '旧单位', '13301010000', '13300000000', '13301010000', now(), now());
         INSERT INTO audit_events (application_id, action, to_state, officer, at) VALUES (1, 'submit', 'pending_acceptance', '申请人', now());
         DO $$ BEGIN CREATE ROLE oldtimer LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let officer = login_url(&db.url, "oldtimer");
    let o = bin(&officer, &["officers"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("admin upgrade"), "{}", text(&o));
    let o = bin(&db.url, &["admin", "upgrade"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin(&officer, &["decide", "pass", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (code, out) = verify(&db.url, None);
    assert_eq!(
        code,
        Some(0),
        "the old event chained, the new one after it: {out}"
    );
    let owner: String = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE tablename = 'applications'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(owner, "leqi_owner");
    // A database of a newer schema than the program is left alone.
    sqlx::raw_sql("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', true, '\\x00', 0)")
        .execute(&mut su)
        .await
        .unwrap();
    let o = bin(&officer, &["officers"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("升级 leqi-console"), "{}", text(&o));
}

/// Findings of `audit verify`, as text, and its exit code.
fn verify(url: &str, checkpoint: Option<&std::path::Path>) -> (Option<i32>, String) {
    let mut args = vec!["audit", "verify"];
    let cp;
    if let Some(c) = checkpoint {
        cp = c.to_str().unwrap().to_string();
        args.extend(["--checkpoint", cp.as_str()]);
    }
    let o = bin(url, &args);
    (o.status.code(), text(&o))
}

#[tokio::test]
async fn audit_verify_names_every_tampering_behind_the_consoles_back() {
    let Some(db) = fresh_pg().await else { return };
    let admin = demo_store(&db, 600).await;
    // Some work through the functions first: decisions, a paper copy.
    let (zs, zhao) = as_officer(&db, "mouxian-zhao").await;
    let paper_app = scalar(&admin, "SELECT min(a.id) FROM applications a JOIN materials m ON m.application_id = a.id WHERE a.county_id = '13301010000' AND a.state = 'pending_acceptance' AND NOT m.paper_received").await;
    let material = scalar(&admin, &format!("SELECT min(id) FROM materials WHERE application_id = {paper_app} AND NOT paper_received")).await;
    zs.mark_paper_received(&zhao, material).await.unwrap();
    let decided = scalar(&admin, &format!("SELECT min(id) FROM applications WHERE state = 'pending_acceptance' AND kind = 'access' AND county_id = '13301010000' AND id <> {paper_app}")).await;
    zs.decide(
        &zhao,
        decided,
        leqi_console::domain::Decision::Pass,
        None,
        None,
    )
    .await
    .unwrap();
    let (code, out) = verify(&db.url, None);
    assert_eq!(code, Some(0), "an untouched trail adds up: {out}");
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("heads.txt");
    let o = bin(&db.url, &["audit", "checkpoint", cp.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(0), "{out}");

    let mut su = PgConnection::connect(&db.url).await.unwrap();
    // Behind the console's back: a superuser with the triggers off.
    sqlx::raw_sql("SET session_replication_role = replica")
        .execute(&mut su)
        .await
        .unwrap();
    let event_of = |app: i64, nth: &str| {
        format!(
            "SELECT id FROM audit_events WHERE application_id = {app} ORDER BY chain_seq {nth} LIMIT 1"
        )
    };
    // 1. An event's reason edited.
    let edited_app = scalar(
        &admin,
        "SELECT min(application_id) FROM audit_events WHERE action = 'not_accept'",
    )
    .await;
    let edited = scalar(&admin, &format!("SELECT min(id) FROM audit_events WHERE application_id = {edited_app} AND action = 'not_accept'")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE audit_events SET reason = '改过的理由' WHERE id = {edited}"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let (code, out) = verify(&db.url, None);
    assert_eq!(code, Some(7));
    assert!(
        out.contains(&format!("申请 {edited_app} 事件 {edited}")) && out.contains("被改动"),
        "{out}"
    );
    // 2. An event deleted from the middle of a chain.
    let middle_app = scalar(
        &admin,
        "SELECT min(application_id) FROM audit_events WHERE action = 'review_pass'",
    )
    .await;
    let middle = scalar(
        &admin,
        &format!(
            "SELECT id FROM audit_events WHERE application_id = {middle_app} AND action = 'accept'"
        ),
    )
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DELETE FROM audit_events WHERE id = {middle}"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let (_, out) = verify(&db.url, None);
    assert!(
        out.contains(&format!("申请 {middle_app}")) && out.contains("缺失"),
        "{out}"
    );
    // 3. The newest event deleted: a paper copy's, which moves nothing, so
    // only the checkpoint can tell.
    let newest = scalar(&admin, &event_of(paper_app, "DESC")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DELETE FROM audit_events WHERE id = {newest}"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let (_, out) = verify(&db.url, None);
    assert!(
        !out.contains(&format!("申请 {paper_app}")),
        "without a checkpoint it cannot show: {out}"
    );
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(7));
    assert!(
        out.contains(&format!("申请 {paper_app}")) && out.contains("被删除"),
        "{out}"
    );
    // 4. A forged confirmation, chained by the database's own trigger.
    sqlx::raw_sql("SET session_replication_role = DEFAULT")
        .execute(&mut su)
        .await
        .unwrap();
    let forged_app = scalar(
        &admin,
        "SELECT min(id) FROM applications WHERE state = 'pending_confirmation' AND kind = 'access'",
    )
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_events (application_id, action, from_state, to_state, officer, at) VALUES ({forged_app}, 'confirm_pass', 'pending_confirmation', 'confirmed', 'sheng-wu', now())"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let (_, out) = verify(&db.url, None);
    assert!(
        out.contains(&format!("申请 {forged_app}")) && out.contains("实为“pending_confirmation”"),
        "{out}"
    );
    // 5. A state changed with no event.
    let silent = scalar(
        &admin,
        "SELECT min(id) FROM applications WHERE state = 'pending_review' AND kind = 'exit'",
    )
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE applications SET state = 'confirmed' WHERE id = {silent}"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(7));
    assert!(
        out.contains(&format!("申请 {silent}")) && out.contains("实为“confirmed”"),
        "{out}"
    );
    // Each earlier finding is still named.
    for app in [edited_app, middle_app, paper_app, forged_app] {
        assert!(out.contains(&format!("申请 {app}")), "{app}: {out}");
    }
    // An edited checkpoint file is refused.
    let t = std::fs::read_to_string(&cp)
        .unwrap()
        .replacen(" 1 ", " 2 ", 1);
    std::fs::write(&cp, t).unwrap();
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("改动"), "{out}");
}

#[tokio::test]
async fn audit_verify_works_on_an_embedded_file() {
    let db = fresh_sqlite();
    let o = bin(&db.url, &["demo", "--scale", "300"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin(
        &db.url,
        &[
            "--officer",
            "mouxian-zhao",
            "decide",
            "reject",
            "1",
            "--reason",
            "材料不全",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("heads.txt");
    assert_eq!(
        bin(&db.url, &["audit", "checkpoint", cp.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(0), "{out}");
    // The file's triggers refuse a change; with them dropped, verify finds it.
    let mut file = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    for sql in [
        "UPDATE audit_events SET reason = 'x' WHERE application_id = 1",
        "DELETE FROM audit_events WHERE application_id = 1",
    ] {
        assert!(
            sqlx::raw_sql(sql).execute(&mut file).await.is_err(),
            "refused: {sql}"
        );
    }
    sqlx::raw_sql("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_fixed;
                   UPDATE audit_events SET reason = '改过' WHERE application_id = 1 AND action = 'not_accept';")
        .execute(&mut file)
        .await
        .unwrap();
    file.close().await.unwrap();
    let (code, out) = verify(&db.url, Some(&cp));
    assert_eq!(code, Some(7));
    assert!(
        out.contains("申请 1 事件") && out.contains("被改动"),
        "{out}"
    );
}

/// What an attack with an officer's own login found, refused: a decision
/// that is neither pass nor reject, an unstated apply, an extension's end
/// that is infinite or in the past, a claim of no ids, a batch record of
/// another shape, invisible separators in a reason; and nothing of
/// another county's application told back.
#[tokio::test]
async fn the_functions_refuse_what_an_attack_tried() {
    let Some(db) = fresh_pg().await else { return };
    let admin = demo_store(&db, 600).await;
    let mut zhao = connect(&db, "mouxian-zhao").await;
    let mine = scalar(&admin, "SELECT min(id) FROM applications WHERE county_id = '13301010000' AND state = 'pending_acceptance'").await;
    let theirs = scalar(
        &admin,
        "SELECT min(id) FROM applications WHERE county_id <> '13301010000' AND state = 'confirmed'",
    )
    .await;
    let before = scalar(&admin, "SELECT count(*) FROM audit_events").await;
    for sql in [
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], NULL, NULL)"),
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'pass', NULL, NULL)"),
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'pass', NULL, true, NULL, NULL, NULL, 'infinity')"),
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'pass', NULL, true, NULL, NULL, NULL, '1900-01-01')"),
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'reject', E'a\\u2028b')"),
        // A carriage return, and a reason of blanks and zero-width spaces.
        format!("SELECT * FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'reject', E'a\\rb')"),
        "SELECT * FROM leqi_claim(NULL, 15, NULL, NULL)".to_string(),
        "SELECT leqi_batch_create('../../tmp/x-mouxian-zhao-0001', 'pass', NULL, 1, '[]', NULL)".to_string(),
        "SELECT leqi_batch_create('B20261121000000-mouxian-zhao-0001', 'bogus', NULL, 1, '[]', NULL)".to_string(),
        "SELECT leqi_batch_create('B20261121000000-mouxian-zhao-0001', 'pass', NULL, -5, '[]', NULL)".to_string(),
    ] {
        assert_eq!(sqlstate(&mut zhao, &sql).await.as_deref(), Some("LQ003"), "{sql}");
    }
    assert_eq!(
        scalar(&admin, "SELECT count(*) FROM audit_events").await,
        before,
        "nothing written"
    );
    // Another county's decided application: refused as outside the
    // jurisdiction, its state, version, decider and time not told.
    let row = sqlx::query(
        "SELECT code, detail, cur_state, cur_version, by_officer, at
           FROM leqi_decide(ARRAY[$1::bigint], ARRAY[NULL::bigint], 'pass', NULL, false)",
    )
    .bind(theirs)
    .fetch_one(&mut zhao)
    .await
    .unwrap();
    let (code, detail): (String, String) = (row.get(0), row.get(1));
    assert_eq!((code.as_str(), detail.as_str()), ("42501", "not_visible"));
    assert!(row.get::<Option<String>, _>(2).is_none());
    assert!(row.get::<Option<i64>, _>(3).is_none());
    assert!(row.get::<Option<String>, _>(4).is_none());
    // And through the program: exit 4, one line, no state.
    let o = bin(
        &login_url(&db.url, "mouxian-zhao"),
        &["decide", "pass", &theirs.to_string()],
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("辖区"), "{}", text(&o));
    assert!(!text(&o).contains("确认通过"), "{}", text(&o));
}

/// What another county does stays unseen: its units' supervision events
/// are not readable, a material of theirs is "not found" without naming
/// the county, and a reason with nothing visible in it is no reason.
#[tokio::test]
async fn another_countys_work_is_not_told() {
    let Some(db) = fresh_pg().await else { return };
    let admin = demo_store(&db, 600).await;
    let unit_events = format!(
        "SELECT count(*) FROM audit_events e JOIN units u ON u.id = e.unit_id
          WHERE e.application_id IS NULL AND e.binding_id IS NULL AND u.bureau_id = '{SEED_COUNTY}'"
    );
    let mut zhao = connect(&db, "mouxian-zhao").await;
    let mut other = connect(&db, "qingshan-zhao").await;
    let q = sqlx::AssertSqlSafe(unit_events.clone());
    let all: i64 = scalar(&admin, &unit_events).await;
    assert!(all > 0, "the demo supervises units of the seed county");
    let seen: i64 = sqlx::query_scalar(q).fetch_one(&mut zhao).await.unwrap();
    assert_eq!(seen, all, "the county's own officers read them");
    let q = sqlx::AssertSqlSafe(unit_events);
    let leaked: i64 = sqlx::query_scalar(q).fetch_one(&mut other).await.unwrap();
    assert_eq!(leaked, 0, "another county's officer reads none");
    // A material of another county: refused, its county not named.
    let theirs = scalar(
        &admin,
        &format!("SELECT min(m.id) FROM materials m JOIN applications a ON a.id = m.application_id WHERE a.county_id <> '{SEED_COUNTY}'"),
    )
    .await;
    let county = pairs(
        &admin,
        &format!("SELECT a.id, a.county_id FROM materials m JOIN applications a ON a.id = m.application_id WHERE m.id = {theirs}"),
    )
    .await[0]
        .1
        .clone();
    let e = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT leqi_mark_paper({theirs})"
    )))
    .execute(&mut zhao)
    .await
    .unwrap_err();
    let d = e.as_database_error().unwrap();
    assert_eq!(d.code().as_deref(), Some("42501"), "{e}");
    let told = format!("{} {:?}", d.message(), e);
    assert!(!told.contains(&county), "{told}");
    // Blanks of any script and zero-width spaces are no reason.
    let mine = scalar(&admin, &format!("SELECT min(id) FROM applications WHERE county_id = '{SEED_COUNTY}' AND state = 'pending_acceptance'")).await;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT code FROM leqi_decide(ARRAY[{mine}::bigint], ARRAY[NULL::bigint], 'reject', E'\\u3000\\u200b \\ufeff', false)"
    )))
    .fetch_one(&mut zhao)
    .await;
    let refused = match row {
        Ok(r) => r.get::<String, _>(0) != "00000",
        Err(e) => e.as_database_error().and_then(|d| d.code()).as_deref() == Some("LQ003"),
    };
    assert!(refused, "a reason of invisible characters is refused");
}
