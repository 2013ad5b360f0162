//! The queue screen: the navigator of the officer's queues, a window of
//! the chosen queue's rows, and the selected application in tabs.

mod decide;
mod materials;
mod msg;
mod nav;
pub mod window;

use super::list::{Move, Selection};
use super::prompt::{Prompt, PromptKind};
use super::{Cmd, Ctx, Effect, Failure, Modal, Msg, PageMode};
use crate::app::bindings::BindingsScreen;
use crate::domain::checks::Check;
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{Application, Direction, QueueQuery, QueueRow, Sort};
use std::collections::HashSet;
use window::{PAGE, WINDOW_MAX, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Nav,
    Table,
    Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Qualify,
    Users,
    Materials,
    Checks,
    History,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Qualify,
        Tab::Users,
        Tab::Materials,
        Tab::Checks,
        Tab::History,
    ];
    pub fn label(self) -> L {
        match self {
            Tab::Overview => L::TabOverview,
            Tab::Qualify => L::TabQualify,
            Tab::Users => L::TabUsers,
            Tab::Materials => L::TabMaterials,
            Tab::Checks => L::TabChecks,
            Tab::History => L::TabHistory,
        }
    }
    fn step(self, d: i32) -> Tab {
        let i = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0) as i32;
        Tab::ALL[(i + d).rem_euclid(Tab::ALL.len() as i32) as usize]
    }
}

/// One entry of the queue navigator.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub stage: Stage,
    /// None: every kind of the stage this officer reaches.
    pub kind: Option<Kind>,
    pub kinds: Vec<Kind>,
    pub count: Option<i64>,
}

pub struct QueueScreen {
    pub nodes: Vec<Node>,
    pub nav: usize,
    pub focus: Focus,
    pub window: Window,
    pub sort: Sort,
    pub filter: String,
    pub detail: Option<Box<Application>>,
    pub checks: Vec<Check>,
    detail_seq: u64,
    /// The application the latest detail load asked for.
    detail_asked: Option<i64>,
    pub tab: Tab,
    pub detail_scroll: u16,
    /// How far the detail can scroll, as last drawn (its last line at the
    /// pane's foot).
    pub detail_last: u16,
    /// Rows of the detail pane at the last frame.
    pub detail_height: u16,
    pub material: usize,
    /// Items another officer decided while this one was on them: kept in
    /// place, marked, not acted on, until the cursor leaves them.
    pub handled_elsewhere: HashSet<i64>,
    /// Chosen applications: id -> (version seen, kind).
    pub selection: Selection<(i64, Kind)>,
    count_seq: u64,
    /// An application opened by its number, shown (and decided) whatever
    /// row the cursor is on, until the cursor moves.
    pub pinned: Option<i64>,
    /// Only the items older than the overdue limit.
    pub overdue: bool,
    /// An extension's end as the confirming officer set it: (application,
    /// end), used by the confirmation that follows.
    pub until: Option<(i64, chrono::DateTime<chrono::Utc>)>,
    /// A pass or rejection asked for before the row's detail arrived:
    /// begun when it arrives, if the cursor is still on that row (0: the
    /// row the cursor lands on, a page being on its way).
    pub after_load: Option<(i64, KeyAction)>,
}

/// The navigator: each stage the officer reaches, with all its kinds
/// first, then one entry per kind.
fn nodes(ctx: &Ctx) -> Vec<Node> {
    let reach = ctx.workflow.queues_for(&ctx.officer);
    let mut nodes = Vec::new();
    for &stage in Stage::ALL {
        let kinds: Vec<Kind> = reach
            .iter()
            .filter(|(s, _)| *s == stage)
            .map(|(_, k)| *k)
            .collect();
        if kinds.is_empty() {
            continue;
        }
        nodes.push(Node {
            stage,
            kind: None,
            kinds: kinds.clone(),
            count: None,
        });
        nodes.extend(kinds.into_iter().map(|k| Node {
            stage,
            kind: Some(k),
            kinds: vec![k],
            count: None,
        }));
    }
    nodes
}

