//! The console without a terminal: screens drawn into ratatui's
//! TestBackend (snapshots at 80×24 and 120×40, Chinese and English) and key
//! sequences through the keymap into the app, asserted on state, screen
//! and database.

mod common;
use common::screen::*;
use common::*;
use leqi_console::app::{Modal, Screen, Tab};
use leqi_console::console::drafts::Drafts;
use leqi_console::console::headless::{press, settle, type_text};
use leqi_console::demo;
use leqi_console::domain::*;
use leqi_console::i18n::Lang;
use leqi_console::store::*;

#[tokio::test]
async fn screens_at_80x24_and_120x40_in_both_languages() {
    for lang in [Lang::Zh, Lang::En] {
        let mut c = console(lang, "mouxian-zhao", 600).await;
        let l = if lang == Lang::Zh { "zh" } else { "en" };
        let sizes = [(80u16, 24u16), (120, 40)];
        let snap = |c: &Console, name: &str| {
            for (w, h) in sizes {
                insta::assert_snapshot!(format!("{name}_{l}_{w}x{h}"), render(&c.app, w, h));
            }
        };
        snap(&c, "queue");
        // The seed's sample: its failing checks, its form, its materials.
        press(&mut c.app, &c.exec, "/").await;
        type_text(&mut c.app, &c.exec, "某某技术").await;
        press(&mut c.app, &c.exec, "enter").await;
        for tab in [
            "overview",
            "qualify",
            "users",
            "materials",
            "checks",
            "history",
        ] {
            snap(&c, &format!("seed_{tab}"));
            press(&mut c.app, &c.exec, "]").await;
        }
        press(&mut c.app, &c.exec, "r").await;
        snap(&c, "reason_dialog");
        press(&mut c.app, &c.exec, "esc a").await;
        snap(&c, "confirm_dialog");
        press(&mut c.app, &c.exec, "n ?").await;
        snap(&c, "help");
        press(&mut c.app, &c.exec, "esc").await;
        insta::assert_snapshot!(format!("too_small_{l}"), render(&c.app, 79, 24));
        insta::assert_snapshot!(format!("too_small_short_{l}"), render(&c.app, 100, 20));
    }
}

#[tokio::test]
async fn columns_align_by_display_width() {
    let c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let b = render(&c.app, 120, 40);
    // The USCC column starts at the same screen column on every row, whatever
    // mix of CJK and ASCII the names hold.
    let mut starts = Vec::new();
    let buf = b.buffer();
    // The table's rows: the upper half of the body.
    for y in 3..19 {
        for x in 0..buf.area.width.saturating_sub(18) {
            let s: String = (x..x + 18)
                .map(|i| buf[(i, y)].symbol().to_string())
                .collect();
            if s.starts_with("913301") && s.chars().count() == 18 {
                starts.push(x);
                break;
            }
        }
    }
    assert!(starts.len() >= 5, "{starts:?}");
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}");
}

#[tokio::test]
async fn applicant_text_is_inert_on_screen() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    // Units whose names hold escape sequences: find an application of one.
    let hostile = pairs(&c.store, "SELECT a.id, a.unit_name FROM applications a WHERE a.unit_name LIKE '%' || char(27) || '%' AND a.state = 'pending_acceptance'").await;
    let mut seen_hostile = false;
    for _ in 0..300 {
        for tab in 0..6 {
            let b = render(&c.app, 120, 40);
            for cell in b.buffer().content() {
                assert!(
                    !cell.symbol().chars().any(text::is_unsafe),
                    "unsafe {:?} on screen",
                    cell.symbol()
                );
            }
            if b.to_string().contains('␛') {
                seen_hostile = true;
            }
            if tab < 5 {
                press(&mut c.app, &c.exec, "]").await;
            }
        }
        press(&mut c.app, &c.exec, "] j").await;
        if seen_hostile && c.app.queue.window.cursor > 20 {
            break;
        }
    }
    assert!(
        seen_hostile || hostile.is_empty(),
        "the hostile names were drawn, inert"
    );
}

