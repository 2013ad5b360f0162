//! The console's state and its update: keys become actions through the
//! keymap, actions change state and ask for effects; results of effects
//! come back as messages. Synchronous: it never awaits.

pub mod drafts;
pub mod effects;
pub mod headless;

use crate::domain::checks::Check;
use crate::domain::workflow::{self, Jurisdiction, Workflow};
use crate::domain::*;
use crate::i18n::{Lang, Msg as L};
use crate::keymap::{KeyAction, Keymap, Resolved, Resolver};
use crate::store::{
    Application, BatchInfo, BatchItem, BatchOp, Binding, DecideItem, Direction, QueueQuery,
    QueueRow, Sort,
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use drafts::Drafts;
pub use effects::{Effect, Failure, Msg, PageMode};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tui_textarea::TextArea;

/// Rows fetched per page, and the most rows kept around the cursor.
pub const PAGE: i64 = 100;
pub const WINDOW_MAX: usize = 400;
/// Fetch the next page when the cursor is this close to the window's edge.
const PREFETCH: i64 = 25;

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

/// The rows of a queue around the cursor: never the whole queue.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub rows: Vec<QueueRow>,
    /// Absolute index of rows[0] in the queue.
    pub offset: i64,
    pub total: Option<i64>,
    /// Absolute index of the selected row.
    pub cursor: i64,
    pub more_before: bool,
    pub more_after: bool,
    pub loading: bool,
    pub seq: u64,
    /// The first row in view; kept by drawing so that the view scrolls
    /// only when the cursor leaves it.
    pub view_top: std::cell::Cell<i64>,
    /// Rows in view at the last draw: a page for PageUp and PageDown.
    pub view_height: std::cell::Cell<i64>,
}

impl Window {
    pub fn selected(&self) -> Option<&QueueRow> {
        usize::try_from(self.cursor - self.offset)
            .ok()
            .and_then(|i| self.rows.get(i))
    }
    fn last_index(&self) -> i64 {
        self.offset + self.rows.len() as i64 - 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReasonTarget {
    One {
        id: i64,
        version: i64,
        action: Action,
        name: String,
    },
    Many {
        op: BatchOp,
        items: Vec<DecideItem>,
        summary: Vec<String>,
    },
}

pub struct ReasonDialog {
    pub target: ReasonTarget,
    pub textarea: TextArea<'static>,
    pub templates: &'static [&'static str],
    pub template: Option<usize>,
    pub error: Option<String>,
    pub restored: bool,
    draft_key: String,
}

impl ReasonDialog {
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }
}

/// What a confirmation leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Then {
    Effects(Vec<Effect>),
    Quit,
}

pub enum Modal {
    Help {
        scroll: u16,
    },
    Confirm {
        title: String,
        lines: Vec<String>,
        then: Then,
    },
    Reason(Box<ReasonDialog>),
    Message {
        title: String,
        lines: Vec<String>,
    },
}

/// Selected items: id -> (version, kind), and the anchor of a range.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub items: BTreeMap<i64, (i64, Kind)>,
    pub anchor: Option<i64>,
}

impl Selection {
    /// The selection as batch items, each at the version the officer saw.
    pub fn decide_items(&self) -> Vec<DecideItem> {
        self.items
            .iter()
            .map(|(id, (v, _))| DecideItem {
                id: *id,
                version: Some(*v),
            })
            .collect()
    }
}

pub struct BindingsView {
    pub unit: i64,
    pub unit_name: String,
    pub rows: Vec<Binding>,
    pub cursor: usize,
    pub filter: String,
    pub selected: BTreeSet<i64>,
    pub anchor: Option<usize>,
    pub loading: bool,
}

impl BindingsView {
    /// Rows matching the filter, as indexes into `rows`.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_uppercase();
        (0..self.rows.len())
            .filter(|&i| {
                f.is_empty()
                    || self.rows[i].user_name.contains(&self.filter)
                    || self.rows[i].user_uscc.contains(&f)
            })
            .collect()
    }
}

pub struct ResultsView {
    pub id: String,
    pub info: Option<BatchInfo>,
    pub items: Vec<BatchItem>,
    pub failures_only: bool,
    pub cursor: usize,
    pub running: bool,
    pub progress: (i64, i64),
    /// Where to go back to.
    pub from_bindings: bool,
}

impl ResultsView {
    pub fn visible(&self) -> Vec<&BatchItem> {
        self.items
            .iter()
            .filter(|i| !self.failures_only || (!i.ok() && i.outcome != "pending"))
            .collect()
    }
}

pub enum Screen {
    Queue,
    Bindings(BindingsView),
    Results(ResultsView),
}

pub struct App {
    pub officer: Officer,
    pub lang: Lang,
    pub embedded: bool,
    pub keymap: Keymap,
    resolver: Resolver,
    pub workflow: Workflow,
    pub thresholds: ThresholdTable,
    pub overdue_days: i64,
    pub nodes: Vec<Node>,
    pub nav: usize,
    pub focus: Focus,
    pub window: Window,
    pub sort: Sort,
    pub filter: String,
    pub filter_editing: bool,
    pub detail: Option<Box<Application>>,
    pub checks: Vec<Check>,
    detail_seq: u64,
    pub tab: Tab,
    pub detail_scroll: u16,
    pub material: usize,
    pub modal: Option<Modal>,
    pub status: Option<String>,
    pub busy: usize,
    pub spinner: usize,
    pub refreshed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A fixed "now" for tests; None is the clock.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
    pub stale: bool,
    pub handled_elsewhere: HashSet<i64>,
    pub drafts: Drafts,
    pub quit: bool,
    pub selection: Selection,
    pub screen: Screen,
    /// Read by the batch runner between chunks.
    pub cancel: Arc<AtomicBool>,
    count_seq: u64,
    /// The find-unit prompt, while it is open.
    pub unit_search: Option<String>,
    /// The previous screen while bindings or results are shown.
    saved_bindings: Option<BindingsView>,
}

