//! Supervision on both backends, each officer through their own login on
//! PostgreSQL: measures stop what they name and lifting frees it again;
//! termination ends the unit's connection; warnings are answered, closed
//! or escalated; the 1% rule and lapsing qualifications are listed; the
//! database refuses a measure by an officer without the role or outside
//! their bureau; deadlines beyond three months are refused.

mod common;
use common::*;
use leqi_console::domain::*;
use leqi_console::store::*;

const COUNTY: &str = "13301010000";

fn measure(kind: MeasureKind, reason: &str) -> Imposition {
    Imposition {
        kind,
        reason: reason.into(),
        deadline: None,
        limit: (kind == MeasureKind::LimitConcurrency).then_some(20),
        warning: None,
    }
}

fn unit(id: i64) -> [DecideItem; 1] {
    [DecideItem { id, version: None }]
}

/// An application of `kind` waiting for confirmation in the seed county
/// whose unit (for an invitation, the inviting unit) has no measure in
/// force: (application, unit).
async fn waiting(s: &Store, kind: Kind) -> (i64, i64) {
    let col = if kind == Kind::Invitation {
        "direct_unit_id"
    } else {
        "unit_id"
    };
    // Nothing else stands in its way: not bound or subscribed already.
    let capability = match s.backend {
        Backend::Sqlite(_) => "json_extract(a.form, '$.capability')",
        Backend::Postgres(_) => "(a.form::json->>'capability')",
    };
    let sql = format!(
        "SELECT a.id, CAST(a.{col} AS TEXT) FROM applications a JOIN units d ON d.id = a.{col}
         WHERE a.kind = '{}' AND a.state = 'pending_confirmation' AND d.bureau_id = '{COUNTY}'
           AND a.county_id = '{COUNTY}' AND d.direct_connect
           AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = d.id AND m.state = 'in_force')
           AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = a.direct_unit_id
                           AND b.user_unit_id = a.unit_id AND b.active)
           AND NOT EXISTS (SELECT 1 FROM capabilities c WHERE c.unit_id = a.unit_id AND c.active
                           AND c.capability = {capability})
         ORDER BY a.id LIMIT 1",
        kind.code()
    );
    let p = pairs(s, &sql).await;
    assert!(!p.is_empty(), "no {kind:?} waiting in the demo");
    (p[0].0, p[0].1.parse().unwrap())
}

/// The state of a measure and of a warning.
async fn state_of(s: &Store, table: &str, id: i64) -> String {
    pairs(s, &format!("SELECT id, state FROM {table} WHERE id = {id}"))
        .await
        .pop()
        .map(|p| p.1)
        .unwrap_or_default()
}

async fn verify_clean(s: &Store, label: &str) {
    let r = s.verify(None).await.unwrap();
    assert!(r.findings.is_empty(), "{label}: {:?}", r.findings);
}

#[tokio::test]
async fn measures_stop_what_they_name_and_lifting_frees_it() {
    for db in databases().await {
        let admin = demo_store(&db, 900).await;
        let (sup, sun) = as_officer(&db, "mouxian-sun").await;
        let (con, li) = as_officer(&db, "mouxian-li").await;
        for (kind, measure_kind) in [
            (Kind::Invitation, MeasureKind::SuspendInvitations),
            (Kind::Subscription, MeasureKind::SuspendCapabilities),
            (Kind::Extension, MeasureKind::SuspendAccess),
        ] {
            let (app, u) = waiting(&admin, kind).await;
            let r = sup
                .impose(
                    &sun,
                    &unit(u),
                    &measure(measure_kind, "发票开具量异常"),
                    None,
                )
                .await
                .unwrap();
            assert!(r[0].ok(), "{}: {:?}", db.label, r[0].error);
            let m = scalar(
                &admin,
                &format!("SELECT max(id) FROM measures WHERE unit_id = {u} AND state = 'in_force'"),
            )
            .await;
            // The check beside the decision names the measure.
            let a = con.application(app).await.unwrap();
            let check = a
                .checks(&con.thresholds)
                .into_iter()
                .find(|c| c.id == checks::CheckId::Measures)
                .unwrap();
            assert_eq!(check.outcome, checks::Outcome::Fail, "{}", db.label);
            assert!(check.detail(true).contains(measure_kind.zh()));
            // And the confirmation is refused, saying which.
            let e = con
                .decide(&li, app, Decision::Pass, None, None)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), FailureKind::Precondition, "{}: {e}", db.label);
            assert!(
                e.to_string().contains(measure_kind.zh()),
                "{}: {e}",
                db.label
            );
            // A measure of another kind does not stop it.
            if measure_kind != MeasureKind::SuspendAccess {
                assert!(!MeasureKind::LimitConcurrency.blocks(kind));
            }
            let r = sup
                .end_measures(
                    &sun,
                    &unit(m),
                    MeasureEnd::Lift,
                    "已整改并报送整改报告",
                    None,
                )
                .await
                .unwrap();
            assert!(r[0].ok(), "{}: {:?}", db.label, r[0].error);
            assert_eq!(state_of(&admin, "measures", m).await, "lifted");
            let r = con.decide(&li, app, Decision::Pass, None, None).await;
            assert!(r.is_ok(), "{} {kind:?} after lifting: {r:?}", db.label);
        }
        verify_clean(&admin, db.label).await;
    }
}