#[tokio::test]
async fn reject_with_a_chinese_reason_through_the_dialog() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "/").await;
    type_text(&mut c.app, &c.exec, "某某技术").await;
    press(&mut c.app, &c.exec, "enter").await;
    assert_eq!(c.app.queue.window.selected().unwrap().id, 1);
    // Decisions: the events that move an application (opening the dialog
    // claims it, which is audited too).
    let decisions = "SELECT count(*) FROM audit_events WHERE to_state IS NOT NULL";
    let audits = scalar(&c.store, decisions).await;
    press(&mut c.app, &c.exec, "r ctrl-s").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!("the dialog stays open")
    };
    assert!(
        d.error.as_deref().unwrap().contains("理由"),
        "an empty reason is refused in the dialog"
    );
    assert!(screen_text(&c.app, 80, 24).contains("请填写理由"));
    assert_eq!(scalar(&c.store, decisions).await, audits, "nothing written");
    let claimed =
        "SELECT count(*) FROM claims WHERE application_id = 1 AND officer = 'mouxian-zhao'";
    assert_eq!(
        scalar(&c.store, claimed).await,
        1,
        "the open dialog holds it"
    );
    type_text(&mut c.app, &c.exec, "缺少授权委托书，\n请补充后重新申请。").await;
    press(&mut c.app, &c.exec, "ctrl-s").await;
    assert!(c.app.modal.is_none());
    let app = c.store.application(1).await.unwrap();
    assert_eq!(app.state, State::NotAccepted);
    let last = app.history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.officer.as_str()),
        ("not_accept", "mouxian-zhao")
    );
    assert_eq!(
        last.reason.as_deref(),
        Some("缺少授权委托书，\n请补充后重新申请。")
    );
    assert!(c.app.status.as_deref().unwrap().contains("不予受理"));
    assert!(
        c.app.queue.window.rows.iter().all(|r| r.id != 1),
        "it left the queue"
    );
}

#[tokio::test]
async fn templates_fill_the_reason() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "r ctrl-n ctrl-n").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!()
    };
    assert_eq!(d.text(), d.templates[1]);
    press(&mut c.app, &c.exec, "ctrl-p").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!()
    };
    assert_eq!(d.text(), d.templates[0]);
}

#[tokio::test]
async fn a_draft_survives_cancel_and_a_conflict() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let id = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "r").await;
    type_text(&mut c.app, &c.exec, "草稿：材料待核").await;
    press(&mut c.app, &c.exec, "esc").await;
    assert!(c.app.modal.is_none());
    press(&mut c.app, &c.exec, "r").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!()
    };
    assert!(d.restored);
    assert_eq!(d.text(), "草稿：材料待核", "offered again");
    // Meanwhile another officer takes it over and accepts it.
    let qian = c.store.officer("mouxian-qian").await.unwrap();
    let taken = c
        .store
        .claim(&qian, &[id], 15, Some("赵一不在"))
        .await
        .unwrap();
    assert!(taken[0].ok());
    c.store
        .decide(&qian, id, Decision::Pass, None, None)
        .await
        .unwrap();
    type_text(&mut c.app, &c.exec, "，补充").await;
    press(&mut c.app, &c.exec, "ctrl-s").await;
    let Some(Modal::Message { lines, .. }) = &c.app.modal else {
        panic!("a conflict message")
    };
    assert!(lines[0].contains("mouxian-qian"), "{lines:?}");
    assert!(c.app.queue.handled_elsewhere.contains(&id));
    assert!(screen_text(&c.app, 80, 24).contains("mouxian-qian"));
    // Nothing typed is lost: the draft holds it.
    press(&mut c.app, &c.exec, "x").await;
    assert_eq!(
        Drafts::new(Some(c.drafts.path().to_path_buf()), &c._db.url)
            .load(&format!("app-{id}"))
            .as_deref(),
        Some("草稿：材料待核，补充")
    );
    // The item was refreshed: the detail shows its new state.
    let d = c.app.queue.detail.as_ref().unwrap();
    assert_eq!((d.id, d.version), (id, 2));
    assert_ne!(d.state, State::PendingAcceptance);
}

