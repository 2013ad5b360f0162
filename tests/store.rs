//! The store on both backends: queues, decisions, rules, audit, exits.

mod common;
use common::*;
use leqi_console::demo::{PROVINCE, SEED_COUNTY};
use leqi_console::domain::workflow::StageRule;
use leqi_console::domain::*;
use leqi_console::store::*;

fn q(stage: Stage, kind: Option<Kind>, bureau: &str) -> QueueQuery {
    QueueQuery {
        stage,
        kinds: kind.into_iter().collect(),
        bureau: bureau.into(),
        sort: Sort::Age,
        filter: String::new(),
        cursor: None,
        direction: Direction::Forward,
        limit: 50,
        older_than: None,
    }
}

async fn first(s: &Store, stage: Stage, kind: Kind, bureau: &str) -> QueueRow {
    s.queue(&q(stage, Some(kind), bureau))
        .await
        .unwrap()
        .rows
        .into_iter()
        .next()
        .expect("a queued item")
}

#[tokio::test]
async fn queues_paginate_along_the_index_without_gaps() {
    for db in databases().await {
        let s = demo_store(&db, 1500).await;
        for sort in [Sort::Age, Sort::Name, Sort::Failed] {
            let total = s
                .queue_count(Stage::Acceptance, &[], SEED_COUNTY, "")
                .await
                .unwrap();
            assert!(total > 20, "{}: demo gives the county a queue", db.label);
            let mut query = q(Stage::Acceptance, None, SEED_COUNTY);
            query.sort = sort;
            query.limit = 7;
            let mut seen = Vec::new();
            loop {
                let page = s.queue(&query).await.unwrap();
                seen.extend(page.rows.iter().map(|r| r.id));
                if !page.more {
                    break;
                }
                query.cursor = Some(page.rows.last().unwrap().cursor(sort));
            }
            let mut uniq = seen.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(
                uniq.len(),
                seen.len(),
                "{} {sort:?}: no row twice",
                db.label
            );
            assert_eq!(
                seen.len() as i64,
                total,
                "{} {sort:?}: every row once",
                db.label
            );
            // Backward from the end gives the same rows in the same order.
            let mut back = q(Stage::Acceptance, None, SEED_COUNTY);
            back.sort = sort;
            back.limit = 5;
            back.direction = Direction::Backward;
            let mut tail: Vec<i64> = Vec::new();
            loop {
                let page = s.queue(&back).await.unwrap();
                let mut ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
                ids.extend(tail);
                tail = ids;
                if !page.more {
                    break;
                }
                back.cursor = Some(page.rows.first().unwrap().cursor(sort));
            }
            assert_eq!(tail, seen, "{} {sort:?}: backward pages", db.label);
        }
        // Oldest first.
        let rows = s
            .queue(&q(Stage::Acceptance, None, SEED_COUNTY))
            .await
            .unwrap()
            .rows;
        assert!(
            rows.windows(2)
                .all(|w| w[0].submitted_at <= w[1].submitted_at)
        );
        // A filter on name or code.
        let mut f = q(Stage::Acceptance, None, SEED_COUNTY);
        f.filter = "某某技术".into();
        let rows = s.queue(&f).await.unwrap().rows;
        assert_eq!(rows.len(), 1, "{}", db.label);
        assert_eq!(rows[0].uscc, "9161252LQ1136652JR");
        f.filter = "9161252lq".into();
        assert_eq!(
            s.queue(&f).await.unwrap().rows.len(),
            1,
            "{}: codes match case-insensitively",
            db.label
        );
        assert_eq!(
            s.queue_count(Stage::Acceptance, &[], SEED_COUNTY, "某某技术")
                .await
                .unwrap(),
            1
        );
        f.filter = "100%_".into();
        assert!(
            s.queue(&f).await.unwrap().rows.is_empty(),
            "wildcards are literal"
        );
    }
}