fn templates(stage: Option<Stage>, unbind: bool) -> &'static [&'static str] {
    if unbind {
        return &[
            "直连单位申请退出，解除全部使用单位绑定。",
            "使用单位申请解除与直连单位的绑定关系。",
            "监管措施：解除绑定关系。",
        ];
    }
    match stage {
        Some(Stage::Review) => &[
            "复核发现资质条件不满足：营业收入或开受票量未达到本省标准。",
            "复核发现近三年存在重大税收违法行为。",
            "授权委托书与被授权单位信息不一致，请核对后重新申请。",
        ],
        Some(Stage::Confirmation) => &[
            "经省级税务机关确认，不符合乐企自用直连接入条件。",
            "关联关系证明不充分，请补充后重新申请。",
            "存在未整改的风险预警，请整改后重新申请。",
        ],
        _ => &[
            "材料不全，请补充后重新申请。",
            "统一社会信用代码有误，请核对后重新申请。",
            "网络地址备案信息有误（IP地址或端口无效），请更正后重新申请。",
            "纳税信用级别不符合接入条件。",
            "未纳入数电票试点范围。",
        ],
    }
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        officer: Officer,
        lang: Lang,
        embedded: bool,
        keymap: Keymap,
        workflow: Workflow,
        thresholds: ThresholdTable,
        overdue_days: i64,
        drafts: Drafts,
    ) -> App {
        let mut nodes = Vec::new();
        let reach = workflow.queues_for(&officer);
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
            for k in kinds {
                nodes.push(Node {
                    stage,
                    kind: Some(k),
                    kinds: vec![k],
                    count: None,
                });
            }
        }
        App {
            officer,
            lang,
            embedded,
            keymap,
            resolver: Resolver::default(),
            workflow,
            thresholds,
            overdue_days,
            nodes,
            nav: 0,
            focus: Focus::Table,
            window: Window::default(),
            sort: Sort::Age,
            filter: String::new(),
            filter_editing: false,
            detail: None,
            checks: vec![],
            detail_seq: 0,
            tab: Tab::Overview,
            detail_scroll: 0,
            material: 0,
            modal: None,
            status: None,
            busy: 0,
            spinner: 0,
            refreshed_at: None,
            clock: None,
            stale: false,
            handled_elsewhere: HashSet::new(),
            drafts,
            quit: false,
            selection: Selection::default(),
            screen: Screen::Queue,
            cancel: Arc::new(AtomicBool::new(false)),
            count_seq: 0,
            unit_search: None,
            saved_bindings: None,
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.unwrap_or_else(chrono::Utc::now)
    }

    pub fn t(&self, m: L) -> &'static str {
        m.get(self.lang)
    }

    /// The effects of opening the console.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut fx = vec![self.counts_effect()];
        fx.extend(self.reload(0));
        fx
    }

    pub fn node(&self) -> Option<&Node> {
        self.nodes.get(self.nav)
    }

    /// One count per (stage, kind) node; a stage's 全部 is their sum.
    fn counts_effect(&self) -> Effect {
        Effect::LoadCounts(
            self.nodes
                .iter()
                .filter(|n| n.kind.is_some())
                .map(|n| (n.stage, n.kinds.clone()))
                .collect(),
        )
    }

    fn query(
        &self,
        cursor: Option<crate::store::Cursor>,
        direction: Direction,
    ) -> Option<QueueQuery> {
        let n = self.node()?;
        Some(QueueQuery {
            stage: n.stage,
            kinds: n.kinds.clone(),
            bureau: self.officer.bureau_id.clone(),
            sort: self.sort,
            filter: self.filter.clone(),
            cursor,
            direction,
            limit: PAGE,
        })
    }

    /// A new window from the start of the queue, with its count.
    fn reload(&mut self, cursor: i64) -> Vec<Effect> {
        self.window.seq += 1;
        self.count_seq += 1;
        self.window.loading = true;
        self.window.cursor = cursor;
        let Some(q) = self.query(None, Direction::Forward) else {
            return vec![];
        };
        let n = self.node().cloned();
        let mut fx = vec![Effect::LoadPage {
            seq: self.window.seq,
            mode: PageMode::Replace(0),
            query: q,
        }];
        if let Some(n) = n {
            fx.push(Effect::LoadCount {
                seq: self.count_seq,
                stage: n.stage,
                kinds: n.kinds,
                filter: self.filter.clone(),
            });
        }
        fx
    }

    /// The input mode, which picks the keymap section.
    pub fn mode(&self) -> &'static str {
        match &self.modal {
            Some(Modal::Help { .. }) => "help",
            Some(Modal::Confirm { .. }) | Some(Modal::Message { .. }) => "confirm",
            Some(Modal::Reason(_)) => "reason",
            None if self.filter_editing => "filter",
            None => match self.screen {
                Screen::Queue => "normal",
                Screen::Bindings(_) => "bindings",
                Screen::Results(_) => "results",
            },
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
        match self.resolver.feed(&self.keymap, mode, ev) {
            Resolved::Pending => vec![],
            Resolved::Action(a) => self.act(a),
            Resolved::Unbound(ev) => self.input(ev),
        }
    }

    /// Keys no binding claims: text for the dialog and the filter line.
    fn input(&mut self, ev: KeyEvent) -> Vec<Effect> {
        match &mut self.modal {
            Some(Modal::Reason(d)) => {
                if d.textarea.input(ev) {
                    d.error = None;
                    d.template = None;
                    self.drafts.save(&d.draft_key, &d.text());
                }
                vec![]
            }
            Some(Modal::Message { .. }) => {
                self.modal = None;
                vec![]
            }
            Some(_) => vec![],
            None if self.filter_editing => {
                let changed = match ev.code {
                    KeyCode::Char(c) if !c.is_control() => {
                        self.filter_push(Some(c));
                        true
                    }
                    KeyCode::Backspace => {
                        self.filter_push(None);
                        true
                    }
                    _ => false,
                };
                if changed {
                    self.filter_changed()
                } else {
                    vec![]
                }
            }
            None => vec![],
        }
    }

    fn filter_push(&mut self, c: Option<char>) {
        let f = match (&mut self.unit_search, &mut self.screen) {
            (Some(s), _) => s,
            (None, Screen::Bindings(b)) => &mut b.filter,
            _ => &mut self.filter,
        };
        match c {
            Some(c) => f.push(c),
            None => {
                f.pop();
            }
        }
    }

    fn filter_changed(&mut self) -> Vec<Effect> {
        if self.unit_search.is_some() {
            return vec![];
        }
        match &mut self.screen {
            Screen::Bindings(b) => {
                b.cursor = 0;
                vec![]
            }
            _ => self.reload(0),
        }
    }

    fn detail_effect(&mut self) -> Vec<Effect> {
        let Some(row) = self.window.selected() else {
            self.detail = None;
            return vec![];
        };
        if self.detail.as_ref().is_some_and(|d| d.id == row.id) {
            return vec![];
        }
        let id = row.id;
        self.detail_seq += 1;
        // A different item starts at its top; the same one keeps its place.
        if self.detail.as_ref().is_none_or(|d| d.id != id) {
            self.material = 0;
            self.detail_scroll = 0;
        }
        vec![Effect::LoadDetail {
            seq: self.detail_seq,
            id,
        }]
    }

    fn reload_detail(&mut self) -> Vec<Effect> {
        self.detail = None;
        self.detail_effect()
    }

    fn move_cursor(&mut self, delta: i64) -> Vec<Effect> {
        let w = &mut self.window;
        if w.rows.is_empty() {
            return vec![];
        }
        w.cursor = (w.cursor + delta).clamp(w.offset, w.last_index());
        // Near an edge of the window with more beyond it: fetch the next page.
        let edge = if w.loading {
            None
        } else if w.more_after && w.last_index() - w.cursor < PREFETCH {
            w.rows
                .last()
                .map(|r| (r.cursor(self.sort), Direction::Forward, PageMode::Append))
        } else if w.more_before && w.cursor - w.offset < PREFETCH {
            w.rows
                .first()
                .map(|r| (r.cursor(self.sort), Direction::Backward, PageMode::Prepend))
        } else {
            None
        };
        let mut fx = Vec::new();
        if let Some((key, direction, mode)) = edge {
            w.loading = true;
            w.seq += 1;
            let seq = w.seq;
            if let Some(query) = self.query(Some(key), direction) {
                fx.push(Effect::LoadPage { seq, mode, query });
            }
        }
        fx.extend(self.detail_effect());
        fx
    }

    fn page_rows(&self) -> i64 {
        // Before the first draw there is no view: ten rows.
        match self.window.view_height.get() {
            h if h > 0 => h,
            _ => 10,
        }
    }

    /// Reloads the window where it is: from its first row on, keeping the
    /// cursor's position. After others' changes, a batch, or a conflict.
    fn refresh(&mut self) -> Vec<Effect> {
        let first = self
            .window
            .rows
            .first()
            .map(|r| r.cursor(self.sort).inclusive(self.sort));
        let Some(key) = first else {
            return self.reload(0);
        };
        self.window.seq += 1;
        self.count_seq += 1;
        self.window.loading = true;
        let seq = self.window.seq;
        let offset = self.window.offset;
        let mut fx = vec![self.counts_effect()];
        if let Some(mut q) = self.query(Some(key), Direction::Forward) {
            q.limit = (self.window.rows.len() as i64).clamp(PAGE, WINDOW_MAX as i64);
            fx.push(Effect::LoadPage {
                seq,
                mode: PageMode::Replace(offset),
                query: q,
            });
        }
        if let Some(n) = self.node().cloned() {
            fx.push(Effect::LoadCount {
                seq: self.count_seq,
                stage: n.stage,
                kinds: n.kinds,
                filter: self.filter.clone(),
            });
        }
        // The item in view is read again where the officer is reading it.
        if let Some(id) = self.detail.as_ref().map(|d| d.id) {
            self.detail_seq += 1;
            fx.push(Effect::LoadDetail {
                seq: self.detail_seq,
                id,
            });
        }
        fx
    }

    /// Carries out an action of the current mode.
    pub fn act(&mut self, a: KeyAction) -> Vec<Effect> {
        self.status = None;
        match self.mode() {
            "help" => self.act_help(a),
            "confirm" => self.act_confirm(a),
            "reason" => self.act_reason(a),
            "filter" => self.act_filter(a),
            "bindings" => self.act_bindings(a),
            "results" => self.act_results(a),
            _ => self.act_normal(a),
        }
    }

    fn act_help(&mut self, a: KeyAction) -> Vec<Effect> {
        match (a, &mut self.modal) {
            (KeyAction::MoveDown, Some(Modal::Help { scroll })) => {
                *scroll = scroll.saturating_add(1)
            }
            (KeyAction::MoveUp, Some(Modal::Help { scroll })) => *scroll = scroll.saturating_sub(1),
            (KeyAction::Quit, _) => return self.quit_now(),
            _ => self.modal = None,
        }
        vec![]
    }

    fn act_confirm(&mut self, a: KeyAction) -> Vec<Effect> {
        match a {
            KeyAction::Confirm => match self.modal.take() {
                Some(Modal::Confirm {
                    then: Then::Effects(fx),
                    ..
                }) => self.dispatch_confirmed(fx),
                Some(Modal::Confirm {
                    then: Then::Quit, ..
                }) => self.quit_now(),
                _ => vec![],
            },
            KeyAction::Quit if matches!(self.modal, Some(Modal::Message { .. })) => self.quit_now(),
            _ => {
                self.modal = None;
                vec![]
            }
        }
    }

    /// A confirmed batch moves to the results screen while it runs.
    fn dispatch_confirmed(&mut self, fx: Vec<Effect>) -> Vec<Effect> {
        if fx.iter().any(|e| matches!(e, Effect::StartBatch { .. })) {
            let from_bindings = matches!(self.screen, Screen::Bindings(_));
            if let Screen::Bindings(b) = std::mem::replace(&mut self.screen, Screen::Queue) {
                self.saved_bindings = Some(b);
            }
            self.cancel
                .store(false, std::sync::atomic::Ordering::SeqCst);
            self.screen = Screen::Results(ResultsView {
                id: String::new(),
                info: None,
                items: vec![],
                failures_only: false,
                cursor: 0,
                running: true,
                progress: (0, 0),
                from_bindings,
            });
        }
        fx
    }

    fn act_reason(&mut self, a: KeyAction) -> Vec<Effect> {
        let Some(Modal::Reason(d)) = &mut self.modal else {
            return vec![];
        };
        match a {
            KeyAction::Cancel => {
                // The draft stays on disk and is offered next time.
                self.drafts.save(&d.draft_key, &d.text());
                self.modal = None;
                vec![]
            }
            KeyAction::Quit => {
                if d.text().trim().is_empty() {
                    return self.quit_now();
                }
                self.drafts.save(&d.draft_key, &d.text());
                let title = self.t(L::Confirm).to_string();
                let line = self.t(L::QuitUnsaved).to_string();
                self.modal = Some(Modal::Confirm {
                    title,
                    lines: vec![line],
                    then: Then::Quit,
                });
                vec![]
            }
            KeyAction::NextTemplate | KeyAction::PrevTemplate => {
                let n = d.templates.len();
                if n == 0 {
                    return vec![];
                }
                let next = match (d.template, a) {
                    (None, KeyAction::NextTemplate) => 0,
                    (None, _) => n - 1,
                    (Some(i), KeyAction::NextTemplate) => (i + 1) % n,
                    (Some(i), _) => (i + n - 1) % n,
                };
                d.textarea = new_textarea(d.templates[next]);
                d.template = Some(next);
                d.error = None;
                self.drafts.save(&d.draft_key, &d.text());
                vec![]
            }
            KeyAction::Submit => {
                let text = d.text();
                match crate::domain::validate::reason(&text) {
                    Err(e) => {
                        d.error = Some(e.to_string());
                        vec![]
                    }
                    Ok(reason) => {
                        let key = d.draft_key.clone();
                        self.drafts.save(&key, &text);
                        match d.target.clone() {
                            ReasonTarget::One { id, version, .. } => {
                                self.modal = None;
                                vec![Effect::Decide {
                                    id,
                                    version,
                                    decision: Decision::Reject,
                                    reason: Some(reason),
                                }]
                            }
                            ReasonTarget::Many { op, items, summary } => {
                                let mut lines = summary;
                                lines.push(format!(
                                    "{}：{}",
                                    self.t(L::ReasonTitle),
                                    crate::fmt::truncate(&reason.replace('\n', " "), 60)
                                ));
                                let title = self.batch_title(op, items.len());
                                self.modal = Some(Modal::Confirm {
                                    title,
                                    lines,
                                    then: Then::Effects(vec![Effect::StartBatch {
                                        op,
                                        reason: Some(reason),
                                        items,
                                    }]),
                                });
                                vec![]
                            }
                        }
                    }
                }
            }
            _ => vec![],
        }
    }

    fn act_filter(&mut self, a: KeyAction) -> Vec<Effect> {
        if let Some(text) = self.unit_search.take() {
            self.filter_editing = false;
            return match a {
                KeyAction::Submit if !text.trim().is_empty() => vec![Effect::FindUnit { text }],
                KeyAction::Quit => self.quit_now(),
                _ => vec![],
            };
        }
        match a {
            KeyAction::Submit => {
                self.filter_editing = false;
                vec![]
            }
            KeyAction::Cancel => {
                self.filter_editing = false;
                match &mut self.screen {
                    Screen::Bindings(b) => {
                        b.filter.clear();
                        vec![]
                    }
                    _ => {
                        self.filter.clear();
                        self.reload(0)
                    }
                }
            }
            KeyAction::Quit => self.quit_now(),
            _ => vec![],
        }
    }

    fn quit_now(&mut self) -> Vec<Effect> {
        self.quit = true;
        vec![Effect::Quit]
    }

    fn act_normal(&mut self, a: KeyAction) -> Vec<Effect> {
        use KeyAction as K;
        match a {
            K::Quit => self.quit_now(),
            K::Help => {
                self.modal = Some(Modal::Help { scroll: 0 });
                vec![]
            }
            K::Refresh => {
                self.status = Some(self.t(L::Refreshed).into());
                let mut fx = vec![self.counts_effect()];
                fx.extend(self.reload(0));
                self.detail = None;
                fx
            }
            K::NextPane | K::PrevPane => {
                let order = [Focus::Nav, Focus::Table, Focus::Detail];
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(1) as i32;
                let d = if a == K::NextPane { 1 } else { -1 };
                self.focus = order[(i + d).rem_euclid(3) as usize];
                vec![]
            }
            K::MoveUp | K::MoveDown | K::PageUp | K::PageDown => {
                let step = match a {
                    K::MoveUp => -1,
                    K::MoveDown => 1,
                    K::PageUp => -self.page_rows(),
                    _ => self.page_rows(),
                };
                match self.focus {
                    Focus::Nav => self.move_nav(step.signum()),
                    Focus::Table => self.move_cursor(step),
                    Focus::Detail => {
                        if self.tab == Tab::Materials && step.abs() == 1 {
                            let n = self.detail.as_ref().map(|d| d.materials.len()).unwrap_or(0);
                            self.material = (self.material as i64 + step)
                                .clamp(0, n.saturating_sub(1) as i64)
                                as usize;
                            self.detail_scroll = 0;
                        } else {
                            self.detail_scroll =
                                (self.detail_scroll as i64 + step).clamp(0, 10_000) as u16;
                        }
                        vec![]
                    }
                }
            }
            K::Top => match self.focus {
                Focus::Nav => self.move_nav(-(self.nav as i64)),
                _ => {
                    self.detail = None;
                    self.reload(0)
                }
            },
            K::Bottom => {
                if self.focus == Focus::Nav {
                    return self.move_nav(self.nodes.len() as i64);
                }
                self.window.seq += 1;
                self.window.loading = true;
                let seq = self.window.seq;
                match self.query(None, Direction::Backward) {
                    Some(q) => vec![Effect::LoadPage {
                        seq,
                        mode: PageMode::Last,
                        query: q,
                    }],
                    None => vec![],
                }
            }
            K::Open => {
                self.focus = match self.focus {
                    Focus::Nav => Focus::Table,
                    _ => Focus::Detail,
                };
                vec![]
            }
            K::Back => {
                if self.focus == Focus::Detail {
                    self.focus = Focus::Table;
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                    return self.reload(0);
                }
                vec![]
            }
            K::Filter => {
                self.filter_editing = true;
                vec![]
            }
            K::Sort => {
                self.sort = self.sort.next();
                self.status = Some(format!(
                    "{}：{}",
                    self.t(L::Sort),
                    self.sort.label(self.lang.zh())
                ));
                self.reload(0)
            }
            K::NextTab => {
                self.tab = self.tab.step(1);
                self.detail_scroll = 0;
                vec![]
            }
            K::PrevTab => {
                self.tab = self.tab.step(-1);
                self.detail_scroll = 0;
                vec![]
            }
            K::MarkPaper => {
                let Some(d) = &self.detail else { return vec![] };
                if self.tab != Tab::Materials {
                    self.tab = Tab::Materials;
                    return vec![];
                }
                match d.materials.get(self.material) {
                    Some(m) if !m.paper_received => vec![Effect::MarkPaper {
                        material: m.id,
                        application: d.id,
                    }],
                    _ => vec![],
                }
            }
            K::Pass => self.begin_pass(),
            K::Reject => self.begin_reject(),
            K::ToggleSelect => {
                if let Some(r) = self.window.selected() {
                    let (id, v, k) = (r.id, r.version, r.kind);
                    if self.selection.items.remove(&id).is_none() {
                        self.selection.items.insert(id, (v, k));
                    }
                    self.selection.anchor = Some(self.window.cursor);
                }
                self.move_cursor(1)
            }
            K::SelectRange => {
                let here = self.window.cursor;
                let from = self.selection.anchor.unwrap_or(here);
                let (lo, hi) = (from.min(here), from.max(here));
                for r in self
                    .window
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (lo..=hi).contains(&(self.window.offset + *i as i64)))
                    .map(|(_, r)| r)
                {
                    self.selection.items.insert(r.id, (r.version, r.kind));
                }
                self.selection.anchor = Some(here);
                vec![]
            }
            K::SelectAll => match self.query(None, Direction::Forward) {
                Some(q) => vec![Effect::SelectAll { query: q }],
                None => vec![],
            },
            K::ClearSelection => {
                self.selection = Selection::default();
                vec![]
            }
            K::Bindings => self.open_bindings(),
            K::FindUnit => {
                self.unit_search = Some(String::new());
                self.filter_editing = true;
                vec![]
            }
            K::Batches => vec![Effect::LoadBatches],
            _ => vec![],
        }
    }

    fn move_nav(&mut self, d: i64) -> Vec<Effect> {
        if self.nodes.is_empty() {
            return vec![];
        }
        let next = (self.nav as i64 + d).clamp(0, self.nodes.len() as i64 - 1) as usize;
        if next == self.nav {
            return vec![];
        }
        self.nav = next;
        self.selection = Selection::default();
        self.detail = None;
        self.reload(0)
    }

    /// The stage an application is at, if the officer could act on it, or
    /// why not.
    fn can_act(&self, d: &Application) -> Result<Stage, String> {
        let stage = Stage::of_state(d.state)
            .ok_or_else(|| format!("{}{}", self.t(L::NotYours), d.state.label(self.lang.zh())))?;
        workflow::authorize(
            &self.workflow,
            &self.officer,
            d.kind,
            stage,
            Jurisdiction {
                county: &d.county_id,
                province: &d.province_id,
            },
            d.last_decider.as_deref(),
        )
        .map_err(|e| format!("{}{e}", self.t(L::NotYours)))?;
        Ok(stage)
    }

    /// The stage the officer may act on for the selected item; otherwise
    /// None, having told them why (still loading, or not theirs to decide).
    fn actionable_stage(&mut self) -> Option<Stage> {
        let verdict = self.selected_detail().map(|d| self.can_act(d));
        match verdict {
            None => {
                self.status = Some(self.t(L::Loading).into());
                None
            }
            Some(Err(why)) => {
                self.message(L::CannotAct, vec![why]);
                None
            }
            Some(Ok(stage)) => Some(stage),
        }
    }

    fn selected_detail(&self) -> Option<&Application> {
        let row = self.window.selected()?;
        self.detail.as_deref().filter(|d| d.id == row.id)
    }

    fn message(&mut self, title: L, lines: Vec<String>) {
        self.modal = Some(Modal::Message {
            title: self.t(title).into(),
            lines,
        });
    }

    fn batch_title(&self, op: BatchOp, n: usize) -> String {
        let what = match op {
            BatchOp::Decide(Decision::Pass) => {
                if self.lang.zh() {
                    "批量通过"
                } else {
                    "Pass in batch"
                }
            }
            BatchOp::Decide(Decision::Reject) => {
                if self.lang.zh() {
                    "批量不通过"
                } else {
                    "Reject in batch"
                }
            }
            BatchOp::Unbind => {
                if self.lang.zh() {
                    "批量解除绑定"
                } else {
                    "Unbind in batch"
                }
            }
        };
        if self.lang.zh() {
            format!("{what} {n} 项？")
        } else {
            format!("{what}: {n} items?")
        }
    }

    /// What a batch of selected applications holds, for its confirmation.
    fn selection_summary(&self, decision: Decision) -> Vec<String> {
        let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
        for (_, k) in self.selection.items.values() {
            *by_kind.entry(*k).or_default() += 1;
        }
        let kinds: Vec<String> = by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", k.label(self.lang.zh())))
            .collect();
        let mut lines = vec![kinds.join("、")];
        if let Some(n) = self.node() {
            let step = n
                .kinds
                .first()
                .and_then(|k| workflow::step(*k, n.stage.state(), decision).ok());
            if let Some(s) = step {
                lines.push(format!(
                    "{} → {}（{}）",
                    n.stage.label(self.lang.zh()),
                    s.to.label(self.lang.zh()),
                    s.action.label(self.lang.zh())
                ));
            }
        }
        lines.push(if self.lang.zh() {
            "每项单独校验权限、职责分离和版本；不能办理的跳过并列出原因。".into()
        } else {
            "Each item is checked on its own; those that cannot be decided are skipped with the reason.".into()
        });
        lines
    }

    fn begin_pass(&mut self) -> Vec<Effect> {
        if !self.selection.items.is_empty() {
            let items = self.selection.decide_items();
            let title = self.batch_title(BatchOp::Decide(Decision::Pass), items.len());
            let lines = self.selection_summary(Decision::Pass);
            self.modal = Some(Modal::Confirm {
                title,
                lines,
                then: Then::Effects(vec![Effect::StartBatch {
                    op: BatchOp::Decide(Decision::Pass),
                    reason: None,
                    items,
                }]),
            });
            return vec![];
        }
        let Some(stage) = self.actionable_stage() else {
            return vec![];
        };
        let Some(d) = self.selected_detail() else {
            return vec![];
        };
        let zh = self.lang.zh();
        if d.kind == Kind::Exit && d.bound_user_units > 0 {
            let keys = self
                .keymap
                .keys_for("normal", KeyAction::Bindings)
                .join("/");
            let line = if zh {
                format!(
                    "仍有 {} 个使用单位未解除绑定，退出申请不能通过。按 {keys} 查看并解除绑定。",
                    d.bound_user_units
                )
            } else {
                format!(
                    "{} user units are still bound: the exit cannot pass. Press {keys} to see and unbind them.",
                    d.bound_user_units
                )
            };
            self.message(L::ExitBlocked, vec![line]);
            return vec![];
        }
        let Ok(step) = workflow::step(d.kind, d.state, Decision::Pass) else {
            return vec![];
        };
        let mut lines = vec![
            format!(
                "#{} {} · {}",
                d.id,
                d.kind.label(zh),
                crate::domain::text::inert(&d.unit.facts.name)
            ),
            format!("{} → {}", d.state.label(zh), step.to.label(zh)),
        ];
        if let Some(fx) = d
            .exit_effects
            .as_ref()
            .filter(|_| stage == Stage::Confirmation)
        {
            lines.push(self.t(L::ExitEffects).into());
            if zh {
                lines.push(format!(
                    "· 取消已订阅能力 {} 项、能力授权 {} 项",
                    fx.capabilities, fx.authorisations
                ));
                lines.push(format!(
                    "· 审批中的邀请和能力订阅 {} 件置为不成功",
                    fx.in_flight.len()
                ));
                lines.push("· 该单位不再是直连单位".into());
            } else {
                lines.push(format!(
                    "· cancel {} subscribed capabilities and {} authorisations",
                    fx.capabilities, fx.authorisations
                ));
                lines.push(format!(
                    "· set {} in-flight invitations and subscriptions unsuccessful",
                    fx.in_flight.len()
                ));
                lines.push("· the unit is no longer direct-connect".into());
            }
            for (id, k, s, name) in fx.in_flight.iter().take(5) {
                lines.push(format!(
                    "  #{id} {} {} {}",
                    k.label(zh),
                    s.label(zh),
                    crate::domain::text::inert(name)
                ));
            }
            if fx.in_flight.len() > 5 {
                lines.push(format!("  … +{}", fx.in_flight.len() - 5));
            }
        }
        let title = format!("{}？", step.action.label(zh));
        self.modal = Some(Modal::Confirm {
            title,
            lines,
            then: Then::Effects(vec![Effect::Decide {
                id: d.id,
                version: d.version,
                decision: Decision::Pass,
                reason: None,
            }]),
        });
        vec![]
    }

    fn open_reason(
        &mut self,
        target: ReasonTarget,
        draft_key: String,
        stage: Option<Stage>,
        unbind: bool,
    ) {
        let saved = self.drafts.load(&draft_key);
        let restored = saved.is_some();
        let textarea = new_textarea(saved.as_deref().unwrap_or(""));
        self.modal = Some(Modal::Reason(Box::new(ReasonDialog {
            target,
            textarea,
            templates: templates(stage, unbind),
            template: None,
            error: None,
            restored,
            draft_key,
        })));
    }

    fn begin_reject(&mut self) -> Vec<Effect> {
        if !self.selection.items.is_empty() {
            let items = self.selection.decide_items();
            let summary = self.selection_summary(Decision::Reject);
            let stage = self.node().map(|n| n.stage);
            let key = format!(
                "batch-{}-{}",
                stage.map(|s| s.code()).unwrap_or(""),
                items.len()
            );
            self.open_reason(
                ReasonTarget::Many {
                    op: BatchOp::Decide(Decision::Reject),
                    items,
                    summary,
                },
                key,
                stage,
                false,
            );
            return vec![];
        }
        let Some(stage) = self.actionable_stage() else {
            return vec![];
        };
        let Some(d) = self.selected_detail() else {
            return vec![];
        };
        let Ok(step) = workflow::step(d.kind, d.state, Decision::Reject) else {
            return vec![];
        };
        let target = ReasonTarget::One {
            id: d.id,
            version: d.version,
            action: step.action,
            name: crate::domain::text::inert(&d.unit.facts.name).into_owned(),
        };
        let key = format!("app-{}", d.id);
        self.open_reason(target, key, Some(stage), false);
        vec![]
    }

    fn open_bindings(&mut self) -> Vec<Effect> {
        let Some(d) = self.selected_detail() else {
            return vec![];
        };
        // The direct-connect unit: the inviter of an invitation, else the unit.
        let (unit, name) = match &d.direct_unit {
            Some(u) if d.kind == Kind::Invitation => (u.id, u.facts.name.clone()),
            _ => (d.unit.id, d.unit.facts.name.clone()),
        };
        self.screen = Screen::Bindings(BindingsView {
            unit,
            unit_name: name,
            rows: vec![],
            cursor: 0,
            filter: String::new(),
            selected: BTreeSet::new(),
            anchor: None,
            loading: true,
        });
        vec![Effect::LoadBindings { unit }]
    }

    fn leave_side_screen(&mut self) -> Vec<Effect> {
        self.screen = Screen::Queue;
        self.filter_editing = false;
        self.refresh()
    }

    fn act_bindings(&mut self, a: KeyAction) -> Vec<Effect> {
        use KeyAction as K;
        let zh = self.lang.zh();
        let Screen::Bindings(b) = &mut self.screen else {
            return vec![];
        };
        let vis = b.visible();
        let n = vis.len();
        match a {
            K::Back => return self.leave_side_screen(),
            K::Quit => return self.quit_now(),
            K::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            K::MoveUp => b.cursor = b.cursor.saturating_sub(1),
            K::MoveDown => b.cursor = (b.cursor + 1).min(n.saturating_sub(1)),
            K::PageUp => b.cursor = b.cursor.saturating_sub(10),
            K::PageDown => b.cursor = (b.cursor + 10).min(n.saturating_sub(1)),
            K::Top => b.cursor = 0,
            K::Bottom => b.cursor = n.saturating_sub(1),
            K::Filter => self.filter_editing = true,
            K::ToggleSelect => {
                if let Some(&i) = vis.get(b.cursor) {
                    let id = b.rows[i].id;
                    if !b.selected.remove(&id) {
                        b.selected.insert(id);
                    }
                    b.anchor = Some(b.cursor);
                    b.cursor = (b.cursor + 1).min(n.saturating_sub(1));
                }
            }
            K::SelectRange => {
                let from = b.anchor.unwrap_or(b.cursor);
                for p in from.min(b.cursor)..=from.max(b.cursor) {
                    if let Some(&i) = vis.get(p) {
                        b.selected.insert(b.rows[i].id);
                    }
                }
                b.anchor = Some(b.cursor);
            }
            K::SelectAll => {
                for &i in &vis {
                    b.selected.insert(b.rows[i].id);
                }
            }
            K::ClearSelection => b.selected.clear(),
            K::Reject | K::UnbindAll => {
                if a == K::UnbindAll {
                    b.selected = b.rows.iter().map(|r| r.id).collect();
                }
                if b.selected.is_empty()
                    && let Some(&i) = vis.get(b.cursor)
                {
                    b.selected.insert(b.rows[i].id);
                }
                if b.selected.is_empty() {
                    return vec![];
                }
                let items: Vec<DecideItem> = b
                    .rows
                    .iter()
                    .filter(|r| b.selected.contains(&r.id))
                    .map(|r| DecideItem {
                        id: r.id,
                        version: Some(r.version),
                    })
                    .collect();
                let name = crate::domain::text::inert(&b.unit_name).into_owned();
                let summary = vec![
                    if zh {
                        format!("直连单位：{name}")
                    } else {
                        format!("Direct-connect unit: {name}")
                    },
                    if zh {
                        format!(
                            "解除 {} 个使用单位的绑定，并终止其经该单位获得的能力授权。",
                            items.len()
                        )
                    } else {
                        format!(
                            "Unbind {} user units and end their authorisations through this unit.",
                            items.len()
                        )
                    },
                ];
                let key = format!("unbind-{}", b.unit);
                self.open_reason(
                    ReasonTarget::Many {
                        op: BatchOp::Unbind,
                        items,
                        summary,
                    },
                    key,
                    None,
                    true,
                );
            }
            _ => {}
        }
        vec![]
    }

    fn act_results(&mut self, a: KeyAction) -> Vec<Effect> {
        use KeyAction as K;
        let Screen::Results(r) = &mut self.screen else {
            return vec![];
        };
        let n = r.visible().len();
        match a {
            K::Back | K::Cancel => {
                if r.running {
                    // Stops after the chunk in flight: what is done stays done.
                    self.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                    self.status = Some(if self.lang.zh() {
                        "正在取消：当前批次块完成后停止".into()
                    } else {
                        "Cancelling after the chunk in flight".into()
                    });
                    return vec![];
                }
                if r.from_bindings
                    && let Some(b) = self.saved_bindings.take()
                {
                    let unit = b.unit;
                    self.screen = Screen::Bindings(BindingsView {
                        loading: true,
                        selected: BTreeSet::new(),
                        ..b
                    });
                    return vec![Effect::LoadBindings { unit }];
                }
                return self.leave_side_screen();
            }
            K::Quit => return self.quit_now(),
            K::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            K::MoveUp => r.cursor = r.cursor.saturating_sub(1),
            K::MoveDown => r.cursor = (r.cursor + 1).min(n.saturating_sub(1)),
            K::PageUp => r.cursor = r.cursor.saturating_sub(10),
            K::PageDown => r.cursor = (r.cursor + 10).min(n.saturating_sub(1)),
            K::FailuresOnly => {
                r.failures_only = !r.failures_only;
                r.cursor = 0;
            }
            K::Export if !r.id.is_empty() => return vec![Effect::ExportBatch { id: r.id.clone() }],
            K::Resume if !r.running && r.info.as_ref().is_some_and(|i| i.pending > 0) => {
                r.running = true;
                self.cancel
                    .store(false, std::sync::atomic::Ordering::SeqCst);
                return vec![Effect::RunBatch { id: r.id.clone() }];
            }
            _ => {}
        }
        vec![]
    }

    /// A message from an effect.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        if !matches!(msg, Msg::BatchProgress { .. } | Msg::Changed) {
            self.busy = self.busy.saturating_sub(1);
        }
        match msg {
            Msg::Counts(Ok(counts)) => {
                for (n, c) in self
                    .nodes
                    .iter_mut()
                    .filter(|n| n.kind.is_some())
                    .zip(counts)
                {
                    n.count = Some(c);
                }
                for i in 0..self.nodes.len() {
                    if self.nodes[i].kind.is_none() {
                        let stage = self.nodes[i].stage;
                        let sum = self
                            .nodes
                            .iter()
                            .filter(|n| n.stage == stage && n.kind.is_some())
                            .map(|n| n.count.unwrap_or(0))
                            .sum();
                        self.nodes[i].count = Some(sum);
                    }
                }
                self.refreshed_at = Some(self.now());
                self.stale = false;
                vec![]
            }
            Msg::Count { seq, result: Ok(n) } if seq == self.count_seq => {
                self.window.total = Some(n);
                vec![]
            }
            Msg::Page {
                seq,
                mode,
                result: Ok(page),
            } if seq == self.window.seq => self.on_page(mode, page),
            Msg::Detail {
                seq,
                result: Ok(app),
            } if seq == self.detail_seq => {
                self.checks = app.checks(&self.thresholds);
                self.material = self.material.min(app.materials.len().saturating_sub(1));
                self.detail = Some(app);
                vec![]
            }
            Msg::Decided {
                id,
                decision,
                result,
            } => self.on_decided(id, decision, result),
            Msg::PaperMarked { result: Ok(()), .. } => {
                self.status = Some(self.t(L::PaperReceived).into());
                self.reload_detail()
            }
            Msg::Bindings {
                unit,
                result: Ok(rows),
            } => {
                if let Screen::Bindings(b) = &mut self.screen
                    && b.unit == unit
                {
                    b.rows = rows;
                    b.loading = false;
                    b.cursor = b.cursor.min(b.rows.len().saturating_sub(1));
                }
                vec![]
            }
            Msg::UnitsFound(Ok(units)) => match units.first() {
                Some((id, _, name)) => {
                    if units.len() > 1 {
                        self.status = Some(if self.lang.zh() {
                            format!(
                                "找到 {} 个直连单位，显示第一个；输入完整代码可精确查找",
                                units.len()
                            )
                        } else {
                            format!(
                                "{} direct-connect units match; showing the first (type the full code to be exact)",
                                units.len()
                            )
                        });
                    }
                    let unit = *id;
                    self.screen = Screen::Bindings(BindingsView {
                        unit,
                        unit_name: name.clone(),
                        rows: vec![],
                        cursor: 0,
                        filter: String::new(),
                        selected: BTreeSet::new(),
                        anchor: None,
                        loading: true,
                    });
                    vec![Effect::LoadBindings { unit }]
                }
                None => {
                    self.status = Some(if self.lang.zh() {
                        "没有找到这个直连单位".into()
                    } else {
                        "No such direct-connect unit".into()
                    });
                    vec![]
                }
            },
            Msg::Selected(Ok(items)) => {
                for (id, v, k) in items {
                    self.selection.items.insert(id, (v, k));
                }
                vec![]
            }
            Msg::BatchStarted(Ok(id)) => {
                if let Screen::Results(r) = &mut self.screen {
                    r.id = id.clone();
                }
                self.selection = Selection::default();
                vec![Effect::RunBatch { id }]
            }
            Msg::BatchProgress { id, done, total } => {
                if let Screen::Results(r) = &mut self.screen
                    && r.id == id
                {
                    r.progress = (done, total);
                }
                vec![]
            }
            Msg::BatchDone {
                id,
                result: Ok((info, items)),
            } => {
                let from_bindings = matches!(&self.screen, Screen::Results(r) if r.from_bindings);
                self.screen = Screen::Results(ResultsView {
                    progress: (info.total - info.pending, info.total),
                    id,
                    info: Some(info),
                    items,
                    failures_only: false,
                    cursor: 0,
                    running: false,
                    from_bindings,
                });
                vec![self.counts_effect()]
            }
            Msg::Batches(Ok(list)) => match list.first() {
                Some(b) => vec![Effect::LoadBatch { id: b.id.clone() }],
                None => {
                    self.status = Some(if self.lang.zh() {
                        "没有批量处理记录".into()
                    } else {
                        "No batches yet".into()
                    });
                    vec![]
                }
            },
            Msg::Changed => {
                self.stale = true;
                // Not under the officer's hands: a dialog or a running batch
                // waits; the header says the view may be stale meanwhile.
                if self.modal.is_some()
                    || self.filter_editing
                    || !matches!(self.screen, Screen::Queue)
                    || self.window.loading
                {
                    return vec![];
                }
                self.refresh()
            }
            Msg::Exported(Ok(path)) => {
                self.status = Some(format!("CSV → {path}"));
                vec![]
            }
            // Failures of loads: one line in the status bar; a stale answer is dropped.
            Msg::Counts(Err(e))
            | Msg::Count { result: Err(e), .. }
            | Msg::Page { result: Err(e), .. }
            | Msg::Detail { result: Err(e), .. }
            | Msg::PaperMarked { result: Err(e), .. }
            | Msg::Bindings { result: Err(e), .. }
            | Msg::Selected(Err(e))
            | Msg::UnitsFound(Err(e))
            | Msg::Batches(Err(e))
            | Msg::Exported(Err(e)) => {
                self.window.loading = false;
                self.status = Some(e.message);
                vec![]
            }
            Msg::BatchStarted(Err(e)) | Msg::BatchDone { result: Err(e), .. } => {
                if let Screen::Results(r) = &mut self.screen {
                    r.running = false;
                }
                self.message(L::Results, vec![e.message]);
                vec![]
            }
            _ => vec![],
        }
    }

    fn on_page(&mut self, mode: PageMode, page: crate::store::Page) -> Vec<Effect> {
        let w = &mut self.window;
        w.loading = false;
        let n = page.rows.len() as i64;
        match mode {
            PageMode::Replace(offset) => {
                w.rows = page.rows;
                w.offset = offset;
                w.more_after = page.more;
                w.more_before = offset > 0;
            }
            PageMode::Last => {
                w.rows = page.rows;
                w.offset = w.total.map(|t| (t - n).max(0)).unwrap_or(0);
                w.more_before = page.more;
                w.more_after = false;
                w.cursor = w.last_index();
            }
            PageMode::Append => {
                w.rows.extend(page.rows);
                w.more_after = page.more;
                // Keep the window bounded: drop rows far above the cursor.
                let excess = w.rows.len().saturating_sub(WINDOW_MAX);
                let droppable = (w.cursor - w.offset - PREFETCH).max(0) as usize;
                let drop = excess.min(droppable);
                if drop > 0 {
                    w.rows.drain(..drop);
                    w.offset += drop as i64;
                    w.more_before = true;
                }
            }
            PageMode::Prepend => {
                let mut rows = page.rows;
                rows.append(&mut w.rows);
                w.rows = rows;
                w.offset -= n;
                w.more_before = page.more && w.offset > 0;
                if w.offset < 0 {
                    w.offset = 0;
                }
                let excess = w.rows.len().saturating_sub(WINDOW_MAX);
                let keep = (w.cursor - w.offset + PREFETCH + 1).max(0) as usize;
                let drop = excess.min(w.rows.len().saturating_sub(keep));
                if drop > 0 {
                    w.rows.truncate(w.rows.len() - drop);
                    w.more_after = true;
                }
            }
        }
        if !w.rows.is_empty() {
            w.cursor = w.cursor.clamp(w.offset, w.last_index());
        } else {
            w.cursor = 0;
        }
        self.detail_effect()
    }

    fn on_decided(
        &mut self,
        id: i64,
        decision: Decision,
        result: Result<crate::store::ItemResult, Failure>,
    ) -> Vec<Effect> {
        let zh = self.lang.zh();
        match result {
            Ok(r) => {
                if decision == Decision::Reject {
                    self.drafts.clear(&format!("app-{id}"));
                }
                self.status = Some(format!(
                    "#{id} {} → {}",
                    r.action.map(|a| a.label(zh)).unwrap_or(""),
                    r.to.map(|s| s.label(zh)).unwrap_or("")
                ));
                // It left this queue: the next item takes its place.
                let mut fx = self.drop_row(id);
                fx.push(self.counts_effect());
                fx
            }
            Err(f) => {
                if f.kind == "conflict" {
                    // Someone else decided: show who and when, refresh the item,
                    // keep the row marked; any typed reason stays in its draft.
                    self.handled_elsewhere.insert(id);
                    self.stale = true;
                    self.message(L::Conflict, vec![f.message]);
                    let mut fx = vec![self.counts_effect()];
                    fx.extend(self.reload_detail());
                    fx
                } else {
                    self.message(L::CannotAct, vec![f.message]);
                    vec![]
                }
            }
        }
    }

    fn drop_row(&mut self, id: i64) -> Vec<Effect> {
        let w = &mut self.window;
        if let Some(i) = w.rows.iter().position(|r| r.id == id) {
            w.rows.remove(i);
            w.total = w.total.map(|t| (t - 1).max(0));
            if !w.rows.is_empty() {
                w.cursor = w.cursor.clamp(w.offset, w.last_index());
            }
        }
        self.selection.items.remove(&id);
        self.detail = None;
        let mut fx = self.move_cursor(0);
        fx.extend(self.detail_effect());
        fx.dedup();
        fx
    }

    /// A notice shown once at start (a malformed keymap, say).
    pub fn on_msg_notice(&mut self, text: String) {
        self.modal = Some(Modal::Message {
            title: self.t(L::Notice).into(),
            lines: vec![text],
        });
    }

    /// Keeps the draft of an open dialog: called on every exit path.
    pub fn save_draft(&self) {
        if let Some(Modal::Reason(d)) = &self.modal {
            self.drafts.save(&d.draft_key, &d.text());
        }
    }

    pub fn is_overdue(&self, row: &QueueRow, now: chrono::DateTime<chrono::Utc>) -> bool {
        row.age_days(now) >= self.overdue_days
    }
}

fn new_textarea(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(text.split('\n').map(|s| s.to_string()).collect());
    t.move_cursor(tui_textarea::CursorMove::Bottom);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}
