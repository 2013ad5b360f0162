//! The console runner: the bootstrap's store and officer, the app, the
//! terminal, and the loop that feeds keys and messages to the app, runs
//! what it asks for, and draws once after each batch of work.

pub mod drafts;
pub mod executor;
pub mod headless;
pub mod terminal;

use crate::app::{App, Ctx, Effect, Msg};
use crate::context::{Context, Failure, Outcome};
use crate::i18n::Msg as L;
use crate::store::Store;
use crate::ui::{self, Theme};
use crossterm::event::{Event, EventStream};
use drafts::Drafts;
use executor::Executor;
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Spawns store work on tasks whose messages come back on `tx`; local
/// work (drafts, the cancel flag) is done at once, in order.
struct Runner {
    exec: Executor,
    tx: mpsc::UnboundedSender<Msg>,
}

impl Runner {
    fn spawn(&self, app: &mut App, fx: Vec<Effect>) {
        for e in fx {
            if e.is_local() {
                if let Some(m) = self.exec.run_local(e) {
                    let _ = self.tx.send(m);
                    app.live.busy += 1;
                }
                continue;
            }
            app.live.busy += 1;
            let (exec, tx) = (self.exec.clone(), self.tx.clone());
            tokio::spawn(async move {
                let progress_tx = tx.clone();
                let work = tokio::spawn(Effectful(Box::pin(async move {
                    let progress = move |m: Msg| {
                        let _ = progress_tx.send(m);
                    };
                    exec.run(e, &progress).await
                })));
                match work.await {
                    Ok(Some(m)) => {
                        let _ = tx.send(m);
                    }
                    Ok(None) => {}
                    // A bug in one piece of work: said, and the console goes on.
                    Err(err) => {
                        let _ = tx.send(Msg::Crashed(err.to_string()));
                    }
                }
            });
        }
    }
}

thread_local! {
    /// Set while an effect's work is being polled on this thread.
    static IN_EFFECT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic now is inside an effect's work: the console goes on,
/// so the terminal is left as it is (see `terminal::enter`).
pub(crate) fn in_effect() -> bool {
    IN_EFFECT.with(|f| f.get())
}

/// An effect's future, polled with `IN_EFFECT` set (and unset again, even
/// when the poll unwinds).
struct Effectful<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for Effectful<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        struct Unset;
        impl Drop for Unset {
            fn drop(&mut self) {
                IN_EFFECT.with(|f| f.set(false));
            }
        }
        IN_EFFECT.with(|f| f.set(true));
        let _unset = Unset;
        self.0.as_mut().poll(cx)
    }
}

/// Other officers' changes: a notice (or a reconnect) becomes a refresh.
/// Send on the returned sender (or drop it) to stop; the task then closes
/// its connection.
async fn watch_changes(
    store: &Store,
    tx: mpsc::UnboundedSender<Msg>,
) -> Option<(
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
)> {
    let mut watch = match store.watch().await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot watch for changes: {e}");
            return None;
        }
    };
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                r = watch.changed() => {
                    if let Err(e) = r {
                        tracing::warn!("change watch stopped: {e}");
                        break;
                    }
                    if tx.send(Msg::Changed).is_err() {
                        break;
                    }
                }
                _ = &mut stopped => break,
            }
        }
        watch.close().await;
    });
    Some((stop, task))
}

/// The app for the officer, with a notice of a bad keymap file and of a
/// batch left unfinished.
async fn build_app(ctx: &Context, store: &Store, officer: crate::domain::Officer) -> App {
    let (keymap, notice) = ctx.keymap();
    let mut app = App::new(Ctx {
        officer,
        lang: ctx.lang,
        embedded: store.is_embedded(),
        keymap,
        workflow: store.workflow.clone(),
        thresholds: store.thresholds.clone(),
        overdue_days: ctx.config.overdue_days.unwrap_or(7),
        claim_minutes: ctx
            .config
            .claim_minutes
            .unwrap_or(crate::domain::claim::DEFAULT_MINUTES),
        clock: None,
        names: Default::default(),
    });
    if let Some(n) = notice {
        tracing::warn!("keymap: {n}");
        app.notice(format!("{}{n}", app.t(L::KeymapFallback)));
    }
    if let Ok(open) = store.batches(&app.ctx.officer.login, true).await
        && let Some(b) = open.first()
    {
        app.status = Some(L::BatchLeft.fill(ctx.lang, &[&b.id, &b.pending]));
    }
    app
}

