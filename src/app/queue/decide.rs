//! Deciding from the queue: the confirmation before a pass, the reason
//! dialog before a rejection, the same for a selection as a batch; and
//! what the console does with the answer.

use super::QueueScreen;
use crate::app::BindingsScreen;
use crate::app::modal::{Offer, ReasonDialog, ReasonTarget};
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::results::{ResultsScreen, batch_title};
use crate::app::{Cmd, Ctx, Effect, Failure, Modal, Mode, Screen};
use crate::domain::supervision;
use crate::domain::text::inert;
use crate::domain::workflow::{self, Jurisdiction};
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{Application, BatchOp, DecideItem, ItemResult};
use std::collections::BTreeMap;

/// Starting a decision claims the item: nobody else decides it meanwhile.
fn claim_start(ctx: &Ctx, id: i64) -> Cmd {
    Cmd::Run(Effect::Claim {
        ids: vec![id],
        minutes: ctx.claim_minutes,
        take_over: None,
        why: crate::app::ClaimWhy::Start,
    })
}

/// Starting a selection's decision claims it in one step: what another
/// officer holds is said now, and skipped by the batch.
fn claim_selection(ctx: &Ctx, items: &[DecideItem]) -> Cmd {
    Cmd::Run(Effect::Claim {
        ids: items.iter().map(|i| i.id).collect(),
        minutes: ctx.claim_minutes,
        take_over: None,
        why: crate::app::ClaimWhy::Batch,
    })
}

impl QueueScreen {
    /// The selection as batch items, each at the version the officer saw.
    fn selected_items(&self) -> Vec<DecideItem> {
        self.selection
            .items
            .iter()
            .map(|(id, (v, _))| DecideItem {
                id: *id,
                version: Some(*v),
            })
            .collect()
    }

    /// The stage the officer may act on for the selected item; otherwise
    /// the commands that say why (still loading, or not theirs to decide).
    fn actionable_stage(&self, ctx: &Ctx) -> Result<(Stage, &Application), Vec<Cmd>> {
        // A row another officer decided while this one was on it: said, not acted on.
        if let Some(id) = self.window.selected().map(|r| r.id)
            && self.pinned.is_none()
            && self.handled_elsewhere.contains(&id)
        {
            let note = self.handled_note(ctx, id).unwrap_or_default();
            return Err(vec![Cmd::Notice(L::Conflict, vec![note])]);
        }
        // Another officer holds it: said with who and how long, not begun.
        if self.pinned.is_none()
            && let Some(r) = self.window.selected()
            && let Some((who, left)) = crate::app::claims::other_holder(ctx, r)
        {
            return Err(vec![crate::app::claims::held_notice(ctx, r.id, who, left)]);
        }
        let Some(d) = self.selected_detail() else {
            let why = match (self.window.selected(), self.pinned) {
                (Some(_), _) | (_, Some(_)) => L::Loading,
                (None, None) => L::NothingSelected,
            };
            return Err(vec![Cmd::Status(ctx.t(why).into())]);
        };
        let not_yours = |why: String| vec![Cmd::Notice(L::CannotAct, vec![why])];
        let stage = Stage::of_state(d.state).ok_or_else(|| {
            not_yours(format!("{}{}", ctx.t(L::NotYours), d.state.label(ctx.zh())))
        })?;
        workflow::authorize(
            &ctx.workflow,
            &ctx.officer,
            d.kind,
            stage,
            Jurisdiction {
                county: &d.county_id,
                province: &d.province_id,
            },
            d.last_decider.as_deref(),
        )
        .map_err(|e| not_yours(format!("{}{e}", ctx.t(L::NotYours))))?;
        Ok((stage, d))
    }

    /// What a batch of selected applications holds, for its confirmation.
    fn selection_summary(&self, ctx: &Ctx, decision: Decision) -> Vec<String> {
        let zh = ctx.zh();
        let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
        for (_, k) in self.selection.items.values() {
            *by_kind.entry(*k).or_default() += 1;
        }
        let kinds: Vec<String> = by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", k.label(zh)))
            .collect();
        let mut lines = vec![kinds.join(ctx.t(L::ListSep))];
        // Each kind's own step: kinds pass through different stages.
        if let Some(n) = self.node() {
            for (k, count) in &by_kind {
                if let Ok(s) = workflow::step(*k, n.stage.state(), decision) {
                    lines.push(L::KindStep.fill(
                        ctx.lang,
                        &[
                            &k.label(zh),
                            count,
                            &n.stage.state().label(zh),
                            &s.to.label(zh),
                            &s.action.label(zh),
                        ],
                    ));
                }
            }
        }
        lines.push(ctx.t(L::BatchEachChecked).into());
        lines
    }

