//! The supervision screen (监管): measures in force, overdue first; open
//! risk warnings; units the 1% rule lists; qualifications about to lapse.
//! From it a supervisor imposes, lifts, escalates and terminates, one row
//! or a selection, as batches; and answers, closes or escalates warnings.

mod plan;

pub use plan::{Plan, PlanOp, PlanStep, ending_lines};

use super::list::{self, Move, Selection};
use super::unit::UnitScreen;
use super::{Cmd, Ctx, Effect, Failure, Modal, Screen};
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{DecideItem, Supervision};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperviseTab {
    Measures,
    Warnings,
    /// Units more than 1% of whose user units are flagged.
    Serious,
    /// Qualifications lapsing with no extension asked for.
    Lapsing,
}

impl SuperviseTab {
    pub const ALL: [SuperviseTab; 4] = [
        SuperviseTab::Measures,
        SuperviseTab::Warnings,
        SuperviseTab::Serious,
        SuperviseTab::Lapsing,
    ];

    pub fn label(self) -> L {
        match self {
            SuperviseTab::Measures => L::TabMeasures,
            SuperviseTab::Warnings => L::TabWarnings,
            SuperviseTab::Serious => L::TabSerious,
            SuperviseTab::Lapsing => L::TabLapsing,
        }
    }
}

/// A row of the tab shown, as the actions read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The measure's, warning's or unit's id.
    pub id: i64,
    pub version: i64,
    pub unit: i64,
}

pub struct SuperviseScreen {
    pub tab: SuperviseTab,
    pub data: Supervision,
    pub cursor: usize,
    /// Chosen rows of the tab shown, by id.
    pub selected: Selection<Row>,
    pub loading: bool,
    pub page: usize,
    /// What is being prepared, between its dialogs.
    pub plan: Option<Plan>,
}

impl SuperviseScreen {
    /// Opens the screen (`how`: over the current one, or in its place)
    /// and asks for its lists.
    pub fn open(ctx: &Ctx, how: fn(Screen) -> Cmd) -> Vec<Cmd> {
        let s = SuperviseScreen {
            tab: SuperviseTab::Measures,
            data: Supervision::default(),
            cursor: 0,
            selected: Selection::default(),
            loading: true,
            page: 10,
            plan: None,
        };
        vec![how(Screen::Supervise(Box::new(s))), Cmd::Run(load(ctx))]
    }

    /// Back on this screen, or after a change: read again.
    pub fn reload(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        self.loading = true;
        vec![Cmd::Run(load(ctx))]
    }

