//! A supervision action prepared step by step: the measure's kind, its
//! rectification deadline, its limit, what ending access would cancel;
//! then the reason dialog and the confirmation. Measures go as batches
//! (a monitoring run may suspend dozens at once); a warning's step at once.

use super::{Row, SuperviseScreen, SuperviseTab};
use crate::app::modal::{Choice, ReasonDialog, ReasonTarget};
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::{Cmd, Ctx, Effect, Failure, Modal};
use crate::domain::supervision::{self, day};
use crate::domain::templates::{SupervisionText as T, supervision as templates};
use crate::domain::text::inert;
use crate::domain::*;
use crate::i18n::Msg as L;
use crate::store::{BatchOp, BatchParams, ExitEffects, Imposition, WarningStep};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOp {
    /// A measure on units.
    Impose,
    /// Measures lifted: the units rectified.
    Lift,
    /// Measures escalated: deadline passed unrectified, access ends.
    Escalate,
    /// A warning's feedback from the unit.
    Feedback,
    /// A warning closed: rectified.
    Close,
    /// A warning escalated to a measure.
    WarningEscalate,
    /// A warning raised against a unit.
    Raise,
}

impl PlanOp {
    /// Whether it acts on one warning (the row under the cursor).
    fn on_warning(self) -> bool {
        matches!(
            self,
            PlanOp::Feedback | PlanOp::Close | PlanOp::WarningEscalate
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub op: PlanOp,
    /// Units (imposing, raising), measures, or the one warning.
    pub rows: Vec<Row>,
    /// What is acted on, said once: the unit's name, or how many.
    pub what: String,
    pub kind: Option<MeasureKind>,
    pub deadline: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    /// What ending the units' access would cancel, once read.
    pub preview: Option<Vec<String>>,
}

impl Plan {
    /// Whether it ends the units' access (and so is previewed first).
    fn ends_access(&self) -> bool {
        self.op == PlanOp::Escalate || self.kind == Some(MeasureKind::Terminate)
    }

    fn units(&self) -> Vec<i64> {
        let mut u: Vec<i64> = self.rows.iter().map(|r| r.unit).collect();
        u.sort_unstable();
        u.dedup();
        u
    }
}

/// A step a dialog hands back to the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStep {
    Kind(MeasureKind),
}

/// The draft of a warning's text: kept until the step is done.
pub fn draft_key(action: Action, subject: i64) -> String {
    format!("warning-{}-{subject}", action.code())
}

impl SuperviseScreen {
    /// Starts preparing `op` on the selection or the row under the cursor.
    pub(super) fn begin(&mut self, ctx: &Ctx, op: PlanOp, kind: Option<MeasureKind>) -> Vec<Cmd> {
        if !ctx.officer.has(Role::Supervise) {
            return vec![Cmd::Notice(
                L::CannotAct,
                vec![ctx.t(L::NoSuperviseRole).into()],
            )];
        }
        let mut rows = self.targets();
        if rows.is_empty() {
            return vec![Cmd::Status(ctx.t(L::NothingSelected).into())];
        }
        if op.on_warning() || op == PlanOp::Raise {
            // One warning at a time: its own finding, feedback or note.
            rows = self.row(self.cursor).into_iter().collect();
        }
        if matches!(op, PlanOp::Impose | PlanOp::Raise) {
            // A measure or a warning is on the unit, whatever row names it.
            rows = rows
                .iter()
                .map(|r| Row {
                    id: r.unit,
                    version: 0,
                    unit: r.unit,
                })
                .collect();
            rows.sort_by_key(|r| r.id);
            rows.dedup();
        }
        let what = match rows.as_slice() {
            [one] => inert(&self.name_of_unit(one.unit)).into_owned(),
            many => L::UnitsCount.fill(ctx.lang, &[&self.units_in(many)]),
        };
        self.plan = Some(Plan {
            op,
            rows,
            what,
            kind,
            deadline: None,
            limit: None,
            preview: None,
        });
        self.advance(ctx)
    }

    fn name_of_unit(&self, unit: i64) -> String {
        (0..self.len())
            .find(|&i| self.row(i).is_some_and(|r| r.unit == unit))
            .and_then(|i| self.unit_name(i))
            .unwrap_or_default()
            .to_string()
    }

    fn units_in(&self, rows: &[Row]) -> usize {
        let mut u: Vec<i64> = rows.iter().map(|r| r.unit).collect();
        u.sort_unstable();
        u.dedup();
        u.len()
    }

