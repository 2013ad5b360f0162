//! The workflow as data: which stages each kind passes through, which bureau
//! level and role act on each, and what a decision does.

use super::model::*;
use serde::{Deserialize, Serialize};

/// Who acts on one stage of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRule {
    pub kind: Kind,
    pub stage: Stage,
    pub level: Level,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub rules: Vec<StageRule>,
    /// The officer who took one decision may not take the next one.
    pub separation_of_duties: bool,
}

/// The stages each kind passes through, in order.
pub fn stages(kind: Kind) -> &'static [Stage] {
    use Stage::*;
    match kind {
        Kind::Access | Kind::Exit => &[Acceptance, Review, Confirmation],
        Kind::Invitation | Kind::Subscription | Kind::Extension => &[Acceptance, Confirmation],
    }
}

impl Default for Workflow {
    /// DOMAIN.md: access and exit are accepted and reviewed by the county,
    /// confirmed by the province; invitations by the user unit's county for
    /// both steps; subscriptions and extensions by the county that signed
    /// the agreement.
    fn default() -> Self {
        let mut rules = Vec::new();
        for &kind in Kind::ALL {
            for &stage in stages(kind) {
                let role = match stage {
                    Stage::Acceptance => Role::Accept,
                    Stage::Review => Role::Review,
                    Stage::Confirmation => Role::Confirm,
                };
                let level = match (kind, stage) {
                    (Kind::Access | Kind::Exit, Stage::Confirmation) => Level::Province,
                    _ => Level::County,
                };
                rules.push(StageRule {
                    kind,
                    stage,
                    level,
                    role,
                });
            }
        }
        Workflow {
            rules,
            separation_of_duties: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("kind {0} has no stage {1}")]
    NoSuchStage(Kind, Stage),
}

impl Workflow {
    pub fn rule(&self, kind: Kind, stage: Stage) -> Option<&StageRule> {
        self.rules
            .iter()
            .find(|r| r.kind == kind && r.stage == stage)
    }

    /// Moves a stage to another level or role (configuration).
    pub fn set(&mut self, rule: StageRule) -> Result<(), WorkflowError> {
        match self
            .rules
            .iter_mut()
            .find(|r| r.kind == rule.kind && r.stage == rule.stage)
        {
            Some(r) => {
                *r = rule;
                Ok(())
            }
            None => Err(WorkflowError::NoSuchStage(rule.kind, rule.stage)),
        }
    }

    /// The (stage, kind) queues an officer can act on, in navigator order.
    pub fn queues_for(&self, officer: &Officer) -> Vec<(Stage, Kind)> {
        let mut out = Vec::new();
        for &stage in Stage::ALL {
            for &kind in Kind::ALL {
                if let Some(r) = self.rule(kind, stage)
                    && r.level == officer.level
                    && officer.has(r.role)
                {
                    out.push((stage, kind));
                }
            }
        }
        out
    }
}

/// A stage of a kind at one bureau that no active officer can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unstaffed {
    pub kind: Kind,
    pub stage: Stage,
    pub level: Level,
    pub role: Role,
    pub bureau: String,
    /// Items waiting there.
    pub waiting: i64,
}

/// Every stage of every kind, at every bureau of its level, that no active
/// officer of that bureau with the stage's role can act on, with the items
/// waiting there. `bureaus`: (id, level); `waiting`: items by kind, stage
/// and acting bureau.
pub fn unstaffed(
    wf: &Workflow,
    bureaus: &[(String, Level)],
    officers: &[Officer],
    waiting: &std::collections::HashMap<(Kind, Stage, String), i64>,
) -> Vec<Unstaffed> {
    let mut out = Vec::new();
    for r in &wf.rules {
        for (bureau, level) in bureaus.iter().filter(|(_, l)| *l == r.level) {
            let staffed = officers
                .iter()
                .any(|o| o.active && o.bureau_id == *bureau && o.has(r.role));
            if !staffed {
                out.push(Unstaffed {
                    kind: r.kind,
                    stage: r.stage,
                    level: *level,
                    role: r.role,
                    bureau: bureau.clone(),
                    waiting: *waiting
                        .get(&(r.kind, r.stage, bureau.clone()))
                        .unwrap_or(&0),
                });
            }
        }
    }
    out
}

/// What a decision does to an application in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub stage: Stage,
    pub from: State,
    pub to: State,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("状态为“{}”的申请不在审批环节 (state {} is not an officer stage)", .0.zh(), .0.code())]
    NotActionable(State),
}