impl QueueScreen {
    pub fn new(ctx: &Ctx) -> QueueScreen {
        QueueScreen {
            nodes: nodes(ctx),
            nav: 0,
            focus: Focus::Table,
            window: Window::default(),
            sort: Sort::Age,
            filter: String::new(),
            detail: None,
            checks: vec![],
            detail_seq: 0,
            detail_asked: None,
            tab: Tab::Overview,
            detail_scroll: 0,
            detail_last: 0,
            detail_height: 0,
            material: 0,
            handled_elsewhere: HashSet::new(),
            selection: Selection::default(),
            count_seq: 0,
            pinned: None,
            overdue: false,
            until: None,
            after_load: None,
        }
    }

    pub fn start(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        let mut cmds = vec![Cmd::Run(self.counts_effect())];
        cmds.extend(self.reload(ctx, 0));
        cmds
    }

    pub fn node(&self) -> Option<&Node> {
        self.nodes.get(self.nav)
    }

    /// One count per (stage, kind) node; a stage's 全部 is their sum.
    pub fn counts_effect(&self) -> Effect {
        Effect::LoadCounts(
            self.nodes
                .iter()
                .filter(|n| n.kind.is_some())
                .map(|n| (n.stage, n.kinds.clone()))
                .collect(),
        )
    }

    /// Items filed before this are overdue.
    fn overdue_before(&self, ctx: &Ctx) -> Option<chrono::DateTime<chrono::Utc>> {
        self.overdue
            .then(|| ctx.now() - chrono::Duration::days(ctx.overdue_days))
    }

    fn query(
        &self,
        ctx: &Ctx,
        cursor: Option<crate::store::Cursor>,
        d: Direction,
    ) -> Option<QueueQuery> {
        let n = self.node()?;
        Some(QueueQuery {
            stage: n.stage,
            kinds: n.kinds.clone(),
            bureau: ctx.officer.bureau_id.clone(),
            sort: self.sort,
            filter: self.filter.clone(),
            cursor,
            direction: d,
            limit: PAGE,
            older_than: self.overdue_before(ctx),
        })
    }

    fn count_effect(&mut self, ctx: &Ctx) -> Option<Cmd> {
        self.count_seq += 1;
        let older_than = self.overdue_before(ctx);
        let n = self.node()?;
        Some(Cmd::Run(Effect::LoadCount {
            seq: self.count_seq,
            stage: n.stage,
            kinds: n.kinds.clone(),
            filter: self.filter.clone(),
            older_than,
        }))
    }

    /// A new window from the start of the queue, with its count.
    fn reload(&mut self, ctx: &Ctx, cursor: i64) -> Vec<Cmd> {
        // No queue: nothing to load, nothing said to be loading.
        let Some(query) = self.query(ctx, None, Direction::Forward) else {
            return vec![];
        };
        let w = &mut self.window;
        w.seq += 1;
        w.loading = true;
        w.cursor = cursor;
        let seq = w.seq;
        let page = Cmd::Run(Effect::LoadPage {
            seq,
            mode: PageMode::Replace(0),
            query,
        });
        std::iter::once(page)
            .chain(self.count_effect(ctx))
            .collect()
    }

    /// Reloads the window where it is: from its first row on, keeping the
    /// cursor's position. After others' changes, a batch, or a conflict.
    pub fn refresh(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        let first = self
            .window
            .rows
            .first()
            .map(|r| r.cursor(self.sort).inclusive(self.sort));
        let Some(key) = first else {
            // An empty view (filtered to nothing, say): the navigator's
            // counts are read again all the same.
            let mut cmds = vec![Cmd::Run(self.counts_effect())];
            cmds.extend(self.reload(ctx, 0));
            return cmds;
        };
        self.window.seq += 1;
        self.window.loading = true;
        let (seq, offset) = (self.window.seq, self.window.offset);
        let mut cmds = vec![Cmd::Run(self.counts_effect())];
        if let Some(mut q) = self.query(ctx, Some(key), Direction::Forward) {
            q.limit = (self.window.rows.len() as i64).clamp(PAGE, WINDOW_MAX as i64);
            cmds.push(Cmd::Run(Effect::LoadPage {
                seq,
                mode: PageMode::Refresh(offset),
                query: q,
            }));
        }
        cmds.extend(self.count_effect(ctx));
        // The item in view is read again where the officer is reading it.
        if let Some(id) = self.detail.as_ref().map(|d| d.id) {
            cmds.push(self.load_detail(id));
        }
        cmds
    }

