//! The console as officers found it (issue 9): what they typed or were
//! reading is never lost, every decision is told truly before and after,
//! everything shows in any terminal, and anything is found in two keys.
//! Each test drives the console by keys and reads the screen and the
//! database.

mod common;
use common::screen::*;
use common::*;
use leqi_console::app::{App, Focus, Modal, Screen, Tab};
use leqi_console::console::drafts::Drafts;
use leqi_console::console::executor::Executor;
use leqi_console::console::headless::{press, settle, type_text};
use leqi_console::domain::*;
use leqi_console::i18n::Lang;
use leqi_console::store::*;

/// Moves to the queue of `stage` and `kind` (None: all kinds) and back to
/// the table.
async fn goto(app: &mut App, exec: &Executor, stage: Stage, kind: Option<Kind>) {
    let target = app
        .queue
        .nodes
        .iter()
        .position(|n| n.stage == stage && n.kind == kind)
        .expect("the officer has that queue");
    while app.queue.focus != Focus::Nav {
        press(app, exec, "backtab").await;
    }
    while app.queue.nav < target {
        press(app, exec, "j").await;
    }
    while app.queue.nav > target {
        press(app, exec, "k").await;
    }
    press(app, exec, "tab").await;
    assert_eq!(app.queue.focus, Focus::Table);
}

/// Moves the cursor down to the first row that `pred` holds for.
async fn find_row(app: &mut App, exec: &Executor, pred: impl Fn(&QueueRow) -> bool) -> bool {
    for _ in 0..2000 {
        if app.queue.window.selected().is_some_and(&pred) {
            return true;
        }
        let before = (app.queue.window.offset, app.queue.window.cursor);
        press(app, exec, "j").await;
        if (app.queue.window.offset, app.queue.window.cursor) == before {
            return false;
        }
    }
    false
}

fn reason_text(app: &App) -> String {
    match &app.modal {
        Some(Modal::Reason(d)) => d.text(),
        _ => panic!("no reason dialog"),
    }
}

fn dialog_lines(app: &App) -> Vec<String> {
    match &app.modal {
        Some(Modal::Confirm { lines, .. }) | Some(Modal::Message { lines, .. }) => lines.clone(),
        _ => panic!("no dialog"),
    }
}

// ---- A. Never lose what the officer typed or was looking at ----------

#[tokio::test]
async fn a_template_is_inserted_never_replaces_and_is_undone() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let id = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "r").await;
    let typed = "经核查，该单位提交的授权委托书与被授权单位信息不一致，联系人电话无法接通，网络地址备案表中生产地址与测试地址相同，请更正";
    type_text(&mut c.app, &c.exec, typed).await;
    let drafts = Drafts::new(Some(c.drafts.path().to_path_buf()), &c._db.url);
    let key = format!("app-{id}");
    assert_eq!(drafts.load(&key).as_deref(), Some(typed));
    press(&mut c.app, &c.exec, "ctrl-n").await;
    let first = match &c.app.modal {
        Some(Modal::Reason(d)) => d.templates[0],
        _ => panic!(),
    };
    assert_eq!(
        reason_text(&c.app),
        format!("{typed}{first}"),
        "inserted at the cursor"
    );
    assert_eq!(
        drafts.load(&key).as_deref(),
        Some(typed),
        "a template is not the draft"
    );
    press(&mut c.app, &c.exec, "ctrl-n").await;
    let second = match &c.app.modal {
        Some(Modal::Reason(d)) => d.templates[1],
        _ => panic!(),
    };
    assert_eq!(
        reason_text(&c.app),
        format!("{typed}{second}"),
        "the next replaces only the template"
    );
    press(&mut c.app, &c.exec, "ctrl-z").await;
    assert_eq!(reason_text(&c.app), typed, "undo gives back what was typed");
    assert_eq!(drafts.load(&key).as_deref(), Some(typed));
}

#[tokio::test]
async fn the_reason_editor_wraps_so_the_cursor_stays_in_sight() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "r").await;
    let long = format!("开头{}结尾XYZ", "材料不全需要补充".repeat(20));
    type_text(&mut c.app, &c.exec, &long).await;
    let t = screen_text(&c.app, 80, 24);
    assert!(t.contains("开头"), "the start still shows:\n{t}");
    assert!(
        t.contains("结尾XYZ"),
        "the end, where the cursor is, shows:\n{t}"
    );
}

