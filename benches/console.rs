//! The console's drawing: the cost of a frame with the windowed table
//! against one given every row, and the bytes written to the terminal when
//! the cursor moves one row.
//!
//!     cargo bench --bench console
//!     LEQI_BENCH_DB=sqlite:///path/to/1m.db cargo bench --bench console   (adds time to first full frame)
//!     LEQI_BENCH_DB=postgres://sheng-zhou@HOST/DB cargo bench --bench console
//!         (on PostgreSQL the officer is the login, under row-level security)

use leqi_console::app::{App, Ctx};
use leqi_console::console::drafts::Drafts;
use leqi_console::console::executor::Executor;
use leqi_console::console::headless::{press, settle};
use leqi_console::console::terminal::Counting;
use leqi_console::i18n::Lang;
use leqi_console::keymap::Keymap;
use leqi_console::store::Store;
use leqi_console::ui::{self, Theme, theme::ThemeName};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::widgets::{Row, Table};
use std::sync::atomic::Ordering;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn app_on(url: &str) -> (Store, App, Executor, f64) {
    let t = Instant::now();
    let store = Store::open(url).await.unwrap();
    let login = store
        .login
        .clone()
        .unwrap_or_else(|| leqi_console::demo::DEMO_OFFICER.to_string());
    let officer = store.officer(&login).await.unwrap();
    let exec = Executor::new(
        std::sync::Arc::new(store.clone()),
        officer.clone(),
        std::env::temp_dir(),
        Drafts::new(None, url),
    );
    let mut app = App::new(Ctx {
        officer,
        lang: Lang::Zh,
        embedded: store.is_embedded(),
        keymap: Keymap::builtin("default").unwrap(),
        workflow: store.workflow.clone(),
        thresholds: store.thresholds.clone(),
        overdue_days: 7,
        claim_minutes: 15,
        clock: None,
        names: Default::default(),
    });
    let fx = app.start();
    settle(&mut app, &exec, fx).await;
    (store, app, exec, t.elapsed().as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let theme = Theme::new(ThemeName::Default);
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("LEQI_BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("c.db").display()));
    if std::env::var("LEQI_BENCH_DB").is_err() {
        let s = Store::open(&url).await.unwrap();
        leqi_console::demo::generate(&s, 3000, 1, |_| {})
            .await
            .unwrap();
        s.close().await;
    }
    let (store, mut app, exec, first) = app_on(&url).await;
    // The first page of the officer's largest queue, and its count.
    let officer = app.ctx.officer.clone();
    let q = leqi_console::store::QueueQuery {
        stage: leqi_console::domain::Stage::Acceptance,
        kinds: vec![],
        bureau: officer.bureau_id.clone(),
        sort: leqi_console::store::Sort::Age,
        filter: String::new(),
        cursor: None,
        direction: leqi_console::store::Direction::Forward,
        limit: 100,
        older_than: None,
    };
    let (mut page, mut count) = (Vec::new(), Vec::new());
    let mut total = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let p = store.queue(&q).await.unwrap();
        page.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(!p.rows.is_empty());
        let t = Instant::now();
        total = store
            .queue_count(q.stage, &[], &officer.bureau_id, "")
            .await
            .unwrap();
        count.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let out = Counting::new(Vec::<u8>::new());
    let written = out.written.clone();
    let mut term = Terminal::new(CrosstermBackend::new(out)).unwrap();
    term.resize(ratatui::layout::Rect::new(0, 0, 80, 24))
        .unwrap();
    let t = Instant::now();
    term.draw(|f| {
        ui::draw(f, &app, &theme);
    })
    .unwrap();
    let first_draw = t.elapsed().as_secs_f64() * 1e3;
    println!("database: {}", leqi_console::store::redact(&url));
    println!(
        "time to first full frame (open, counts, first page, detail, draw): {:.1} ms",
        first + first_draw
    );
    println!(
        "first page of 待受理 (100 rows of {total}): median {:.2} ms; its count: median {:.2} ms (of 20)",
        median(page),
        median(count)
    );
    let full = written.load(Ordering::Relaxed);
    let mut moves = Vec::new();
    let mut frame_ms = Vec::new();
    for _ in 0..20 {
        press(&mut app, &exec, "j").await;
        let before = written.load(Ordering::Relaxed);
        let t = Instant::now();
        term.draw(|f| {
            ui::draw(f, &app, &theme);
        })
        .unwrap();
        frame_ms.push(t.elapsed().as_secs_f64() * 1e3);
        moves.push((written.load(Ordering::Relaxed) - before) as f64);
    }
    println!(
        "80x24: first frame {full} bytes; one-row move: median {:.0} bytes, frame {:.3} ms (median of 20)",
        median(moves),
        median(frame_ms)
    );

    // Rows handed to the table: the window in view against every row.
    let rows: Vec<Vec<String>> = (0..100_000)
        .map(|i| {
            vec![
                format!("{i}"),
                "某某技术有限公司".repeat(2),
                "9161252LQ1136652JR".into(),
            ]
        })
        .collect();
    let mut back = Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let widths = [
        ratatui::layout::Constraint::Length(8),
        ratatui::layout::Constraint::Min(20),
        ratatui::layout::Constraint::Length(18),
    ];
    let time = |n: usize, back: &mut Terminal<ratatui::backend::TestBackend>| {
        let mut v = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            back.draw(|f| {
                let r: Vec<Row> = rows[..n].iter().map(|c| Row::new(c.clone())).collect();
                f.render_widget(Table::new(r, widths), f.area());
            })
            .unwrap();
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        median(v)
    };
    let all = time(rows.len(), &mut back);
    let window = time(38, &mut back);
    println!(
        "table frame, 120x40: 100,000 rows given {all:.2} ms; 38 rows in view {window:.3} ms; ratio {:.0}×",
        all / window
    );
}
