//! Batch work: many items decided or unbound at once, each on its own
//! terms, with a stored record that survives a crash.

mod common;
use common::*;
use leqi_console::app::{App, Modal, Screen};
use leqi_console::console::executor::Executor;
use leqi_console::console::headless::{press, type_text};
use leqi_console::demo::{self, SEED_COUNTY};
use leqi_console::domain::*;
use leqi_console::i18n::Lang;
use leqi_console::store::*;
use std::process::Command;

fn bin(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .arg("--database")
        .arg(acting_url(db, args))
        .args(args)
        .output()
        .unwrap()
}

/// The console of `login`, connected as them.
async fn app(db: &TestDb, login: &str, drafts: &std::path::Path) -> (App, Executor) {
    let (store, _) = as_officer(db, login).await;
    console_app(&store, login, Lang::Zh, drafts, "t", None).await
}

#[test]
fn the_command_line_decides_many_and_reports_each() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![fresh_sqlite()];
    dbs.extend(rt.block_on(fresh_pg()));
    for db in &dbs {
        let u = db.url.as_str();
        assert!(bin(u, &["demo", "--scale", "300"]).status.success());
        let (ids, other) = rt.block_on(async {
            let s = Store::open(u).await.unwrap();
            let ids = pending_items(&s, Kind::Extension, State::PendingAcceptance, 8).await;
            // One item of another county: forbidden for this officer.
            let other = pairs(&s, "SELECT id, county_id FROM applications WHERE state = 'pending_acceptance' AND county_id <> '13301010000' LIMIT 1").await[0].0;
            (ids, other)
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ids.txt");
        std::fs::write(
            &file,
            format!("# ids\n{}\n{}\n\n{other}\n999999\n", ids[3], ids[4]),
        )
        .unwrap();
        let mut args = vec![
            "--officer",
            "mouxian-zhao",
            "decide",
            "pass",
            "--json",
            "--from-file",
            file.to_str().unwrap(),
        ];
        let first: Vec<String> = ids[..3].iter().map(|i| i.to_string()).collect();
        args.extend(first.iter().map(|s| s.as_str()));
        let out = bin(&login_url(u, "mouxian-zhao"), &args);
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}: not every item succeeded; the first failure is forbidden",
            db.label
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 7);
        assert_eq!(items.iter().filter(|i| i["outcome"] == "done").count(), 5);
        assert!(
            items
                .iter()
                .any(|i| i["item_id"] == other && i["outcome"] == "forbidden")
        );
        assert!(
            items
                .iter()
                .any(|i| i["item_id"] == 999999 && i["outcome"] == "not_found")
        );
        let batch = v["batch"]["id"].as_str().unwrap().to_string();
        rt.block_on(async {
            let s = Store::open(u).await.unwrap();
            let n = scalar(
                &s,
                &format!("SELECT count(*) FROM audit_events WHERE batch_id = '{batch}'"),
            )
            .await;
            assert_eq!(n, 5, "{}: the batch's audit events share its id", db.label);
        });
        // The table form, and a CSV a spreadsheet opens.
        let csv = dir.path().join("r.csv");
        assert!(
            bin(
                &login_url(u, "mouxian-zhao"),
                &[
                    "--officer",
                    "mouxian-zhao",
                    "batch",
                    "export",
                    &batch,
                    csv.to_str().unwrap()
                ]
            )
            .status
            .success()
        );
        let bytes = std::fs::read(&csv).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(
            text.starts_with("序号,编号,类型,单位,原状态,新状态,结果,说明\r\n")
                && text.contains("失败")
                && text.contains("成功"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 8);
        // All succeed: exit 0.
        let ok = bin(
            u,
            &[
                "--officer",
                "mouxian-qian",
                "decide",
                "pass",
                &ids[5].to_string(),
                &ids[6].to_string(),
            ],
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains("成功"));
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
}

#[tokio::test]
async fn the_console_decides_a_selection_in_one_batch() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let ids = pending_items(&s, Kind::Extension, State::PendingAcceptance, 250).await;
        let dir = tempfile::tempdir().unwrap();
        let (mut a, x) = app(&db, "mouxian-zhao", dir.path()).await;
        press(&mut a, &x, "/").await;
        type_text(&mut a, &x, "批量测试").await;
        press(&mut a, &x, "enter *").await;
        assert_eq!(
            a.queue.selection.items.len(),
            250,
            "{}: every item matching the filter, not only those on screen",
            db.label
        );
        let shown = render_text(&a);
        assert!(shown.contains("已选 250"), "the count is visible");
        // Someone else takes one first: it is skipped with its reason.
        let (qs, qian) = as_officer(&db, "mouxian-qian").await;
        qs.decide(&qian, ids[7], Decision::Pass, None, None)
            .await
            .unwrap();
        // And another officer is working on one.
        assert!(qs.claim(&qian, &[ids[9]], 15, None).await.unwrap()[0].ok());
        // The selection's current claims held by 赵一, and their events.
        let held = "SELECT count(*) FROM claims c JOIN applications a
                      ON a.id = c.application_id AND a.version = c.version WHERE c.officer = 'mouxian-zhao'";
        let events = |action: &str| {
            format!(
                "SELECT count(*) FROM audit_events WHERE action = '{action}' AND officer = 'mouxian-zhao'"
            )
        };
        // Opening the batch's dialog claims the selection in one step; what
        // another holds is said; closing it releases them.
        press(&mut a, &x, "a").await;
        assert_eq!(scalar(&s, held).await, 248, "{}", db.label);
        assert!(
            a.status
                .as_deref()
                .unwrap_or("")
                .contains("1 项他人正在处理"),
            "{}: {:?}",
            db.label,
            a.status
        );
        press(&mut a, &x, "esc").await;
        assert!(a.modal.is_none());
        assert_eq!(scalar(&s, held).await, 0, "{}: released", db.label);
        assert_eq!(scalar(&s, &events("claim")).await, 248);
        assert_eq!(scalar(&s, &events("release")).await, 248);
        press(&mut a, &x, "a").await;
        let Some(Modal::Confirm { title, lines, .. }) = &a.modal else {
            panic!("a confirmation first")
        };
        assert!(title.contains("250"), "{title}");
        assert!(lines[0].contains("延续 250"), "{lines:?}");
        assert_eq!(scalar(&s, held).await, 248, "{}", db.label);
        // 钱一 takes one over meanwhile: 赵一 is told on the status line and
        // the dialog stays.
        let took = qs
            .claim(&qian, &[ids[11]], 15, Some("申请人来电，由我跟进"))
            .await
            .unwrap();
        assert!(took[0].ok(), "{}: {took:?}", db.label);
        let fx = a.on_msg(leqi_console::app::Msg::Changed);
        leqi_console::console::headless::settle(&mut a, &x, fx).await;
        assert!(
            matches!(a.modal, Some(Modal::Confirm { .. })),
            "{}: the dialog stays",
            db.label
        );
        assert!(
            a.status.as_deref().unwrap_or("").contains("接手"),
            "{}: {:?}",
            db.label,
            a.status
        );
        press(&mut a, &x, "y").await;
        let Screen::Results(r) = &a.screen else {
            panic!("the results")
        };
        let info = r.info.clone().unwrap();
        // Two held by 钱一 are skipped, not failed.
        assert_eq!(
            (info.done, info.failed, info.skipped, info.pending),
            (247, 1, 2, 0),
            "{}",
            db.label
        );
        // The decisions ended the claims; the batch claimed nothing again,
        // and nothing is left held.
        assert_eq!(scalar(&s, held).await, 0, "{}", db.label);
        assert_eq!(scalar(&s, &events("claim")).await, 2 * 248, "{}", db.label);
        assert_eq!(scalar(&s, &events("release")).await, 248, "{}", db.label);
        let batch = info.id.clone();
        assert_eq!(
            scalar(
                &s,
                &format!("SELECT count(*) FROM audit_events WHERE batch_id = '{batch}'")
            )
            .await,
            247
        );
        press(&mut a, &x, "f").await;
        let Screen::Results(r) = &a.screen else {
            panic!()
        };
        let failures = r.visible();
        assert_eq!(failures.len(), 3);
        assert_eq!(failures[0].item_id, ids[7]);
        assert_eq!(failures[1].item_id, ids[9]);
        assert!(
            failures[1]
                .message
                .as_deref()
                .unwrap()
                .contains("mouxian-qian"),
            "{}: the holder named: {:?}",
            db.label,
            failures[1].message
        );
        assert!(
            failures[0]
                .message
                .as_deref()
                .unwrap()
                .contains("mouxian-qian")
        );
        press(&mut a, &x, "e").await;
        // The path is told whole, in a notice.
        let Some(Modal::Message { lines, .. }) = &a.modal else {
            panic!("no export notice")
        };
        let csv = std::fs::read(&lines[0]).unwrap();
        assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
        let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert!(
            csv.starts_with("序号,编号,类型,单位,原状态,新状态,结果,说明"),
            "{csv}"
        );
        press(&mut a, &x, "esc esc").await;
        assert!(matches!(a.screen, Screen::Queue));
        assert!(a.queue.selection.items.is_empty());
    }
}

