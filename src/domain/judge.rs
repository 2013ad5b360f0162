//! Judging: what a decision, an unbinding or a paper receipt does to one
//! item, and whether this officer may do it. Pure: the store loads what
//! these read, asks, and applies what they plan.

use super::model::*;
use super::outcome::{Conflict, Precondition};
use super::workflow::{self, Forbidden, Jurisdiction, Step, Workflow};
use chrono::{DateTime, Utc};

/// One item as a caller names it: an id and, optionally, the version the
/// caller saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub id: i64,
    /// The version the caller saw; None takes the current one.
    pub version: Option<i64>,
}

/// An application as the decision rules read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub id: i64,
    pub kind: Kind,
    pub state: State,
    pub version: i64,
    pub county_id: String,
    pub province_id: String,
    pub unit_id: i64,
    pub direct_unit_id: Option<i64>,
    pub last_decider: Option<String>,
    pub last_officer: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub relation: Option<Relation>,
    pub capability: Option<String>,
    /// For exits: user units still bound to the unit.
    pub bound_user_units: i64,
    /// For invitations: the user unit is bound to the inviter already.
    pub already_bound: bool,
    /// For subscriptions: the capability is in force already.
    pub already_subscribed: bool,
    /// Supervision measures in force on the unit the kind concerns (for an
    /// invitation, the inviting unit).
    pub measures: Vec<MeasureKind>,
    /// For extensions: the end of the period asked for.
    pub period_end: Option<DateTime<Utc>>,
    /// The claim on it: holder and lease end, live or lapsed.
    pub claim: Option<(String, DateTime<Utc>)>,
}

impl Subject {
    /// The item as it is now, for a conflict message.
    pub fn conflict(&self) -> Conflict {
        Conflict {
            id: self.id,
            state: self.state,
            version: self.version,
            by: self.last_officer.clone(),
            at: self.updated_at,
        }
    }
}

/// Why an item cannot be done.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Named earlier in the same batch.
    Repeated(i64),
    NoApplication(i64),
    NoBinding(i64),
    Conflict(Conflict),
    Forbidden(Forbidden),
    ReasonRequired,
    Precondition(Precondition),
    /// Another officer's live claim holds it.
    Held(super::claim::Held),
}

/// What a final step does beyond the state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consequence {
    /// An access confirmed: the unit is now direct-connect.
    BecomesDirect { unit: i64 },
    /// An exit rejected: the unit keeps its access and may file again.
    KeepsAccess { unit: i64 },
    /// An invitation confirmed: the user unit is bound, with its basic
    /// authorisation.
    Binds {
        invitation: i64,
        user: i64,
        direct: i64,
        relation: Relation,
    },
    /// A subscription confirmed: the capability is in force.
    Subscribes { unit: i64, capability: String },
    /// An exit confirmed: everything the unit had ends.
    Exits { unit: i64, exit: i64 },
    /// An extension confirmed: the qualification runs to `until`.
    Extends { unit: i64, until: DateTime<Utc> },
}

/// A decision the rules allow.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub id: i64,
    pub kind: Kind,
    pub step: Step,
    pub version: i64,
    /// The bureau that acts on the next stage; None once the item is final.
    pub acting: Option<String>,
    pub consequence: Option<Consequence>,
}

/// The capability an authorisation gives a newly bound user unit.
pub const BASIC_CAPABILITY: &str = "基础开票能力";
/// The capability a subscription names when its form names none.
pub const DEFAULT_CAPABILITY: &str = "数电票开具";
/// Why bindings end when their direct-connect unit exits.
pub const EXIT_UNBIND_REASON: &str = "直连单位退出";

/// The bureau acting on `state` of `kind`: the county or the province by
/// the workflow table; None when no officer acts on it.
pub fn acting_bureau(
    wf: &Workflow,
    kind: Kind,
    state: State,
    county: &str,
    province: &str,
) -> Option<String> {
    let stage = Stage::of_state(state)?;
    let rule = wf.rule(kind, stage)?;
    Some(match rule.level {
        Level::County => county.to_string(),
        Level::Province => province.to_string(),
    })
}

