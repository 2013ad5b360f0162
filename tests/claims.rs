//! Claims on both backends, each officer connected as themselves: a held
//! item is refused to others naming the holder, taken over with a reason,
//! lapses with its lease (the test moves the lease's end into the past,
//! as the database owner: its clock), ends with the decision; batches
//! claim their items in one step and skip those held; 16 officers racing
//! for the same 500 items leave exactly one holder each.

mod common;
use common::*;
use leqi_console::domain::*;
use leqi_console::store::*;

/// The actions on an application's audit trail, in order.
async fn actions(s: &Store, id: i64) -> Vec<String> {
    pairs(
        s,
        &format!("SELECT id, action FROM audit_events WHERE application_id = {id} AND action <> 'submit' ORDER BY id"),
    )
    .await
    .into_iter()
    .map(|(_, a)| a)
    .collect()
}

/// Claims in force at the applications' versions (a decision ends a claim
/// by moving its application on; the row stays until replaced).
const LIVE: &str =
    "claims c JOIN applications a ON a.id = c.application_id AND a.version = c.version";

/// Moves a lease's start and end into the past: the lease has run out.
async fn age_lease(s: &Store, id: i64) {
    exec(
        s,
        &format!(
            "UPDATE claims SET claimed_at = '2020-01-01T00:00:00+00:00', expires_at = '2020-01-01T00:15:00+00:00'
             WHERE application_id = {id}"
        ),
    )
    .await;
}

async fn hold_take_over_lapse(db: &TestDb) {
    let setup = demo_store(db, 50).await;
    let ids = pending_items(&setup, Kind::Access, State::PendingAcceptance, 3).await;
    let (a, ao) = as_officer(db, "mouxian-zhao").await;
    let (b, bo) = as_officer(db, "mouxian-qian").await;
    let id = ids[0];
    let r = a.claim(&ao, &[id], 15, None).await.unwrap();
    assert!(r[0].ok(), "{}: {:?}", db.label, r[0]);
    assert_eq!(r[0].holder.as_deref(), Some("mouxian-zhao"));
    // Another officer is refused, told who holds it and until when.
    let r = b.claim(&bo, &[id], 15, None).await.unwrap();
    assert_eq!(r[0].holder.as_deref(), Some("mouxian-zhao"), "{}", db.label);
    let f = r[0].error.as_ref().expect("refused");
    assert_eq!(f.kind, FailureKind::Held);
    assert!(f.message.contains("mouxian-zhao"), "{}", f.message);
    match b.decide(&bo, id, Decision::Pass, None, None).await {
        Err(e @ Error::Held(_)) => {
            assert_eq!(e.exit_code(), 5);
            assert!(e.to_string().contains("mouxian-zhao"));
        }
        other => panic!("{}: held item decided: {other:?}", db.label),
    }
    let state = pairs(
        &setup,
        &format!("SELECT version, state FROM applications WHERE id = {id}"),
    )
    .await;
    assert_eq!(
        state,
        vec![(1, "pending_acceptance".to_string())],
        "{}",
        db.label
    );
    // A take-over needs a reason.
    assert!(b.claim(&bo, &[id], 15, Some("  ")).await.is_err());
    let r = b.claim(&bo, &[id], 15, Some("赵一今日请假")).await.unwrap();
    assert!(r[0].ok(), "{}: {:?}", db.label, r[0]);
    let row = pairs(
        &setup,
        &format!("SELECT application_id, officer || '/' || taken_from FROM claims WHERE application_id = {id}"),
    )
    .await;
    assert_eq!(row, vec![(id, "mouxian-qian/mouxian-zhao".to_string())]);
    // Now the first officer is the one refused.
    assert!(matches!(
        a.decide(&ao, id, Decision::Pass, None, None).await,
        Err(Error::Held(h)) if h.officer == "mouxian-qian"
    ));
    // The lease runs out: the first officer decides, the lapse recorded first.
    age_lease(&setup, id).await;
    a.decide(&ao, id, Decision::Pass, None, None).await.unwrap();
    assert_eq!(
        actions(&setup, id).await,
        ["claim", "take_over", "claim_lapse", "accept"],
        "{}",
        db.label
    );
    assert_eq!(
        scalar(
            &setup,
            &format!("SELECT count(*) FROM {LIVE} WHERE c.application_id = {id}")
        )
        .await,
        0
    );
    let reason = pairs(
        &setup,
        &format!("SELECT id, reason FROM audit_events WHERE application_id = {id} AND action = 'take_over'"),
    )
    .await;
    assert!(reason[0].1.contains("赵一今日请假") && reason[0].1.contains("mouxian-zhao"));
    // A decision ends the decider's own claim; a release ends it audited.
    let (second, third) = (ids[1], ids[2]);
    a.claim(&ao, &[second, third], 15, None).await.unwrap();
    assert_eq!(a.claims(&ao, true).await.unwrap().len(), 2);
    assert_eq!(
        b.claims(&bo, false).await.unwrap().len(),
        2,
        "{}: others see them",
        db.label
    );
    assert!(b.claims(&bo, true).await.unwrap().is_empty());
    a.decide(&ao, second, Decision::Pass, None, None)
        .await
        .unwrap();
    assert_eq!(a.release(&ao, &[third, second]).await.unwrap(), vec![third]);
    assert_eq!(actions(&setup, second).await, ["claim", "accept"]);
    assert_eq!(actions(&setup, third).await, ["claim", "release"]);
    assert_eq!(
        scalar(&setup, &format!("SELECT count(*) FROM {LIVE}")).await,
        0
    );
    // Releasing what another holds does nothing.
    b.claim(&bo, &[third], 15, None).await.unwrap();
    assert!(a.release(&ao, &[third]).await.unwrap().is_empty());
    assert_eq!(
        scalar(&setup, &format!("SELECT count(*) FROM {LIVE}")).await,
        1
    );
    // The chains hold the claim events whole (the fixture's items have no
    // submission event, so their replay is not what is checked here).
    let report = setup.verify(None).await.unwrap();
    let broken: Vec<_> = report
        .findings
        .iter()
        .filter(|f| {
            ["哈希", "缺失", "入链"]
                .iter()
                .any(|w| f.problem.contains(w))
        })
        .collect();
    assert!(broken.is_empty(), "{}: {broken:?}", db.label);
}

