//! The reason dialog: a rejection's or an unbinding's reason, typed in a
//! text area, with the stage's templates; the draft is kept as it is typed.

use crate::app::results::{ResultsScreen, batch_title};
use crate::app::{Cmd, Ctx, Effect, Modal, Screen};
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{BatchOp, BatchParams, DecideItem, WarningStep};
use crossterm::event::KeyEvent;
use tui_textarea::TextArea;

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
        /// A measure's deadline and limit.
        params: BatchParams,
    },
    /// A risk warning's feedback, closing note, or the reason of the
    /// measure it escalates to (the step's text is the one typed).
    Warning {
        id: i64,
        version: i64,
        step: WarningStep,
        summary: Vec<String>,
    },
    /// A risk warning raised against a unit: its finding.
    Raise { unit: i64, name: String },
    /// Another officer's claim taken over: why.
    TakeOver { id: i64 },
}

pub struct ReasonDialog {
    pub target: ReasonTarget,
    pub textarea: TextArea<'static>,
    pub templates: Vec<&'static str>,
    pub template: Option<usize>,
    pub error: Option<String>,
    pub restored: bool,
    pub draft_key: String,
    /// The dialog's title, where the target does not say it.
    pub heading: Option<String>,
}

fn new_textarea(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(text.split('\n').map(|s| s.to_string()).collect());
    t.move_cursor(tui_textarea::CursorMove::Bottom);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

impl ReasonDialog {
    /// A dialog for `target`; a kept draft is asked for and offered when
    /// it comes.
    pub fn open(
        target: ReasonTarget,
        draft_key: String,
        kind: Option<Kind>,
        stage: Option<Stage>,
        unbind: bool,
    ) -> Vec<Cmd> {
        let templates = crate::domain::templates::reasons(kind, stage, unbind);
        Self::open_with(target, draft_key, templates, None)
    }

    /// A dialog with its own templates and title.
    pub fn open_with(
        target: ReasonTarget,
        draft_key: String,
        templates: Vec<&'static str>,
        heading: Option<String>,
    ) -> Vec<Cmd> {
        let d = ReasonDialog {
            target,
            textarea: new_textarea(""),
            templates,
            template: None,
            error: None,
            restored: false,
            draft_key: draft_key.clone(),
            heading,
        };
        vec![
            Cmd::Open(Modal::Reason(Box::new(d))),
            Cmd::Run(Effect::LoadDraft { key: draft_key }),
        ]
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Keeps what is typed.
    pub fn save(&self) -> Effect {
        Effect::SaveDraft {
            key: self.draft_key.clone(),
            text: self.text(),
        }
    }

    /// A kept draft arrived: offered if nothing was typed meanwhile.
    pub fn on_draft(&mut self, key: &str, text: Option<String>) -> Vec<Cmd> {
        if let Some(t) = text
            && key == self.draft_key
            && self.text().is_empty()
        {
            self.textarea = new_textarea(&t);
            self.restored = true;
        }
        vec![]
    }

    pub fn on_input(&mut self, ev: KeyEvent) -> Vec<Cmd> {
        if self.textarea.input(ev) {
            self.error = None;
            self.template = None;
            return vec![Cmd::Run(self.save())];
        }
        vec![]
    }

    /// Undoes the last edit (a template's insertion included).
    fn undo(&mut self) -> Vec<Cmd> {
        if self.textarea.undo() {
            self.template = None;
            self.error = None;
            return vec![Cmd::Run(self.save())];
        }
        vec![]
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        match a {
            // The draft stays on disk and is offered next time.
            KeyAction::Cancel => vec![Cmd::Run(self.save()), Cmd::Close],
            KeyAction::Quit if self.text().trim().is_empty() => vec![Cmd::Quit],
            KeyAction::Quit => vec![
                Cmd::Run(self.save()),
                Cmd::Open(Modal::confirm(
                    ctx.t(L::Confirm).into(),
                    vec![ctx.t(L::QuitUnsaved).into()],
                    vec![Cmd::Quit],
                )),
            ],
            KeyAction::NextTemplate | KeyAction::PrevTemplate => self.template(a),
            KeyAction::Undo => self.undo(),
            KeyAction::Submit => self.submit(ctx),
            _ => vec![],
        }
    }

    /// Inserts a template at the cursor; pressed again, the next template
    /// takes the place of the one just inserted. Typed text is never
    /// replaced, the insertion undoes like any edit, and the draft on disk
    /// keeps what the officer typed.
    fn template(&mut self, a: KeyAction) -> Vec<Cmd> {
        let n = self.templates.len();
        if n == 0 {
            return vec![];
        }
        let next = match (self.template, a) {
            (None, KeyAction::NextTemplate) => 0,
            (None, _) => n - 1,
            (Some(i), KeyAction::NextTemplate) => (i + 1) % n,
            (Some(i), _) => (i + n - 1) % n,
        };
        if self.template.is_some() {
            self.textarea.undo();
        }
        self.textarea.insert_str(self.templates[next]);
        self.template = Some(next);
        self.error = None;
        vec![]
    }

    fn submit(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        let reason = match crate::domain::validate::reason(&self.text()) {
            Err(e) => {
                self.error = Some(e.to_string());
                return vec![];
            }
            Ok(r) => r,
        };
        let mut cmds = vec![Cmd::Run(self.save())];
        match self.target.clone() {
            ReasonTarget::One { id, version, .. } => {
                cmds.push(Cmd::Close);
                cmds.push(Cmd::Run(Effect::Decide {
                    id,
                    version,
                    decision: Decision::Reject,
                    reason: Some(reason),
                    until: None,
                }));
            }
            ReasonTarget::Warning {
                id,
                version,
                step,
                summary,
            } => cmds.extend(warning_step(ctx, id, version, step, summary, reason)),
            ReasonTarget::TakeOver { id } => {
                cmds.push(Cmd::Close);
                cmds.push(Cmd::Run(Effect::Claim {
                    ids: vec![id],
                    minutes: ctx.claim_minutes,
                    take_over: Some(reason),
                    why: crate::app::ClaimWhy::TakeOver,
                }));
            }
            ReasonTarget::Raise { unit, .. } => {
                cmds.push(Cmd::Close);
                cmds.push(Cmd::Run(Effect::RaiseWarning {
                    unit,
                    finding: reason,
                }));
            }
            ReasonTarget::Many {
                op,
                items,
                summary,
                params,
            } => {
                let mut lines = summary;
                lines.push(format!(
                    "{}{}{}",
                    ctx.t(L::ReasonTitle),
                    ctx.t(L::Colon),
                    crate::fmt::truncate(&reason.replace('\n', " "), 60)
                ));
                let title = batch_title(ctx, op, items.len());
                let then = vec![
                    Cmd::Run(Effect::CancelBatch(false)),
                    Cmd::Push(Screen::Results(ResultsScreen::running(Some(
                        self.draft_key.clone(),
                    )))),
                    Cmd::Run(Effect::StartBatch {
                        op,
                        reason: Some(reason),
                        items,
                        params,
                    }),
                ];
                cmds.push(Cmd::Open(Modal::confirm(title, lines, then)));
            }
        }
        cmds
    }
}

/// A warning's step with the text typed: feedback and closing at once, an
/// escalation after its confirmation (it imposes a measure).
fn warning_step(
    ctx: &Ctx,
    id: i64,
    version: i64,
    step: WarningStep,
    summary: Vec<String>,
    text: String,
) -> Vec<Cmd> {
    let (step, confirm) = match step {
        WarningStep::Feedback(_) => (WarningStep::Feedback(text.clone()), false),
        WarningStep::Close(_) => (WarningStep::Close(text.clone()), false),
        WarningStep::Escalate(m) => (
            WarningStep::Escalate(crate::store::Imposition {
                reason: text.clone(),
                ..m
            }),
            true,
        ),
    };
    let run = Cmd::Run(Effect::ActOnWarning { id, version, step });
    if !confirm {
        return vec![Cmd::Close, run];
    }
    let mut lines = summary;
    lines.push(format!(
        "{}{}{}",
        ctx.t(L::ReasonTitle),
        ctx.t(L::Colon),
        crate::fmt::truncate(&text.replace('\n', " "), 60)
    ));
    let title = L::EscalateWarning.fill(ctx.lang, &[&id]);
    vec![Cmd::Open(Modal::confirm(title, lines, vec![run]))]
}
