//! The terminal: enter and leave, the event loop, and restoring the
//! terminal on every exit path (quit, error, panic, SIGTERM, SIGHUP).

use crate::app::drafts::Drafts;
use crate::app::{App, Effect, Msg, effects};
use crate::cli::{Cli, CliResult, Context, Failure};
use crate::i18n::Lang;
use crate::keymap::Keymap;
use crate::ui::{self, Theme};
use crossterm::event::{Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Stdout that counts what is written: the figure for "bytes per cursor move".
pub struct Counting<W: Write> {
    inner: W,
    pub written: Arc<AtomicU64>,
}

impl<W: Write> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting {
            inner,
            written: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Leaves the terminal as it found it, however the console ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// The keymap: the chosen shipped or file map, then the user's file over
/// it. A bad file is reported and the defaults are used.
pub fn load_keymap(choice: Option<&str>, user_file: &std::path::Path) -> (Keymap, Option<String>) {
    let mut notice = None;
    let name = choice.unwrap_or("default");
    let mut km = match Keymap::builtin(name) {
        Some(k) => k,
        None => match std::fs::read_to_string(name) {
            Ok(text) => match Keymap::parse(&text, name) {
                Ok(k) => {
                    let mut base = Keymap::builtin("default").unwrap_or_default();
                    base.merge(&k);
                    base
                }
                Err(e) => {
                    notice = Some(e.to_string());
                    Keymap::builtin("default").unwrap_or_default()
                }
            },
            Err(e) => {
                notice = Some(format!("{name}: {e}"));
                Keymap::builtin("default").unwrap_or_default()
            }
        },
    };
    if notice.is_none()
        && let Ok(text) = std::fs::read_to_string(user_file)
    {
        match Keymap::parse(&text, &user_file.display().to_string()) {
            Ok(user) => km.merge(&user),
            Err(e) => {
                notice = Some(e.to_string());
                km = Keymap::builtin("default").unwrap_or_default();
            }
        }
    }
    (km, notice)
}

fn init_logging(dir: &std::path::Path) {
    let _ = std::fs::create_dir_all(dir);
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("leqi-console.log"))
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .try_init();
    }
}