    /// Opens an application by its number: the row, when it is in view of
    /// the window; else shown over whatever row, to read and decide.
    pub fn jump(&mut self, ctx: &Ctx, id: i64) -> Vec<Cmd> {
        if let Some(i) = self.window.rows.iter().position(|r| r.id == id) {
            self.pinned = None;
            let delta = self.window.offset + i as i64 - self.window.cursor;
            return self.move_cursor(ctx, delta);
        }
        self.pinned = Some(id);
        self.focus = Focus::Detail;
        self.material = 0;
        self.detail_scroll = 0;
        vec![self.load_detail(id)]
    }

    /// A detail load of `id`, superseding any on its way.
    fn load_detail(&mut self, id: i64) -> Cmd {
        self.detail_seq += 1;
        self.detail_asked = Some(id);
        Cmd::Run(Effect::LoadDetail {
            seq: self.detail_seq,
            id,
        })
    }

    /// Asks for the selected row's application unless it is shown already.
    fn detail_cmds(&mut self) -> Vec<Cmd> {
        if self.pinned.is_some() {
            return vec![];
        }
        let Some(id) = self.window.selected().map(|r| r.id) else {
            self.detail = None;
            return vec![];
        };
        if self.detail.as_ref().is_some_and(|d| d.id == id) {
            // Back on the item shown before another's load came back (j k
            // quickly): that load must not replace it when it comes.
            if self.detail_asked != Some(id) {
                self.detail_seq += 1;
                self.detail_asked = Some(id);
            }
            return vec![];
        }
        // A different item starts at its top.
        self.material = 0;
        self.detail_scroll = 0;
        vec![self.load_detail(id)]
    }

    fn reload_detail(&mut self) -> Vec<Cmd> {
        self.detail = None;
        self.detail_cmds()
    }