/// Why an application still in the flow no longer has a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Obsolete {
    /// An access application of a unit whose access was confirmed since.
    AlreadyConnected,
    /// An exit of a unit that is no longer direct-connect (exited since).
    AlreadyExited,
}

impl Obsolete {
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Obsolete::AlreadyConnected, true) => "该单位已是直连单位（另一接入申请已确认）",
            (Obsolete::AlreadyConnected, false) => {
                "the unit is direct-connect already (another access was confirmed)"
            }
            (Obsolete::AlreadyExited, true) => "该单位已不是直连单位（已退出）",
            (Obsolete::AlreadyExited, false) => {
                "the unit is no longer direct-connect (it has exited)"
            }
        }
    }
}

/// An access application whose unit is direct-connect already, or an exit
/// whose unit is not, while still in the flow, is obsolete.
pub fn obsolete(kind: Kind, state: State, unit_direct: bool) -> Option<Obsolete> {
    match kind {
        _ if !state.in_flight() => None,
        Kind::Access if unit_direct => Some(Obsolete::AlreadyConnected),
        Kind::Exit if !unit_direct => Some(Obsolete::AlreadyExited),
        _ => None,
    }
}

/// An exit may pass only when no user unit is bound any more.
pub fn exit_precondition(bound_user_units: i64) -> Result<(), Precondition> {
    if bound_user_units > 0 {
        Err(Precondition::StillBound(bound_user_units))
    } else {
        Ok(())
    }
}

fn consequence(
    s: &Subject,
    step: &Step,
    decision: Decision,
    until: Option<DateTime<Utc>>,
) -> Option<Consequence> {
    let confirmed = step.to == State::Confirmed;
    match s.kind {
        Kind::Extension if confirmed => until.map(|until| Consequence::Extends {
            unit: s.unit_id,
            until,
        }),
        Kind::Access if confirmed => Some(Consequence::BecomesDirect { unit: s.unit_id }),
        Kind::Exit if decision == Decision::Reject => {
            Some(Consequence::KeepsAccess { unit: s.unit_id })
        }
        Kind::Exit if confirmed => Some(Consequence::Exits {
            unit: s.unit_id,
            exit: s.id,
        }),
        Kind::Invitation if confirmed => s.direct_unit_id.map(|direct| Consequence::Binds {
            invitation: s.id,
            user: s.unit_id,
            direct,
            relation: s.relation.unwrap_or(Relation::Control),
        }),
        Kind::Subscription if confirmed => Some(Consequence::Subscribes {
            unit: s.unit_id,
            capability: s
                .capability
                .clone()
                .unwrap_or_else(|| DEFAULT_CAPABILITY.into()),
        }),
        _ => None,
    }
}

/// What a decision is asked to do beyond pass or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub decision: Decision,
    pub has_reason: bool,
    /// An extension's end, as the confirming officer sets it.
    pub until: Option<DateTime<Utc>>,
    /// Now, for the proposal of an extension's end.
    pub now: Option<DateTime<Utc>>,
}

impl Asked {
    /// A plain pass or reject.
    pub fn plain(decision: Decision, has_reason: bool) -> Asked {
        Asked {
            decision,
            has_reason,
            until: None,
            now: None,
        }
    }
}

