//! A supervisor at the keyboard, on both backends (PostgreSQL through
//! their own login): a unit taken from a risk warning through a suspension
//! with its deadline to lifting, and another from a suspension to
//! termination with its preview; asserted on the database and the screen.
//! The clock is the real one: the database judges deadlines by it.

mod common;
use common::screen::*;
use common::*;
use leqi_console::app::{App, Modal, Screen, SuperviseTab};
use leqi_console::console::executor::Executor;
use leqi_console::console::headless::press;
use leqi_console::domain::*;
use leqi_console::i18n::Lang;
use leqi_console::store::*;

const COUNTY: &str = "13301010000";

/// A direct-connect unit of the seed county with user units bound, an
/// invitation of its own waiting for confirmation there, and no measure.
async fn quiet_unit(s: &Store, with_invitation: bool) -> i64 {
    let invitation = if with_invitation {
        "AND EXISTS (SELECT 1 FROM applications a WHERE a.direct_unit_id = d.id AND a.kind = 'invitation'
                     AND a.state = 'pending_confirmation' AND a.county_id = d.bureau_id
                     AND NOT EXISTS (SELECT 1 FROM bindings k WHERE k.direct_unit_id = d.id
                                     AND k.user_unit_id = a.unit_id AND k.active))"
    } else {
        ""
    };
    scalar(
        s,
        &format!(
            "SELECT min(d.id) FROM units d WHERE d.bureau_id = '{COUNTY}' AND d.direct_connect
               AND EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = d.id AND b.active)
               AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = d.id AND m.state = 'in_force')
               AND NOT EXISTS (SELECT 1 FROM warnings w WHERE w.unit_id = d.id AND w.state IN ('open', 'answered'))
               {invitation}"
        ),
    )
    .await
}

/// Moves the cursor of the supervision screen to the row with `id`.
async fn cursor_to(app: &mut App, exec: &Executor, id: i64) {
    let Screen::Supervise(s) = &app.screen else {
        panic!("not on the supervision screen")
    };
    let at = (0..s.len())
        .position(|i| s.row(i).map(|r| r.id) == Some(id))
        .unwrap_or_else(|| panic!("row {id} not listed on {:?}", s.tab));
    press(app, exec, "g g").await;
    for _ in 0..at {
        press(app, exec, "j").await;
    }
}

fn tab(app: &App) -> SuperviseTab {
    match &app.screen {
        Screen::Supervise(s) => s.tab,
        _ => panic!("not on the supervision screen"),
    }
}