    pub fn len(&self) -> usize {
        match self.tab {
            SuperviseTab::Measures => self.data.measures.len(),
            SuperviseTab::Warnings => self.data.warnings.len(),
            SuperviseTab::Serious => self.data.serious.len(),
            SuperviseTab::Lapsing => self.data.lapsing.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row at a position of the tab shown.
    pub fn row(&self, i: usize) -> Option<Row> {
        let d = &self.data;
        match self.tab {
            SuperviseTab::Measures => d.measures.get(i).map(|m| Row {
                id: m.id,
                version: m.version,
                unit: m.unit_id,
            }),
            SuperviseTab::Warnings => d.warnings.get(i).map(|w| Row {
                id: w.id,
                version: w.version,
                unit: w.unit_id,
            }),
            SuperviseTab::Serious => d.serious.get(i).map(|s| Row {
                id: s.unit_id,
                version: 0,
                unit: s.unit_id,
            }),
            SuperviseTab::Lapsing => d.lapsing.get(i).map(|l| Row {
                id: l.unit_id,
                version: 0,
                unit: l.unit_id,
            }),
        }
    }

    /// The name of the unit a row concerns.
    pub fn unit_name(&self, i: usize) -> Option<&str> {
        let d = &self.data;
        Some(match self.tab {
            SuperviseTab::Measures => &d.measures.get(i)?.unit_name,
            SuperviseTab::Warnings => &d.warnings.get(i)?.unit_name,
            SuperviseTab::Serious => &d.serious.get(i)?.name,
            SuperviseTab::Lapsing => &d.lapsing.get(i)?.name,
        })
    }

    /// The rows acted on: the selection, else the row under the cursor.
    pub fn targets(&self) -> Vec<Row> {
        if self.selected.is_empty() {
            return self.row(self.cursor).into_iter().collect();
        }
        self.selected.items.values().copied().collect()
    }

    /// The keys the footer offers on the tab shown.
    pub fn hints(&self) -> &'static [KeyAction] {
        use KeyAction as K;
        match self.tab {
            SuperviseTab::Measures => &[
                K::Impose,
                K::Lift,
                K::Escalate,
                K::ToggleSelect,
                K::NextTab,
                K::Open,
                K::Back,
                K::Help,
            ],
            SuperviseTab::Warnings => &[
                K::Feedback,
                K::CloseWarning,
                K::Escalate,
                K::NextTab,
                K::Open,
                K::Back,
                K::Help,
            ],
            SuperviseTab::Serious | SuperviseTab::Lapsing => &[
                K::Impose,
                K::Terminate,
                K::ToggleSelect,
                K::NextTab,
                K::Open,
                K::Back,
                K::Help,
            ],
        }
    }

    pub fn on_loaded(&mut self, ctx: &Ctx, r: Result<Box<Supervision>, Failure>) -> Vec<Cmd> {
        self.loading = false;
        match r {
            Ok(d) => {
                self.data = *d;
                self.cursor = self.cursor.min(self.len().saturating_sub(1));
                // Rows no longer listed (lifted, closed) leave the selection.
                let listed: Vec<i64> = (0..self.len())
                    .filter_map(|i| self.row(i).map(|r| r.id))
                    .collect();
                self.selected.items.retain(|id, _| listed.contains(id));
                vec![]
            }
            Err(e) => vec![Cmd::Status(ctx.said(&e))],
        }
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        use SuperviseTab as T;
        match (a, self.tab) {
            (K::Back, _) => vec![Cmd::Back],
            (K::Quit, _) => vec![Cmd::Quit],
            (K::Help, _) => vec![Cmd::Open(Modal::Help { scroll: 0 })],
            (K::Refresh, _) => self.reload(ctx),
            (K::NextTab | K::PrevTab, _) => {
                self.switch(a == K::NextTab);
                vec![]
            }
            (K::Open | K::Unit, _) => match self.row(self.cursor) {
                Some(r) => UnitScreen::open(r.unit),
                None => vec![],
            },
            (K::ToggleSelect | K::SelectRange | K::SelectAll | K::ClearSelection, _) => {
                self.select(a);
                vec![]
            }
            (K::Impose, _) => self.begin(ctx, PlanOp::Impose, None),
            (K::Terminate, _) => self.begin(ctx, PlanOp::Impose, Some(MeasureKind::Terminate)),
            (K::RaiseWarning, _) => self.begin(ctx, PlanOp::Raise, None),
            (K::Lift, T::Measures) => self.begin(ctx, PlanOp::Lift, None),
            (K::Escalate, T::Measures) => self.begin(ctx, PlanOp::Escalate, None),
            (K::Escalate, T::Warnings) => self.begin(ctx, PlanOp::WarningEscalate, None),
            (K::Feedback, T::Warnings) => self.begin(ctx, PlanOp::Feedback, None),
            (K::CloseWarning, T::Warnings) => self.begin(ctx, PlanOp::Close, None),
            (K::Lift | K::Escalate | K::Feedback | K::CloseWarning, _) => {
                vec![Cmd::Status(ctx.t(L::NotOnThisTab).into())]
            }
            _ => {
                if let Some(m) = Move::of(a) {
                    self.cursor = list::moved(self.cursor, self.len(), m, self.page);
                }
                vec![]
            }
        }
    }

    fn switch(&mut self, forward: bool) {
        let all = SuperviseTab::ALL;
        let i = all.iter().position(|t| *t == self.tab).unwrap_or(0);
        let n = all.len();
        self.tab = all[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
        self.cursor = 0;
        self.selected.clear();
    }

    fn select(&mut self, a: KeyAction) {
        use KeyAction as K;
        let rows = (0..self.len()).filter_map(|i| self.row(i).map(|r| (i as i64, r.id, r)));
        match a {
            K::ToggleSelect => {
                if let Some(r) = self.row(self.cursor) {
                    self.selected.toggle(self.cursor as i64, r.id, r);
                    self.cursor = list::moved(self.cursor, self.len(), Move::Down, 1);
                }
            }
            K::SelectRange => {
                let rows: Vec<_> = rows.collect();
                self.selected.range(self.cursor as i64, rows);
            }
            K::SelectAll => {
                let rows: Vec<_> = rows.map(|(_, id, r)| (id, r)).collect();
                self.selected.extend(rows);
            }
            _ => self.selected.clear(),
        }
    }

    /// Another officer changed something, or a batch ended: read again.
    pub fn on_warning_done(
        &mut self,
        ctx: &Ctx,
        action: Action,
        subject: i64,
        result: Result<i64, Failure>,
    ) -> Vec<Cmd> {
        match result {
            Ok(id) => {
                let mut cmds = vec![
                    Cmd::Run(Effect::ClearDraft {
                        key: plan::draft_key(action, subject),
                    }),
                    Cmd::Status(format!("#{id} {}", action.label(ctx.zh()))),
                ];
                cmds.extend(self.reload(ctx));
                cmds
            }
            Err(f) if f.kind == FailureKind::Conflict => {
                let mut cmds = vec![Cmd::Notice(L::Conflict, vec![ctx.said(&f)])];
                cmds.extend(self.reload(ctx));
                cmds
            }
            Err(f) => vec![Cmd::Notice(L::CannotAct, vec![ctx.said(&f)])],
        }
    }

    /// The items a plan acts on, as batch items.
    pub(super) fn items(rows: &[Row]) -> Vec<DecideItem> {
        rows.iter()
            .map(|r| DecideItem {
                id: r.id,
                version: (r.version > 0).then_some(r.version),
            })
            .collect()
    }
}

/// What the officer supervises, as of the console's clock.
fn load(ctx: &Ctx) -> Effect {
    Effect::LoadSupervision { now: ctx.now() }
}
