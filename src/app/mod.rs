//! The console's state and its update: keys become actions through the
//! keymap of the top layer (a dialog, else the prompt line, else the
//! screen); each layer answers with commands (open a dialog, go to a
//! screen, run an effect). Results of effects come back as messages to
//! the screen that asked. Synchronous: it never awaits and does no I/O.

pub mod bindings;
pub mod claims;
pub mod effect;
pub mod list;
pub mod modal;
pub mod mode;
pub mod prompt;
pub mod queue;
pub mod results;
pub mod supervise;
pub mod unit;
pub mod work;

pub use bindings::BindingsScreen;
pub use effect::{ClaimWhy, Effect, Failure, Msg, PageMode};
pub use modal::{Modal, ReasonDialog, ReasonTarget};
pub use mode::Mode;
pub use prompt::{Prompt, PromptKind};
pub use queue::window::{PAGE, WINDOW_MAX, Window};
pub use queue::{Focus, Node, QueueScreen, Tab};
pub use results::ResultsScreen;
pub use supervise::{SuperviseScreen, SuperviseTab};
pub use unit::UnitScreen;
pub use work::{WorkScreen, WorkTab};

use crate::domain::workflow::Workflow;
use crate::domain::*;
use crate::i18n::{Lang, Msg as L};
use crate::keymap::{KeyAction, Keymap, Resolved, Resolver};
use crossterm::event::{KeyEvent, KeyEventKind};

/// What the console knows of its officer and settings: read by every
/// screen, changed by none.
pub struct Ctx {
    pub officer: Officer,
    pub lang: Lang,
    /// The database is the embedded SQLite file.
    pub embedded: bool,
    pub keymap: Keymap,
    pub workflow: Workflow,
    pub thresholds: ThresholdTable,
    pub overdue_days: i64,
    /// How long a claim lasts (renewed while held).
    pub claim_minutes: i64,
    /// A fixed "now" for tests; None is the clock.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
    /// Officers' names by login, to say who did what.
    pub names: std::collections::HashMap<String, String>,
}

impl Ctx {
    pub fn t(&self, m: L) -> &'static str {
        m.get(self.lang)
    }
    pub fn zh(&self) -> bool {
        self.lang.zh()
    }
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.unwrap_or_else(chrono::Utc::now)
    }
    /// A failure as the officer reads it: in their language only.
    pub fn said(&self, f: &Failure) -> String {
        self.lang.half(&f.message)
    }

    /// An officer's name, or their login until names have loaded.
    pub fn name_of<'a>(&'a self, login: &'a str) -> &'a str {
        self.names.get(login).map(String::as_str).unwrap_or(login)
    }

    /// The keys bound to an action in a mode, joined for a hint.
    pub fn keys(&self, mode: Mode, a: KeyAction) -> String {
        self.keymap.keys_for(mode.section(), a).join("/")
    }
}

/// The screens under the dialogs. The queue screen's state lives on in
/// `App::queue` while another is shown.
pub enum Screen {
    Queue,
    Bindings(BindingsScreen),
    Results(ResultsScreen),
    Unit(UnitScreen),
    Work(WorkScreen),
    Supervise(Box<SuperviseScreen>),
}

/// What a layer asks of the app after a key or a message.
pub enum Cmd {
    Run(Effect),
    /// A dialog over the screen (replacing any).
    Open(Modal),
    Close,
    /// A notice: a title and its lines.
    Notice(L, Vec<String>),
    Prompt(Prompt),
    /// Another screen over this one; `Back` returns.
    Push(Screen),
    /// Replace this screen, keeping where `Back` returns to.
    Replace(Screen),
    Back,
    Status(String),
    /// An application opened in the queue screen by its number.
    Jump(i64),
    /// A step of the supervision screen's plan (a measure chosen).
    Plan(supervise::PlanStep),
    /// The view may no longer show what is in the database.
    Stale,
    Quit,
}

/// How fresh the view is.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Effects running.
    pub busy: usize,
    pub spinner: usize,
    pub refreshed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Something changed that the view may not show yet.
    pub stale: bool,
    /// Changes heard of; the count a refresh was last asked at; the count
    /// the shown rows reflect.
    pub changes: u64,
    pub asked: u64,
    pub applied: u64,
    /// The window's page on its way, with the changes it will reflect.
    pub page: Option<(u64, u64)>,
}