    fn batch_confirm(&self, ctx: &Ctx) -> Vec<Cmd> {
        let op = BatchOp::Decide(Decision::Pass);
        let items = self.selected_items();
        let title = batch_title(ctx, op, items.len());
        let lines = self.selection_summary(ctx, Decision::Pass);
        let claim = claim_selection(ctx, &items);
        let then = vec![
            Cmd::Run(Effect::CancelBatch(false)),
            Cmd::Push(Screen::Results(ResultsScreen::running(None))),
            Cmd::Run(Effect::StartBatch {
                op,
                reason: None,
                items,
                params: Default::default(),
            }),
        ];
        vec![Cmd::Open(Modal::confirm(title, lines, then)), claim]
    }

    pub(super) fn begin_pass(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        if !self.selection.is_empty() {
            return self.batch_confirm(ctx);
        }
        let set_until = self.until.take();
        let (stage, d) = match self.actionable_stage(ctx) {
            Ok(x) => x,
            Err(cmds) => return cmds,
        };
        let zh = ctx.zh();
        if d.kind == Kind::Exit && d.bound_user_units > 0 {
            // The key the notice names opens the bindings it speaks of.
            let keys = ctx.keys(Mode::Normal, KeyAction::Bindings);
            let line = L::ExitStillBound.fill(ctx.lang, &[&d.bound_user_units, &keys]);
            let then = BindingsScreen::open(d.unit.id, d.unit.facts.name.clone(), Cmd::Push);
            return vec![Cmd::Open(Modal::Message {
                title: ctx.t(L::ExitBlocked).into(),
                lines: vec![line],
                offer: Some(Offer {
                    action: KeyAction::Bindings,
                    then,
                }),
            })];
        }
        let Ok(step) = workflow::step(d.kind, d.state, Decision::Pass) else {
            return vec![];
        };
        // A measure in force stops the confirmation outright: said, not offered.
        let blocked = self.checks.iter().find(|c| {
            c.id == crate::domain::checks::CheckId::Measures
                && c.outcome == crate::domain::checks::Outcome::Fail
        });
        if let (Some(c), Stage::Confirmation) = (blocked, stage) {
            let line = format!("{}{}{}", c.id.label(zh), ctx.t(L::Colon), c.detail(zh));
            return vec![Cmd::Notice(L::CannotAct, vec![line])];
        }
        // An extension runs to the end the confirming officer sets,
        // proposed from its request.
        let extends = d.kind == Kind::Extension && stage == Stage::Confirmation;
        let until = set_until.filter(|(id, _)| *id == d.id).map(|u| u.1);
        if extends && until.is_none() {
            let requested = d
                .form
                .period_end
                .as_deref()
                .and_then(supervision::parse_day);
            let proposed = supervision::proposed_until(requested, ctx.now());
            let text = supervision::day(proposed);
            return vec![Cmd::Prompt(Prompt::with(PromptKind::Until, text))];
        }
        let lines = self.pass_lines(ctx, d, stage, step.to, until);
        let then = vec![Cmd::Run(Effect::Decide {
            id: d.id,
            version: d.version,
            decision: Decision::Pass,
            reason: None,
            until,
        })];
        let title = L::ActionAsked.fill(ctx.lang, &[&step.action.label(zh)]);
        vec![
            Cmd::Open(Modal::confirm(title, lines, then)),
            claim_start(ctx, d.id),
        ]
    }

    /// What a pass will do, said before it: the item, its step, the checks
    /// that fail, what a confirmed exit cancels, an extension's end.
    fn pass_lines(
        &self,
        ctx: &Ctx,
        d: &Application,
        stage: Stage,
        to: State,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Vec<String> {
        let zh = ctx.zh();
        let mut lines = vec![
            format!(
                "#{} {} · {}",
                d.id,
                d.kind.label(zh),
                inert(&d.unit.facts.name)
            ),
            format!("{} → {}", d.state.label(zh), to.label(zh)),
        ];
        // The checks that fail are said before the officer decides.
        let failing: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.outcome == crate::domain::checks::Outcome::Fail)
            .map(|c| format!("✗{}{}{}", c.id.label(zh), ctx.t(L::Colon), c.detail(zh)))
            .collect();
        if !failing.is_empty() {
            lines.push(L::ChecksFail.fill(ctx.lang, &[&failing.len()]));
            lines.extend(failing);
        }
        if let Some(fx) = d
            .exit_effects
            .as_ref()
            .filter(|_| stage == Stage::Confirmation)
        {
            lines.extend(crate::app::supervise::ending_lines(ctx, fx));
        }
        if let Some(t) = until {
            lines.push(L::ExtendsTo.fill(ctx.lang, &[&supervision::day(t)]));
        }
        lines
    }