#[tokio::test]
async fn a_supervisor_takes_units_from_a_warning_to_lifting_or_termination() {
    for db in databases().await {
        let admin = demo_store(&db, 900).await;
        let (sup, sun) = as_officer(&db, "mouxian-sun").await;
        let label = db.label;
        let u = quiet_unit(&admin, true).await;
        let invitation = scalar(
            &admin,
            &format!(
                "SELECT min(a.id) FROM applications a WHERE a.direct_unit_id = {u} AND a.kind = 'invitation'
                   AND a.state = 'pending_confirmation' AND a.county_id = '{COUNTY}'
                   AND NOT EXISTS (SELECT 1 FROM bindings k WHERE k.direct_unit_id = {u}
                                   AND k.user_unit_id = a.unit_id AND k.active)"
            ),
        )
        .await;
        // Monitoring raised a warning against the unit.
        let w = sup
            .raise_warning(&sun, u, "发票开具量异常波动，疑似虚开风险", None)
            .await
            .unwrap();
        let drafts = tempfile::tempdir().unwrap();
        let (mut app, exec) =
            console_app(&sup, "mouxian-sun", Lang::Zh, drafts.path(), &db.url, None).await;
        // A supervisor with no queue opens on supervision.
        assert_eq!(tab(&app), SuperviseTab::Measures, "{label}");
        press(&mut app, &exec, "tab").await;
        assert_eq!(tab(&app), SuperviseTab::Warnings);
        cursor_to(&mut app, &exec, w).await;
        // Escalated: the proposed suspension, the default deadline, a template.
        press(&mut app, &exec, "x").await;
        let Some(Modal::Choose { title, .. }) = &app.modal else {
            panic!("{label}: the measures to choose from")
        };
        assert!(title.contains("采取的措施"), "{title}");
        press(&mut app, &exec, "enter").await;
        let p = app.prompt.clone().expect("the deadline asked for");
        assert_eq!(
            p.text,
            supervision::day(now() + chrono::Months::new(1)),
            "proposed: a month"
        );
        press(&mut app, &exec, "enter").await;
        assert!(
            matches!(app.modal, Some(Modal::Reason(_))),
            "{label}: its reason"
        );
        press(&mut app, &exec, "ctrl-n ctrl-s").await;
        let Some(Modal::Confirm { lines, .. }) = &app.modal else {
            panic!("{label}: a confirmation")
        };
        assert!(
            lines.iter().any(|l| l.contains("暂停新增使用单位")),
            "{lines:?}"
        );
        press(&mut app, &exec, "y").await;
        let m = scalar(
            &admin,
            &format!("SELECT id FROM measures WHERE warning_id = {w}"),
        )
        .await;
        let row = pairs(
            &admin,
            &format!("SELECT id, kind || ' ' || state FROM measures WHERE id = {m}"),
        )
        .await;
        assert_eq!(row[0].1, "suspend_invitations in_force", "{label}");
        let warning = pairs(
            &admin,
            &format!("SELECT id, state FROM warnings WHERE id = {w}"),
        )
        .await;
        assert_eq!(warning[0].1, "escalated");
        // The inviting unit's invitation cannot be confirmed meanwhile.
        let (con, li) = as_officer(&db, "mouxian-li").await;
        let e = con
            .decide(&li, invitation, Decision::Pass, None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("暂停新增使用单位"), "{label}: {e}");
        // The unit rectified: lifted from the measures tab, as a batch.
        press(&mut app, &exec, "[").await;
        assert_eq!(tab(&app), SuperviseTab::Measures);
        let shown = screen_text(&app, 80, 24);
        assert!(shown.contains(&format!("#{m}")), "{label}: {shown}");
        cursor_to(&mut app, &exec, m).await;
        press(&mut app, &exec, "l ctrl-n ctrl-s").await;
        let Some(Modal::Confirm { title, .. }) = &app.modal else {
            panic!("{label}: a confirmation")
        };
        // One measure is not a batch.
        assert_eq!(title, "解除监管措施？", "{label}");
        press(&mut app, &exec, "y").await;
        assert!(
            matches!(app.screen, Screen::Results(_)),
            "{label}: the batch's results"
        );
        let shown = screen_text(&app, 80, 24);
        assert!(shown.contains("成功 1"), "{label}: {shown}");
        let state = pairs(
            &admin,
            &format!("SELECT id, state FROM measures WHERE id = {m}"),
        )
        .await;
        assert_eq!(state[0].1, "lifted", "{label}");
        let r = con
            .decide(&li, invitation, Decision::Pass, None, None)
            .await;
        assert!(r.is_ok(), "{label}: freed after lifting: {r:?}");
        press(&mut app, &exec, "q").await;
        assert_eq!(
            tab(&app),
            SuperviseTab::Measures,
            "{label}: back where it was"
        );

        // Another unit suspended, its deadline passed unrectified: escalated
        // to termination, with what it ends shown first.
        let v = quiet_unit(&admin, false).await;
        let bound = scalar(
            &admin,
            &format!("SELECT count(*) FROM bindings WHERE direct_unit_id = {v} AND active"),
        )
        .await;
        let suspend = Imposition {
            kind: MeasureKind::SuspendAccess,
            reason: "存在虚开发票风险".into(),
            deadline: None,
            limit: None,
            warning: None,
        };
        let r = sup
            .impose(
                &sun,
                &[DecideItem {
                    id: v,
                    version: None,
                }],
                &suspend,
                None,
            )
            .await
            .unwrap();
        assert!(r[0].ok(), "{label}: {:?}", r[0].error);
        let s = scalar(
            &admin,
            &format!("SELECT id FROM measures WHERE unit_id = {v} AND state = 'in_force'"),
        )
        .await;
        press(&mut app, &exec, "R").await;
        cursor_to(&mut app, &exec, s).await;
        press(&mut app, &exec, "x ctrl-n ctrl-s").await;
        let Some(Modal::Confirm { lines, .. }) = &app.modal else {
            panic!("{label}: the termination's confirmation")
        };
        let preview = lines.join("\n");
        assert!(
            preview.contains(&format!("解除 {bound} 个使用单位的绑定")),
            "{label}: {preview}"
        );
        assert!(preview.contains("不再是直连单位"), "{preview}");
        press(&mut app, &exec, "y").await;
        let direct = scalar(
            &admin,
            &format!("SELECT count(*) FROM units WHERE id = {v} AND direct_connect"),
        )
        .await;
        assert_eq!(direct, 0, "{label}: access ended");
        let left = scalar(
            &admin,
            &format!("SELECT count(*) FROM bindings WHERE direct_unit_id = {v} AND active"),
        )
        .await;
        assert_eq!(left, 0, "{label}");
        let states = pairs(
            &admin,
            &format!("SELECT id, kind || ' ' || state FROM measures WHERE unit_id = {v} AND state <> 'recorded' ORDER BY id"),
        )
        .await;
        let states: Vec<&str> = states.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(
            states,
            ["suspend_access escalated", "terminate in_force"],
            "{label}"
        );
        let report = admin.verify(None).await.unwrap();
        assert!(report.findings.is_empty(), "{label}: {:?}", report.findings);
    }
}

#[tokio::test]
async fn the_supervision_screen_at_80x24_in_both_languages() {
    for lang in [Lang::Zh, Lang::En] {
        let mut c = console(lang, "mouxian-sun", 3000).await;
        let l = if lang == Lang::Zh { "zh" } else { "en" };
        for (name, keys) in [
            ("measures", ""),
            ("warnings", "tab"),
            ("serious", "tab"),
            ("lapsing", "tab"),
        ] {
            if !keys.is_empty() {
                press(&mut c.app, &c.exec, keys).await;
            }
            insta::assert_snapshot!(
                format!("supervise_{name}_{l}_80x24"),
                render(&c.app, 80, 24)
            );
        }
        // The unit under the cursor shows its measures.
        press(&mut c.app, &c.exec, "tab enter").await;
        let t = screen_text(&c.app, 80, 24);
        let word = if lang == Lang::Zh {
            "监管措施 #"
        } else {
            "Measure #"
        };
        assert!(t.contains(word), "{t}");
    }
}