pub struct App {
    pub ctx: Ctx,
    resolver: Resolver,
    pub queue: QueueScreen,
    pub screen: Screen,
    /// Screens to return to.
    back: Vec<Screen>,
    pub modal: Option<Modal>,
    pub prompt: Option<Prompt>,
    pub status: Option<String>,
    pub live: Live,
    pub claims: claims::Claims,
    pub quit: bool,
}

/// Layout facts drawing reports: how many rows each list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    pub queue_rows: u16,
    pub list_rows: u16,
    /// Rows of the detail pane's body.
    pub detail_rows: u16,
    /// How far the detail pane's body can scroll, as last drawn.
    pub detail_last: u16,
}

impl App {
    pub fn new(ctx: Ctx) -> App {
        let queue = QueueScreen::new(&ctx);
        App {
            ctx,
            resolver: Resolver::default(),
            queue,
            screen: Screen::Queue,
            back: Vec::new(),
            modal: None,
            prompt: None,
            status: None,
            live: Live::default(),
            claims: Default::default(),
            quit: false,
        }
    }

    pub fn t(&self, m: L) -> &'static str {
        self.ctx.t(m)
    }

    /// The effects of opening the console.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut cmds = self.queue.start(&self.ctx);
        cmds.push(Cmd::Run(Effect::LoadOfficers));
        // An administrator hears at once of work nobody can reach.
        if crate::domain::judge::may_administer(&self.ctx.officer).is_ok() {
            cmds.push(Cmd::Run(Effect::LoadUnstaffed));
        }
        // A supervisor with no queue of their own opens on their work.
        let o = &self.ctx.officer;
        if o.has(Role::Supervise) && self.queue.nodes.is_empty() {
            cmds.extend(SuperviseScreen::open(&self.ctx, Cmd::Push));
        }
        self.apply(cmds)
    }

    /// The input mode, which picks the keymap section.
    pub fn mode(&self) -> Mode {
        match (&self.modal, &self.prompt, &self.screen) {
            (Some(m), _, _) => m.mode(),
            (None, Some(_), _) => Mode::Filter,
            (None, None, Screen::Queue) => Mode::Normal,
            (None, None, Screen::Bindings(_)) => Mode::Bindings,
            (None, None, Screen::Results(_)) => Mode::Results,
            (None, None, Screen::Unit(_)) => Mode::Unit,
            (None, None, Screen::Work(_)) => Mode::Work,
            (None, None, Screen::Supervise(_)) => Mode::Supervise,
        }
    }

    /// The mode of the screen under any dialog: the help lists its keys.
    pub fn screen_mode(&self) -> Mode {
        match self.screen {
            Screen::Queue => Mode::Normal,
            Screen::Bindings(_) => Mode::Bindings,
            Screen::Results(_) => Mode::Results,
            Screen::Unit(_) => Mode::Unit,
            Screen::Work(_) => Mode::Work,
            Screen::Supervise(_) => Mode::Supervise,
        }
    }

    /// The keys the footer offers: only those that do something here.
    pub fn hints(&self) -> &'static [KeyAction] {
        use KeyAction as K;
        match self.mode() {
            Mode::Normal if self.queue.nodes.is_empty() => {
                &[K::Supervise, K::FindUnit, K::Batches, K::Quit, K::Help]
            }
            Mode::Supervise => match &self.screen {
                Screen::Supervise(s) => s.hints(),
                _ => Mode::Supervise.hints(),
            },
            m => m.hints(),
        }
    }

    /// The keys typed so far of an unfinished sequence.
    pub fn pending_keys(&self) -> String {
        crate::keymap::show_sequence(&self.resolver.pending)
    }

    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.kind == KeyEventKind::Release {
            return vec![];
        }
        let mode = self.mode();
        match self.resolver.feed(&self.ctx.keymap, mode.section(), ev) {
            Resolved::Pending => vec![],
            Resolved::Action(a) => self.act(a),
            Resolved::Unbound(ev) => self.input(ev),
        }
    }

    /// Carries out an action in the top layer.
    pub fn act(&mut self, a: KeyAction) -> Vec<Effect> {
        self.status = None;
        let on_queue = matches!(self.screen, Screen::Queue);
        let cmds = if let Some(m) = self.modal.as_mut() {
            m.on_action(&self.ctx, a)
        } else if self.prompt.is_some() {
            prompt::on_action(self, a)
        } else if on_queue && a == KeyAction::Claim {
            self.claim_key()
        } else if on_queue && a == KeyAction::TakeOver {
            self.take_over_key()
        } else {
            match &mut self.screen {
                Screen::Queue => self.queue.on_action(&self.ctx, a),
                Screen::Bindings(b) => b.on_action(&self.ctx, a),
                Screen::Results(r) => r.on_action(&self.ctx, a),
                Screen::Unit(u) => u.on_action(&self.ctx, a),
                Screen::Work(w) => w.on_action(&self.ctx, a),
                Screen::Supervise(s) => s.on_action(&self.ctx, a),
            }
        };
        self.apply(cmds)
    }

    /// Keys no binding claims: text for the dialog and the prompt line.
    fn input(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let cmds = match (&mut self.modal, &self.prompt) {
            (Some(m), _) => m.on_input(&self.ctx, ev),
            (None, Some(_)) => prompt::on_input(self, ev),
            (None, None) => vec![],
        };
        self.apply(cmds)
    }

    /// A message from an effect, to the layer that asked for it.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        if !matches!(msg, Msg::BatchProgress { .. } | Msg::Changed | Msg::Tick) {
            self.live.busy = self.live.busy.saturating_sub(1);
        }
        let cmds = self.route(msg);
        self.apply(cmds)
    }

    fn route(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Counts(Ok(counts)) => {
                self.queue.on_counts(counts);
                self.live.refreshed_at = Some(self.ctx.now());
                vec![]
            }
            Msg::Officers(Ok(list)) => {
                self.ctx.names = list.into_iter().collect();
                vec![]
            }
            Msg::Officers(Err(e)) => vec![Cmd::Status(self.ctx.said(&e))],
            Msg::Page { seq, .. } if self.live.page.is_some_and(|(s, _)| s == seq) => {
                // The shown rows now reflect the changes heard when asked.
                if let Some((_, asked)) = self.live.page.take() {
                    self.live.applied = self.live.applied.max(asked);
                    self.live.stale = self.live.applied < self.live.changes;
                }
                self.queue.on_msg(&self.ctx, msg)
            }
            Msg::Changed => self.on_changed(),
            Msg::Crashed(what) => {
                // Whatever was loading is let go: the officer may ask again.
                self.queue.window.loading = false;
                vec![Cmd::Status(
                    L::Crashed.fill(self.ctx.lang, &[&crate::ui::safe(&what)]),
                )]
            }
            m @ (Msg::Claimed { .. }
            | Msg::Released(_)
            | Msg::ClaimsChecked { .. }
            | Msg::Presence(_)
            | Msg::Tick) => self.on_claim_msg(m),
            Msg::Decided { id, ref result, .. } => {
                let mut cmds = self.after_decided(id, result.is_ok());
                cmds.extend(self.queue.on_msg(&self.ctx, msg));
                cmds
            }
            Msg::DraftLoaded { key, text } => match self.modal.as_mut() {
                Some(Modal::Reason(d)) => d.on_draft(&key, text),
                _ => vec![],
            },
            Msg::Bindings { unit, result } => match &mut self.screen {
                Screen::Bindings(b) if b.unit == unit => b.on_rows(&self.ctx, result),
                _ => vec![],
            },
            Msg::UnitsFound(result) => bindings::on_units_found(&self.ctx, result),
            Msg::Unit { unit, result } => match &mut self.screen {
                Screen::Unit(u) if u.unit == unit => u.on_loaded(&self.ctx, result),
                _ => vec![],
            },
            Msg::Work(result) => match &mut self.screen {
                Screen::Work(w) => w.on_loaded(&self.ctx, result),
                _ => vec![],
            },
            m @ (Msg::Supervision(_) | Msg::EndingPreview(_) | Msg::WarningDone { .. }) => {
                self.supervise_msg(m)
            }
            Msg::Batches(result) => results::on_batches(&self.ctx, result),
            Msg::BatchStarted(Ok(_)) => {
                self.queue.selection.clear();
                self.results_msg(msg)
            }
            Msg::BatchStarted(Err(_)) => {
                let mut cmds = self.release_batch();
                cmds.extend(self.results_msg(msg));
                cmds
            }
            m @ Msg::BatchProgress { .. } => self.results_msg(m),
            Msg::BatchDone { id, result } => {
                let counts = self.queue.counts_effect();
                // What the batch decided ended its claims; the rest go now.
                let mut cmds = self.release_batch();
                cmds.extend(results::on_done(&self.ctx, &mut self.screen, id, result));
                cmds.push(Cmd::Run(counts));
                cmds
            }
            Msg::Unstaffed(Ok(gaps)) => unstaffed_notice(&self.ctx, &gaps),
            Msg::Unstaffed(Err(e)) => vec![Cmd::Status(self.ctx.said(&e))],
            // The whole path, wrapped in a notice: a status line would cut it.
            Msg::Exported(Ok(path)) => vec![Cmd::Notice(L::Exported, vec![path])],
            Msg::Exported(Err(e)) | Msg::Counts(Err(e)) => vec![Cmd::Status(self.ctx.said(&e))],
            other => self.queue.on_msg(&self.ctx, other),
        }
    }

    /// Messages for the supervision screen, if it is shown.
    fn supervise_msg(&mut self, msg: Msg) -> Vec<Cmd> {
        let Screen::Supervise(s) = &mut self.screen else {
            return vec![];
        };
        match msg {
            Msg::Supervision(result) => {
                // What is shown now reflects the changes heard when asked.
                if result.is_ok() {
                    self.live.applied = self.live.applied.max(self.live.asked);
                    self.live.stale = self.live.applied < self.live.changes;
                    self.live.refreshed_at = Some(self.ctx.now());
                }
                s.on_loaded(&self.ctx, result)
            }
            Msg::EndingPreview(result) => s.on_preview(&self.ctx, result),
            Msg::WarningDone {
                action,
                subject,
                result,
            } => s.on_warning_done(&self.ctx, action, subject, result),
            _ => vec![],
        }
    }

    fn results_msg(&mut self, msg: Msg) -> Vec<Cmd> {
        match &mut self.screen {
            Screen::Results(r) => r.on_msg(&self.ctx, msg),
            _ => vec![],
        }
    }

    /// Another officer changed something: refresh what is shown, unless
    /// it is under the officer's hands (a dialog, the prompt, a side
    /// screen, a page on its way); the header says it may be stale.
    fn on_changed(&mut self) -> Vec<Cmd> {
        self.live.changes += 1;
        self.live.stale = true;
        // A claim held here may have been taken over: said at once.
        self.check_held()
    }

    /// A refresh owed since a change was heard, once nothing is under the
    /// officer's hands: no dialog, no prompt, the queue shown, no page on
    /// its way. It happens on its own whenever that becomes true.
    fn refresh_if_free(&mut self) -> Vec<Cmd> {
        if self.live.asked >= self.live.changes || self.modal.is_some() || self.prompt.is_some() {
            return vec![];
        }
        match &mut self.screen {
            Screen::Queue if !self.queue.window.loading => {
                self.live.asked = self.live.changes;
                self.queue.refresh(&self.ctx)
            }
            // A plan half-made stays as the officer left it.
            Screen::Supervise(s) if !s.loading && s.plan.is_none() => {
                self.live.asked = self.live.changes;
                s.reload(&self.ctx)
            }
            _ => vec![],
        }
    }

    /// Layout facts from the last frame.
    pub fn on_layout(&mut self, l: Layout) {
        self.queue
            .on_layout(l.queue_rows, l.detail_rows, l.detail_last);
        let page = l.list_rows.max(1) as usize;
        match &mut self.screen {
            Screen::Bindings(b) => b.page = page,
            Screen::Results(r) => r.page = page,
            Screen::Unit(u) => u.page = page,
            Screen::Work(w) => w.page = page,
            Screen::Supervise(s) => s.page = page,
            Screen::Queue => {}
        }
    }

    /// Carries out commands, then any refresh owed; returns the effects for
    /// the runner.
    fn apply(&mut self, cmds: Vec<Cmd>) -> Vec<Effect> {
        let mut fx = Vec::new();
        let mut todo: std::collections::VecDeque<Cmd> = cmds.into();
        let mut owed_checked = false;
        loop {
            let Some(c) = todo.pop_front() else {
                if owed_checked {
                    break;
                }
                owed_checked = true;
                todo.extend(self.refresh_if_free());
                continue;
            };
            match c {
                Cmd::Run(e) => {
                    if let Effect::Claim {
                        why: ClaimWhy::Start,
                        ids,
                        ..
                    } = &e
                    {
                        self.claims.starting = ids.first().copied();
                    }
                    if let Effect::Claim {
                        why: ClaimWhy::Batch,
                        ids,
                        ..
                    } = &e
                    {
                        self.claims.batch = ids.iter().copied().collect();
                        self.claims.batch_started = false;
                    }
                    if let Effect::LoadPage {
                        seq,
                        mode: PageMode::Replace(_) | PageMode::Refresh(_) | PageMode::Last,
                        ..
                    } = &e
                    {
                        self.live.page = Some((*seq, self.live.changes));
                    }
                    fx.push(e)
                }
                Cmd::Open(m) => self.modal = Some(m),
                Cmd::Close => self.modal = None,
                Cmd::Notice(title, lines) => {
                    self.modal = Some(Modal::notice(self.t(title), lines));
                }
                Cmd::Prompt(p) => self.prompt = Some(p),
                Cmd::Push(s) => {
                    self.prompt = None;
                    let old = std::mem::replace(&mut self.screen, s);
                    self.back.push(old);
                }
                Cmd::Replace(s) => self.screen = s,
                Cmd::Back => todo.extend(self.go_back()),
                // An empty status clears the line.
                Cmd::Status(s) => self.status = (!s.is_empty()).then_some(s),
                Cmd::Jump(id) => {
                    // The application opens in the queue screen, wherever
                    // the officer came from.
                    if !matches!(self.screen, Screen::Queue) {
                        self.back.clear();
                        self.screen = Screen::Queue;
                    }
                    todo.extend(self.queue.jump(&self.ctx, id))
                }
                Cmd::Plan(step) => {
                    if let Screen::Supervise(s) = &mut self.screen {
                        todo.extend(s.on_step(&self.ctx, step));
                    }
                }
                Cmd::Stale => self.live.stale = true,
                Cmd::Quit => self.quit = true,
            }
        }
        self.settle_started(&mut fx);
        fx
    }

    /// Returns to the screen below, reloaded.
    fn go_back(&mut self) -> Vec<Cmd> {
        self.prompt = None;
        self.screen = self.back.pop().unwrap_or(Screen::Queue);
        match &mut self.screen {
            Screen::Queue => self.queue.refresh(&self.ctx),
            Screen::Bindings(b) => b.reload(),
            Screen::Supervise(s) => s.reload(&self.ctx),
            Screen::Results(_) | Screen::Unit(_) | Screen::Work(_) => vec![],
        }
    }

    /// A notice shown once at start (a malformed keymap, say).
    pub fn notice(&mut self, text: String) {
        self.modal = Some(Modal::notice(self.t(L::Notice), vec![text]));
    }

    /// What must be kept when the console closes (an open dialog's draft).
    pub fn closing(&self) -> Vec<Effect> {
        match &self.modal {
            Some(Modal::Reason(d)) => vec![d.save()],
            _ => vec![],
        }
    }
}

/// The stages with items waiting that no active officer can act on.
fn unstaffed_notice(ctx: &Ctx, gaps: &[crate::domain::workflow::Unstaffed]) -> Vec<Cmd> {
    let zh = ctx.zh();
    let lines: Vec<String> = gaps
        .iter()
        .filter(|g| g.waiting > 0)
        .map(|g| {
            L::UnstaffedLine.fill(
                ctx.lang,
                &[
                    &g.bureau,
                    &g.kind.label(zh),
                    &g.stage.label(zh),
                    &g.role.label(zh),
                    &g.waiting,
                ],
            )
        })
        .collect();
    if lines.is_empty() {
        return vec![];
    }
    vec![Cmd::Notice(L::Unstaffed, lines)]
}