#[tokio::test]
async fn a_finished_unbinding_leaves_no_draft() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let (unit, code) = pairs(
        &c.store,
        "SELECT u.id, u.uscc FROM units u WHERE u.direct_connect AND u.bureau_id = '13301010000'
           AND EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = u.id AND b.active)
         ORDER BY u.id LIMIT 1",
    )
    .await[0]
        .clone();
    press(&mut c.app, &c.exec, "f").await;
    type_text(&mut c.app, &c.exec, &code).await;
    press(&mut c.app, &c.exec, "enter").await;
    assert!(matches!(&c.app.screen, Screen::Bindings(b) if b.unit == unit));
    press(&mut c.app, &c.exec, "space d").await;
    type_text(&mut c.app, &c.exec, "使用单位到柜台申请解除").await;
    let drafts = Drafts::new(Some(c.drafts.path().to_path_buf()), &c._db.url);
    let key = format!("unbind-{unit}");
    assert!(drafts.load(&key).is_some(), "kept while typed");
    press(&mut c.app, &c.exec, "ctrl-s").await;
    if matches!(c.app.modal, Some(Modal::Confirm { .. })) {
        press(&mut c.app, &c.exec, "y").await;
    }
    let ended = scalar(
        &c.store,
        &format!("SELECT count(*) FROM bindings WHERE direct_unit_id = {unit} AND NOT active AND ended_reason = '使用单位到柜台申请解除'"),
    )
    .await;
    assert_eq!(ended, 1);
    assert_eq!(
        drafts.load(&key),
        None,
        "the finished action cleared its draft"
    );
}

/// Two officers on one queue: what one decides stays, marked, under the
/// other's cursor until they move; refresh carries on after every change.
#[tokio::test]
async fn an_item_decided_by_another_console_stays_marked_and_refresh_goes_on() {
    for db in databases().await {
        let store = demo_store(&db, 300).await;
        let dir = tempfile::tempdir().unwrap();
        let (zs, _) = as_officer(&db, "mouxian-zhao").await;
        let (mut a, ax) =
            console_app(&zs, "mouxian-zhao", Lang::Zh, dir.path(), &db.url, None).await;
        let qian_url = login_url(&db.url, "mouxian-qian");
        let mut b = second(&qian_url, Lang::Zh, "mouxian-qian").await;
        let x = a.queue.window.selected().unwrap().clone();
        assert_eq!(
            b.app.queue.window.selected().unwrap().id,
            x.id,
            "{}",
            db.label
        );
        let before = a.queue.nodes[a.queue.nav].count.unwrap();
        // qian passes it in the other console.
        press(&mut b.app, &b.exec, "a y").await;
        assert_eq!(
            store.application(x.id).await.unwrap().version,
            x.version + 1
        );
        let fx = a.on_msg(leqi_console::app::Msg::Changed);
        settle(&mut a, &ax, fx).await;
        assert_eq!(
            a.queue.window.selected().unwrap().id,
            x.id,
            "{}: stays under the cursor",
            db.label
        );
        let t = screen_text(&a, 80, 24);
        let qian = store.officer("mouxian-qian").await.unwrap().name;
        assert!(
            t.contains(&format!("已由 {qian}")),
            "{}: marked with who did it:\n{t}",
            db.label
        );
        assert!(t.contains("最新"), "{}: current again:\n{t}", db.label);
        assert_eq!(
            a.queue.nodes[a.queue.nav].count,
            Some(before - 1),
            "{}",
            db.label
        );
        // Acting on it is refused with the reason; nothing is written.
        press(&mut a, &ax, "a").await;
        assert!(
            matches!(&a.modal, Some(Modal::Message { .. })),
            "{}",
            db.label
        );
        assert!(dialog_lines(&a).join("").contains(&qian));
        press(&mut a, &ax, "esc").await;
        let events = scalar(
            &store,
            &format!("SELECT count(*) FROM audit_events WHERE application_id = {} AND officer = 'mouxian-zhao'", x.id),
        )
        .await;
        assert_eq!(events, 0, "{}", db.label);
        // Moving away lets it go; the next row is the one after it.
        let next = a.queue.window.rows
            [a.queue.window.cursor as usize - a.queue.window.offset as usize + 1]
            .id;
        press(&mut a, &ax, "j").await;
        assert!(
            a.queue.window.rows.iter().all(|r| r.id != x.id),
            "{}",
            db.label
        );
        assert_eq!(a.queue.window.selected().unwrap().id, next, "{}", db.label);
        // Filtered to one item and passing it: refresh resumes by itself.
        let code = a.queue.window.selected().unwrap().uscc.clone();
        press(&mut a, &ax, "/").await;
        type_text(&mut a, &ax, &code).await;
        press(&mut a, &ax, "enter a y").await;
        assert!(!a.live.stale, "{}", db.label);
        // qian hears of it (zhao's item stays under qian's cursor, held),
        // moves on and passes another.
        let fx = b.app.on_msg(leqi_console::app::Msg::Changed);
        settle(&mut b.app, &b.exec, fx).await;
        let held = b.app.queue.window.selected().unwrap().id;
        if b.app.queue.handled_elsewhere.contains(&held) {
            press(&mut b.app, &b.exec, "j").await;
        }
        let other = b.app.queue.window.selected().unwrap().clone();
        press(&mut b.app, &b.exec, "a y").await;
        assert_eq!(
            b.store.application(other.id).await.unwrap().version,
            other.version + 1
        );
        let fx = a.on_msg(leqi_console::app::Msg::Changed);
        settle(&mut a, &ax, fx).await;
        assert!(
            !a.live.stale,
            "{}: current after the other's change too",
            db.label
        );
        assert!(screen_text(&a, 80, 24).contains("● 最新"), "{}", db.label);
        assert_eq!(
            a.queue.nodes[a.queue.nav].count,
            Some(before - 3),
            "{}",
            db.label
        );
        drop(b);
    }
}