#[tokio::test]
async fn pass_asks_first() {
    let mut c = console(Lang::En, "mouxian-zhao", 600).await;
    let id = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "a").await;
    assert!(matches!(c.app.modal, Some(Modal::Confirm { .. })));
    assert!(screen_text(&c.app, 80, 24).contains("y/Enter"));
    press(&mut c.app, &c.exec, "n").await;
    assert_eq!(
        c.store.application(id).await.unwrap().version,
        1,
        "cancel changes nothing"
    );
    press(&mut c.app, &c.exec, "a y").await;
    let a = c.store.application(id).await.unwrap();
    assert_eq!(a.version, 2);
    assert_ne!(a.state, State::PendingAcceptance);
}

#[tokio::test]
async fn separation_of_duties_is_explained_before_trying() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    // zhao accepts the first access item, then looks at it in the review queue.
    press(&mut c.app, &c.exec, "backtab j").await;
    assert_eq!(c.app.queue.node().unwrap().kind, Some(Kind::Access));
    press(&mut c.app, &c.exec, "tab").await;
    let id = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "a y").await;
    assert_eq!(
        c.store.application(id).await.unwrap().state,
        State::PendingReview
    );
    let review = c
        .app
        .queue
        .nodes
        .iter()
        .position(|n| n.stage == Stage::Review && n.kind == Some(Kind::Access))
        .unwrap();
    press(&mut c.app, &c.exec, "backtab").await;
    assert_eq!(c.app.queue.focus, leqi_console::app::Focus::Nav);
    for _ in 0..review.saturating_sub(c.app.queue.nav) {
        press(&mut c.app, &c.exec, "j").await;
    }
    assert_eq!(c.app.queue.nav, review);
    press(&mut c.app, &c.exec, "tab").await;
    // Find the item and try to pass it.
    while c.app.queue.window.selected().is_some_and(|r| r.id != id) {
        let before = c.app.queue.window.cursor;
        press(&mut c.app, &c.exec, "j").await;
        assert_ne!(
            before, c.app.queue.window.cursor,
            "the accepted item is in the review queue"
        );
    }
    press(&mut c.app, &c.exec, "a").await;
    let Some(Modal::Message { lines, .. }) = &c.app.modal else {
        panic!()
    };
    assert!(lines[0].contains("职责分离"), "{lines:?}");
}

#[tokio::test]
async fn paper_receipt_from_the_materials_tab() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "/").await;
    type_text(&mut c.app, &c.exec, "某某技术").await;
    press(&mut c.app, &c.exec, "enter ] ] ]").await;
    assert_eq!(c.app.queue.tab, Tab::Materials);
    press(&mut c.app, &c.exec, "tab").await;
    let first = c
        .store
        .materials(1)
        .await
        .unwrap()
        .into_iter()
        .position(|m| !m.paper_received)
        .unwrap();
    for _ in 0..first {
        press(&mut c.app, &c.exec, "j").await;
    }
    press(&mut c.app, &c.exec, "p").await;
    assert!(c.store.materials(1).await.unwrap()[first].paper_received);
    assert_eq!(
        c.store.history(1).await.unwrap().last().unwrap().action,
        "paper_received"
    );
}

