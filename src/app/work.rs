//! The officer's own work: every batch (any one opens its results) and the
//! decisions they took today (any one opens in the queue).

use super::list::{self, Move};
use super::{Cmd, Ctx, Effect, Failure, Modal, Screen};
use crate::keymap::KeyAction;
use crate::store::{BatchInfo, Decided};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkTab {
    Batches,
    Today,
}

pub struct WorkScreen {
    pub tab: WorkTab,
    pub batches: Vec<BatchInfo>,
    pub today: Vec<Decided>,
    pub cursor: usize,
    pub loading: bool,
    pub page: usize,
}

impl WorkScreen {
    /// Opens the screen over the current one and asks for its lists.
    pub fn open(ctx: &Ctx) -> Vec<Cmd> {
        let s = WorkScreen {
            tab: WorkTab::Batches,
            batches: vec![],
            today: vec![],
            cursor: 0,
            loading: true,
            page: 10,
        };
        vec![Cmd::Push(Screen::Work(s)), Cmd::Run(load(ctx))]
    }

    fn len(&self) -> usize {
        match self.tab {
            WorkTab::Batches => self.batches.len(),
            WorkTab::Today => self.today.len(),
        }
    }

    pub fn on_loaded(
        &mut self,
        ctx: &Ctx,
        r: Result<(Vec<BatchInfo>, Vec<Decided>), Failure>,
    ) -> Vec<Cmd> {
        self.loading = false;
        match r {
            Ok((b, t)) => {
                self.batches = b;
                self.today = t;
                self.cursor = self.cursor.min(self.len().saturating_sub(1));
                vec![]
            }
            Err(e) => vec![Cmd::Status(ctx.said(&e))],
        }
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        match a {
            K::Back => vec![Cmd::Back],
            K::Quit => vec![Cmd::Quit],
            K::Help => vec![Cmd::Open(Modal::Help { scroll: 0 })],
            K::Refresh => {
                self.loading = true;
                vec![Cmd::Run(load(ctx))]
            }
            K::NextTab | K::PrevTab | K::NextPane | K::PrevPane => {
                self.tab = match self.tab {
                    WorkTab::Batches => WorkTab::Today,
                    WorkTab::Today => WorkTab::Batches,
                };
                self.cursor = 0;
                vec![]
            }
            K::Open => self.open_selected(),
            _ => {
                if let Some(m) = Move::of(a) {
                    self.cursor = list::moved(self.cursor, self.len(), m, self.page);
                }
                vec![]
            }
        }
    }

    /// A batch opens its results; a decision opens its application in the
    /// queue screen.
    fn open_selected(&self) -> Vec<Cmd> {
        match self.tab {
            WorkTab::Batches => match self.batches.get(self.cursor) {
                Some(b) => vec![Cmd::Run(Effect::LoadBatch { id: b.id.clone() })],
                None => vec![],
            },
            WorkTab::Today => match self.today.get(self.cursor) {
                Some(d) => vec![Cmd::Back, Cmd::Jump(d.id)],
                None => vec![],
            },
        }
    }
}

/// The officer's batches and today's decisions (since Beijing midnight).
fn load(ctx: &Ctx) -> Effect {
    let now = crate::fmt::beijing(ctx.now());
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(*now.offset()).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| ctx.now());
    Effect::LoadWork { since: midnight }
}