// ---- B. Say the truth before and after each decision ----------------

#[tokio::test]
async fn a_mixed_batch_is_confirmed_kind_by_kind() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.kind == Kind::Access).await);
    press(&mut c.app, &c.exec, "space").await;
    press(&mut c.app, &c.exec, "g g").await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.kind == Kind::Invitation).await);
    press(&mut c.app, &c.exec, "space a").await;
    let lines = dialog_lines(&c.app).join("\n");
    assert!(lines.contains("接入 1：待受理 → 待复核（受理）"), "{lines}");
    assert!(lines.contains("邀请 1：待受理 → 待确认（受理）"), "{lines}");
}

#[tokio::test]
async fn passing_an_item_whose_checks_fail_names_them() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.failed_checks > 0).await);
    press(&mut c.app, &c.exec, "a").await;
    let failing: Vec<String> = c
        .app
        .queue
        .checks
        .iter()
        .filter(|k| k.outcome == leqi_console::domain::checks::Outcome::Fail)
        .map(|k| k.id.label(true).to_string())
        .collect();
    assert!(!failing.is_empty());
    let lines = dialog_lines(&c.app).join("\n");
    assert!(lines.contains("校验未通过"), "{lines}");
    for f in failing {
        assert!(lines.contains(&f), "{f} named in:\n{lines}");
    }
    let t = screen_text(&c.app, 80, 24);
    assert!(
        t.contains("y 确认") && !t.contains("任意键"),
        "the footer agrees:\n{t}"
    );
}

#[tokio::test]
async fn an_exit_still_bound_offers_its_bindings_and_the_key_opens_them() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Exit)).await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.bound_user_units > 0).await);
    let unit = c.app.queue.window.selected().unwrap().unit_id;
    // The 使用单位 tab lists the bound units.
    press(&mut c.app, &c.exec, "tab").await;
    while c.app.queue.tab != Tab::Users {
        press(&mut c.app, &c.exec, "]").await;
    }
    let d = c.app.queue.detail.clone().unwrap();
    assert!(!d.bound.is_empty());
    let t = screen_text(&c.app, 120, 40);
    assert!(!t.contains("未列使用单位"), "{t}");
    let first = d.bound[0].user_name.chars().take(6).collect::<String>();
    assert!(t.contains(&first), "{first} listed:\n{t}");
    press(&mut c.app, &c.exec, "a").await;
    let lines = dialog_lines(&c.app).join("");
    assert!(lines.contains("按 b"), "{lines}");
    assert!(!lines.contains("user units"), "Chinese only: {lines}");
    press(&mut c.app, &c.exec, "b").await;
    assert!(matches!(&c.app.screen, Screen::Bindings(b) if b.unit == unit));
    assert!(c.app.modal.is_none());
}