pub async fn run(ctx: Context) -> Outcome<i32> {
    let started = Instant::now();
    let store = ctx.open().await?;
    ctx.ensure_demo(&store).await?;
    // An unknown officer is told before the screen changes.
    let officer = ctx.officer(&store).await?;
    tracing::info!(
        "console for {} on {}",
        officer.login,
        crate::store::redact(&ctx.database_url)
    );
    let mut app = build_app(&ctx, &store, officer.clone()).await;
    let theme = Theme::detect(ctx.config.theme.as_deref());
    let drafts = Drafts::new(
        Some(ctx.paths.state_dir.join("drafts")),
        &crate::store::redact(&ctx.database_url),
    );
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let store = Arc::new(store);
    let runner = Runner {
        exec: Executor::new(
            store.clone(),
            officer,
            ctx.paths.state_dir.join("exports"),
            drafts,
        ),
        tx: tx.clone(),
    };
    let sixteen = theme.name == crate::ui::theme::ThemeName::Sixteen;
    let (mut term, guard, written) = terminal::enter(sixteen)?;
    let first = app.start();
    runner.spawn(&mut app, first);
    let watcher = watch_changes(&store, tx).await;
    let code = event_loop(&mut app, &runner, &mut term, &theme, rx, written, started).await;
    for e in app.closing() {
        runner.exec.run_local(e);
    }
    drop(term);
    drop(guard);
    // What this console held is released, and it leaves the queue; a
    // console that dies instead lets its leases lapse.
    let held = app.held_claims();
    let gone = async {
        if !held.is_empty() {
            let _ = store.release(&runner.exec.officer, &held).await;
        }
        let _ = store.presence(&runner.exec.officer, None).await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), gone).await;
    // A clean exit closes every connection, so that SQLite checkpoints and
    // removes its -wal and -shm files.
    if let Some((stop, task)) = watcher {
        let _ = stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), store.close()).await;
    code
}

/// Keys, messages, ticks and signals until the officer quits or the
/// session ends.
async fn event_loop(
    app: &mut App,
    runner: &Runner,
    term: &mut terminal::Term,
    theme: &Theme,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    written: Arc<std::sync::atomic::AtomicU64>,
    started: Instant,
) -> Outcome<i32> {
    use tokio::signal::unix::{SignalKind, signal};
    let sig = |k| signal(k).map_err(|e| Failure::other(e.to_string()));
    let (mut sigterm, mut hup) = (sig(SignalKind::terminate())?, sig(SignalKind::hangup())?);
    // Sent from outside (Ctrl-C at the keyboard is a key in raw mode):
    // the console ends as on SIGTERM, its claims released, the terminal
    // restored.
    let (mut int, mut quit) = (sig(SignalKind::interrupt())?, sig(SignalKind::quit())?);
    let mut events = EventStream::new();
    // Leases renewed, presence said, minutes left counted down.
    let mut heartbeat =
        tokio::time::interval(Duration::from_secs(crate::domain::claim::RENEW_SECONDS / 2));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stats = FrameStats::default();
    loop {
        if !stats.draw(app, term, theme, &written, started) {
            break;
        }
        // A tick counts from the start of work, not from some idle moment.
        if app.live.busy > 0 && !stats.was_busy {
            tick.reset();
        }
        stats.was_busy = app.live.busy > 0;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    stats.key_cost = Some((written.load(Ordering::Relaxed), 0));
                    let fx = app.on_key(k);
                    runner.spawn(app, fx);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::error!("terminal input: {e}");
                    return Ok(1);
                }
                None => break,
            },
            Some(m) = rx.recv() => {
                let fx = app.on_msg(m);
                runner.spawn(app, fx);
            }
            _ = heartbeat.tick() => {
                let fx = app.on_msg(Msg::Tick);
                runner.spawn(app, fx);
            }
            _ = tick.tick(), if app.live.busy > 0 => {
                app.live.spinner = app.live.spinner.wrapping_add(1);
            }
            _ = sigterm.recv() => { tracing::info!("SIGTERM"); break; }
            _ = hup.recv() => { tracing::info!("SIGHUP: the session dropped"); break; }
            _ = int.recv() => { tracing::info!("SIGINT"); break; }
            _ = quit.recv() => { tracing::info!("SIGQUIT"); break; }
        }
        // Everything already waiting is applied before the next draw.
        while let Ok(m) = rx.try_recv() {
            let fx = app.on_msg(m);
            runner.spawn(app, fx);
        }
        if app.live.busy == 0 {
            app.live.spinner = 0;
        }
        if app.quit {
            break;
        }
    }
    tracing::info!("exit after {} frames", stats.frames);
    Ok(0)
}

/// Frames drawn, and what a key press cost until the console was idle.
#[derive(Default)]
struct FrameStats {
    frames: u64,
    first_full: bool,
    was_busy: bool,
    key_cost: Option<(u64, u32)>,
}

impl FrameStats {
    /// Draws a frame and hands its layout to the app; false when the
    /// terminal is gone.
    fn draw(
        &mut self,
        app: &mut App,
        term: &mut terminal::Term,
        theme: &Theme,
        written: &std::sync::atomic::AtomicU64,
        started: Instant,
    ) -> bool {
        let before = written.load(Ordering::Relaxed);
        let mut layout = None;
        if term
            .draw(|f| layout = Some(ui::draw(f, app, theme)))
            .is_err()
        {
            return false;
        }
        if let Some(l) = layout {
            app.on_layout(l);
        }
        self.frames += 1;
        let bytes = written.load(Ordering::Relaxed) - before;
        tracing::debug!(frame = self.frames, bytes, "drawn");
        if let Some((start, n)) = self.key_cost.as_mut() {
            *n += 1;
            if app.live.busy == 0 {
                tracing::debug!(
                    bytes = written.load(Ordering::Relaxed) - *start,
                    frames = *n,
                    "key settled"
                );
                self.key_cost = None;
            }
        }
        if !self.first_full && app.live.busy == 0 && app.queue.detail.is_some() {
            self.first_full = true;
            tracing::info!(
                "first full frame after {} ms",
                started.elapsed().as_millis()
            );
        }
        true
    }
}