#[tokio::test]
async fn a_large_queue_is_read_through_a_bounded_window() {
    let db = fresh_sqlite();
    let store = Store::open(&db.url).await.unwrap();
    demo::generate_at(&store, 300, 1, fixed_now(), |_| {})
        .await
        .unwrap();
    pending_items(&store, Kind::Extension, State::PendingAcceptance, 2500).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, exec) = console_app(
        &store,
        "mouxian-zhao",
        Lang::Zh,
        dir.path(),
        &db.url,
        Some(fixed_now()),
    )
    .await;
    let total = app.queue.window.total.unwrap();
    assert!(total > 2500);
    assert!(
        app.queue.window.rows.len() as i64 <= leqi_console::app::PAGE,
        "a queue opens with one page"
    );
    press(&mut app, &exec, "G").await;
    assert_eq!(app.queue.window.cursor, total - 1);
    assert_eq!(
        app.queue.window.selected().unwrap().id,
        app.queue.window.rows.last().unwrap().id
    );
    for _ in 0..40 {
        press(&mut app, &exec, "pageup").await;
    }
    assert_eq!(app.queue.window.cursor, total - 1 - 400);
    assert!(
        app.queue.window.rows.len()
            <= leqi_console::app::WINDOW_MAX + leqi_console::app::PAGE as usize
    );
    // The window is exactly the queue's rows at those positions.
    let mut all = Vec::new();
    let mut q = QueueQuery {
        stage: Stage::Acceptance,
        kinds: vec![],
        bureau: demo::SEED_COUNTY.into(),
        sort: Sort::Age,
        filter: String::new(),
        cursor: None,
        direction: Direction::Forward,
        limit: 1000,
        older_than: None,
    };
    loop {
        let p = store.queue(&q).await.unwrap();
        all.extend(p.rows.iter().map(|r| r.id));
        if !p.more {
            break;
        }
        q.cursor = Some(p.rows.last().unwrap().cursor(Sort::Age));
    }
    let off = app.queue.window.offset as usize;
    let ids: Vec<i64> = app.queue.window.rows.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        all[off..off + ids.len()],
        "window rows match the queue at their offset"
    );
    press(&mut app, &exec, "g g").await;
    assert_eq!(app.queue.window.cursor, 0);
    assert_eq!(app.queue.window.selected().unwrap().id, all[0]);
}

#[tokio::test]
async fn help_lists_every_key_of_the_screen() {
    let mut c = console(Lang::En, "mouxian-zhao", 300).await;
    press(&mut c.app, &c.exec, "?").await;
    let text = screen_text(&c.app, 120, 60);
    for (keys, action) in c.app.ctx.keymap.bindings("normal") {
        assert!(
            text.contains(action.describe(Lang::En)),
            "{action:?} missing from help"
        );
        assert!(
            text.contains(&leqi_console::keymap::show_sequence(&keys)),
            "{keys:?} missing"
        );
    }
}

#[tokio::test]
async fn a_malformed_user_keymap_falls_back_to_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("keymap.toml");
    std::fs::write(&user, "[normal]\nx = \"pass\"\nz = \"teleport\"\n").unwrap();
    let (km, notice) = leqi_console::context::load_keymap(None, &user);
    let notice = notice.unwrap();
    assert!(
        notice.contains("keymap.toml:3") && notice.contains('z'),
        "{notice}"
    );
    assert!(
        km.keys_for("normal", leqi_console::keymap::KeyAction::Pass)
            .contains(&"a".to_string())
    );
    std::fs::write(&user, "[normal]\nx = \"pass\"\na = \"no_op\"\n").unwrap();
    let (km, notice) = leqi_console::context::load_keymap(Some("vim"), &user);
    assert!(notice.is_none());
    assert_eq!(
        km.keys_for("normal", leqi_console::keymap::KeyAction::Pass),
        vec!["x".to_string()]
    );
}

#[tokio::test]
async fn the_province_confirms() {
    let mut c = console(Lang::Zh, "sheng-zhou", 600).await;
    assert!(
        c.app
            .queue
            .nodes
            .iter()
            .all(|n| n.stage == Stage::Confirmation),
        "a provincial officer sees only 待确认"
    );
    let row = c.app.queue.window.selected().unwrap().clone();
    let before = c.store.application(row.id).await.unwrap();
    if before.last_decider.as_deref() == Some("sheng-zhou") {
        return;
    }
    press(&mut c.app, &c.exec, "a y").await;
    let after = c.store.application(row.id).await.unwrap();
    assert_eq!(after.state, State::Confirmed, "{:?}", c.app.status);
    assert_eq!(
        after.history.last().unwrap().bureau_id.as_deref(),
        Some(demo::PROVINCE)
    );
}

#[tokio::test]
async fn the_screen_says_which_database_and_whether_it_is_current() {
    let c = console(Lang::Zh, "mouxian-zhao", 300).await;
    let t = screen_text(&c.app, 120, 40);
    assert!(t.contains("内嵌库") && t.contains("最新 10:00:00"), "{t}");
    assert!(matches!(c.app.screen, Screen::Queue));
}