#[tokio::test]
async fn siblings_and_moot_applications_are_flagged() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    // An access application of a unit that is direct-connect already.
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Access)).await;
    let x = c.app.queue.window.selected().unwrap().clone();
    exec(
        &c.store,
        &format!(
            "UPDATE units SET direct_connect = true WHERE id = {}",
            x.unit_id
        ),
    )
    .await;
    press(&mut c.app, &c.exec, "R").await;
    let row = c
        .app
        .queue
        .window
        .rows
        .iter()
        .find(|r| r.id == x.id)
        .unwrap();
    assert!(row.obsolete.is_some());
    let t = screen_text(&c.app, 80, 24);
    assert!(t.contains("〔已失效〕"), "{t}");
    press(&mut c.app, &c.exec, "R").await;
    let t = screen_text(&c.app, 120, 40);
    assert!(t.contains("该单位已是直连单位"), "detail says why:\n{t}");
    // A unit with several exits in the flow.
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Exit)).await;
    if find_row(&mut c.app, &c.exec, |r| r.siblings > 0).await {
        let t = screen_text(&c.app, 120, 40);
        assert!(t.contains("〔+"), "{t}");
        assert!(t.contains("同一单位另有"), "{t}");
    } else {
        let n = scalar(
            &c.store,
            "SELECT count(*) FROM (SELECT unit_id FROM applications WHERE kind = 'exit' AND acting_bureau = '13301010000' AND state = 'pending_acceptance' GROUP BY unit_id HAVING count(*) > 1) x",
        )
        .await;
        assert_eq!(n, 0, "a unit with two exits should have been flagged");
    }
}

#[tokio::test]
async fn batch_results_say_unit_kind_and_states_in_beijing_time() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "space j space").await;
    let chosen: Vec<i64> = c.app.queue.selection.items.keys().copied().collect();
    let picked: Vec<QueueRow> = c
        .app
        .queue
        .window
        .rows
        .iter()
        .filter(|r| chosen.contains(&r.id))
        .cloned()
        .collect();
    assert_eq!(picked.len(), 2);
    press(&mut c.app, &c.exec, "a y").await;
    let Screen::Results(r) = &c.app.screen else {
        panic!("results")
    };
    // The id carries the date the officer's screen shows (UTC+8).
    let day = leqi_console::fmt::beijing(chrono::Utc::now())
        .format("%Y%m%d")
        .to_string();
    assert!(r.id.starts_with(&format!("B{day}")), "{}", r.id);
    let t = screen_text(&c.app, 80, 24);
    for p in &picked {
        let now = c.store.application(p.id).await.unwrap().state;
        let change = format!("{}→{}", p.state.zh(), now.zh());
        assert!(t.contains(&change), "{change}:\n{t}");
    }
    let name: String = picked[0].name.chars().take(4).collect();
    assert!(t.contains(&name), "{name}:\n{t}");
}

#[tokio::test]
async fn english_messages_have_no_chinese_and_chinese_no_english() {
    let mut c = console(Lang::En, "mouxian-zhao", 3000).await;
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Exit)).await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.bound_user_units > 0).await);
    press(&mut c.app, &c.exec, "a").await;
    let lines = dialog_lines(&c.app).join("");
    assert!(lines.contains("user units"), "{lines}");
    assert!(
        !lines
            .chars()
            .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
        "{lines}"
    );
}

// ---- C. Show it all, in any terminal ---------------------------------

#[tokio::test]
async fn focus_shows_without_colour() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let marker_row = |t: &str| -> Vec<usize> {
        t.lines()
            .enumerate()
            .filter(|(_, l)| l.contains('◆'))
            .map(|(i, _)| i)
            .collect()
    };
    let t = screen_text(&c.app, 80, 24);
    let table = marker_row(&t);
    assert_eq!(table.len(), 1, "one focused pane:\n{t}");
    press(&mut c.app, &c.exec, "tab").await;
    let t = screen_text(&c.app, 80, 24);
    let detail = marker_row(&t);
    assert_eq!(detail.len(), 1);
    assert!(
        detail[0] > table[0],
        "the marker moved to the detail pane:\n{t}"
    );
}