/// The transition table. Passing a stage moves to the kind's next stage or to
/// 确认通过; rejecting moves to the stage's own rejection state.
pub fn step(kind: Kind, from: State, decision: Decision) -> Result<Step, StepError> {
    let stage = Stage::of_state(from).ok_or(StepError::NotActionable(from))?;
    let seq = stages(kind);
    let pos = seq
        .iter()
        .position(|s| *s == stage)
        .ok_or(StepError::NotActionable(from))?;
    let (to, action) = match (decision, stage) {
        (Decision::Pass, _) => {
            let to = seq
                .get(pos + 1)
                .map(|s| s.state())
                .unwrap_or(State::Confirmed);
            let action = match stage {
                Stage::Acceptance => Action::Accept,
                Stage::Review => Action::ReviewPass,
                Stage::Confirmation => Action::ConfirmPass,
            };
            (to, action)
        }
        (Decision::Reject, Stage::Acceptance) => (State::NotAccepted, Action::NotAccept),
        (Decision::Reject, Stage::Review) => (State::ReviewRejected, Action::ReviewReject),
        (Decision::Reject, Stage::Confirmation) => (State::ConfirmRejected, Action::ConfirmReject),
    };
    Ok(Step {
        stage,
        from,
        to,
        action,
    })
}

/// Why an officer may not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    #[error("本环节由{}办理，不属于您的税务机关 (this stage belongs to the {} bureau {bureau}, not yours)", .level.zh(), .level.en())]
    WrongBureau { level: Level, bureau: String },
    #[error("您没有“{}”角色 (you lack the {} role)", .0.zh(), .0.en())]
    MissingRole(Role),
    #[error(
        "职责分离：您已办理本申请的上一环节 (separation of duties: you took the previous decision on it)"
    )]
    SeparationOfDuties,
    #[error("该环节未配置 (no rule for this stage)")]
    NoRule,
    #[error("税务人员 {0} 已停用 (officer {0} is disabled)")]
    Disabled(String),
    /// Outside what the officer's bureau oversees: said without telling
    /// anything of the item.
    #[error("不在您的税务机关辖区内 (not within your bureau's jurisdiction)")]
    NotInJurisdiction,
    /// Refused by the database, in its own words.
    #[error("{0}")]
    Denied(String),
}

/// The two bureaus an application belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Jurisdiction<'a> {
    pub county: &'a str,
    pub province: &'a str,
}