#[tokio::test]
async fn a_batch_rejection_takes_one_reason() {
    let db = fresh_sqlite();
    let s = demo_store(&db, 300).await;
    let ids = pending_items(&s, Kind::Extension, State::PendingAcceptance, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut a, x) = app(&db, "mouxian-zhao", dir.path()).await;
    press(&mut a, &x, "/").await;
    type_text(&mut a, &x, "批量测试").await;
    press(&mut a, &x, "enter space space space").await;
    assert_eq!(a.queue.selection.items.len(), 3);
    // The range runs from the anchor (the last toggled) to the cursor.
    press(&mut a, &x, "v").await;
    assert_eq!(a.queue.selection.items.len(), 4);
    press(&mut a, &x, "G v").await;
    assert_eq!(
        a.queue.selection.items.len(),
        30,
        "a range from the anchor to the end"
    );
    press(&mut a, &x, "r ctrl-s").await;
    assert!(
        matches!(&a.modal, Some(Modal::Reason(d)) if d.error.is_some()),
        "no reason, no batch"
    );
    type_text(&mut a, &x, "逾期未补正材料").await;
    press(&mut a, &x, "ctrl-s").await;
    assert!(matches!(a.modal, Some(Modal::Confirm { .. })));
    press(&mut a, &x, "y").await;
    for id in ids {
        let app = s.application(id).await.unwrap();
        assert_eq!(app.state, State::NotAccepted);
        assert_eq!(
            app.history.last().unwrap().reason.as_deref(),
            Some("逾期未补正材料")
        );
    }
}