    fn move_cursor(&mut self, ctx: &Ctx, mut delta: i64) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        // Moving leaves an application opened by number for the rows.
        if self.pinned.take().is_some() {
            self.detail = None;
        }
        // Leaving a row decided elsewhere lets it go: the rows after it
        // slide up, so a step down lands on the next one.
        let here = self.window.selected().map(|r| r.id);
        if delta != 0
            && let Some(id) = here.filter(|id| self.handled_elsewhere.contains(id))
        {
            self.window.remove(id);
            self.handled_elsewhere.remove(&id);
            if delta > 0 {
                delta -= 1;
            }
        }
        if let Some(f) = self.window.move_by(delta, self.sort)
            && let Some(query) = self.query(ctx, Some(f.key), f.direction)
        {
            cmds.push(Cmd::Run(Effect::LoadPage {
                seq: self.window.seq,
                mode: f.mode,
                query,
            }));
        }
        cmds.extend(self.detail_cmds());
        cmds
    }

    pub fn set_filter(&mut self, ctx: &Ctx, f: String) -> Vec<Cmd> {
        self.filter = f;
        self.reload(ctx, 0)
    }

    pub fn on_layout(&mut self, rows: u16, detail: u16, detail_last: u16) {
        self.window.view_height = i64::from(rows.max(1));
        self.window.scroll();
        self.detail_height = detail;
        // Never past the last line as drawn: moving back up shows at once.
        self.detail_last = detail_last;
        self.detail_scroll = self.detail_scroll.min(detail_last);
    }

    /// Who decided a row elsewhere, and when: "已由 赵一 受理 · 05:19".
    pub fn handled_note(&self, ctx: &Ctx, id: i64) -> Option<String> {
        if !self.handled_elsewhere.contains(&id) {
            return None;
        }
        let last = self
            .detail
            .as_ref()
            .filter(|d| d.id == id)
            .and_then(|d| d.history.last());
        let Some(last) = last else {
            return Some(ctx.t(L::HandledElsewhere).into());
        };
        let who = ctx.name_of(&last.officer);
        let what = crate::fmt::known_or(
            Action::parse(&last.action).map(|a| a.label(ctx.zh())),
            &last.action,
        );
        let at = crate::fmt::beijing(last.at).format("%H:%M");
        Some(L::HandledBy.fill(ctx.lang, &[&who, &what, &at]))
    }

    /// Separation of duties stops this officer deciding the row: they took
    /// its previous decision.
    pub fn blocked_by_duties(&self, ctx: &Ctx, r: &QueueRow) -> bool {
        ctx.workflow.separation_of_duties
            && r.last_decider.as_deref() == Some(ctx.officer.login.as_str())
    }

    pub fn is_overdue(
        &self,
        ctx: &Ctx,
        row: &QueueRow,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        row.age_days(now) >= ctx.overdue_days
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        match a {
            K::Quit => vec![Cmd::Quit],
            K::Help => vec![Cmd::Open(Modal::Help { scroll: 0 })],
            // Read again where the officer is, on the same application.
            K::Refresh => {
                let mut cmds = vec![Cmd::Status(ctx.t(L::Refreshed).into())];
                cmds.extend(self.refresh(ctx));
                cmds
            }
            K::NextPane | K::PrevPane => {
                let order = [Focus::Nav, Focus::Table, Focus::Detail];
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(1) as i32;
                let d = if a == K::NextPane { 1 } else { -1 };
                self.focus = order[(i + d).rem_euclid(3) as usize];
                vec![]
            }
            K::Open if self.focus == Focus::Detail && self.tab == Tab::Materials => {
                self.read_material(ctx)
            }
            K::Open => {
                self.focus = match self.focus {
                    Focus::Nav => Focus::Table,
                    _ => Focus::Detail,
                };
                vec![]
            }
            K::Back if self.focus == Focus::Detail => {
                self.focus = Focus::Table;
                vec![]
            }
            K::Back if !self.filter.is_empty() => self.set_filter(ctx, String::new()),
            K::Filter => vec![Cmd::Prompt(Prompt::new(PromptKind::Filter))],
            K::FindUnit => vec![Cmd::Prompt(Prompt::new(PromptKind::FindUnit))],
            K::Sort => {
                self.sort = self.sort.next();
                let mut cmds = vec![Cmd::Status(format!(
                    "{}{}{}",
                    ctx.t(L::Sort),
                    ctx.t(L::Colon),
                    self.sort.label(ctx.zh())
                ))];
                cmds.extend(self.reload(ctx, 0));
                cmds
            }
            K::NextTab | K::PrevTab => {
                self.tab = self.tab.step(if a == K::NextTab { 1 } else { -1 });
                self.detail_scroll = 0;
                vec![]
            }
            K::MarkPaper => self.mark_paper(),
            K::Pass | K::Reject if self.window.loading || self.detail_pending() => {
                // Pressed before the row (a page on its way: the cursor has
                // not landed yet) or its detail came: done on the row the
                // cursor is on when they come, never on the one it left.
                let row = self.window.selected().filter(|_| !self.window.loading);
                self.after_load = Some((row.map_or(0, |r| r.id), a));
                vec![Cmd::Status(ctx.t(L::Loading).into())]
            }
            K::Pass => self.begin_pass(ctx),
            K::Reject => self.begin_reject(ctx),
            K::Bindings => self.open_bindings(),
            K::Unit => match self.selected_detail() {
                Some(d) => crate::app::unit::UnitScreen::open(d.unit.id),
                None => vec![],
            },
            K::Jump => vec![Cmd::Prompt(Prompt::new(PromptKind::Jump))],
            K::Overdue => {
                self.overdue = !self.overdue;
                self.reload(ctx, 0)
            }
            K::Batches => crate::app::work::WorkScreen::open(ctx),
            K::Supervise => crate::app::SuperviseScreen::open(ctx, Cmd::Push),
            K::ToggleSelect | K::SelectRange | K::SelectAll | K::ClearSelection => {
                self.select(ctx, a)
            }
            _ => match Move::of(a) {
                Some(m) => self.on_move(ctx, m),
                None => vec![],
            },
        }
    }

    /// The bindings of the selected application's direct-connect unit: the
    /// inviter of an invitation, else the unit itself.
    fn open_bindings(&mut self) -> Vec<Cmd> {
        let Some(d) = self.selected_detail() else {
            return vec![];
        };
        let (unit, name) = match &d.direct_unit {
            Some(u) if d.kind == Kind::Invitation => (u.id, u.facts.name.clone()),
            _ => (d.unit.id, d.unit.facts.name.clone()),
        };
        BindingsScreen::open(unit, name, Cmd::Push)
    }

    /// A single row under the cursor whose detail is still on its way.
    fn detail_pending(&self) -> bool {
        self.selection.is_empty()
            && self.pinned.is_none()
            && self.window.selected().is_some()
            && self.selected_detail().is_none()
    }

    fn selected_detail(&self) -> Option<&Application> {
        let id = match self.pinned {
            Some(p) => p,
            None => self.window.selected()?.id,
        };
        self.detail.as_deref().filter(|d| d.id == id)
    }
}