/// Judges one decision: the item must exist, be at the version the caller
/// saw, be at an officer stage, be this officer's to decide, carry a reason
/// when rejected, (for an exit) have no user unit bound, and not be
/// stopped by a supervision measure in force.
pub fn decision(
    wf: &Workflow,
    officer: &Officer,
    item: &Item,
    subject: Option<&Subject>,
    asked: Asked,
) -> Result<Planned, Refusal> {
    let (decision, has_reason) = (asked.decision, asked.has_reason);
    let s = subject.ok_or(Refusal::NoApplication(item.id))?;
    if item.version.is_some_and(|v| v != s.version) {
        return Err(Refusal::Conflict(s.conflict()));
    }
    // Decided already (or never the officers' to decide): a conflict.
    let step =
        workflow::step(s.kind, s.state, decision).map_err(|_| Refusal::Conflict(s.conflict()))?;
    workflow::authorize(
        wf,
        officer,
        s.kind,
        step.stage,
        Jurisdiction {
            county: &s.county_id,
            province: &s.province_id,
        },
        s.last_decider.as_deref(),
    )
    .map_err(Refusal::Forbidden)?;
    if decision == Decision::Reject && !has_reason {
        return Err(Refusal::ReasonRequired);
    }
    let now = asked.now.unwrap_or_else(Utc::now);
    if s.kind == Kind::Exit && decision == Decision::Pass {
        exit_precondition(s.bound_user_units).map_err(Refusal::Precondition)?;
    }
    let confirming = decision == Decision::Pass && step.to == State::Confirmed;
    if confirming && s.kind == Kind::Invitation && s.already_bound {
        return Err(Refusal::Precondition(Precondition::AlreadyBound));
    }
    if confirming && s.kind == Kind::Subscription && s.already_subscribed {
        return Err(Refusal::Precondition(Precondition::AlreadySubscribed));
    }
    if confirming && let Some(m) = super::supervision::blocking(s.kind, &s.measures) {
        return Err(Refusal::Precondition(Precondition::Measure(m)));
    }
    // Held by another last: what would refuse it anyway is said first, so
    // a take-over is offered only when the claim alone stands in the way.
    let claim = s.claim.as_ref().map(|(who, until)| (who.as_str(), *until));
    if let Some(h) = super::claim::held_by_other(&officer.login, s.id, claim, now) {
        return Err(Refusal::Held(h));
    }
    let until = (confirming && s.kind == Kind::Extension).then(|| {
        asked
            .until
            .unwrap_or_else(|| super::supervision::proposed_until(s.period_end, now))
    });
    Ok(Planned {
        id: s.id,
        kind: s.kind,
        step,
        version: s.version,
        acting: acting_bureau(wf, s.kind, step.to, &s.county_id, &s.province_id),
        consequence: consequence(s, &step, decision, until),
    })
}

/// A batch is a set: the items in their first order, and the ids named
/// more than once with how many times they were repeated.
pub fn distinct(items: &[Item]) -> (Vec<Item>, Vec<(i64, usize)>) {
    let mut first: Vec<Item> = Vec::with_capacity(items.len());
    let mut count: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for it in items {
        let n = count.entry(it.id).or_insert(0);
        if *n == 0 {
            first.push(*it);
        }
        *n += 1;
    }
    let repeated = first
        .iter()
        .filter_map(|it| {
            let n = count[&it.id];
            (n > 1).then_some((it.id, n - 1))
        })
        .collect();
    (first, repeated)
}

/// What the consequence makes exist: at most one may per chunk.
fn creates(c: &Consequence) -> Option<(i64, i64, &str)> {
    match c {
        Consequence::Binds { user, direct, .. } => Some((*direct, *user, "")),
        Consequence::Subscribes { unit, capability } => Some((*unit, 0, capability.as_str())),
        _ => None,
    }
}

/// Judges a chunk of decisions as a set: an item named again is skipped
/// as a repeat, never decided twice, and two items that would make the
/// same binding or subscription are not both confirmed.
pub fn decisions<'s>(
    wf: &Workflow,
    officer: &Officer,
    items: &[Item],
    subject: impl Fn(i64) -> Option<&'s Subject>,
    asked: Asked,
) -> Vec<Result<Planned, Refusal>> {
    let mut seen = std::collections::HashSet::new();
    let mut made = std::collections::HashSet::new();
    items
        .iter()
        .map(|item| {
            if !seen.insert(item.id) {
                return Err(Refusal::Repeated(item.id));
            }
            let p = decision(wf, officer, item, subject(item.id), asked)?;
            match p.consequence.as_ref().and_then(creates) {
                Some(key) if !made.insert((key.0, key.1, key.2.to_string())) => {
                    Err(Refusal::Precondition(match p.consequence {
                        Some(Consequence::Subscribes { .. }) => Precondition::AlreadySubscribed,
                        _ => Precondition::AlreadyBound,
                    }))
                }
                _ => Ok(p),
            }
        })
        .collect()
}