fn render_text(a: &App) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| {
        leqi_console::ui::draw(
            f,
            a,
            &leqi_console::ui::Theme::new(leqi_console::ui::theme::ThemeName::None),
        );
    })
    .unwrap();
    t.backend().to_string()
}

/// An exit from the keyboard: refused while user units are bound, every
/// binding ended from the bindings view, then 受理 → 复核 → 确认 and its
/// cascade.
#[tokio::test]
async fn an_exit_from_the_keyboard() {
    for db in databases().await {
        let s = demo_store(&db, 1200).await;
        let dir = tempfile::tempdir().unwrap();
        let (mut a, x) = app(&db, "mouxian-zhao", dir.path()).await;
        let exit_node = a
            .queue
            .nodes
            .iter()
            .position(|n| n.stage == Stage::Acceptance && n.kind == Some(Kind::Exit))
            .unwrap();
        press(&mut a, &x, "backtab").await;
        for _ in 0..exit_node {
            press(&mut a, &x, "j").await;
        }
        press(&mut a, &x, "tab").await;
        // The exit queue shows its precondition.
        assert!(render_text(&a).contains("未解绑"));
        while a
            .queue
            .window
            .selected()
            .is_some_and(|r| r.bound_user_units == 0)
        {
            let c = a.queue.window.cursor;
            press(&mut a, &x, "j").await;
            assert_ne!(
                c, a.queue.window.cursor,
                "{}: an exit with bound user units",
                db.label
            );
        }
        let exit = a.queue.window.selected().unwrap().clone();
        press(&mut a, &x, "a").await;
        let Some(Modal::Message { lines, .. }) = &a.modal else {
            panic!("told before trying")
        };
        assert!(lines[0].contains(&exit.bound_user_units.to_string()));
        press(&mut a, &x, "esc b").await;
        let Screen::Bindings(b) = &a.screen else {
            panic!("the bindings view")
        };
        assert_eq!(b.rows.len() as i64, exit.bound_user_units);
        press(&mut a, &x, "D").await;
        type_text(&mut a, &x, "直连单位申请退出").await;
        press(&mut a, &x, "ctrl-s").await;
        let Some(Modal::Confirm { lines, .. }) = &a.modal else {
            panic!()
        };
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("解除 {}", exit.bound_user_units))),
            "{lines:?}"
        );
        press(&mut a, &x, "y").await;
        let Screen::Results(r) = &a.screen else {
            panic!()
        };
        assert_eq!(r.info.as_ref().unwrap().done, exit.bound_user_units);
        press(&mut a, &x, "esc").await;
        let Screen::Bindings(b) = &a.screen else {
            panic!("back to the bindings")
        };
        assert!(b.rows.is_empty(), "{}: none left", db.label);
        press(&mut a, &x, "esc").await;
        assert_eq!(s.bound_count(exit.unit_id).await.unwrap(), 0);
        // Now 受理, by this officer.
        while a.queue.window.selected().is_some_and(|r| r.id != exit.id) {
            press(&mut a, &x, "j").await;
        }
        press(&mut a, &x, "a y").await;
        assert_eq!(
            s.application(exit.id).await.unwrap().state,
            State::PendingReview,
            "{:?}",
            a.modal.is_some()
        );
        // 复核 by the other officer, 确认 by the province, each in their console.
        let (mut b, bx) = app(&db, "mouxian-qian", dir.path()).await;
        let review = b
            .queue
            .nodes
            .iter()
            .position(|n| n.stage == Stage::Review && n.kind == Some(Kind::Exit))
            .unwrap();
        press(&mut b, &bx, "backtab").await;
        for _ in 0..review {
            press(&mut b, &bx, "j").await;
        }
        press(&mut b, &bx, "tab").await;
        while b.queue.window.selected().is_some_and(|r| r.id != exit.id) {
            press(&mut b, &bx, "j").await;
        }
        press(&mut b, &bx, "a y").await;
        assert_eq!(
            s.application(exit.id).await.unwrap().state,
            State::PendingConfirmation
        );
        let (mut p, px) = app(&db, "sheng-zhou", dir.path()).await;
        let conf = p
            .queue
            .nodes
            .iter()
            .position(|n| n.kind == Some(Kind::Exit))
            .unwrap();
        press(&mut p, &px, "backtab").await;
        for _ in 0..conf {
            press(&mut p, &px, "j").await;
        }
        press(&mut p, &px, "tab").await;
        while p.queue.window.selected().is_some_and(|r| r.id != exit.id) {
            press(&mut p, &px, "j").await;
        }
        press(&mut p, &px, "a").await;
        let Some(Modal::Confirm { lines, .. }) = &p.modal else {
            panic!()
        };
        let said = lines.join("\n");
        assert!(
            said.contains("取消已订阅能力")
                && said.contains("置为不成功")
                && said.contains("不再是直连单位"),
            "{said}"
        );
        press(&mut p, &px, "y").await;
        assert_eq!(
            s.application(exit.id).await.unwrap().state,
            State::Confirmed
        );
        let u = s.unit(exit.unit_id).await.unwrap();
        assert!(!u.facts.direct_connect, "{}", db.label);
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT count(*) FROM authorisations WHERE direct_unit_id = {} AND active",
                    exit.unit_id
                )
            )
            .await,
            0
        );
    }
}