#[tokio::test]
async fn termination_ends_the_units_connection_in_one_transaction() {
    for db in databases().await {
        let admin = demo_store(&db, 900).await;
        let (sup, sun) = as_officer(&db, "mouxian-sun").await;
        // A unit with user units bound and an invitation in the flow.
        let u = scalar(
            &admin,
            &format!(
                "SELECT min(d.id) FROM units d WHERE d.bureau_id = '{COUNTY}' AND d.direct_connect
                   AND EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = d.id AND b.active)
                   AND EXISTS (SELECT 1 FROM applications a WHERE a.direct_unit_id = d.id AND a.kind = 'invitation'
                               AND a.state IN ('pending_acceptance', 'pending_review', 'pending_confirmation'))
                   AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = d.id AND m.state = 'in_force')"
            ),
        )
        .await;
        let preview = sup.ending_effects(&[u]).await.unwrap();
        assert!(
            preview.bindings > 0 && !preview.in_flight.is_empty(),
            "{preview:?}"
        );
        let r = sup
            .impose(
                &sun,
                &unit(u),
                &measure(MeasureKind::Terminate, "虚开发票，终止接入服务"),
                None,
            )
            .await
            .unwrap();
        assert!(r[0].ok(), "{}: {:?}", db.label, r[0].error);
        let count = |sql: String| {
            let admin = &admin;
            async move { scalar(admin, &sql).await }
        };
        assert_eq!(
            count(format!(
                "SELECT count(*) FROM units WHERE id = {u} AND direct_connect"
            ))
            .await,
            0
        );
        assert_eq!(
            count(format!(
                "SELECT count(*) FROM bindings WHERE direct_unit_id = {u} AND active"
            ))
            .await,
            0
        );
        assert_eq!(
            count(format!(
                "SELECT count(*) FROM capabilities WHERE unit_id = {u} AND active"
            ))
            .await,
            0
        );
        assert_eq!(
            count(format!(
                "SELECT count(*) FROM applications WHERE direct_unit_id = {u} AND kind = 'invitation'
                   AND state IN ('pending_acceptance', 'pending_review', 'pending_confirmation')"
            ))
            .await,
            0
        );
        // Each binding's end is audited, in the unit's transaction.
        let unbound = count(format!(
            "SELECT count(*) FROM audit_events e JOIN bindings b ON b.id = e.binding_id
              WHERE b.direct_unit_id = {u} AND e.action = 'unbind'"
        ))
        .await;
        assert_eq!(unbound, preview.bindings, "{}", db.label);
        // Nothing more can be imposed on a terminated unit.
        let r = sup
            .impose(
                &sun,
                &unit(u),
                &measure(MeasureKind::Reminder, "提醒"),
                None,
            )
            .await
            .unwrap();
        assert!(!r[0].ok(), "{}", db.label);
        verify_clean(&admin, db.label).await;
    }
}

#[tokio::test]
async fn a_warning_is_answered_then_closed_or_escalated() {
    for db in databases().await {
        let admin = demo_store(&db, 600).await;
        let (sup, sun) = as_officer(&db, "mouxian-sun").await;
        let (zs, zhao) = as_officer(&db, "mouxian-zhao").await;
        let (_, u) = waiting(&admin, Kind::Invitation).await;
        let w = sup
            .raise_warning(&sun, u, "接口调用频次超出备案并发", None)
            .await
            .unwrap();
        assert_eq!(state_of(&admin, "warnings", w).await, "open");
        assert!(
            sup.supervision(&sun, now())
                .await
                .unwrap()
                .warnings
                .iter()
                .any(|x| x.id == w),
            "listed for the supervisor"
        );
        sup.act_on_warning(
            &sun,
            w,
            None,
            &WarningStep::Feedback("已核查，正在整改".into()),
        )
        .await
        .unwrap();
        assert_eq!(state_of(&admin, "warnings", w).await, "answered");
        sup.act_on_warning(&sun, w, None, &WarningStep::Close("整改完成".into()))
            .await
            .unwrap();
        assert_eq!(state_of(&admin, "warnings", w).await, "closed");
        // A closed warning cannot be acted on again.
        let e = sup
            .act_on_warning(&sun, w, None, &WarningStep::Close("再次关闭".into()))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), FailureKind::Conflict, "{}: {e}", db.label);
        // Another, escalated to a suspension linked to it.
        let w2 = sup
            .raise_warning(&sun, u, "使用单位信息与备案不符", None)
            .await
            .unwrap();
        let m = sup
            .act_on_warning(
                &sun,
                w2,
                None,
                &WarningStep::Escalate(measure(MeasureKind::SuspendInvitations, "逾期未整改")),
            )
            .await
            .unwrap();
        assert_eq!(state_of(&admin, "warnings", w2).await, "escalated");
        assert_eq!(state_of(&admin, "measures", m).await, "in_force");
        let linked = scalar(
            &admin,
            &format!("SELECT warning_id FROM measures WHERE id = {m}"),
        )
        .await;
        assert_eq!(linked, w2);
        // An officer without the supervise role raises nothing.
        let e = zs.raise_warning(&zhao, u, "越权", None).await.unwrap_err();
        assert_eq!(e.kind(), FailureKind::Forbidden, "{}: {e}", db.label);
        verify_clean(&admin, db.label).await;
    }
}