#[tokio::test]
async fn another_officers_change_refreshes_the_view_in_place() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "j j j ] ] ]").await;
    let reading = c.app.queue.window.selected().unwrap().id;
    let (tab, cursor) = (c.app.queue.tab, c.app.queue.window.cursor);
    let total = c.app.queue.window.total.unwrap();
    // qian accepts the first item of zhao's queue.
    let gone = c.app.queue.window.rows[0].id;
    let qian = c.store.officer("mouxian-qian").await.unwrap();
    c.store
        .decide(&qian, gone, Decision::Pass, None, None)
        .await
        .unwrap();
    let fx = c.app.on_msg(leqi_console::app::Msg::Changed);
    settle(&mut c.app, &c.exec, fx).await;
    assert!(
        c.app.queue.window.rows.iter().all(|r| r.id != gone),
        "the decided item left the view"
    );
    assert_eq!(c.app.queue.window.total, Some(total - 1));
    assert_eq!(
        c.app.queue.window.selected().unwrap().id,
        reading,
        "the officer stays on the application they were reading, a row up now"
    );
    assert_eq!(c.app.queue.window.cursor, cursor - 1);
    assert_eq!(
        c.app.queue.tab, tab,
        "the officer stays on the tab they were reading"
    );
    assert!(!c.app.live.stale, "current again once reloaded");
    // With a dialog open, nothing moves under the officer's hands.
    press(&mut c.app, &c.exec, "r").await;
    let before: Vec<i64> = c.app.queue.window.rows.iter().map(|r| r.id).collect();
    let fx = c.app.on_msg(leqi_console::app::Msg::Changed);
    // Only the claim the dialog took is checked (a take-over is said at once).
    assert!(
        fx.iter()
            .all(|e| matches!(e, leqi_console::app::Effect::CheckClaims { .. })),
        "{fx:?}"
    );
    assert!(c.app.live.stale);
    assert_eq!(
        before,
        c.app
            .queue
            .window
            .rows
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_bindings_view_at_both_sizes_and_languages() {
    for lang in [Lang::Zh, Lang::En] {
        let mut c = console(lang, "mouxian-zhao", 3000).await;
        // The direct-connect unit with the most bindings, found by its code.
        let top = pairs(&c.store, "SELECT u.id, u.uscc FROM units u JOIN bindings b ON b.direct_unit_id = u.id WHERE b.active GROUP BY u.id, u.uscc ORDER BY count(*) DESC, u.id LIMIT 1").await;
        press(&mut c.app, &c.exec, "f").await;
        type_text(&mut c.app, &c.exec, &top[0].1).await;
        press(&mut c.app, &c.exec, "enter space space").await;
        assert!(
            matches!(&c.app.screen, Screen::Bindings(b) if b.rows.len() >= 3 && b.selected.len() == 2),
            "{:?} {:?}",
            top,
            c.app.status
        );
        let l = if lang == Lang::Zh { "zh" } else { "en" };
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            insta::assert_snapshot!(format!("bindings_{l}_{w}x{h}"), render(&c.app, w, h));
        }
    }
}

#[tokio::test]
async fn an_officer_without_a_queue_is_told_so_and_offered_what_works() {
    for lang in [Lang::Zh, Lang::En] {
        let mut c = console(lang, "mouxian-sun", 300).await;
        // A supervisor opens on their own work; below it, no queue.
        assert!(matches!(c.app.screen, Screen::Supervise(_)));
        press(&mut c.app, &c.exec, "esc").await;
        let l = if lang == Lang::Zh { "zh" } else { "en" };
        insta::assert_snapshot!(format!("no_queues_{l}_80x24"), render(&c.app, 80, 24));
        let t = screen_text(&c.app, 80, 24);
        assert!(!t.contains("加载中") && !t.contains("loading"), "{t}");
        let footer = t.lines().last().unwrap().to_string();
        for pointless in ["通过", "pass", "筛选", "filter", "标签", "tab"] {
            assert!(!footer.contains(pointless), "{footer}");
        }
    }
}