/// kill -9 in the middle of a batch: every item is done (state change,
/// audit event, result) or untouched; the rest runs on resume.
#[test]
fn a_killed_batch_is_whole_items_and_resumes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![fresh_sqlite()];
    dbs.extend(rt.block_on(fresh_pg()));
    for db in &dbs {
        let u = db.url.as_str();
        let (ids, store) = rt.block_on(async {
            let s = demo_store(db, 300).await;
            (
                pending_items(&s, Kind::Extension, State::PendingAcceptance, 3000).await,
                s,
            )
        });
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            ids.iter().map(|i| format!("{i}:1\n")).collect::<String>(),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_leqi-console"))
            .args([
                "--database",
                &login_url(u, "mouxian-zhao"),
                "--officer",
                "mouxian-zhao",
                "decide",
                "pass",
                "--from-file",
                file.path().to_str().unwrap(),
            ])
            .env("LEQI_BATCH_CHUNK", "20")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the batch is under way, then kill it without warning.
        let start = std::time::Instant::now();
        loop {
            let done = rt.block_on(scalar(
                &store,
                "SELECT count(*) FROM batch_items WHERE outcome = 'done'",
            ));
            if done >= 100 {
                break;
            }
            assert!(start.elapsed().as_secs() < 60, "the batch never started");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        rt.block_on(async {
            let batch = pairs(&store, "SELECT CAST(0 AS BIGINT), id FROM batches").await[0].1.clone();
            let info = store.batch(&batch).await.unwrap();
            assert!(info.pending > 0, "{}: killed mid-batch ({} done)", db.label, info.done);
            let (first, last) = (ids[0], ids[ids.len() - 1]);
            // Whole items only: a moved application has exactly one audit
            // event and a done result; an unmoved one has neither.
            let moved = scalar(&store, &format!("SELECT count(*) FROM applications WHERE id BETWEEN {first} AND {last} AND state <> 'pending_acceptance'")).await;
            // Claims are events too; the decisions are the events that move.
            let audited = scalar(&store, &format!("SELECT count(*) FROM audit_events WHERE application_id BETWEEN {first} AND {last} AND to_state IS NOT NULL")).await;
            let half = scalar(&store, &format!(
                "SELECT count(*) FROM applications a WHERE a.id BETWEEN {first} AND {last} AND (
                    (a.state <> 'pending_acceptance') <> EXISTS (SELECT 1 FROM audit_events e WHERE e.application_id = a.id AND e.to_state IS NOT NULL)
                 OR (a.state <> 'pending_acceptance') <> EXISTS (SELECT 1 FROM batch_items i WHERE i.item_id = a.id AND i.outcome = 'done'))")).await;
            assert_eq!(half, 0, "{}: no half-done item", db.label);
            assert_eq!(moved, audited);
            assert_eq!(moved, info.done);
        });
        // Reopen and run the rest.
        let batch = rt.block_on(pairs(&store, "SELECT CAST(0 AS BIGINT), id FROM batches"))[0]
            .1
            .clone();
        let zu = login_url(u, "mouxian-zhao");
        let listed = bin(
            &zu,
            &["--officer", "mouxian-zhao", "batch", "list", "--unfinished"],
        );
        assert!(String::from_utf8_lossy(&listed.stdout).contains(&batch));
        let out = bin(
            &zu,
            &["--officer", "mouxian-zhao", "batch", "resume", &batch],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        rt.block_on(async {
            let info = store.batch(&batch).await.unwrap();
            assert_eq!((info.done, info.pending, info.failed), (3000, 0, 0), "{}", db.label);
            let moved = scalar(&store, &format!("SELECT count(*) FROM applications WHERE id BETWEEN {} AND {} AND state = 'pending_confirmation' AND version = 2", ids[0], ids[2999])).await;
            assert_eq!(moved, 3000);
        });
        let _ = SEED_COUNTY;
        let _ = demo::PROVINCE;
    }
}

#[tokio::test]
async fn a_units_bindings_are_found_by_code_or_name() {
    let db = fresh_sqlite();
    let s = demo_store(&db, 300).await;
    let (direct, ids) = common::fixtures::synthetic_bindings(&s, 40).await.unwrap();
    let unit = s.unit(direct).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut a, x) = app(&db, "mouxian-zhao", dir.path()).await;
    press(&mut a, &x, "f").await;
    assert!(render_text(&a).contains("查找直连单位"));
    type_text(&mut a, &x, &unit.facts.uscc.to_lowercase()).await;
    press(&mut a, &x, "enter").await;
    let Screen::Bindings(b) = &a.screen else {
        panic!("the bindings view")
    };
    assert_eq!((b.unit, b.rows.len()), (direct, ids.len()));
    // Thousands of rows are drawn as a window: the last is reachable.
    press(&mut a, &x, "end").await;
    let t = render_text(&a);
    assert!(t.contains(&format!("第{}分公司", ids.len() - 1)), "{t}");
    press(&mut a, &x, "esc f").await;
    type_text(&mut a, &x, "批量解绑集团").await;
    press(&mut a, &x, "enter").await;
    assert!(
        matches!(&a.screen, Screen::Bindings(b) if b.unit == direct),
        "found by name"
    );
    press(&mut a, &x, "esc f").await;
    type_text(&mut a, &x, "不存在的单位").await;
    press(&mut a, &x, "enter").await;
    assert!(matches!(a.screen, Screen::Queue));
    assert!(a.status.as_deref().unwrap().contains("没有找到"));
}

/// Two items of one call that would make the same binding (one user unit
/// invited twice by the same direct-connect unit), or the same
/// subscription: the first makes it, the other is refused as a
/// precondition, and the database holds one.
#[tokio::test]
async fn two_items_that_would_make_one_binding_make_it_once() {
    for db in databases().await {
        let admin = demo_store(&db, 600).await;
        let (s, li) = as_officer(&db, "mouxian-li").await;
        for (kind, made) in [
            (
                "invitation",
                "SELECT count(*) FROM bindings b JOIN applications a ON b.direct_unit_id = a.direct_unit_id AND b.user_unit_id = a.unit_id WHERE a.id = {id} AND b.active",
            ),
            (
                "subscription",
                "SELECT count(*) FROM capabilities c JOIN applications a ON c.unit_id = a.unit_id WHERE a.id = {id} AND c.active",
            ),
        ] {
            // One the county could confirm now, and its twin.
            let id = pairs(
                &admin,
                &format!(
                    "SELECT a.id, a.kind FROM applications a
                     WHERE a.kind = '{kind}' AND a.state = 'pending_confirmation' AND a.county_id = '{SEED_COUNTY}'
                       AND (a.kind = 'subscription' OR a.direct_unit_id IS NOT NULL)
                       AND (a.last_decider IS NULL OR a.last_decider <> 'mouxian-li')
                       AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.state = 'in_force'
                                        AND m.unit_id IN (a.unit_id, COALESCE(a.direct_unit_id, 0)))
                       AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.active
                                        AND b.direct_unit_id = a.direct_unit_id AND b.user_unit_id = a.unit_id)
                     ORDER BY a.id LIMIT 1"
                ),
            )
            .await[0]
                .0;
            // Nothing of the kind made yet for its unit.
            if kind == "subscription" {
                exec(&admin, &format!("DELETE FROM capabilities WHERE unit_id = (SELECT unit_id FROM applications WHERE id = {id})")).await;
            }
            let twin = scalar(&admin, "SELECT max(id) + 1 FROM applications").await;
            exec(
                &admin,
                &format!(
                    "INSERT INTO applications (id, kind, state, version, unit_id, uscc, unit_name, county_id,
                         province_id, acting_bureau, direct_unit_id, form, failed_checks, passed_checks,
                         submitted_at, updated_at, name_key)
                     SELECT {twin}, kind, state, version, unit_id, uscc, unit_name, county_id, province_id,
                            acting_bureau, direct_unit_id, form, failed_checks, passed_checks, submitted_at,
                            updated_at, name_key
                       FROM applications WHERE id = {id}"
                ),
            )
            .await;
            let items: Vec<DecideItem> = [id, twin]
                .iter()
                .map(|&id| DecideItem { id, version: None })
                .collect();
            let r = s
                .decide_chunk(&li, &items, Decision::Pass, None, None)
                .await
                .unwrap();
            assert!(r[0].ok(), "{}: {kind} {id}: {r:?}", db.label);
            assert_eq!(
                r[1].error.as_ref().map(|e| e.kind),
                Some(FailureKind::Precondition),
                "{}: the twin of {kind} {id}: {r:?}",
                db.label
            );
            assert_eq!(
                scalar(&admin, &made.replace("{id}", &id.to_string())).await,
                1,
                "{}: {kind} made once",
                db.label
            );
            assert_eq!(
                pairs(
                    &admin,
                    &format!("SELECT id, state FROM applications WHERE id = {twin}")
                )
                .await[0]
                    .1,
                "pending_confirmation",
                "{}: the twin stays where it was",
                db.label
            );
        }
    }
}