    /// The end typed for an extension: a day after today, then the
    /// confirmation; a bad one is said and asked again.
    pub fn on_until(&mut self, ctx: &Ctx, text: String) -> Vec<Cmd> {
        let again = |why: L| {
            let p = Prompt::again(PromptKind::Until, text.clone(), ctx.t(why).into());
            vec![Cmd::Prompt(p)]
        };
        let Some(t) = supervision::parse_day(&text) else {
            return again(L::BadDate);
        };
        if t <= ctx.now() {
            return again(L::UntilPast);
        }
        let Some(id) = self.selected_detail().map(|d| d.id) else {
            return vec![];
        };
        self.until = Some((id, t));
        self.begin_pass(ctx)
    }

    pub(super) fn begin_reject(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        if !self.selection.is_empty() {
            let items = self.selected_items();
            let summary = self.selection_summary(ctx, Decision::Reject);
            let stage = self.node().map(|n| n.stage);
            // The draft is this selection's: keyed by its ids (FNV-1a, a
            // stable hash), not only its stage and size.
            let ids = items.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, i| {
                (h ^ i.id as u64).wrapping_mul(0x0100_0000_01b3)
            });
            let key = format!(
                "batch-{}-{}-{ids:016x}",
                stage.map(|s| s.code()).unwrap_or(""),
                items.len()
            );
            let target = ReasonTarget::Many {
                op: BatchOp::Decide(Decision::Reject),
                items,
                summary,
                params: Default::default(),
            };
            // One kind selected: its own templates; several: the stage's.
            let mut kinds = self.selection.items.values().map(|(_, k)| *k);
            let first = kinds.next();
            let kind = first.filter(|f| kinds.all(|k| k == *f));
            let claim = claim_selection(ctx, &self.selected_items());
            let mut cmds = ReasonDialog::open(target, key, kind, stage, false);
            cmds.push(claim);
            return cmds;
        }
        let (stage, d) = match self.actionable_stage(ctx) {
            Ok(x) => x,
            Err(cmds) => return cmds,
        };
        let Ok(step) = workflow::step(d.kind, d.state, Decision::Reject) else {
            return vec![];
        };
        let target = ReasonTarget::One {
            id: d.id,
            version: d.version,
            action: step.action,
            name: inert(&d.unit.facts.name).into_owned(),
        };
        let id = d.id;
        let mut cmds = ReasonDialog::open(
            target,
            format!("app-{id}"),
            Some(d.kind),
            Some(stage),
            false,
        );
        cmds.push(claim_start(ctx, id));
        cmds
    }

    pub(super) fn on_decided(
        &mut self,
        ctx: &Ctx,
        id: i64,
        decision: Decision,
        result: Result<ItemResult, Failure>,
    ) -> Vec<Cmd> {
        let zh = ctx.zh();
        match result {
            Ok(r) => {
                let mut cmds = Vec::new();
                if decision == Decision::Reject {
                    cmds.push(Cmd::Run(Effect::ClearDraft {
                        key: format!("app-{id}"),
                    }));
                }
                let action = r.action.map(|a| a.label(zh)).unwrap_or("");
                let to = r.to.map(|s| s.label(zh)).unwrap_or("");
                // 不予受理 is both the step and where it leads: said once.
                cmds.push(Cmd::Status(if action == to {
                    format!("#{id} {action}")
                } else {
                    format!("#{id} {action} → {to}")
                }));
                // It left this queue: the next item takes its place.
                cmds.extend(self.drop_row(ctx, id));
                cmds.push(Cmd::Run(self.counts_effect()));
                cmds
            }
            Err(f) if f.kind == FailureKind::Conflict => {
                // Someone else decided: show who and when, refresh the
                // item, keep the row marked; a typed reason stays in its draft.
                self.handled_elsewhere.insert(id);
                let mut cmds = vec![
                    Cmd::Notice(L::Conflict, vec![ctx.said(&f)]),
                    Cmd::Run(self.counts_effect()),
                ];
                cmds.extend(self.reload_detail());
                cmds.push(Cmd::Stale);
                cmds
            }
            Err(f) => vec![Cmd::Notice(L::CannotAct, vec![ctx.said(&f)])],
        }
    }

    fn drop_row(&mut self, ctx: &Ctx, id: i64) -> Vec<Cmd> {
        self.pinned = None;
        self.window.remove(id);
        self.selection.items.remove(&id);
        self.detail = None;
        let mut cmds = self.move_cursor(ctx, 0);
        if cmds.is_empty() {
            cmds.extend(self.detail_cmds());
        }
        cmds
    }
}
