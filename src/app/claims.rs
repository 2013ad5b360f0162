//! Claims as this console holds them: taken when a decision starts (or by
//! the claim key), renewed while held, ended when the decision is made or
//! abandoned, on quit, or by another officer's take-over, which this
//! console hears of at once. Also who else works in the same queue.

use super::{App, ClaimWhy, Cmd, Ctx, Effect, Msg, ReasonDialog, ReasonTarget, Screen};
use crate::domain::FailureKind;
use crate::domain::claim;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{Claim, ClaimResult, QueueRow};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Claims {
    /// What this console holds, with each lease's end.
    pub held: BTreeMap<i64, DateTime<Utc>>,
    /// Claimed with the key: abandoning a dialog keeps these.
    pub explicit: BTreeSet<i64>,
    /// The item whose decision was started: its claim ends with the dialog.
    pub starting: Option<i64>,
    /// A selection whose decision was started: held while its dialog is
    /// open and its batch runs, released when the dialog closes without
    /// starting it or the batch ends.
    pub batch: BTreeSet<i64>,
    /// The batch of that selection was started.
    pub batch_started: bool,
    /// Other officers working in the same queue now.
    pub others: Vec<String>,
    ticks: u64,
}

/// Another officer's live claim on a row: who, and minutes left.
pub fn other_holder<'a>(ctx: &Ctx, r: &'a QueueRow) -> Option<(&'a str, i64)> {
    let (who, until) = r.holder.as_ref()?;
    let left = claim::minutes_left(*until, ctx.now());
    (who != &ctx.officer.login && left > 0).then_some((who.as_str(), left))
}

/// The officer's own live claim on a row: minutes left.
pub fn own_claim(ctx: &Ctx, r: &QueueRow) -> Option<i64> {
    let (who, until) = r.holder.as_ref()?;
    let left = claim::minutes_left(*until, ctx.now());
    (who == &ctx.officer.login && left > 0).then_some(left)
}

/// What the officer is told of another's claim: who, how long, and the
/// key that takes it over, which works from the notice itself.
pub fn held_notice(ctx: &Ctx, id: i64, who: &str, left: i64) -> Cmd {
    let keys = ctx.keys(super::Mode::Normal, KeyAction::TakeOver);
    let lines = vec![
        L::HeldBy.fill(ctx.lang, &[&crate::ui::safe(ctx.name_of(who)), &left]),
        L::HeldHint.fill(ctx.lang, &[&keys]),
    ];
    Cmd::Open(super::Modal::Message {
        title: ctx.t(L::Held).into(),
        lines,
        offer: Some(super::modal::Offer {
            action: KeyAction::TakeOver,
            then: take_over_dialog(ctx, id, who),
        }),
    })
}

/// The reason dialog of a take-over.
fn take_over_dialog(ctx: &Ctx, id: i64, who: &str) -> Vec<Cmd> {
    let name = crate::ui::safe(ctx.name_of(who));
    let heading = L::TakeOverTitle.fill(ctx.lang, &[&id, &name]);
    let target = ReasonTarget::TakeOver { id };
    ReasonDialog::open_with(target, take_over_key(id), vec![], Some(heading))
}

/// Where a take-over's reason is kept while it is written.
fn take_over_key(id: i64) -> String {
    format!("take-{id}")
}

impl App {
    fn selected_row(&self) -> Option<&QueueRow> {
        match self.screen {
            Screen::Queue => self.queue.window.selected(),
            _ => None,
        }
    }

    /// The claim key: the row under the cursor claimed, or released when
    /// it is the officer's own.
    pub(super) fn claim_key(&mut self) -> Vec<Cmd> {
        let Some(r) = self.selected_row() else {
            return vec![Cmd::Status(self.t(L::NothingSelected).into())];
        };
        let id = r.id;
        if self.claims.held.contains_key(&id) || own_claim(&self.ctx, r).is_some() {
            self.claims.held.remove(&id);
            self.claims.explicit.remove(&id);
            return vec![
                Cmd::Run(Effect::Release { ids: vec![id] }),
                Cmd::Status(L::ReleasedNow.fill(self.ctx.lang, &[&id])),
            ];
        }
        if let Some((who, left)) = other_holder(&self.ctx, r) {
            return vec![held_notice(&self.ctx, id, who, left)];
        }
        self.claims.explicit.insert(id);
        vec![Cmd::Run(Effect::Claim {
            ids: vec![id],
            minutes: self.ctx.claim_minutes,
            take_over: None,
            why: ClaimWhy::Key,
        })]
    }