#[tokio::test]
async fn english_at_80_columns_cuts_no_word() {
    let mut c = console(Lang::En, "mouxian-zhao", 3000).await;
    let mut words: Vec<&str> = Kind::ALL.iter().map(|k| k.short(false)).collect();
    words.extend(Stage::ALL.iter().map(|s| s.short(false)));
    words.extend(State::ALL.iter().map(|s| s.label(false)));
    let nodes: Vec<(Stage, Option<Kind>)> = c
        .app
        .queue
        .nodes
        .iter()
        .map(|n| (n.stage, n.kind))
        .collect();
    for (stage, kind) in nodes {
        goto(&mut c.app, &c.exec, stage, kind).await;
        let t = screen_text(&c.app, 80, 24);
        for w in &words {
            for k in 2..w.len() {
                let cut = format!("{}…", &w[..k]);
                assert!(!t.contains(&cut), "{w} cut as {cut}:\n{t}");
            }
        }
        assert!(
            t.contains("History"),
            "the History tab stays on the bar:\n{t}"
        );
        let lines: Vec<&str> = t.lines().collect();
        for l in [lines[0], lines[lines.len() - 1]] {
            assert!(
                !l.chars().any(|ch| "，。：；（）、！？".contains(ch)),
                "full-width punctuation: {l}"
            );
        }
    }
}

#[tokio::test]
async fn help_scrolls_and_says_where() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    press(&mut c.app, &c.exec, "?").await;
    let total = match c.app.modal {
        Some(Modal::Help { .. }) => screen_text(&c.app, 80, 24),
        _ => panic!("help"),
    };
    let pos = |t: &str| -> (usize, usize, usize) {
        let l = t.lines().nth(1).unwrap();
        let s = &l[l.find("关闭 · ").unwrap() + "关闭 · ".len()..];
        let s: String = s
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '–' || *c == '/')
            .collect();
        let (a, rest) = s.split_once('–').unwrap();
        let (b, n) = rest.split_once('/').unwrap();
        (a.parse().unwrap(), b.parse().unwrap(), n.parse().unwrap())
    };
    let (a, _, n) = pos(&total);
    assert_eq!(a, 1);
    press(&mut c.app, &c.exec, "pagedown").await;
    let (a2, _, _) = pos(&screen_text(&c.app, 80, 24));
    assert!(a2 > 1);
    press(&mut c.app, &c.exec, "end").await;
    let (_, b3, n3) = pos(&screen_text(&c.app, 80, 24));
    assert_eq!((b3, n3), (n, n));
    press(&mut c.app, &c.exec, "home").await;
    assert_eq!(pos(&screen_text(&c.app, 80, 24)).0, 1);
}

#[tokio::test]
async fn materials_keep_their_selection_read_full_screen_and_history_names_them() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Access)).await;
    press(&mut c.app, &c.exec, "tab").await;
    while c.app.queue.tab != Tab::Materials {
        press(&mut c.app, &c.exec, "]").await;
    }
    let d = c.app.queue.detail.clone().unwrap();
    assert!(d.materials.len() >= 4);
    let last = d.materials.len() - 1;
    for _ in 0..last {
        press(&mut c.app, &c.exec, "j").await;
    }
    assert_eq!(c.app.queue.material, last);
    let name = d.materials[last].kind.label(true);
    let t = screen_text(&c.app, 80, 24);
    let marked = t.lines().any(|l| l.contains('▶') && l.contains(name));
    assert!(marked, "the selected material stays in view:\n{t}");
    press(&mut c.app, &c.exec, "p").await;
    assert_eq!(c.app.queue.material, last, "marking keeps the selection");
    press(&mut c.app, &c.exec, "enter").await;
    match &c.app.modal {
        Some(Modal::Reader { title, .. }) => assert!(title.contains(name), "{title}"),
        _ => panic!("no full-screen reader"),
    }
    press(&mut c.app, &c.exec, "esc").await;
    while c.app.queue.tab != Tab::History {
        press(&mut c.app, &c.exec, "]").await;
    }
    let t = screen_text(&c.app, 120, 40);
    assert!(t.contains(name), "history names the material:\n{t}");
    let by_id = format!("材料 {}", d.materials[last].id);
    assert!(!t.contains(&by_id), "{t}");
}