#[tokio::test]
async fn the_one_percent_rule_and_lapsing_qualifications_are_listed() {
    for db in databases().await {
        let admin = demo_store(&db, 900).await;
        let (sup, sun) = as_officer(&db, "mouxian-sun").await;
        // A unit with two or more bound, none flagged: one flagged lists it.
        let d = scalar(
            &admin,
            &format!(
                "SELECT min(d.id) FROM units d WHERE d.bureau_id = '{COUNTY}' AND d.direct_connect
                   AND (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = d.id AND b.active) >= 2
                   AND NOT EXISTS (SELECT 1 FROM bindings b JOIN units x ON x.id = b.user_unit_id
                                   WHERE b.direct_unit_id = d.id AND b.active AND x.serious_offence)"
            ),
        )
        .await;
        let before = sup.supervision(&sun, now()).await.unwrap();
        assert!(!before.serious.iter().any(|s| s.unit_id == d));
        exec(
            &admin,
            &format!(
                "UPDATE units SET serious_offence = TRUE WHERE id =
                   (SELECT min(user_unit_id) FROM bindings WHERE direct_unit_id = {d} AND active)"
            ),
        )
        .await;
        let after = sup.supervision(&sun, now()).await.unwrap();
        let listed = after
            .serious
            .iter()
            .find(|s| s.unit_id == d)
            .expect("listed");
        assert_eq!(listed.flagged, 1);
        assert!(supervision::over_serious_share(
            listed.flagged,
            listed.bound
        ));
        // A qualification ending in ten days, no extension asked: listed.
        let q = scalar(
            &admin,
            &format!(
                "SELECT min(d.id) FROM units d WHERE d.bureau_id = '{COUNTY}' AND d.direct_connect
                   AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.unit_id = d.id AND a.kind = 'extension'
                                   AND a.state IN ('pending_acceptance', 'pending_review', 'pending_confirmation'))"
            ),
        )
        .await;
        let soon = now() + chrono::Duration::days(10);
        match &admin.backend {
            Backend::Sqlite(p) => {
                sqlx::query("UPDATE units SET qualified_until = $1 WHERE id = $2")
                    .bind(soon)
                    .bind(q)
                    .execute(p)
                    .await
                    .map(|_| ())
                    .unwrap()
            }
            Backend::Postgres(p) => {
                sqlx::query("UPDATE units SET qualified_until = $1 WHERE id = $2")
                    .bind(soon)
                    .bind(q)
                    .execute(p)
                    .await
                    .map(|_| ())
                    .unwrap()
            }
        }
        let lapsing = sup.supervision(&sun, now()).await.unwrap().lapsing;
        assert!(lapsing.iter().any(|l| l.unit_id == q), "{}", db.label);
        // Another county's supervisor sees neither.
        let (qs, qsun) = as_officer(&db, "qingshan-sun").await;
        let theirs = qs.supervision(&qsun, now()).await.unwrap();
        assert!(!theirs.serious.iter().any(|s| s.unit_id == d));
        assert!(!theirs.lapsing.iter().any(|l| l.unit_id == q));
    }
}