pub async fn run(cli: &Cli, mut ctx: Context) -> CliResult<i32> {
    let started = Instant::now();
    if cli.demo {
        // The demo database lives beside the default one; --database still wins.
        if cli.database.is_none() {
            ctx.database_url = format!("sqlite://{}", ctx.paths.data_dir.join("demo.db").display());
        }
        if cli.officer.is_none() {
            ctx.officer_login = crate::demo::DEMO_OFFICER.into();
        }
    }
    let lang = match cli.lang.as_deref().or(ctx.config.lang.as_deref()) {
        Some(l) => Lang::parse(l).ok_or_else(|| {
            Failure::usage(format!(
                "未知的语言“{l}”：应为 zh 或 en (unknown language: use zh or en)"
            ))
        })?,
        None => Lang::Zh,
    };
    let store = ctx.open().await?;
    if cli.demo && !store.has_data().await? {
        eprintln!(
            "正在创建演示数据库 (creating the demo database) {}",
            ctx.database_url
        );
        crate::demo::generate(&store, 3000, 1, |_| {}).await?;
    }
    // An unknown officer is told before the screen changes.
    let officer = store.officer(&ctx.officer_login).await?;
    init_logging(&ctx.paths.state_dir);
    tracing::info!(
        "console for {} on {}",
        officer.login,
        crate::store::redact(&ctx.database_url)
    );
    let (keymap, notice) = load_keymap(
        cli.keymap.as_deref().or(ctx.config.keymap.as_deref()),
        &ctx.paths.config_dir.join("keymap.toml"),
    );
    let theme = Theme::detect(ctx.config.theme.as_deref());
    let drafts = Drafts::new(
        Some(ctx.paths.state_dir.join("drafts")),
        &crate::store::redact(&ctx.database_url),
    );
    let mut app = App::new(
        officer.clone(),
        lang,
        store.is_embedded(),
        keymap,
        store.workflow.clone(),
        store.thresholds.clone(),
        ctx.config.overdue_days.unwrap_or(7),
        drafts,
    );
    if let Some(n) = notice {
        tracing::warn!("keymap: {n}");
        app.on_msg_notice(format!("{}{n}", app.t(crate::i18n::Msg::KeymapFallback)));
    }
    if let Ok(open) = store.batches(&officer.login, true).await
        && let Some(b) = open.first()
    {
        app.status = Some(if lang.zh() {
            format!("批次 {} 尚有 {} 项未处理：按 B 查看并继续", b.id, b.pending)
        } else {
            format!(
                "Batch {} has {} items left: press B to see and resume it",
                b.id, b.pending
            )
        });
    }

    // From here on the terminal is ours: every path out restores it.
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode().map_err(|e| Failure {
        code: 1,
        message: format!("无法进入终端原始模式：{e} (not a terminal?)"),
    })?;
    let _guard = Guard;
    let out = Counting::new(std::io::stdout());
    let written = out.written.clone();
    let mut terminal = Terminal::new(CrosstermBackend::new(out)).map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    execute!(
        terminal.backend_mut(),
        EnterAlternateScreen,
        crossterm::cursor::Hide
    )
    .map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    terminal.clear().ok();

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let store = Arc::new(store);
    let officer = Arc::new(officer);
    let export_dir = Arc::new(ctx.paths.state_dir.join("exports"));
    let spawn = |app: &mut App, fx: Vec<Effect>| {
        for e in fx {
            if e == Effect::Quit {
                continue;
            }
            app.busy += 1;
            let (store, officer, tx, dir, cancel) = (
                store.clone(),
                officer.clone(),
                tx.clone(),
                export_dir.clone(),
                app.cancel.clone(),
            );
            tokio::spawn(async move {
                let progress_tx = tx.clone();
                let progress = move |m: Msg| {
                    let _ = progress_tx.send(m);
                };
                if let Some(m) =
                    effects::execute(&store, &officer, e, &dir, &progress, &cancel).await
                {
                    let _ = tx.send(m);
                }
            });
        }
    };
    let first = app.start();
    spawn(&mut app, first);
    // Other officers' changes: a notice (or a reconnect) becomes a refresh.
    match store.watch().await {
        Ok(mut watch) => {
            let tx = tx.clone();
            tokio::spawn(async move {
                loop {
                    match watch.changed().await {
                        Ok(()) => {
                            if tx.send(Msg::Changed).is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("change watch stopped: {e}");
                            break;
                        }
                    }
                }
            });
        }
        Err(e) => tracing::warn!("cannot watch for changes: {e}"),
    }

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_busy = false;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
    let mut hup =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map_err(|e| {
            Failure {
                code: 1,
                message: e.to_string(),
            }
        })?;
    let mut first_full = false;
    // Bytes and frames from a key press until the console is idle again.
    let mut key_cost: Option<(u64, u32)> = None;
    let mut frames = 0u64;
    let mut code = 0;
    loop {
        let before = written.load(Ordering::Relaxed);
        if terminal.draw(|f| ui::draw(f, &app, &theme)).is_err() {
            break;
        }
        frames += 1;
        let bytes = written.load(Ordering::Relaxed) - before;
        tracing::debug!(frame = frames, bytes, "drawn");
        if let Some((start, n)) = key_cost.as_mut() {
            *n += 1;
            if app.busy == 0 {
                tracing::debug!(
                    bytes = written.load(Ordering::Relaxed) - *start,
                    frames = *n,
                    "key settled"
                );
                key_cost = None;
            }
        }
        if !first_full && app.busy == 0 && app.detail.is_some() {
            first_full = true;
            tracing::info!(
                "first full frame after {} ms",
                started.elapsed().as_millis()
            );
        }
        // A tick counts from the start of work, not from some idle moment.
        if app.busy > 0 && !was_busy {
            tick.reset();
        }
        was_busy = app.busy > 0;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    key_cost = Some((written.load(Ordering::Relaxed), 0));
                    let fx = app.on_key(k);
                    spawn(&mut app, fx);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::error!("terminal input: {e}");
                    code = 1;
                    break;
                }
                None => break,
            },
            Some(m) = rx.recv() => {
                let fx = app.on_msg(m);
                spawn(&mut app, fx);
            }
            _ = tick.tick(), if app.busy > 0 => {
                app.spinner = app.spinner.wrapping_add(1);
            }
            _ = term.recv() => {
                tracing::info!("SIGTERM");
                break;
            }
            _ = hup.recv() => {
                tracing::info!("SIGHUP: the session dropped");
                break;
            }
        }
        // Everything already waiting is applied before the next draw.
        while let Ok(m) = rx.try_recv() {
            let fx = app.on_msg(m);
            spawn(&mut app, fx);
        }
        if app.busy == 0 {
            app.spinner = 0;
        }
        if app.quit {
            break;
        }
    }
    app.save_draft();
    drop(terminal);
    tracing::info!("exit after {frames} frames");
    Ok(code)
}
