//! Supervision demo data: measures and risk warnings on direct-connect
//! units in every state (recorded, in force, overdue, lifted, escalated to
//! termination; warnings open, answered and overdue, closed, escalated),
//! in every county, by its supervisor, each with its events on the unit's
//! chain.

use super::world::World;
use super::*;
use crate::store::{NewMeasure, NewUnitEvent, NewWarning};
use chrono::Duration;

/// One direct-connect unit in this many gets supervision work.
const EVERY: usize = 12;

/// What each picked unit has: the scenarios cycle.
#[derive(Clone, Copy)]
enum Scenario {
    Reminder,
    Interview,
    SuspendedInvitations,
    OverdueCapabilities,
    Limited,
    Lifted,
    WarningOpen,
    WarningAnsweredOverdue,
    WarningClosed,
    WarningEscalated,
    Terminated,
}

const SCENARIOS: [Scenario; 11] = [
    Scenario::Reminder,
    Scenario::Interview,
    Scenario::SuspendedInvitations,
    Scenario::OverdueCapabilities,
    Scenario::Limited,
    Scenario::Lifted,
    Scenario::WarningOpen,
    Scenario::WarningAnsweredOverdue,
    Scenario::WarningClosed,
    Scenario::WarningEscalated,
    Scenario::Terminated,
];

const FINDINGS: [&str; 4] = [
    "发票开具量异常波动，疑似虚开风险",
    "接口调用频次超出备案并发",
    "使用单位信息与备案不符",
    "未按期报送整改情况",
];

/// Rows being built, with their next ids.
struct Build {
    now: DateTime<Utc>,
    next_measure: i64,
    next_warning: i64,
    measures: Vec<NewMeasure>,
    warnings: Vec<NewWarning>,
    events: Vec<NewUnitEvent>,
    /// Units whose access ends (no bindings, nothing in the flow).
    terminated: Vec<i64>,
}

/// Who supervises a county: its `…-sun`.
fn supervisor(county: &str) -> String {
    let prefix = COUNTIES
        .iter()
        .find(|c| c.0 == county)
        .map_or("mouxian", |c| c.2);
    format!("{prefix}-sun")
}

impl Build {
    fn event(
        &mut self,
        unit: &NewUnit,
        measure: Option<i64>,
        warning: Option<i64>,
        action: Action,
        reason: &str,
        at: DateTime<Utc>,
    ) {
        self.events.push(NewUnitEvent {
            unit_id: unit.id,
            measure_id: measure,
            warning_id: warning,
            action,
            officer: supervisor(&unit.bureau_id),
            bureau_id: unit.bureau_id.clone(),
            reason: reason.into(),
            at,
        });
    }

    /// A measure imposed `days_ago`, with a deadline `days_left` from now
    /// for the kinds that have one.
    fn measure(
        &mut self,
        unit: &NewUnit,
        kind: MeasureKind,
        days_ago: i64,
        days_left: i64,
        warning: Option<i64>,
    ) -> i64 {
        self.next_measure += 1;
        let id = self.next_measure;
        let at = self.now - Duration::days(days_ago);
        let reason = format!(
            "{}：{}",
            kind.zh(),
            FINDINGS[self.measures.len() % FINDINGS.len()]
        );
        self.measures.push(NewMeasure {
            id,
            unit_id: unit.id,
            county_id: unit.bureau_id.clone(),
            kind,
            state: if kind.lasting() {
                MeasureState::InForce
            } else {
                MeasureState::Recorded
            },
            reason: reason.clone(),
            limit: (kind == MeasureKind::LimitConcurrency).then_some(50),
            deadline: kind
                .has_deadline()
                .then(|| self.now + Duration::days(days_left)),
            warning_id: warning,
            imposed_by: supervisor(&unit.bureau_id),
            imposed_at: at,
            ended_by: None,
            ended_at: None,
            note: None,
        });
        let text = format!("{}：{reason}", kind.code());
        self.event(unit, Some(id), warning, Action::MeasureImpose, &text, at);
        id
    }

    /// The measure just made ends `days_ago` (lifted or escalated).
    fn end(&mut self, unit: &NewUnit, state: MeasureState, note: &str, days_ago: i64) {
        let at = self.now - Duration::days(days_ago);
        let Some(m) = self.measures.last_mut() else {
            return;
        };
        m.state = state;
        m.ended_by = Some(supervisor(&unit.bureau_id));
        m.ended_at = Some(at);
        m.note = Some(note.into());
        let id = m.id;
        let action = if state == MeasureState::Lifted {
            Action::MeasureLift
        } else {
            Action::MeasureEscalate
        };
        self.event(unit, Some(id), None, action, note, at);
    }