    /// The take-over key: a reason, then the claim taken over.
    pub(super) fn take_over_key(&mut self) -> Vec<Cmd> {
        let Some(r) = self.selected_row() else {
            return vec![Cmd::Status(self.t(L::NothingSelected).into())];
        };
        let Some((who, _)) = other_holder(&self.ctx, r) else {
            return vec![Cmd::Status(self.t(L::NotHeld).into())];
        };
        take_over_dialog(&self.ctx, r.id, who)
    }

    pub(super) fn on_claim_msg(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Claimed {
                why,
                result: Ok(rs),
            } => self.on_claimed(why, rs),
            Msg::Claimed {
                why,
                result: Err(f),
            } => {
                if why == ClaimWhy::Start {
                    self.claims.starting = None;
                }
                vec![Cmd::Status(self.ctx.said(&f))]
            }
            Msg::Released(Err(f)) => vec![Cmd::Status(self.ctx.said(&f))],
            Msg::ClaimsChecked {
                ids,
                result: Ok(list),
            } => self.on_checked(&ids, list),
            Msg::Presence(Ok(others)) => {
                self.claims.others = others;
                vec![]
            }
            Msg::Presence(Err(f)) | Msg::ClaimsChecked { result: Err(f), .. } => {
                tracing::warn!("claims: {}", f.message);
                vec![]
            }
            Msg::Tick => self.on_tick(),
            _ => vec![],
        }
    }

    fn on_claimed(&mut self, why: ClaimWhy, rs: Vec<ClaimResult>) -> Vec<Cmd> {
        if why == ClaimWhy::Batch {
            return self.on_batch_claimed(rs);
        }
        let mut cmds = Vec::new();
        let mut lost = Vec::new();
        for r in rs {
            // A decision started and abandoned (or made) before its claim
            // came back: the claim is not kept.
            let abandoned = why == ClaimWhy::Start && self.claims.starting != Some(r.id);
            // A decision started on an item held already from elsewhere:
            // the dialog's cancel does not release it.
            if why == ClaimWhy::Start
                && r.ok()
                && r.renewed
                && !self.claims.held.contains_key(&r.id)
            {
                if self.claims.starting == Some(r.id) {
                    self.claims.starting = None;
                }
                continue;
            }
            match (&r.error, r.until) {
                (None, Some(_)) if abandoned => {
                    cmds.push(Cmd::Run(Effect::Release { ids: vec![r.id] }))
                }
                (None, Some(until)) => {
                    self.claims.held.insert(r.id, until);
                    let at = crate::fmt::beijing(until).format("%H:%M").to_string();
                    match why {
                        ClaimWhy::Key => cmds.push(Cmd::Status(
                            L::ClaimedNow.fill(self.ctx.lang, &[&r.id, &at]),
                        )),
                        ClaimWhy::TakeOver => {
                            self.claims.explicit.insert(r.id);
                            // The reason is in the audit trail now: its
                            // draft is done with.
                            cmds.push(Cmd::Run(Effect::ClearDraft {
                                key: take_over_key(r.id),
                            }));
                            cmds.push(Cmd::Status(L::TakenNow.fill(self.ctx.lang, &[&r.id])));
                        }
                        ClaimWhy::Start | ClaimWhy::Renew | ClaimWhy::Batch => {}
                    }
                }
                (Some(_), _) if abandoned => {}
                (Some(f), _) => {
                    self.claims.held.remove(&r.id);
                    self.claims.explicit.remove(&r.id);
                    if why == ClaimWhy::Renew {
                        // Lost: the check says whether it was taken over.
                        lost.push(r.id);
                        continue;
                    }
                    if self.claims.starting == Some(r.id) {
                        self.claims.starting = None;
                    }
                    // The dialog started on it closes; a typed reason stays
                    // in its draft.
                    cmds.push(match (&r.holder, r.until) {
                        (Some(h), Some(u)) if f.kind == FailureKind::Held => {
                            let left = claim::minutes_left(u, self.ctx.now());
                            held_notice(&self.ctx, r.id, h, left)
                        }
                        _ => Cmd::Notice(L::CannotAct, vec![self.ctx.lang.half(&f.message)]),
                    });
                }
                (None, None) => {}
            }
        }
        if !lost.is_empty() {
            cmds.push(Cmd::Run(Effect::CheckClaims { ids: lost }));
        }
        cmds
    }

    /// A selection claimed as its dialog opened: what came back held, one
    /// release for what came back after the dialog closed or the batch
    /// ended, and how many others hold (the batch skips those and names
    /// them in its results).
    fn on_batch_claimed(&mut self, rs: Vec<ClaimResult>) -> Vec<Cmd> {
        let mut abandoned = Vec::new();
        let mut held_by_others = 0;
        for r in rs {
            match (&r.error, r.until) {
                // Held already from elsewhere (the command line, another
                // console): not the dialog's to release.
                (None, Some(_)) if r.renewed && !self.claims.held.contains_key(&r.id) => {
                    self.claims.batch.remove(&r.id);
                }
                (None, Some(until)) if self.claims.batch.contains(&r.id) => {
                    self.claims.held.insert(r.id, until);
                }
                (None, Some(_)) if !self.claims.explicit.contains(&r.id) => abandoned.push(r.id),
                (Some(f), _) if f.kind == FailureKind::Held => held_by_others += 1,
                _ => {}
            }
        }
        let mut cmds = Vec::new();
        if !abandoned.is_empty() {
            cmds.push(Cmd::Run(Effect::Release { ids: abandoned }));
        }
        if held_by_others > 0 {
            cmds.push(Cmd::Status(
                L::BatchHeldSkipped.fill(self.ctx.lang, &[&held_by_others]),
            ));
        }
        cmds
    }

    /// A selection's claims ended: its dialog closed without starting the
    /// batch, or the batch ended. Items claimed with the key stay held.
    pub(super) fn release_batch(&mut self) -> Vec<Cmd> {
        self.end_batch().map(Cmd::Run).into_iter().collect()
    }

    /// The release that ends a selection's claims, if any are left.
    fn end_batch(&mut self) -> Option<Effect> {
        self.claims.batch_started = false;
        let ids: Vec<i64> = std::mem::take(&mut self.claims.batch)
            .into_iter()
            .filter(|id| !self.claims.explicit.contains(id))
            .collect();
        for id in &ids {
            self.claims.held.remove(id);
        }
        (!ids.is_empty()).then_some(Effect::Release { ids })
    }

    /// The claims this console holds, as they are now: one taken over is
    /// said at once, with who and why.
    fn on_checked(&mut self, asked: &[i64], list: Vec<Claim>) -> Vec<Cmd> {
        let me = self.ctx.officer.login.clone();
        let mut cmds = Vec::new();
        // Every take-over heard at once goes in one notice: a second
        // notice would replace the first.
        let mut taken = Vec::new();
        // Asked about and without a claim: it ended (decided, or released).
        for id in asked {
            if list.iter().all(|c| c.application_id != *id) {
                self.claims.held.remove(id);
                self.claims.explicit.remove(id);
            }
        }
        for c in list {
            if !self.claims.held.contains_key(&c.application_id) {
                continue;
            }
            if c.officer == me && c.current {
                self.claims.held.insert(c.application_id, c.expires_at);
                continue;
            }
            let id = c.application_id;
            self.claims.held.remove(&id);
            self.claims.explicit.remove(&id);
            if self.claims.starting == Some(id) {
                self.claims.starting = None;
            }
            if c.officer != me && c.taken_from.as_deref() == Some(me.as_str()) {
                self.status = None;
                let who = crate::ui::safe(self.ctx.name_of(&c.officer));
                let why = crate::ui::safe(c.take_over_reason.as_deref().unwrap_or(""));
                let line = L::TakenOverLine.fill(self.ctx.lang, &[&who, &id, &why]);
                if self.claims.batch.contains(&id) {
                    // One item of a selection whose dialog is open (or whose
                    // batch runs): said on the status line, the dialog kept;
                    // the batch skips it, naming the holder.
                    cmds.push(Cmd::Status(line));
                } else {
                    taken.push(line);
                }
            }
        }
        if !taken.is_empty() {
            cmds.push(Cmd::Notice(L::TakenOver, taken));
        }
        cmds
    }

    /// Every half minute: presence said (and others' heard), leases
    /// renewed every other time.
    fn on_tick(&mut self) -> Vec<Cmd> {
        self.claims.ticks += 1;
        let now = self.ctx.now();
        // A lease that ran out unrenewed (the database was away) is gone.
        self.claims.held.retain(|_, until| *until > now);
        let mut cmds = vec![Cmd::Run(Effect::Presence {
            queue: self.queue_key(),
        })];
        // A running batch's selection is its own: the batch ends those
        // claims, and a renewal racing it would only be refused.
        let running = self.claims.batch_started;
        let renew: Vec<i64> = self
            .claims
            .held
            .keys()
            .copied()
            .filter(|id| !(running && self.claims.batch.contains(id)))
            .collect();
        if self.claims.ticks.is_multiple_of(2) && !renew.is_empty() {
            cmds.push(Cmd::Run(Effect::Claim {
                ids: renew,
                minutes: self.ctx.claim_minutes,
                take_over: None,
                why: ClaimWhy::Renew,
            }));
        }
        cmds
    }

    /// The queue the officer works in, as presence names it.
    pub fn queue_key(&self) -> Option<String> {
        let n = self.queue.node()?;
        Some(format!(
            "{}:{}",
            n.stage.code(),
            n.kind.map(|k| k.code()).unwrap_or("all")
        ))
    }

    /// Another officer changed something: the claims held are checked.
    pub(super) fn check_held(&self) -> Vec<Cmd> {
        if self.claims.held.is_empty() {
            return vec![];
        }
        let ids = self.claims.held.keys().copied().collect();
        vec![Cmd::Run(Effect::CheckClaims { ids })]
    }

    /// A decision's answer: made, its claim ended with it; refused, the
    /// claim its start took is released.
    pub(super) fn after_decided(&mut self, id: i64, done: bool) -> Vec<Cmd> {
        if done {
            self.claims.held.remove(&id);
            self.claims.explicit.remove(&id);
            return vec![];
        }
        // Refused: a claim taken with the key stays; one the dialog took
        // is released.
        if self.claims.explicit.contains(&id) || self.claims.held.remove(&id).is_none() {
            return vec![];
        }
        vec![Cmd::Run(Effect::Release { ids: vec![id] })]
    }

    /// After a key or message: a decision started whose dialog closed
    /// without a decision ends its claim (unless claimed with the key).
    pub(super) fn settle_started(&mut self, fx: &mut Vec<Effect>) {
        self.settle_batch(fx);
        let Some(id) = self.claims.starting else {
            return;
        };
        if self.modal.is_some() || self.prompt.is_some() {
            return;
        }
        self.claims.starting = None;
        let decided = fx
            .iter()
            .any(|e| matches!(e, Effect::Decide { id: d, .. } if *d == id));
        if decided || self.claims.explicit.contains(&id) {
            return;
        }
        self.claims.held.remove(&id);
        fx.push(Effect::Release { ids: vec![id] });
    }

    /// A selection's dialog closed: started, its claims go with the batch;
    /// abandoned, they are released.
    fn settle_batch(&mut self, fx: &mut Vec<Effect>) {
        if self.claims.batch.is_empty() || self.claims.batch_started {
            return;
        }
        if self.modal.is_some() || self.prompt.is_some() {
            return;
        }
        if fx.iter().any(|e| matches!(e, Effect::StartBatch { .. })) {
            self.claims.batch_started = true;
            return;
        }
        fx.extend(self.end_batch());
    }

    /// What this console holds, to release when it closes.
    pub fn held_claims(&self) -> Vec<i64> {
        self.claims.held.keys().copied().collect()
    }
}