#[tokio::test]
async fn an_access_application_goes_through_three_stages_with_audit() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let (zhao, qian, zhou) = (
            officer(&s, "mouxian-zhao").await,
            officer(&s, "mouxian-qian").await,
            officer(&s, "sheng-zhou").await,
        );
        let app = s.application(1).await.unwrap();
        assert_eq!(app.unit.facts.name, "某某技术有限公司");
        let before = scalar(&s, "SELECT count(*) FROM audit_events").await;

        // Another county's officer, a missing role, a missing reason: refused, nothing changes.
        let other = officer(&s, "qingshan-zhao").await;
        assert!(matches!(
            st(&db, &other)
                .await
                .decide(&other, 1, Decision::Pass, None, None)
                .await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            st(&db, &zhou)
                .await
                .decide(&zhou, 1, Decision::Pass, None, None)
                .await,
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            st(&db, &zhao)
                .await
                .decide(&zhao, 1, Decision::Reject, None, None)
                .await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            st(&db, &zhao)
                .await
                .decide(&zhao, 1, Decision::Reject, Some(" \n "), None)
                .await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            st(&db, &zhao)
                .await
                .decide(&zhao, 1, Decision::Reject, Some("bad\x1b[2J"), None)
                .await,
            Err(Error::Invalid(_))
        ));
        assert_eq!(
            scalar(&s, "SELECT count(*) FROM audit_events").await,
            before,
            "{}: refusals write nothing",
            db.label
        );
        assert_eq!(
            scalar(&s, "SELECT version FROM applications WHERE id = 1").await,
            1
        );

        let r = st(&db, &zhao)
            .await
            .decide(&zhao, 1, Decision::Pass, None, Some(1))
            .await
            .unwrap();
        assert_eq!((r.to, r.version), (Some(State::PendingReview), Some(2)));
        // Separation of duties: zhao accepted, zhao may not review.
        assert!(matches!(
            st(&db, &zhao)
                .await
                .decide(&zhao, 1, Decision::Pass, None, None)
                .await,
            Err(Error::Forbidden(_))
        ));
        // A stale version is a conflict that names who and when.
        let stale = st(&db, &qian)
            .await
            .decide(&qian, 1, Decision::Pass, None, Some(1))
            .await
            .unwrap_err();
        let Error::Conflict(c) = &stale else {
            panic!("{stale}")
        };
        assert_eq!(
            (c.by.as_deref(), c.version, c.state),
            (Some("mouxian-zhao"), 2, State::PendingReview)
        );
        assert!(stale.to_string().contains("mouxian-zhao"));
        assert_eq!(stale.exit_code(), 5);
        st(&db, &qian)
            .await
            .decide(&qian, 1, Decision::Pass, None, Some(2))
            .await
            .unwrap();
        assert_eq!(
            s.application(1).await.unwrap().state,
            State::PendingConfirmation
        );
        // The province's queue now holds it.
        let prov = s
            .queue(&q(Stage::Confirmation, Some(Kind::Access), PROVINCE))
            .await
            .unwrap();
        assert!(prov.rows.iter().any(|r| r.id == 1) || prov.more);
        let r = st(&db, &zhou)
            .await
            .decide(&zhou, 1, Decision::Pass, None, Some(3))
            .await
            .unwrap();
        assert_eq!(r.to, Some(State::Confirmed));
        assert!(
            s.unit(s.application(1).await.unwrap().unit.id)
                .await
                .unwrap()
                .facts
                .direct_connect,
            "{}: confirmed access makes a direct-connect unit",
            db.label
        );
        // Decided: a second pass is a conflict.
        assert!(matches!(
            st(&db, &zhou)
                .await
                .decide(&zhou, 1, Decision::Pass, None, None)
                .await,
            Err(Error::Conflict(_))
        ));

        let h = s.history(1).await.unwrap();
        let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["submit", "accept", "review_pass", "confirm_pass"],
            "{}",
            db.label
        );
        assert_eq!(h[1].officer, "mouxian-zhao");
        assert_eq!(h[1].bureau_id.as_deref(), Some(SEED_COUNTY));
        assert_eq!(h[3].bureau_id.as_deref(), Some(PROVINCE));
        assert_eq!(
            scalar(&s, "SELECT count(*) FROM audit_events").await,
            before + 3
        );
    }
}