/// Who may act: the stage's bureau must be the officer's, the role theirs,
/// and (with separation of duties) the previous decision not theirs.
pub fn authorize(
    wf: &Workflow,
    officer: &Officer,
    kind: Kind,
    stage: Stage,
    at: Jurisdiction<'_>,
    last_decider: Option<&str>,
) -> Result<(), Forbidden> {
    let rule = wf.rule(kind, stage).ok_or(Forbidden::NoRule)?;
    let bureau = match rule.level {
        Level::County => at.county,
        Level::Province => at.province,
    };
    if officer.level != rule.level || officer.bureau_id != bureau {
        return Err(Forbidden::WrongBureau {
            level: rule.level,
            bureau: bureau.to_string(),
        });
    }
    if !officer.has(rule.role) {
        return Err(Forbidden::MissingRole(rule.role));
    }
    if wf.separation_of_duties && last_decider == Some(officer.login.as_str()) {
        return Err(Forbidden::SeparationOfDuties);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(level: Level, bureau: &str, roles: &[Role]) -> Officer {
        Officer {
            login: "o1".into(),
            name: "甲".into(),
            bureau_id: bureau.into(),
            bureau_name: "某某县税务局".into(),
            level,
            province_id: "P".into(),
            roles: roles.to_vec(),
            active: true,
        }
    }

    #[test]
    fn access_and_exit_pass_through_three_stages() {
        for kind in [Kind::Access, Kind::Exit] {
            let s = step(kind, State::PendingAcceptance, Decision::Pass).unwrap();
            assert_eq!((s.to, s.action), (State::PendingReview, Action::Accept));
            let s = step(kind, State::PendingReview, Decision::Pass).unwrap();
            assert_eq!(
                (s.to, s.action),
                (State::PendingConfirmation, Action::ReviewPass)
            );
            let s = step(kind, State::PendingConfirmation, Decision::Pass).unwrap();
            assert_eq!((s.to, s.action), (State::Confirmed, Action::ConfirmPass));
        }
    }

    #[test]
    fn invitation_skips_review() {
        let s = step(Kind::Invitation, State::PendingAcceptance, Decision::Pass).unwrap();
        assert_eq!(s.to, State::PendingConfirmation);
        assert!(step(Kind::Invitation, State::PendingReview, Decision::Pass).is_err());
    }

    #[test]
    fn each_rejection_has_its_own_state() {
        let r = |st| step(Kind::Access, st, Decision::Reject).unwrap().to;
        assert_eq!(r(State::PendingAcceptance), State::NotAccepted);
        assert_eq!(r(State::PendingReview), State::ReviewRejected);
        assert_eq!(r(State::PendingConfirmation), State::ConfirmRejected);
    }

    #[test]
    fn terminal_and_taxpayer_states_are_not_actionable() {
        for st in [
            State::Draft,
            State::AwaitingUnit,
            State::Confirmed,
            State::NotAccepted,
            State::Unsuccessful,
        ] {
            assert_eq!(
                step(Kind::Access, st, Decision::Pass),
                Err(StepError::NotActionable(st))
            );
        }
    }

    #[test]
    fn default_levels_follow_the_domain() {
        let wf = Workflow::default();
        assert_eq!(
            wf.rule(Kind::Access, Stage::Confirmation).unwrap().level,
            Level::Province
        );
        assert_eq!(
            wf.rule(Kind::Invitation, Stage::Confirmation)
                .unwrap()
                .level,
            Level::County
        );
        assert!(wf.rule(Kind::Invitation, Stage::Review).is_none());
    }

    #[test]
    fn a_stage_can_move_to_the_province() {
        let mut wf = Workflow::default();
        wf.set(StageRule {
            kind: Kind::Invitation,
            stage: Stage::Confirmation,
            level: Level::Province,
            role: Role::Confirm,
        })
        .unwrap();
        let prov = officer(Level::Province, "P", &[Role::Confirm]);
        assert!(
            wf.queues_for(&prov)
                .contains(&(Stage::Confirmation, Kind::Invitation))
        );
        assert!(
            wf.set(StageRule {
                kind: Kind::Invitation,
                stage: Stage::Review,
                level: Level::County,
                role: Role::Review
            })
            .is_err()
        );
    }

    #[test]
    fn authorization_checks_bureau_role_and_duties() {
        let wf = Workflow::default();
        let at = Jurisdiction {
            county: "C1",
            province: "P",
        };
        let o = officer(Level::County, "C1", &[Role::Accept, Role::Review]);
        assert_eq!(
            authorize(&wf, &o, Kind::Access, Stage::Acceptance, at, None),
            Ok(())
        );
        let other = Jurisdiction {
            county: "C2",
            province: "P",
        };
        assert!(matches!(
            authorize(&wf, &o, Kind::Access, Stage::Acceptance, other, None),
            Err(Forbidden::WrongBureau { .. })
        ));
        assert_eq!(
            authorize(&wf, &o, Kind::Access, Stage::Review, at, Some("o1")),
            Err(Forbidden::SeparationOfDuties)
        );
        assert_eq!(
            authorize(&wf, &o, Kind::Access, Stage::Review, at, Some("o2")),
            Ok(())
        );
        assert!(matches!(
            authorize(&wf, &o, Kind::Access, Stage::Confirmation, at, None),
            Err(Forbidden::WrongBureau { .. })
        ));
        let p = officer(Level::Province, "P", &[Role::Review]);
        assert_eq!(
            authorize(&wf, &p, Kind::Access, Stage::Confirmation, at, None),
            Err(Forbidden::MissingRole(Role::Confirm))
        );
    }

    #[test]
    fn unstaffed_stages_are_found_per_bureau() {
        let wf = Workflow::default();
        let bureaus = vec![
            ("C1".to_string(), Level::County),
            ("P".to_string(), Level::Province),
        ];
        let mut zhao = officer(Level::County, "C1", &[Role::Accept, Role::Review]);
        let zhou = officer(Level::Province, "P", &[Role::Confirm]);
        let mut waiting = std::collections::HashMap::new();
        waiting.insert(
            (Kind::Invitation, Stage::Confirmation, "C1".to_string()),
            325,
        );
        let gaps = unstaffed(&wf, &bureaus, &[zhao.clone(), zhou.clone()], &waiting);
        let inv = gaps
            .iter()
            .find(|u| u.kind == Kind::Invitation && u.stage == Stage::Confirmation)
            .unwrap();
        assert_eq!(
            (inv.bureau.as_str(), inv.waiting, inv.role),
            ("C1", 325, Role::Confirm)
        );
        assert_eq!(
            gaps.len(),
            3,
            "no county confirmer: invitations, subscriptions, extensions"
        );
        zhao.roles.push(Role::Confirm);
        assert!(unstaffed(&wf, &bureaus, &[zhao.clone(), zhou.clone()], &waiting).is_empty());
        zhao.active = false;
        assert_eq!(
            unstaffed(&wf, &bureaus, &[zhao, zhou], &waiting).len(),
            10,
            "disabled: gone"
        );
    }

    #[test]
    fn names_parse_in_both_languages() {
        assert_eq!(Stage::parse("待受理"), Some(Stage::Acceptance));
        assert_eq!(Stage::parse("pending-review"), Some(Stage::Review));
        assert_eq!(
            Stage::parse("pending-confirmation"),
            Some(Stage::Confirmation)
        );
        assert_eq!(Kind::parse("退出"), Some(Kind::Exit));
        assert_eq!(State::parse("确认通过"), Some(State::Confirmed));
    }
}
