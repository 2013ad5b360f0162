//! The results screen: a batch running with its progress, then every
//! item's result; failures only on a key, exported as CSV, resumed when cut
//! short.

use super::list::{self, Move};
use super::{Cmd, Ctx, Effect, Failure, Modal, Msg, Screen};
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{BatchInfo, BatchItem, BatchOp};

pub struct ResultsScreen {
    pub id: String,
    pub info: Option<BatchInfo>,
    pub items: Vec<BatchItem>,
    pub failures_only: bool,
    pub cursor: usize,
    pub running: bool,
    pub progress: (i64, i64),
    /// Rows a page key moves by.
    pub page: usize,
    /// The reason's draft: cleared once the batch holds the reason.
    pub draft: Option<String>,
}

/// A batch's confirmation title: what, and how many.
pub fn batch_title(ctx: &Ctx, op: BatchOp, n: usize) -> String {
    // One item is not a batch: asked as the operation itself.
    if n == 1 {
        let one = op.label(ctx.zh());
        let mut c = one.chars();
        let one = match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => one,
        };
        return L::Asked.fill(ctx.lang, &[&one]);
    }
    let what = match op {
        BatchOp::Decide(Decision::Pass) => ctx.t(L::BatchPass).to_string(),
        BatchOp::Decide(Decision::Reject) => ctx.t(L::BatchReject).to_string(),
        BatchOp::Unbind => ctx.t(L::BatchUnbind).to_string(),
        BatchOp::Impose(k) => L::BatchImpose.fill(ctx.lang, &[&k.label(ctx.zh())]),
        BatchOp::Lift => ctx.t(L::BatchLift).to_string(),
        BatchOp::Escalate => ctx.t(L::BatchEscalate).to_string(),
    };
    L::BatchTitle.fill(ctx.lang, &[&what, &n])
}

impl ResultsScreen {
    /// A batch about to run; `draft`, the key of its reason's draft.
    pub fn running(draft: Option<String>) -> ResultsScreen {
        ResultsScreen {
            id: String::new(),
            info: None,
            items: vec![],
            failures_only: false,
            cursor: 0,
            running: true,
            progress: (0, 0),
            page: 10,
            draft,
        }
    }

    pub fn visible(&self) -> Vec<&BatchItem> {
        self.items
            .iter()
            .filter(|i| !self.failures_only || i.failed() || i.skipped())
            .collect()
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        let n = self.visible().len();
        match a {
            // Stops after the chunk in flight: what is done stays done.
            K::Back | K::Cancel if self.running => vec![
                Cmd::Run(Effect::CancelBatch(true)),
                Cmd::Status(ctx.t(L::Cancelling).into()),
            ],
            K::Back | K::Cancel => vec![Cmd::Back],
            K::Quit => vec![Cmd::Quit],
            K::Help => vec![Cmd::Open(Modal::Help { scroll: 0 })],
            K::FailuresOnly => {
                self.failures_only = !self.failures_only;
                self.cursor = 0;
                vec![]
            }
            K::Export if !self.id.is_empty() => {
                vec![Cmd::Run(Effect::ExportBatch {
                    id: self.id.clone(),
                })]
            }
            K::Resume if !self.running && self.info.as_ref().is_some_and(|i| i.pending > 0) => {
                self.running = true;
                vec![
                    Cmd::Run(Effect::CancelBatch(false)),
                    Cmd::Run(Effect::RunBatch {
                        id: self.id.clone(),
                    }),
                ]
            }
            _ => {
                if let Some(m) = Move::of(a) {
                    self.cursor = list::moved(self.cursor, n, m, self.page);
                }
                vec![]
            }
        }
    }

    pub fn on_msg(&mut self, ctx: &Ctx, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::BatchStarted(Ok(id)) => {
                self.id = id.clone();
                // The batch holds the reason now: its draft is done with.
                let mut cmds: Vec<Cmd> = self
                    .draft
                    .take()
                    .map(|key| Cmd::Run(Effect::ClearDraft { key }))
                    .into_iter()
                    .collect();
                cmds.push(Cmd::Run(Effect::RunBatch { id }));
                cmds
            }
            Msg::BatchStarted(Err(e)) => self.failed(ctx, e),
            Msg::BatchProgress { id, done, total } if id == self.id => {
                self.progress = (done, total);
                vec![]
            }
            _ => vec![],
        }
    }

    fn failed(&mut self, ctx: &Ctx, e: Failure) -> Vec<Cmd> {
        self.running = false;
        vec![Cmd::Open(Modal::notice(
            ctx.t(L::Results),
            vec![ctx.said(&e)],
        ))]
    }
}

/// A batch finished, or was opened from the list: its results, in place of
/// a results screen or over any other.
pub fn on_done(
    ctx: &Ctx,
    screen: &mut Screen,
    id: String,
    result: Result<(BatchInfo, Vec<BatchItem>), Failure>,
) -> Vec<Cmd> {
    let (info, items) = match result {
        Ok(x) => x,
        Err(e) => {
            return match screen {
                Screen::Results(r) => r.failed(ctx, e),
                _ => vec![Cmd::Notice(L::Results, vec![ctx.said(&e)])],
            };
        }
    };
    // What the status line said while it ran ("cancelling…") is over: a
    // stopped batch says what is left and how to go on.
    let status = if info.pending > 0 && info.finished_at.is_none() {
        let keys = ctx.keys(crate::app::Mode::Results, KeyAction::Resume);
        L::BatchStopped.fill(ctx.lang, &[&info.pending, &keys])
    } else {
        String::new()
    };
    let r = ResultsScreen {
        progress: (info.total - info.pending, info.total),
        id,
        info: Some(info),
        items,
        failures_only: false,
        cursor: 0,
        running: false,
        page: 10,
        draft: None,
    };
    let shown = match screen {
        Screen::Results(_) => Cmd::Replace(Screen::Results(r)),
        _ => Cmd::Push(Screen::Results(r)),
    };
    vec![shown, Cmd::Status(status)]
}

/// The officer's batches: the latest opens (an older way in; the work
/// screen lists them all).
pub fn on_batches(ctx: &Ctx, result: Result<Vec<BatchInfo>, Failure>) -> Vec<Cmd> {
    match result {
        Ok(list) => match list.first() {
            Some(b) => vec![Cmd::Run(Effect::LoadBatch { id: b.id.clone() })],
            None => vec![Cmd::Status(ctx.t(L::NoBatches).into())],
        },
        Err(e) => vec![Cmd::Status(ctx.said(&e))],
    }
}