#[tokio::test]
async fn a_claim_holds_is_taken_over_and_lapses_on_sqlite() {
    hold_take_over_lapse(&fresh_sqlite()).await;
}

#[tokio::test]
async fn a_claim_holds_is_taken_over_and_lapses_on_postgres() {
    if let Some(db) = fresh_pg().await {
        hold_take_over_lapse(&db).await;
    }
}

async fn batch_skips_held(db: &TestDb) {
    let setup = demo_store(db, 50).await;
    let ids = pending_items(&setup, Kind::Access, State::PendingAcceptance, 4).await;
    let (a, ao) = as_officer(db, "mouxian-zhao").await;
    let (b, bo) = as_officer(db, "mouxian-qian").await;
    a.claim(&ao, &ids[..1], 15, None).await.unwrap();
    let items: Vec<DecideItem> = ids
        .iter()
        .map(|&id| DecideItem { id, version: None })
        .collect();
    let batch = b
        .create_batch(&bo, BatchOp::Decide(Decision::Pass), None, &items)
        .await
        .unwrap();
    b.run_batch(&bo, &batch, 2, |_, _| true).await.unwrap();
    let results = b.batch_items(&batch, false).await.unwrap();
    let held = results.iter().find(|r| r.item_id == ids[0]).unwrap();
    assert!(
        held.skipped() && !held.failed(),
        "{}: held item skipped",
        db.label
    );
    assert_eq!(held.outcome, ItemOutcome::Failed(FailureKind::Held));
    assert!(
        held.message
            .as_deref()
            .unwrap_or("")
            .contains("mouxian-zhao"),
        "{}: {:?}",
        db.label,
        held.message
    );
    assert_eq!(results.iter().filter(|r| r.ok()).count(), 3, "{}", db.label);
    // The batch's own claims ended with it; the other officer's stands.
    let left = pairs(
        &setup,
        &format!("SELECT c.application_id, c.officer FROM {LIVE}"),
    )
    .await;
    assert_eq!(
        left,
        vec![(ids[0], "mouxian-zhao".to_string())],
        "{}",
        db.label
    );
    for id in &ids[1..] {
        assert_eq!(actions(&setup, *id).await, ["claim", "accept"]);
    }
}