/// A claim the officer held before a batch dialog opened (from the command
/// line, another console) is not the dialog's: closing it keeps that one.
#[tokio::test]
async fn a_closed_batch_dialog_keeps_what_was_held_before_it() {
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let ids = pending_items(&s, Kind::Extension, State::PendingAcceptance, 5).await;
        let (zs, zhao) = as_officer(&db, "mouxian-zhao").await;
        assert!(zs.claim(&zhao, &[ids[0]], 15, None).await.unwrap()[0].ok());
        let dir = tempfile::tempdir().unwrap();
        let (mut a, x) = app(&db, "mouxian-zhao", dir.path()).await;
        press(&mut a, &x, "/").await;
        type_text(&mut a, &x, "批量测试").await;
        press(&mut a, &x, "enter * a").await;
        let held = "SELECT c.application_id, c.officer FROM claims c JOIN applications a
                      ON a.id = c.application_id AND a.version = c.version WHERE c.officer = 'mouxian-zhao'";
        assert_eq!(pairs(&s, held).await.len(), 5, "{}", db.label);
        press(&mut a, &x, "esc").await;
        let left = pairs(&s, held).await;
        assert_eq!(
            left.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![ids[0]],
            "{}",
            db.label
        );
    }
}

/// An id file that is a device (or a pipe) is refused at once, in one line,
/// not read until memory runs out.
#[test]
fn an_id_file_that_is_no_file_is_refused() {
    let db = fresh_sqlite();
    let u = db.url.as_str();
    assert!(bin(u, &["demo", "--scale", "50"]).status.success());
    let o = bin(
        u,
        &[
            "--officer",
            "mouxian-zhao",
            "decide",
            "pass",
            "--from-file",
            "/dev/zero",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not a regular file") && err.lines().count() == 1,
        "{err}"
    );
    // A file with a byte-order mark, as the CSV exports are saved, reads as
    // its ids.
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("bom.ids");
    let from_file = |f: &std::path::Path| {
        let f = f.to_str().unwrap();
        bin(
            u,
            &[
                "--officer",
                "mouxian-zhao",
                "decide",
                "pass",
                "--from-file",
                f,
            ],
        )
    };
    std::fs::write(&ids, "\u{feff}999999\n").unwrap();
    let o = from_file(&ids);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "read as an id, not found: {err}");
    // More than a batch holds: one line, nothing recorded.
    let many: String = (1..=1_000_001).map(|i| format!("{i}\n")).collect();
    std::fs::write(&ids, many).unwrap();
    let o = from_file(&ids);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("1000000") && err.lines().count() == 1, "{err}");
    let o = bin(u, &["--officer", "mouxian-zhao", "batch", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");
}

/// A selection of more than a chunk is claimed a chunk per call and its
/// batch runs its chunks side by side on PostgreSQL (one at a time on
/// SQLite): the outcome is the one a single run would have, a stop
/// mid-way leaves whole chunks, and the resumed batch ends every item once.
#[tokio::test]
async fn a_batch_larger_than_a_chunk_ends_each_item_once() {
    const N: usize = 2300;
    for db in databases().await {
        let s = demo_store(&db, 300).await;
        let ids = pending_items(&s, Kind::Access, State::PendingConfirmation, N).await;
        let (zs, zhou) = as_officer(&db, "sheng-zhou").await;
        // A repeat and an id that is no application, past the first chunk.
        let mut asked = ids.clone();
        asked.extend([ids[1500], 999_999_999]);
        let claimed = zs.claim(&zhou, &asked, 15, None).await.unwrap();
        assert_eq!(claimed.len(), N + 2, "{}", db.label);
        assert!(claimed[..N].iter().all(|c| c.ok()), "{}", db.label);
        let kind = |c: &ClaimResult| c.error.as_ref().map(|f| f.kind);
        assert_eq!(
            kind(&claimed[N]),
            Some(FailureKind::Duplicate),
            "{}",
            db.label
        );
        assert_eq!(
            kind(&claimed[N + 1]),
            Some(FailureKind::NotFound),
            "{}",
            db.label
        );
        let held = "SELECT count(*) FROM claims c JOIN applications a
                      ON a.id = c.application_id AND a.version = c.version
                     WHERE c.officer = 'sheng-zhou'";
        assert_eq!(scalar(&s, held).await, N as i64, "{}", db.label);

        let items: Vec<DecideItem> = ids
            .iter()
            .map(|&id| DecideItem {
                id,
                version: Some(1),
            })
            .collect();
        let b = zs
            .create_batch(&zhou, BatchOp::Decide(Decision::Pass), None, &items)
            .await
            .unwrap();
        let mut seen = vec![];
        let stopped = zs
            .run_batch(&zhou, &b, 200, |done, total| {
                seen.push((done, total));
                done < 600
            })
            .await
            .unwrap();
        // Progress counts up a chunk at a time; chunks in flight when the
        // officer stops end, and no further one starts.
        assert!(seen.windows(2).all(|w| w[1].0 == w[0].0 + 200), "{seen:?}");
        assert!(seen.iter().all(|&(_, t)| t == N as i64));
        let recorded = format!("SELECT count(*) FROM batch_items WHERE batch_id = '{b}'");
        let done = scalar(&s, &recorded).await;
        assert_eq!(stopped.done, done, "{}", db.label);
        assert!((600..=800).contains(&done), "{}: {done}", db.label);
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let waiting = format!(
            "SELECT count(*) FROM applications WHERE id IN ({list}) AND state = 'pending_confirmation'"
        );
        assert_eq!(scalar(&s, &waiting).await, N as i64 - done, "{}", db.label);

        let info = zs.run_batch(&zhou, &b, 200, |_, _| true).await.unwrap();
        assert_eq!(info.done, N as i64, "{}", db.label);
        assert_eq!(scalar(&s, &recorded).await, N as i64, "{}", db.label);
        assert_eq!(scalar(&s, &waiting).await, 0, "{}", db.label);
        // One event per item, under this batch, each its application's
        // newest (the fixtures' rows have no history to replay).
        let events = format!(
            "SELECT count(DISTINCT e.application_id) FROM audit_events e
              WHERE e.batch_id = '{b}' AND e.application_id IN ({list})
                AND e.chain_seq = (SELECT max(chain_seq) FROM audit_events x WHERE x.chain = e.chain)"
        );
        assert_eq!(scalar(&s, &events).await, N as i64, "{}", db.label);
        let all = format!("SELECT count(*) FROM audit_events WHERE batch_id = '{b}'");
        assert_eq!(scalar(&s, &all).await, N as i64, "{}", db.label);
    }
}