#[tokio::test]
async fn names_sort_by_pinyin() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    while c.app.queue.sort != Sort::Name {
        press(&mut c.app, &c.exec, "s").await;
    }
    let rows = &c.app.queue.window.rows;
    assert!(rows.len() > 5);
    let keys: Vec<String> = rows
        .iter()
        .map(|r| leqi_console::domain::text::name_key(&r.name, r.submitted_at))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // 安 (an) comes before 北 (bei) before 张 (zhang), whatever their code points.
    let first = rows[0].name.chars().next().unwrap();
    let last = rows[rows.len() - 1].name.chars().next().unwrap();
    assert!(
        leqi_console::domain::text::name_key(&first.to_string(), rows[0].submitted_at)
            <= leqi_console::domain::text::name_key(&last.to_string(), rows[0].submitted_at)
    );
}

// ---- D. Find anything in two keys ------------------------------------

#[tokio::test]
async fn jump_to_an_application_by_its_number() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    // One not in zhao's queue: a provincial confirmation.
    let id = scalar(
        &c.store,
        "SELECT min(id) FROM applications WHERE state = 'pending_confirmation' AND acting_bureau = '13300000000'",
    )
    .await;
    press(&mut c.app, &c.exec, "#").await;
    type_text(&mut c.app, &c.exec, &id.to_string()).await;
    press(&mut c.app, &c.exec, "enter").await;
    assert_eq!(c.app.queue.pinned, Some(id));
    assert_eq!(c.app.queue.detail.as_ref().unwrap().id, id);
    let t = screen_text(&c.app, 80, 24);
    assert!(t.contains(&format!("按编号打开 · #{id}")), "{t}");
    // One in the queue: the cursor goes to it.
    let there = c.app.queue.window.rows[3].id;
    press(&mut c.app, &c.exec, "#").await;
    type_text(&mut c.app, &c.exec, &there.to_string()).await;
    press(&mut c.app, &c.exec, "enter").await;
    assert_eq!(c.app.queue.pinned, None);
    assert_eq!(c.app.queue.window.selected().unwrap().id, there);
}

#[tokio::test]
async fn the_unit_view_shows_all_of_a_units_work_and_links_back() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    let x = c.app.queue.window.selected().unwrap().clone();
    press(&mut c.app, &c.exec, "U").await;
    let Screen::Unit(u) = &c.app.screen else {
        panic!("unit view")
    };
    let v = u.view.as_ref().unwrap();
    let all = scalar(
        &c.store,
        &format!(
            "SELECT count(*) FROM applications WHERE unit_id = {0} OR direct_unit_id = {0}",
            x.unit_id
        ),
    )
    .await;
    assert_eq!(v.applications.len() as i64, all.min(500));
    let at = v.applications.iter().position(|a| a.id == x.id).unwrap();
    let t = screen_text(&c.app, 80, 24);
    assert!(t.contains(&format!("#{}", x.id)), "{t}");
    for _ in 0..at {
        press(&mut c.app, &c.exec, "j").await;
    }
    press(&mut c.app, &c.exec, "enter").await;
    assert!(matches!(c.app.screen, Screen::Queue));
    assert_eq!(c.app.queue.detail.as_ref().unwrap().id, x.id);
}

#[tokio::test]
async fn refiled_applications_link_to_the_rejected_one() {
    let c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    let pairs = pairs(
        &c.store,
        "SELECT a.id, CAST(a.previous_id AS TEXT) FROM applications a WHERE a.previous_id IS NOT NULL ORDER BY a.id LIMIT 1",
    )
    .await;
    assert!(!pairs.is_empty(), "the demo refiles after rejections");
    let (id, prev) = (pairs[0].0, pairs[0].1.parse::<i64>().unwrap());
    let a = c.store.application(id).await.unwrap();
    let (p, state) = a.previous.unwrap();
    assert_eq!(p, prev);
    assert!(matches!(
        state,
        State::NotAccepted | State::ReviewRejected | State::ConfirmRejected
    ));
    assert_eq!(a.kind, c.store.application(prev).await.unwrap().kind);
    assert!(
        c.store
            .application(prev)
            .await
            .unwrap()
            .refiled_as
            .contains(&id)
    );
}