#[tokio::test]
async fn an_administrator_hears_of_stages_no_one_can_act_on() {
    let mut c = console(Lang::Zh, "sheng-zheng", 600).await;
    assert!(c.app.modal.is_none(), "every stage staffed: nothing to say");
    exec(
        &c.store,
        "UPDATE officers SET active = FALSE WHERE login = 'mouxian-li'",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = console_app(
        &c.store,
        "sheng-zheng",
        Lang::Zh,
        dir.path(),
        &c._db.url,
        Some(fixed_now()),
    )
    .await;
    c.app = app;
    let Some(Modal::Message { title, lines, .. }) = &c.app.modal else {
        panic!("a notice at start")
    };
    assert!(title.contains("无人可办"), "{title}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("13301010000") && l.contains("确认")),
        "{lines:?}"
    );
}

/// Every row of every snapshot is exactly the terminal's width, and a row
/// that starts inside a box ends on its border: nothing runs over a pane's
/// edge, at any size, in either language.
#[test]
fn every_line_of_every_snapshot_stays_inside_its_border() {
    use unicode_width::UnicodeWidthStr;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "snap") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with('"'))
            .map(|l| {
                let end = l
                    .find("\" Hidden by multi-width symbols")
                    .unwrap_or(l.len() - 1);
                &l[1..end]
            })
            .collect();
        let Some(first) = rows.first() else { continue };
        let width = first.width();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.width(),
                width,
                "{}: row {i} is {} wide: {row:?}",
                path.display(),
                row.width()
            );
            let boxed = |c: char| "│┃┌┏└┗├┤┐┓┘┛─━".contains(c);
            if row.starts_with(boxed) {
                assert!(
                    row.ends_with(boxed),
                    "{}: row {i} runs over its border: {row:?}",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} rows");
}

/// `j k` faster than the detail loads: the detail shown is the row under
/// the cursor, not the one passed over, whenever the loads come back.
#[tokio::test]
async fn a_passed_over_rows_detail_never_replaces_the_one_under_the_cursor() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let here = c.app.queue.window.selected().unwrap().id;
    assert_eq!(c.app.queue.detail.as_ref().map(|d| d.id), Some(here));
    let mut fx = c
        .app
        .on_key(leqi_console::console::headless::key_event("j"));
    fx.extend(
        c.app
            .on_key(leqi_console::console::headless::key_event("k")),
    );
    leqi_console::console::headless::settle(&mut c.app, &c.exec, fx).await;
    assert_eq!(c.app.queue.window.selected().unwrap().id, here);
    assert_eq!(
        c.app.queue.detail.as_ref().map(|d| d.id),
        Some(here),
        "the detail is the row under the cursor"
    );
}

/// `a` pressed before the row's detail has come is not lost: the
/// confirmation opens for that row when it comes, and the status line does
/// not stay at 加载中.
#[tokio::test]
async fn a_pass_pressed_while_the_detail_loads_opens_when_it_comes() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let mut fx = c
        .app
        .on_key(leqi_console::console::headless::key_event("j"));
    let next = c.app.queue.window.selected().unwrap().id;
    fx.extend(
        c.app
            .on_key(leqi_console::console::headless::key_event("a")),
    );
    assert!(c.app.modal.is_none(), "nothing to confirm yet");
    leqi_console::console::headless::settle(&mut c.app, &c.exec, fx).await;
    let Some(Modal::Confirm { lines, .. }) = &c.app.modal else {
        panic!("the confirmation, once the detail came: {:?}", c.app.status)
    };
    assert!(lines[0].starts_with(&format!("#{next} ")), "{lines:?}");
    assert_eq!(c.app.status, None);
}