    /// A warning raised `days_ago`, due `days_left` from now.
    fn warning(&mut self, unit: &NewUnit, days_ago: i64, days_left: i64) -> i64 {
        self.next_warning += 1;
        let id = self.next_warning;
        let at = self.now - Duration::days(days_ago);
        let finding = FINDINGS[(self.warnings.len() + 1) % FINDINGS.len()].to_string();
        self.warnings.push(NewWarning {
            id,
            unit_id: unit.id,
            county_id: unit.bureau_id.clone(),
            finding: finding.clone(),
            state: WarningState::Open,
            raised_by: supervisor(&unit.bureau_id),
            raised_at: at,
            deadline: self.now + Duration::days(days_left),
            feedback: None,
            feedback_at: None,
            closed_by: None,
            closed_at: None,
            note: None,
            measure_id: None,
        });
        self.event(unit, None, Some(id), Action::WarningRaise, &finding, at);
        id
    }

    fn scenario(&mut self, unit: &NewUnit, s: Scenario, quiet: bool) {
        use MeasureKind as M;
        match s {
            Scenario::Reminder => {
                self.measure(unit, M::Reminder, 12, 0, None);
            }
            Scenario::Interview => {
                self.measure(unit, M::Interview, 8, 0, None);
            }
            Scenario::SuspendedInvitations => {
                self.measure(unit, M::SuspendInvitations, 10, 20, None);
            }
            Scenario::OverdueCapabilities => {
                self.measure(unit, M::SuspendCapabilities, 40, -10, None);
            }
            Scenario::Limited => {
                self.measure(unit, M::LimitConcurrency, 25, 5, None);
            }
            Scenario::Lifted => {
                self.measure(unit, M::SuspendAccess, 60, -30, None);
                self.end(unit, MeasureState::Lifted, "已按要求整改并报送整改报告", 35);
            }
            Scenario::WarningOpen => {
                self.warning(unit, 5, 25);
            }
            Scenario::WarningAnsweredOverdue => {
                let id = self.warning(unit, 40, -10);
                let at = self.now - Duration::days(20);
                let text = "已核查，正在整改，申请延期".to_string();
                if let Some(w) = self.warnings.last_mut() {
                    w.state = WarningState::Answered;
                    w.feedback = Some(text.clone());
                    w.feedback_at = Some(at);
                }
                self.event(unit, None, Some(id), Action::WarningFeedback, &text, at);
            }
            Scenario::WarningClosed => {
                let id = self.warning(unit, 50, -20);
                let at = self.now - Duration::days(25);
                let note = "整改完成，核实无误".to_string();
                let by = supervisor(&unit.bureau_id);
                if let Some(w) = self.warnings.last_mut() {
                    w.state = WarningState::Closed;
                    w.closed_by = Some(by);
                    w.closed_at = Some(at);
                    w.note = Some(note.clone());
                }
                self.event(unit, None, Some(id), Action::WarningClose, &note, at);
            }
            Scenario::WarningEscalated => {
                let id = self.warning(unit, 30, -5);
                let measure = self.measure(unit, M::SuspendInvitations, 3, 27, Some(id));
                let at = self.now - Duration::days(3);
                let note = "预警逾期未整改".to_string();
                let by = supervisor(&unit.bureau_id);
                if let Some(w) = self.warnings.last_mut() {
                    w.state = WarningState::Escalated;
                    w.closed_by = Some(by);
                    w.closed_at = Some(at);
                    w.note = Some(note.clone());
                    w.measure_id = Some(measure);
                }
                self.event(
                    unit,
                    Some(measure),
                    Some(id),
                    Action::WarningEscalate,
                    &note,
                    at,
                );
            }
            // Only a unit with nothing bound and nothing in the flow: its
            // termination ends nothing else.
            Scenario::Terminated if quiet => {
                self.measure(unit, M::SuspendAccess, 80, -50, None);
                self.end(unit, MeasureState::Escalated, "整改期限已过未整改", 45);
                self.measure(unit, M::Terminate, 45, 0, None);
                self.terminated.push(unit.id);
            }
            Scenario::Terminated => {
                self.measure(unit, M::SuspendAccess, 15, 15, None);
            }
        }
    }
}

/// Seeds the supervision work of `world`'s direct-connect units.
pub(super) async fn seed(store: &Store, world: &World, now: DateTime<Utc>) -> Result<()> {
    let (m0, w0) = store.max_supervision_ids().await?;
    let picked: Vec<&NewUnit> = world.direct.iter().step_by(EVERY).collect();
    let ids: Vec<i64> = picked.iter().map(|u| u.id).collect();
    let quiet = store.quiet_units(&ids).await?;
    let mut b = Build {
        now,
        next_measure: m0,
        next_warning: w0,
        measures: vec![],
        warnings: vec![],
        events: vec![],
        terminated: vec![],
    };
    for (i, u) in picked.iter().enumerate() {
        b.scenario(u, SCENARIOS[i % SCENARIOS.len()], quiet.contains(&u.id));
    }
    store
        .insert_supervision(&b.measures, &b.warnings, &b.events)
        .await?;
    store
        .end_demo_access(&b.terminated, now - Duration::days(45))
        .await
}