#[tokio::test]
async fn batches_and_todays_decisions_are_listed() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let one = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "a y").await;
    press(&mut c.app, &c.exec, "space j space a y esc").await;
    press(&mut c.app, &c.exec, "B").await;
    let Screen::Work(w) = &c.app.screen else {
        panic!("work screen")
    };
    assert!(!w.batches.is_empty());
    press(&mut c.app, &c.exec, "tab").await;
    let Screen::Work(w) = &c.app.screen else {
        panic!()
    };
    assert!(
        w.today.iter().any(|d| d.id == one),
        "today's own decision listed"
    );
    let t = screen_text(&c.app, 80, 24);
    assert!(t.contains(&format!("#{one}")), "{t}");
}

#[tokio::test]
async fn a_unit_is_found_by_any_part_and_chosen_when_several_match() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 3000).await;
    let (id, code) = pairs(
        &c.store,
        "SELECT id, uscc FROM units WHERE direct_connect ORDER BY id LIMIT 1",
    )
    .await[0]
        .clone();
    // A fragment from the middle of the code.
    press(&mut c.app, &c.exec, "f").await;
    type_text(&mut c.app, &c.exec, &code[12..16].to_lowercase()).await;
    press(&mut c.app, &c.exec, "enter").await;
    match (&c.app.screen, &c.app.modal) {
        (Screen::Bindings(b), None) => assert_eq!(b.unit, id),
        (_, Some(Modal::Choose { options, .. })) => {
            assert!(options.iter().any(|o| o.label.contains(&code)))
        }
        _ => panic!("found nothing"),
    }
    press(&mut c.app, &c.exec, "esc").await;
    // A word many names share: a list to choose from; the second is opened.
    press(&mut c.app, &c.exec, "f").await;
    type_text(&mut c.app, &c.exec, "科技").await;
    press(&mut c.app, &c.exec, "enter").await;
    let second = match &c.app.modal {
        Some(Modal::Choose { options, .. }) => {
            assert!(options.len() > 1);
            options[1].label.clone()
        }
        _ => panic!("no choice"),
    };
    press(&mut c.app, &c.exec, "j enter").await;
    let Screen::Bindings(b) = &c.app.screen else {
        panic!("bindings")
    };
    assert!(second.contains(&b.unit_name), "{second} / {}", b.unit_name);
}

#[tokio::test]
async fn overdue_only_and_back() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    let all = c.app.queue.window.total.unwrap();
    press(&mut c.app, &c.exec, "o").await;
    let now = c.app.ctx.now();
    let q = &c.app.queue;
    assert!(q.window.total.unwrap() < all);
    assert!(
        q.window
            .rows
            .iter()
            .all(|r| q.is_overdue(&c.app.ctx, r, now))
    );
    assert!(screen_text(&c.app, 80, 24).contains("· 逾期"));
    press(&mut c.app, &c.exec, "o").await;
    assert_eq!(c.app.queue.window.total, Some(all));
    assert!(!screen_text(&c.app, 80, 24).contains("· 逾期"));
}

#[tokio::test]
async fn rows_this_officer_may_not_decide_are_marked_at_80_columns() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Access)).await;
    let id = c.app.queue.window.selected().unwrap().id;
    press(&mut c.app, &c.exec, "a y").await;
    goto(&mut c.app, &c.exec, Stage::Review, None).await;
    assert!(find_row(&mut c.app, &c.exec, |r| r.id == id).await);
    let t = screen_text(&c.app, 80, 24);
    let line = t
        .lines()
        .find(|l| l.contains('▶') && l.contains("〔职责分离〕"));
    assert!(line.is_some(), "the row zhao accepted is marked:\n{t}");
}

#[tokio::test]
async fn templates_fit_the_kind_and_stage() {
    let mut c = console(Lang::Zh, "mouxian-zhao", 600).await;
    goto(
        &mut c.app,
        &c.exec,
        Stage::Acceptance,
        Some(Kind::Invitation),
    )
    .await;
    press(&mut c.app, &c.exec, "r").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!()
    };
    assert!(
        d.templates.iter().all(|t| !t.contains("网络地址")),
        "{:?}",
        d.templates
    );
    assert!(d.templates.iter().any(|t| t.contains("关联关系")));
    press(&mut c.app, &c.exec, "esc").await;
    goto(&mut c.app, &c.exec, Stage::Acceptance, Some(Kind::Access)).await;
    press(&mut c.app, &c.exec, "r").await;
    let Some(Modal::Reason(d)) = &c.app.modal else {
        panic!()
    };
    assert!(d.templates.iter().any(|t| t.contains("网络地址")));
}