#[tokio::test]
async fn rejections_carry_their_reason() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let zhao = officer(&s, "mouxian-zhao").await;
        let r = st(&db, &zhao)
            .await
            .decide(
                &zhao,
                1,
                Decision::Reject,
                Some("  材料不全，请补充授权委托书。\n第二行  "),
                None,
            )
            .await
            .unwrap();
        assert_eq!(r.to, Some(State::NotAccepted));
        let h = s.history(1).await.unwrap();
        let last = h.last().unwrap();
        assert_eq!(last.action, "not_accept");
        assert_eq!(
            last.reason.as_deref(),
            Some("材料不全，请补充授权委托书。\n第二行"),
            "{}: trimmed, kept",
            db.label
        );
        let too_long = "字".repeat(2001);
        let other = first(&s, Stage::Acceptance, Kind::Invitation, SEED_COUNTY).await;
        assert!(matches!(
            st(&db, &zhao)
                .await
                .decide(&zhao, other.id, Decision::Reject, Some(&too_long), None)
                .await,
            Err(Error::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn confirming_an_invitation_binds_the_user_unit() {
    for db in databases().await {
        let s = demo_store(&db, 600).await;
        // A county confirms invitations by default.
        let bureau = s
            .queue(&q(Stage::Confirmation, Some(Kind::Invitation), SEED_COUNTY))
            .await
            .unwrap();
        let item = bureau
            .rows
            .iter()
            .find(|r| r.state == State::PendingConfirmation)
            .expect("an invitation to confirm");
        let app = s.application(item.id).await.unwrap();
        let direct = app.direct_unit.clone().unwrap();
        let before = s.bindings(direct.id, false).await.unwrap().len();
        let decider = app.last_decider.clone().unwrap();
        let login = if decider == "mouxian-zhao" {
            "mouxian-qian"
        } else {
            "mouxian-zhao"
        };
        let who = officer(&s, login).await;
        // Default roles: accept and review, not confirm.
        assert!(matches!(
            st(&db, &who)
                .await
                .decide(&who, item.id, Decision::Pass, None, None)
                .await,
            Err(Error::Forbidden(_))
        ));
        s.upsert_officer(
            login,
            &who.name,
            SEED_COUNTY,
            &[Role::Accept, Role::Review, Role::Confirm],
        )
        .await
        .unwrap();
        let who = officer(&s, login).await;
        let r = st(&db, &who)
            .await
            .decide(&who, item.id, Decision::Pass, None, None)
            .await
            .unwrap();
        assert!(r.ok(), "{:?}", r.error);
        let after = s.bindings(direct.id, false).await.unwrap();
        assert_eq!(after.len(), before + 1, "{}", db.label);
        assert!(
            after
                .iter()
                .any(|b| b.invitation_id == item.id && b.user_unit_id == app.unit.id)
        );
        let auths = scalar(&s, &format!("SELECT count(*) FROM authorisations WHERE active AND direct_unit_id = {} AND unit_id = {}", direct.id, app.unit.id)).await;
        assert!(auths >= 1);
    }
}

#[tokio::test]
async fn a_stage_moved_to_the_province_by_configuration() {
    for db in databases().await {
        let mut s = demo_store(&db, 600).await;
        let county_before = s
            .queue_count(Stage::Confirmation, &[Kind::Invitation], SEED_COUNTY, "")
            .await
            .unwrap();
        assert!(county_before > 0);
        let mut wf = s.workflow.clone();
        wf.set(StageRule {
            kind: Kind::Invitation,
            stage: Stage::Confirmation,
            level: Level::Province,
            role: Role::Confirm,
        })
        .unwrap();
        s.save_workflow(&wf).await.unwrap();
        assert_eq!(
            s.queue_count(Stage::Confirmation, &[Kind::Invitation], SEED_COUNTY, "")
                .await
                .unwrap(),
            0,
            "{}",
            db.label
        );
        assert!(
            s.queue_count(Stage::Confirmation, &[Kind::Invitation], PROVINCE, "")
                .await
                .unwrap()
                >= county_before
        );
        // The table in the database says the same, for database-side enforcement.
        let lvl = pairs(&s, "SELECT CAST(0 AS BIGINT), level FROM workflow_stages WHERE kind = 'invitation' AND stage = 'confirmation'").await;
        assert_eq!(lvl[0].1, "province");
        // A store opened afterwards reads it back.
        let again = Store::open(&db.url).await.unwrap();
        assert_eq!(again.workflow, wf);
        let zhou = officer(&again, "sheng-zhou").await;
        assert!(
            again
                .workflow
                .queues_for(&zhou)
                .contains(&(Stage::Confirmation, Kind::Invitation))
        );
    }
}

#[tokio::test]
async fn an_exit_waits_for_unbinding_then_cascades() {
    for db in databases().await {
        let s = demo_store(&db, 1200).await;
        // An exit pending acceptance whose unit still has user units bound.
        let exits = s
            .queue(&QueueQuery {
                limit: 500,
                older_than: None,
                ..q(Stage::Acceptance, Some(Kind::Exit), SEED_COUNTY)
            })
            .await
            .unwrap()
            .rows;
        let mut pick = None;
        for e in &exits {
            if e.bound_user_units > 0 {
                pick = Some(e.clone());
                break;
            }
        }
        let exit = match pick {
            Some(e) => e,
            None => {
                // Bind one so that the precondition fails.
                let e = exits.first().expect("an exit to accept").clone();
                let inv = pairs(
                    &s,
                    "SELECT id, '' FROM applications WHERE kind = 'invitation' LIMIT 1",
                )
                .await[0]
                    .0;
                exec(&s, &format!("INSERT INTO bindings (direct_unit_id, user_unit_id, relation, since, invitation_id) VALUES ({}, {}, 'branch', '2024-01-01T00:00:00Z', {inv})", e.unit_id, e.unit_id + 1)).await;
                s.queue(&QueueQuery {
                    limit: 500,
                    older_than: None,
                    ..q(Stage::Acceptance, Some(Kind::Exit), SEED_COUNTY)
                })
                .await
                .unwrap()
                .rows
                .into_iter()
                .find(|r| r.id == e.id)
                .unwrap()
            }
        };
        let unit = exit.unit_id;
        let bound = exit.bound_user_units;
        assert!(
            exit.failed_checks >= 1,
            "the queue shows the failing precondition"
        );
        let (zhao, qian, zhou) = (
            officer(&s, "mouxian-zhao").await,
            officer(&s, "mouxian-qian").await,
            officer(&s, "sheng-zhou").await,
        );
        let r = st(&db, &zhao)
            .await
            .decide(&zhao, exit.id, Decision::Pass, None, None)
            .await
            .unwrap_err();
        assert!(matches!(r, Error::Precondition(_)), "{}: {r}", db.label);
        assert!(
            r.to_string().contains(&bound.to_string()),
            "refusal names the count"
        );
        assert_eq!(
            s.application(exit.id).await.unwrap().state,
            State::PendingAcceptance
        );

        // Unbind all, with one reason.
        let ids: Vec<DecideItem> = s
            .bindings(unit, false)
            .await
            .unwrap()
            .iter()
            .map(|b| DecideItem {
                id: b.id,
                version: Some(b.version),
            })
            .collect();
        assert!(matches!(
            st(&db, &zhao).await.unbind(&zhao, &ids, "").await,
            Err(Error::Invalid(_))
        ));
        let res = st(&db, &zhao)
            .await
            .unbind(&zhao, &ids, "直连单位申请退出，解除全部使用单位")
            .await
            .unwrap();
        assert!(res.iter().all(|r| r.ok()), "{res:?}");
        assert_eq!(s.bound_count(unit).await.unwrap(), 0);
        let unbinds = scalar(
            &s,
            "SELECT count(*) FROM audit_events WHERE action = 'unbind'",
        )
        .await;
        assert_eq!(
            unbinds,
            ids.len() as i64,
            "{}: one audit event per binding",
            db.label
        );
        // Twice: already unbound.
        assert!(
            st(&db, &zhao)
                .await
                .unbind(&zhao, &ids[..1], "再次")
                .await
                .unwrap()[0]
                .error
                .is_some()
        );

        // Something for the cascade to end: an in-flight subscription.
        let subs_before = scalar(&s, &format!("SELECT count(*) FROM applications WHERE unit_id = {unit} AND kind = 'subscription' AND state IN ('pending_acceptance','pending_confirmation')")).await;
        let invs_before = scalar(&s, &format!("SELECT count(*) FROM applications WHERE direct_unit_id = {unit} AND kind = 'invitation' AND state IN ('awaiting_unit','pending_acceptance','pending_confirmation')")).await;
        let app = s.application(exit.id).await.unwrap();
        let effects = app.exit_effects.clone().unwrap();
        assert_eq!(effects.in_flight.len() as i64, subs_before + invs_before);
        let unsuccessful_before = scalar(
            &s,
            "SELECT count(*) FROM audit_events WHERE action = 'set_unsuccessful'",
        )
        .await;

        assert!(
            st(&db, &zhao)
                .await
                .decide(&zhao, exit.id, Decision::Pass, None, None)
                .await
                .unwrap()
                .ok()
        );
        assert!(
            st(&db, &qian)
                .await
                .decide(&qian, exit.id, Decision::Pass, None, None)
                .await
                .unwrap()
                .ok()
        );
        let r = st(&db, &zhou)
            .await
            .decide(&zhou, exit.id, Decision::Pass, None, None)
            .await
            .unwrap();
        assert!(r.ok(), "{:?}", r.error);
        let u = s.unit(unit).await.unwrap();
        assert!(
            !u.facts.direct_connect && !u.facts.exiting,
            "{}: the unit is no longer direct-connect",
            db.label
        );
        assert_eq!(
            scalar(
                &s,
                &format!("SELECT count(*) FROM capabilities WHERE unit_id = {unit} AND active")
            )
            .await,
            0
        );
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT count(*) FROM authorisations WHERE direct_unit_id = {unit} AND active"
                )
            )
            .await,
            0
        );
        let still = scalar(&s, &format!(
            "SELECT count(*) FROM applications WHERE ((kind = 'invitation' AND direct_unit_id = {unit}) OR (kind = 'subscription' AND unit_id = {unit}))
             AND state IN ('awaiting_unit','pending_acceptance','pending_review','pending_confirmation')")).await;
        assert_eq!(
            still, 0,
            "{}: nothing of the unit stays in flight",
            db.label
        );
        let set = scalar(
            &s,
            "SELECT count(*) FROM audit_events WHERE action = 'set_unsuccessful'",
        )
        .await;
        assert_eq!(
            set - unsuccessful_before,
            subs_before + invs_before,
            "each one audited"
        );
    }
}

#[tokio::test]
async fn paper_receipt_is_noted_and_audited() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let zhao = officer(&s, "mouxian-zhao").await;
        let m = s
            .materials(1)
            .await
            .unwrap()
            .into_iter()
            .find(|m| !m.paper_received)
            .unwrap();
        st(&db, &zhao)
            .await
            .mark_paper_received(&zhao, m.id)
            .await
            .unwrap();
        assert!(
            s.materials(1)
                .await
                .unwrap()
                .iter()
                .find(|x| x.id == m.id)
                .unwrap()
                .paper_received
        );
        assert_eq!(
            s.history(1).await.unwrap().last().unwrap().action,
            "paper_received"
        );
        let other = officer(&s, "qingshan-zhao").await;
        assert!(matches!(
            st(&db, &other)
                .await
                .mark_paper_received(&other, m.id)
                .await,
            Err(Error::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused_with_its_own_message() {
    for db in databases().await {
        let s = Store::open(&db.url).await.unwrap();
        let blob = if db.label == "sqlite" {
            "X''"
        } else {
            "'\\x'::bytea"
        };
        exec(&s, &format!("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'future', TRUE, {blob}, 0)"))
            .await;
        s.close().await;
        let e = Store::open(&db.url).await.unwrap_err();
        assert!(matches!(e, Error::NewerSchema { .. }), "{}: {e}", db.label);
        assert!(e.to_string().contains("升级"));
    }
}

#[tokio::test]
async fn applicant_text_with_escapes_is_stored_as_is_but_drawn_inert() {
    let db = fresh_sqlite();
    let s = demo_store(&db, 300).await;
    let hostile = pairs(
        &s,
        "SELECT id, name FROM units WHERE name LIKE '%' || char(27) || '%'",
    )
    .await;
    assert!(!hostile.is_empty(), "demo data holds escape sequences");
    for (_, name) in hostile {
        assert!(!text::inert(&name).chars().any(text::is_unsafe));
    }
}

#[tokio::test]
async fn a_console_hears_of_other_officers_changes() {
    for db in databases().await {
        demo_store(&db, 300).await;
        // Both consoles are officers' own logins: LISTEN works for them.
        let (qian, _) = as_officer(&db, "mouxian-qian").await;
        let mut watch = qian.watch().await.unwrap();
        let (other, zhao) = as_officer(&db, "mouxian-zhao").await;
        let id = first(&other, Stage::Acceptance, Kind::Invitation, SEED_COUNTY)
            .await
            .id;
        let waiting = tokio::spawn(async move {
            let t = std::time::Instant::now();
            watch.changed().await.unwrap();
            t.elapsed()
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        other
            .decide(&zhao, id, Decision::Pass, None, None)
            .await
            .unwrap();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("told of the change")
            .unwrap();
        assert!(waited.as_secs() < 10, "{}", db.label);
    }
}

#[tokio::test]
async fn each_province_applies_its_own_thresholds() {
    let db = fresh_sqlite();
    let mut s = demo_store(&db, 300).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deploy.toml");
    // The seed unit's revenue is 86612 万元: above the default, below this province's.
    std::fs::write(
        &file,
        format!(
            "[thresholds.default]\nrevenue_wan = 50000\ninvoice_count = 20000\ninvoice_amount_wan = 30000\nlivelihood_factor = 0.5\n\n\
             [thresholds.\"{PROVINCE}\"]\nrevenue_wan = 100000\ninvoice_count = 20000\ninvoice_amount_wan = 30000\nlivelihood_factor = 0.5\n"
        ),
    )
    .unwrap();
    let known = s.bureau_levels().await.unwrap();
    let deployment = leqi_console::deploy::Deployment::load(&file, &known).unwrap();
    let table = deployment.thresholds.clone().unwrap();
    // An administrator applies them; they live in the database from then on.
    s.apply_deployment("sheng-zheng", Some(PROVINCE), &deployment)
        .await
        .unwrap();
    assert_eq!(Store::open(&db.url).await.unwrap().thresholds, table);
    let app = s.application(1).await.unwrap();
    let outcome = |t: &ThresholdTable| {
        app.checks(t)
            .into_iter()
            .find(|c| c.id == leqi_console::domain::checks::CheckId::Thresholds)
            .unwrap()
    };
    let c = outcome(&table);
    assert_eq!(c.outcome, leqi_console::domain::checks::Outcome::Fail);
    assert!(c.detail_zh.contains("100000"), "{}", c.detail_zh);
    assert_eq!(
        outcome(&ThresholdTable::default()).outcome,
        leqi_console::domain::checks::Outcome::Pass
    );
    // A province without its own section uses the default.
    let mut other = app.clone();
    other.province_id = "13400000000".into();
    let c = other
        .checks(&table)
        .into_iter()
        .find(|c| c.id == leqi_console::domain::checks::CheckId::Thresholds)
        .unwrap();
    assert_eq!(c.outcome, leqi_console::domain::checks::Outcome::Pass);
}

#[tokio::test]
async fn a_new_database_holds_the_workflow_table() {
    for db in databases().await {
        let s = Store::open(&db.url).await.unwrap();
        let n = scalar(&s, "SELECT count(*) FROM workflow_stages").await;
        let expected = Kind::ALL
            .iter()
            .map(|k| leqi_console::domain::workflow::stages(*k).len() as i64)
            .sum::<i64>();
        assert_eq!(
            n, expected,
            "{}: every stage of every kind is stored",
            db.label
        );
        let province = pairs(&s, "SELECT CAST(0 AS BIGINT), level FROM workflow_stages WHERE kind = 'access' AND stage = 'confirmation'").await;
        assert_eq!(province[0].1, "province");
    }
}