#[tokio::test]
async fn a_batch_claims_in_one_step_and_skips_what_others_hold_on_sqlite() {
    batch_skips_held(&fresh_sqlite()).await;
}

#[tokio::test]
async fn a_batch_claims_in_one_step_and_skips_what_others_hold_on_postgres() {
    if let Some(db) = fresh_pg().await {
        batch_skips_held(&db).await;
    }
}

/// 16 officers claim the same 500 items at once.
async fn race(db: &TestDb) {
    let setup = demo_store(db, 50).await;
    let ids = pending_items(&setup, Kind::Access, State::PendingAcceptance, 500).await;
    let bureau = officer(&setup, "mouxian-zhao").await.bureau_id;
    let mut officers = Vec::new();
    for i in 0..16 {
        let login = format!("racer-{i:02}");
        setup
            .upsert_officer(&login, &format!("赛{i}"), &bureau, &[Role::Accept])
            .await
            .unwrap();
        officers.push(as_officer(db, &login).await);
    }
    let before = scalar(&setup, "SELECT count(*) FROM audit_events").await;
    let mut tasks = Vec::new();
    for (t, (store, o)) in officers.into_iter().enumerate() {
        let mut order = ids.clone();
        order.rotate_left(t * 31 % ids.len());
        if t % 3 == 0 {
            order.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let r = store.claim(&o, &order, 15, None).await.unwrap();
            r.into_iter()
                .filter(|c| c.ok())
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        won.extend(t.await.unwrap());
    }
    won.sort();
    assert_eq!(
        won, ids,
        "{}: each item claimed by exactly one officer",
        db.label
    );
    let (first, last) = (ids[0], ids[ids.len() - 1]);
    let range = format!("BETWEEN {first} AND {last}");
    let holders = scalar(
        &setup,
        &format!("SELECT count(DISTINCT application_id) FROM claims WHERE application_id {range}"),
    )
    .await;
    assert_eq!(holders, 500, "{}", db.label);
    let claims = scalar(
        &setup,
        &format!("SELECT count(*) FROM claims WHERE application_id {range}"),
    )
    .await;
    let events = scalar(
        &setup,
        &format!(
            "SELECT count(*) FROM audit_events WHERE action = 'claim' AND application_id {range}"
        ),
    )
    .await;
    assert_eq!(
        (claims, events),
        (500, 500),
        "{}: audit events equal claims",
        db.label
    );
    assert_eq!(
        scalar(&setup, "SELECT count(*) FROM audit_events").await,
        before + 500
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_officers_race_for_claims_on_sqlite() {
    race(&fresh_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_officers_race_for_claims_on_postgres() {
    if let Some(db) = fresh_pg().await {
        race(&db).await;
    }
}

fn bin(db: &TestDb, login: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .arg("--database")
        .arg(login_url(&db.url, login))
        .args(["--officer", login])
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("leqi-claims-none"),
        )
        .output()
        .unwrap()
}

/// `decide --take-over` takes over only when the claim is all that stands
/// in the way: a stale version leaves the holder's claim as it was. A held
/// item's refusal names the holder and says how to take it over, as JSON
/// too with `--json`.
async fn take_over_only_when_it_helps(db: &TestDb) {
    let setup = demo_store(db, 50).await;
    let ids = pending_items(&setup, Kind::Access, State::PendingAcceptance, 2).await;
    let (a, ao) = as_officer(db, "mouxian-zhao").await;
    a.claim(&ao, &ids, 15, None).await.unwrap();
    let id = ids[0].to_string();
    let o = bin(
        db,
        "mouxian-qian",
        &[
            "decide",
            "pass",
            &id,
            "--version",
            "9",
            "--take-over",
            "--reason",
            "试试",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let held = pairs(
        &setup,
        &format!("SELECT c.application_id, c.officer FROM {LIVE} WHERE c.application_id = {id}"),
    )
    .await;
    assert_eq!(
        held,
        vec![(ids[0], "mouxian-zhao".to_string())],
        "{}: the holder keeps it",
        db.label
    );
    assert_eq!(
        actions(&setup, ids[0]).await,
        ["claim"],
        "{}: no take-over written",
        db.label
    );
    let o = bin(db, "mouxian-qian", &["decide", "pass", &id, "--json"]);
    assert_eq!(o.status.code(), Some(5));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on refusal");
    assert_eq!(v[0]["error"]["kind"], "held", "{v}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mouxian-zhao") && err.contains("--take-over"),
        "{err}"
    );
    // Releasing what one does not hold is said, with exit 3.
    let o = bin(db, "mouxian-qian", &["release", &id]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("{id}：")));
}

#[tokio::test]
async fn take_over_only_when_it_helps_on_sqlite() {
    take_over_only_when_it_helps(&fresh_sqlite()).await;
}

#[tokio::test]
async fn take_over_only_when_it_helps_on_postgres() {
    if let Some(db) = fresh_pg().await {
        take_over_only_when_it_helps(&db).await;
    }
}

/// On PostgreSQL an officer cannot claim another county's applications
/// (refused as forbidden, 42501, as deciding them is), and a claim locks
/// nothing outside the officer's own jurisdiction.
#[tokio::test]
async fn another_countys_items_are_refused_and_not_locked_on_postgres() {
    let Some(db) = fresh_pg().await else {
        return;
    };
    let setup = demo_store(&db, 300).await;
    let theirs = pairs(
        &setup,
        "SELECT id, state FROM applications WHERE county_id = '13301020000' AND acting_bureau = '13301020000' AND state = 'pending_acceptance' ORDER BY id LIMIT 1",
    )
    .await;
    let id = theirs[0].0;
    let (q, qo) = as_officer(&db, "mouxian-qian").await;
    let r = q.claim(&qo, &[id], 15, None).await.unwrap();
    let f = r[0].error.as_ref().expect("refused");
    assert_eq!(f.kind, FailureKind::Forbidden, "{f:?}");
    assert_eq!(scalar(&setup, "SELECT count(*) FROM claims").await, 0);
    // A claim held open in a transaction locks none of that county's rows:
    // its own officer decides at once.
    let Backend::Postgres(pool) = &q.backend else {
        unreachable!()
    };
    let mut open = pool.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM leqi_claim($1, 15, NULL, NULL)")
        .bind(vec![id])
        .fetch_one(&mut *open)
        .await
        .unwrap();
    let (z, zo) = as_officer(&db, "qingshan-zhao").await;
    let decided = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        z.decide(&zo, id, Decision::Pass, None, None),
    )
    .await
    .expect("not blocked by another county's open claim");
    assert!(decided.is_ok(), "{decided:?}");
    open.rollback().await.unwrap();
}

/// A take-over from the console: the item becomes the officer's, and the
/// reason, now in the audit trail, leaves no draft behind to be offered
/// again the next time.
#[tokio::test]
async fn a_take_over_from_the_console_leaves_no_draft() {
    use leqi_console::console::headless::{press, type_text};
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let id = pending_items(&s, Kind::Extension, State::PendingAcceptance, 1).await[0];
        let (qs, qian) = as_officer(&db, "mouxian-qian").await;
        assert!(qs.claim(&qian, &[id], 15, None).await.unwrap()[0].ok());
        let dir = tempfile::tempdir().unwrap();
        let (zs, _) = as_officer(&db, "mouxian-zhao").await;
        let (mut a, x) = console_app(
            &zs,
            "mouxian-zhao",
            leqi_console::i18n::Lang::Zh,
            dir.path(),
            "t",
            None,
        )
        .await;
        press(&mut a, &x, "/").await;
        type_text(&mut a, &x, "批量测试").await;
        press(&mut a, &x, "enter T").await;
        type_text(&mut a, &x, "钱伟请假，由我接办").await;
        press(&mut a, &x, "ctrl-s").await;
        let holder = format!(
            "SELECT c.application_id, c.officer FROM claims c JOIN applications a
               ON a.id = c.application_id AND a.version = c.version WHERE c.application_id = {id}"
        );
        assert_eq!(
            pairs(&s, &holder).await[0].1,
            "mouxian-zhao",
            "{}",
            db.label
        );
        assert_eq!(
            actions(&s, id).await,
            ["claim", "take_over"],
            "{}",
            db.label
        );
        let drafts: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("take-"))
            .collect();
        assert!(drafts.is_empty(), "{}: {drafts:?}", db.label);
    }
}