/// Who may unbind: an officer of the direct-connect unit's county bureau with
/// the accept or supervise role, or of its province with supervise.
pub fn may_unbind(officer: &Officer, county: &str, province: &str) -> Result<(), Forbidden> {
    let here = match officer.level {
        Level::County => officer.bureau_id == county,
        Level::Province => officer.bureau_id == province,
    };
    if !here {
        return Err(Forbidden::WrongBureau {
            level: officer.level,
            bureau: county.to_string(),
        });
    }
    let allowed = match officer.level {
        Level::County => officer.has(Role::Accept) || officer.has(Role::Supervise),
        Level::Province => officer.has(Role::Supervise),
    };
    if allowed {
        Ok(())
    } else {
        Err(Forbidden::MissingRole(Role::Supervise))
    }
}

/// A binding as the unbinding rules read it.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingSubject {
    pub id: i64,
    pub active: bool,
    pub version: i64,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The direct-connect unit's county and province.
    pub county_id: String,
    pub province_id: String,
}

/// Judges one unbinding: the binding must exist, still be active, be at the
/// version the caller saw, and be this officer's to end.
pub fn unbinding(
    officer: &Officer,
    item: &Item,
    subject: Option<&BindingSubject>,
) -> Result<(), Refusal> {
    let b = subject.ok_or(Refusal::NoBinding(item.id))?;
    if !b.active {
        return Err(Refusal::Precondition(Precondition::AlreadyUnbound {
            id: b.id,
            by: b.ended_by.clone(),
            at: b.ended_at,
        }));
    }
    if item.version.is_some_and(|v| v != b.version) {
        return Err(Refusal::Precondition(Precondition::BindingChanged {
            id: b.id,
            version: b.version,
        }));
    }
    may_unbind(officer, &b.county_id, &b.province_id).map_err(Refusal::Forbidden)
}

/// Judges a chunk of unbindings as a set: a binding named again is
/// skipped as a repeat.
pub fn unbindings<'s>(
    officer: &Officer,
    items: &[Item],
    subject: impl Fn(i64) -> Option<&'s BindingSubject>,
) -> Vec<Result<(), Refusal>> {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .map(|item| {
            if !seen.insert(item.id) {
                return Err(Refusal::Repeated(item.id));
            }
            unbinding(officer, item, subject(item.id))
        })
        .collect()
}

/// Shared settings change only by an administrator.
pub fn may_administer(officer: &Officer) -> Result<(), Forbidden> {
    if officer.active && officer.has(Role::Admin) {
        Ok(())
    } else {
        Err(Forbidden::MissingRole(Role::Admin))
    }
}

/// Noting a paper copy at the counter: the accepting officer of the
/// application's county.
pub fn paper_receipt(officer: &Officer, county: &str) -> Result<(), Forbidden> {
    if officer.bureau_id != county {
        return Err(Forbidden::WrongBureau {
            level: Level::County,
            bureau: county.to_string(),
        });
    }
    if !officer.has(Role::Accept) {
        return Err(Forbidden::MissingRole(Role::Accept));
    }
    Ok(())
}

/// An exit cascade: the kinds of application of the unit that its exit
/// stops, and the states they are stopped in.
pub const CASCADE_STOPS: [Kind; 2] = [Kind::Invitation, Kind::Subscription];

/// The states an exit cascade stops, as the stored codes.
pub fn in_flight_codes() -> Vec<&'static str> {
    State::ALL
        .iter()
        .filter(|s| s.in_flight())
        .map(|s| s.code())
        .collect()
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