/// Rows above the cursor decided by another officer: after the refresh the
/// cursor is on the same application, not on whatever took its place.
#[tokio::test]
async fn the_cursor_stays_on_its_application_when_rows_above_go() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "j j").await;
    let rows: Vec<i64> = c.app.queue.window.rows.iter().map(|r| r.id).collect();
    let here = c.app.queue.window.selected().unwrap().id;
    assert_eq!(here, rows[2]);
    let qian = c.store.officer("mouxian-qian").await.unwrap();
    for id in &rows[..2] {
        c.store
            .decide(&qian, *id, Decision::Reject, Some("材料不全"), None)
            .await
            .unwrap();
    }
    // Heard as another officer's change: the view refreshes where it is.
    let fx = c.app.on_msg(leqi_console::app::Msg::Changed);
    settle(&mut c.app, &c.exec, fx).await;
    assert!(
        !c.app.queue.window.rows.iter().any(|r| r.id == rows[0]),
        "the decided rows left the queue"
    );
    assert_eq!(c.app.queue.window.selected().unwrap().id, here);
    assert_eq!(c.app.queue.detail.as_ref().map(|d| d.id), Some(here));
}

/// The notice that another officer holds the row: its footer (the key that
/// takes over, and that any other key closes) shown whole at 80×24 in
/// English.
#[tokio::test]
async fn the_held_notice_footer_shows_whole_in_english() {
    let mut c = console(Lang::En, "mouxian-zhao", 600).await;
    let id = c.app.queue.window.selected().unwrap().id;
    let qian = c.store.officer("mouxian-qian").await.unwrap();
    assert!(c.store.claim(&qian, &[id], 15, None).await.unwrap()[0].ok());
    let fx = c.app.on_msg(leqi_console::app::Msg::Changed);
    settle(&mut c.app, &c.exec, fx).await;
    press(&mut c.app, &c.exec, "a").await;
    assert!(
        matches!(c.app.modal, Some(Modal::Message { .. })),
        "{:?}",
        c.app.status
    );
    let shown = screen_text(&c.app, 80, 24);
    assert!(shown.contains("any other key closes"), "{shown}");
}

/// `G` then `a` faster than the last page comes: the pass is for the row
/// the cursor lands on, never the one it left.
#[tokio::test]
async fn a_pass_pressed_as_the_cursor_jumps_is_for_where_it_lands() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let first = c.app.queue.window.selected().unwrap().id;
    let mut fx = c
        .app
        .on_key(leqi_console::console::headless::key_event("G"));
    fx.extend(
        c.app
            .on_key(leqi_console::console::headless::key_event("a")),
    );
    settle(&mut c.app, &c.exec, fx).await;
    let last = c.app.queue.window.selected().unwrap().id;
    assert_ne!(first, last);
    let Some(Modal::Confirm { lines, .. }) = &c.app.modal else {
        panic!("a confirmation: {:?}", c.app.status)
    };
    assert!(lines[0].starts_with(&format!("#{last} ")), "{lines:?}");
}

/// The detail pane scrolls no further than its last line, comes back up at
/// the first key, and Home there scrolls it to the top: the application
/// shown stays the one being read.
#[tokio::test]
async fn the_detail_pane_scrolls_within_its_lines() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "/").await;
    type_text(&mut c.app, &c.exec, "某某技术").await;
    press(&mut c.app, &c.exec, "enter").await;
    let id = c.app.queue.detail.as_ref().unwrap().id;
    press(&mut c.app, &c.exec, "enter").await;
    draw_and_lay(&mut c.app, 80, 24);
    let last = c.app.queue.detail_last;
    assert!(
        last > 0,
        "the seed's overview is longer than the pane at 80×24"
    );
    for _ in 0..3 {
        press(&mut c.app, &c.exec, "pagedown").await;
        draw_and_lay(&mut c.app, 80, 24);
    }
    assert_eq!(c.app.queue.detail_scroll, last, "stopped at the last line");
    let text = screen_text(&c.app, 80, 24);
    assert!(
        !text
            .lines()
            .nth(14)
            .unwrap_or("")
            .trim_matches(['│', '┃', ' '])
            .is_empty(),
        "{text}"
    );
    press(&mut c.app, &c.exec, "k").await;
    assert_eq!(c.app.queue.detail_scroll, last - 1, "up shows at once");
    press(&mut c.app, &c.exec, "home").await;
    assert_eq!(c.app.queue.detail_scroll, 0);
    assert_eq!(
        c.app.queue.detail.as_ref().unwrap().id,
        id,
        "still the same application"
    );
}