#[tokio::test]
async fn measures_need_the_role_and_the_bureau() {
    for db in databases().await {
        let admin = demo_store(&db, 600).await;
        let (_, u) = waiting(&admin, Kind::Invitation).await;
        let before = scalar(&admin, "SELECT count(*) FROM measures").await;
        for login in ["mouxian-zhao", "mouxian-li", "qingshan-sun"] {
            let (s, o) = as_officer(&db, login).await;
            let r = s
                .impose(
                    &o,
                    &unit(u),
                    &measure(MeasureKind::SuspendAccess, "越权"),
                    None,
                )
                .await
                .unwrap();
            let e = r[0].error.as_ref().expect("refused");
            assert_eq!(
                e.kind,
                FailureKind::Forbidden,
                "{} {login}: {e:?}",
                db.label
            );
            // Another county's officer is not told whose unit it is.
            if login == "qingshan-sun" {
                let county = &pairs(
                    &admin,
                    &format!("SELECT id, bureau_id FROM units WHERE id = {u}"),
                )
                .await[0]
                    .1;
                assert!(
                    e.message.contains("辖区") && !e.message.contains(county.as_str()),
                    "{}: {}",
                    db.label,
                    e.message
                );
            }
        }
        assert_eq!(
            scalar(&admin, "SELECT count(*) FROM measures").await,
            before
        );
        // The provincial supervisor may.
        let (ps, zheng) = as_officer(&db, "sheng-zheng").await;
        let r = ps
            .impose(
                &zheng,
                &unit(u),
                &measure(MeasureKind::Interview, "约谈"),
                None,
            )
            .await
            .unwrap();
        assert!(r[0].ok(), "{}: {:?}", db.label, r[0].error);
    }
}

/// On PostgreSQL the refusal is the database's: an officer's own login
/// can neither write the tables nor get past the function's checks.
#[tokio::test]
async fn postgres_refuses_a_measure_outside_role_or_bureau() {
    let Some(db) = fresh_pg().await else {
        return;
    };
    let admin = demo_store(&db, 600).await;
    let (_, u) = waiting(&admin, Kind::Invitation).await;
    for login in ["mouxian-zhao", "qingshan-sun"] {
        let (s, _) = as_officer(&db, login).await;
        let Backend::Postgres(p) = &s.backend else {
            unreachable!()
        };
        let (code, detail): (String, String) = sqlx::query_as(
            "SELECT code, detail FROM leqi_measure_impose(ARRAY[$1]::bigint[], 'suspend_access', '越权', NULL, NULL)",
        )
        .bind(u)
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!(code, "42501", "{login}: {detail}");
        for sql in [
            format!(
                "INSERT INTO measures (unit_id, county_id, kind, state, reason, imposed_by, imposed_at)
                 VALUES ({u}, '{COUNTY}', 'terminate', 'in_force', 'x', '{login}', now())"
            ),
            format!("UPDATE units SET direct_connect = FALSE WHERE id = {u}"),
            "UPDATE measures SET state = 'lifted'".to_string(),
        ] {
            let e = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .unwrap_err();
            let code = e.as_database_error().and_then(|d| d.code()).unwrap_or_default();
            assert_eq!(code, "42501", "{login}: {sql}: {e}");
        }
    }
    assert_eq!(
        scalar(
            &admin,
            &format!("SELECT count(*) FROM measures WHERE unit_id = {u}")
        )
        .await,
        0
    );
}

#[test]
fn a_deadline_beyond_three_months_is_refused_with_exit_6() {
    let mut dbs = vec![fresh_sqlite()];
    let rt = tokio::runtime::Runtime::new().unwrap();
    dbs.extend(rt.block_on(fresh_pg()));
    for db in &dbs {
        let admin = rt.block_on(demo_store(db, 600));
        let (_, u) = rt.block_on(waiting(&admin, Kind::Invitation));
        let far = supervision::day(now() + chrono::Months::new(4));
        let near = supervision::day(now() + chrono::Duration::days(40));
        let run = |deadline: &str| {
            let args = [
                "--officer",
                "mouxian-sun",
                "measure",
                "impose",
                &u.to_string(),
                "--kind",
                "suspend-invitations",
                "--reason",
                "暂停新增使用单位",
                "--deadline",
                deadline,
            ]
            .map(String::from);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
                .arg("--database")
                .arg(acting_url(&db.url, &args))
                .args(&args)
                .env(
                    "XDG_CONFIG_HOME",
                    std::env::temp_dir().join("leqi-sup-none"),
                )
                .output()
                .unwrap()
        };
        let o = run(&far);
        assert_eq!(o.status.code(), Some(6), "{}: {o:?}", db.label);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("3 个月"), "{err}");
        let n = rt.block_on(scalar(
            &admin,
            &format!("SELECT count(*) FROM measures WHERE unit_id = {u}"),
        ));
        assert_eq!(n, 0, "nothing written");
        let o = run(&near);
        assert_eq!(o.status.code(), Some(0), "{}: {o:?}", db.label);
        let n = rt.block_on(scalar(
            &admin,
            &format!("SELECT count(*) FROM measures WHERE unit_id = {u}"),
        ));
        assert_eq!(n, 1);
    }
}