    /// The next step the plan needs: a kind, a deadline, a limit, the
    /// preview of an ending; then its reason.
    fn advance(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        let Some(p) = self.plan.as_ref() else {
            return vec![];
        };
        let kind_needed = matches!(p.op, PlanOp::Impose | PlanOp::WarningEscalate);
        match p.kind {
            None if kind_needed => return vec![self.choose_kind(ctx)],
            Some(k) if k.has_deadline() && p.deadline.is_none() => {
                let proposed = supervision::deadline(k, ctx.now(), None)
                    .ok()
                    .flatten()
                    .map(day)
                    .unwrap_or_default();
                return vec![Cmd::Prompt(Prompt::with(PromptKind::Deadline, proposed))];
            }
            Some(MeasureKind::LimitConcurrency) if p.limit.is_none() => {
                return vec![Cmd::Prompt(Prompt::with(PromptKind::Limit, String::new()))];
            }
            _ => {}
        }
        if p.ends_access() && p.preview.is_none() {
            return vec![Cmd::Run(Effect::PreviewEnding { units: p.units() })];
        }
        match self.plan.take() {
            Some(p) => reason(ctx, p),
            None => vec![],
        }
    }

    /// The measures to choose from, the one the tab suggests first under
    /// the cursor (a lapsing qualification: 限制并发量, as the agreement
    /// describes; the 1% rule: a suspension).
    fn choose_kind(&self, ctx: &Ctx) -> Cmd {
        let zh = ctx.zh();
        let proposed = match self.tab {
            SuperviseTab::Lapsing => MeasureKind::LimitConcurrency,
            SuperviseTab::Serious => MeasureKind::SuspendAccess,
            _ => MeasureKind::SuspendInvitations,
        };
        let options = MeasureKind::ALL
            .iter()
            .map(|k| Choice {
                label: [
                    Some(k.label(zh)),
                    k.has_deadline().then(|| ctx.t(L::WithDeadline)),
                    (*k == proposed).then(|| ctx.t(L::Proposed)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
                then: vec![Cmd::Plan(PlanStep::Kind(*k))],
            })
            .collect();
        let what = self
            .plan
            .as_ref()
            .map(|p| p.what.clone())
            .unwrap_or_default();
        Cmd::Open(Modal::Choose {
            title: L::ChooseMeasure.fill(ctx.lang, &[&what]),
            options,
            cursor: MeasureKind::ALL
                .iter()
                .position(|k| *k == proposed)
                .unwrap_or(0),
        })
    }

    pub fn on_step(&mut self, ctx: &Ctx, step: PlanStep) -> Vec<Cmd> {
        let PlanStep::Kind(k) = step;
        match self.plan.as_mut() {
            Some(p) => {
                p.kind = Some(k);
                self.advance(ctx)
            }
            None => vec![],
        }
    }

    /// A deadline or a limit typed: checked, then the next step; a bad
    /// one is said and asked again.
    pub fn on_prompt(&mut self, ctx: &Ctx, kind: PromptKind, text: String) -> Vec<Cmd> {
        let Some(p) = self.plan.as_mut() else {
            return vec![];
        };
        let again = |why: String| vec![Cmd::Prompt(Prompt::again(kind, text.clone(), why))];
        match kind {
            PromptKind::Deadline => {
                let Some(d) = supervision::parse_day(&text) else {
                    return again(ctx.t(L::BadDate).into());
                };
                let k = p.kind.unwrap_or(MeasureKind::SuspendAccess);
                match supervision::deadline(k, ctx.now(), Some(d)) {
                    Ok(d) => p.deadline = d,
                    Err(e) => return again(ctx.lang.half(&e.to_string())),
                }
            }
            PromptKind::Limit => match text.trim().parse::<i64>() {
                Ok(n) if n > 0 => p.limit = Some(n),
                _ => return again(ctx.t(L::BadLimit).into()),
            },
            _ => return vec![],
        }
        self.advance(ctx)
    }

    /// The prompt was left: nothing is prepared any more.
    pub fn on_prompt_cancel(&mut self) -> Vec<Cmd> {
        self.plan = None;
        vec![]
    }

    pub fn on_preview(&mut self, ctx: &Ctx, r: Result<ExitEffects, Failure>) -> Vec<Cmd> {
        match (r, self.plan.as_mut()) {
            (Ok(fx), Some(p)) => {
                p.preview = Some(ending_lines(ctx, &fx));
                self.advance(ctx)
            }
            (Err(e), _) => {
                self.plan = None;
                vec![Cmd::Status(ctx.said(&e))]
            }
            _ => vec![],
        }
    }
}

/// What a plan will do, for its dialog: the measure, its deadline and
/// limit, what ending access cancels.
fn summary(ctx: &Ctx, p: &Plan) -> Vec<String> {
    let zh = ctx.zh();
    let mut summary = vec![p.what.clone()];
    if let Some(k) = p.kind {
        summary.push(format!(
            "{}{}{}",
            ctx.t(L::MeasureLabel),
            ctx.t(L::Colon),
            k.label(zh)
        ));
    }
    if let Some(d) = p.deadline {
        summary.push(L::DeadlineLine.fill(ctx.lang, &[&day(d)]));
    }
    if let Some(n) = p.limit {
        summary.push(L::LimitLine.fill(ctx.lang, &[&n]));
    }
    summary.extend(p.preview.clone().unwrap_or_default());
    summary
}

/// A batch's reason dialog (measures imposed, lifted, escalated).
fn batch_reason(ctx: &Ctx, p: &Plan, op: BatchOp, text: T, heading: String) -> Vec<Cmd> {
    let first = p.rows.first().map_or(0, |r| r.id);
    let mut summary = summary(ctx, p);
    summary.push(ctx.t(L::BatchEachChecked).into());
    let key = format!("{}-{first}-{}", op.code().replace(':', "-"), p.rows.len());
    let target = ReasonTarget::Many {
        op,
        items: SuperviseScreen::items(&p.rows),
        summary,
        params: BatchParams {
            deadline: p.deadline,
            limit: p.limit,
            until: None,
        },
    };
    ReasonDialog::open_with(target, key, templates(text), Some(heading))
}

/// A warning's dialog: its feedback, closing note, or escalation's reason.
fn warning_reason(ctx: &Ctx, p: &Plan, step: WarningStep, action: Action, text: T) -> Vec<Cmd> {
    let row = p.rows.first().copied().unwrap_or(Row {
        id: 0,
        version: 0,
        unit: 0,
    });
    let target = ReasonTarget::Warning {
        id: row.id,
        version: row.version,
        step,
        summary: summary(ctx, p),
    };
    let heading = format!("{} #{} · {}", action.label(ctx.zh()), row.id, p.what);
    ReasonDialog::open_with(
        target,
        draft_key(action, row.id),
        templates(text),
        Some(heading),
    )
}

/// The reason dialog of a plan ready for it: a batch's (measures) or a
/// warning's.
fn reason(ctx: &Ctx, p: Plan) -> Vec<Cmd> {
    let zh = ctx.zh();
    let first = p.rows.first().map_or(0, |r| r.id);
    let kind = p.kind.unwrap_or(MeasureKind::Reminder);
    let batch = |op, text, heading| batch_reason(ctx, &p, op, text, heading);
    let warning = |step, action, text| warning_reason(ctx, &p, step, action, text);
    match p.op {
        PlanOp::Impose => batch(
            BatchOp::Impose(kind),
            T::Impose(kind),
            L::ImposeHeading.fill(ctx.lang, &[&kind.label(zh)]),
        ),
        PlanOp::Lift => batch(BatchOp::Lift, T::Lift, ctx.t(L::LiftHeading).into()),
        PlanOp::Escalate => batch(
            BatchOp::Escalate,
            T::Escalate,
            ctx.t(L::EscalateHeading).into(),
        ),
        PlanOp::Feedback => warning(
            WarningStep::Feedback(String::new()),
            Action::WarningFeedback,
            T::Feedback,
        ),
        PlanOp::Close => warning(
            WarningStep::Close(String::new()),
            Action::WarningClose,
            T::Close,
        ),
        PlanOp::WarningEscalate => warning(
            WarningStep::Escalate(Imposition {
                kind,
                reason: String::new(),
                deadline: p.deadline,
                limit: p.limit,
                warning: Some(first),
            }),
            Action::WarningEscalate,
            T::Impose(kind),
        ),
        PlanOp::Raise => {
            let target = ReasonTarget::Raise {
                unit: first,
                name: p.what.clone(),
            };
            ReasonDialog::open_with(
                target,
                draft_key(Action::WarningRaise, first),
                templates(T::Impose(MeasureKind::Reminder)),
                None,
            )
        }
    }
}

/// What ending units' connections cancels, for the confirmation (an exit
/// confirmed, access terminated).
pub fn ending_lines(ctx: &Ctx, fx: &ExitEffects) -> Vec<String> {
    let zh = ctx.zh();
    let mut lines = vec![ctx.t(L::ExitEffects).into()];
    if fx.bindings > 0 {
        lines.push(L::EndsBindings.fill(ctx.lang, &[&fx.bindings]));
    }
    lines.push(L::ExitCancels.fill(ctx.lang, &[&fx.capabilities, &fx.authorisations]));
    lines.push(L::ExitStops.fill(ctx.lang, &[&fx.in_flight.len()]));
    lines.push(ctx.t(L::ExitNoLonger).into());
    for (id, k, s, name) in fx.in_flight.iter().take(5) {
        lines.push(format!(
            "  #{id} {} {} {}",
            k.label(zh),
            s.label(zh),
            inert(name)
        ));
    }
    if fx.in_flight.len() > 5 {
        lines.push(format!("  … +{}", fx.in_flight.len() - 5));
    }
    lines
}
