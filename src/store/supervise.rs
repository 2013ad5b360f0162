//! Supervision in the store: measures imposed, lifted and escalated set-
//! wise (one chunk per transaction, like decisions), risk warnings raised,
//! answered, closed and escalated, and what a supervisor works from. On
//! PostgreSQL through the database's functions
//! (migrations/postgres/0010_supervision.sql); on SQLite judged here by the
//! domain's rules. Every change is audited on the unit's chain.

use super::audit::{NewAudit, Stamp};
use super::cascade::Ending;
use super::decide::{Actor, validated_reason};
use super::secure::{ResultRow, Run};
use super::sql::{Tx, args, de, id_records, json_records};
use super::*;
use crate::domain::Precondition;
use crate::domain::supervision::{self, MeasureError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};

const MEASURE_FIELDS: &str = "'id', m.id, 'unit_id', m.unit_id, 'unit_name', u.name, 'unit_uscc', u.uscc,
    'kind', m.kind, 'state', m.state, 'reason', m.reason, 'limit', m.concurrency_limit, 'deadline', m.deadline,
    'warning_id', m.warning_id, 'imposed_by', m.imposed_by, 'imposed_at', m.imposed_at, 'ended_by', m.ended_by,
    'ended_at', m.ended_at, 'note', m.note, 'version', m.version";

const WARNING_FIELDS: &str = "'id', w.id, 'unit_id', w.unit_id, 'unit_name', u.name, 'unit_uscc', u.uscc,
    'finding', w.finding, 'state', w.state, 'raised_by', w.raised_by, 'raised_at', w.raised_at,
    'deadline', w.deadline, 'feedback', w.feedback, 'feedback_at', w.feedback_at, 'closed_by', w.closed_by,
    'closed_at', w.closed_at, 'note', w.note, 'measure_id', w.measure_id, 'version', w.version";

#[derive(Deserialize)]
struct MeasureRow {
    id: i64,
    unit_id: i64,
    unit_name: String,
    unit_uscc: String,
    kind: String,
    state: String,
    reason: String,
    limit: Option<i64>,
    #[serde(deserialize_with = "de::opt_time", default)]
    deadline: Option<DateTime<Utc>>,
    warning_id: Option<i64>,
    imposed_by: String,
    #[serde(deserialize_with = "de::time")]
    imposed_at: DateTime<Utc>,
    ended_by: Option<String>,
    #[serde(deserialize_with = "de::opt_time", default)]
    ended_at: Option<DateTime<Utc>>,
    note: Option<String>,
    version: i64,
}

impl MeasureRow {
    fn measure(self) -> Option<Measure> {
        Some(Measure {
            id: self.id,
            unit_id: self.unit_id,
            unit_name: self.unit_name,
            unit_uscc: self.unit_uscc,
            kind: MeasureKind::parse(&self.kind)?,
            state: MeasureState::parse(&self.state)?,
            reason: self.reason,
            limit: self.limit,
            deadline: self.deadline,
            warning_id: self.warning_id,
            imposed_by: self.imposed_by,
            imposed_at: self.imposed_at,
            ended_by: self.ended_by,
            ended_at: self.ended_at,
            note: self.note,
            version: self.version,
        })
    }
}

#[derive(Deserialize)]
struct WarningRow {
    id: i64,
    unit_id: i64,
    unit_name: String,
    unit_uscc: String,
    finding: String,
    state: String,
    raised_by: String,
    #[serde(deserialize_with = "de::time")]
    raised_at: DateTime<Utc>,
    #[serde(deserialize_with = "de::time")]
    deadline: DateTime<Utc>,
    feedback: Option<String>,
    #[serde(deserialize_with = "de::opt_time", default)]
    feedback_at: Option<DateTime<Utc>>,
    closed_by: Option<String>,
    #[serde(deserialize_with = "de::opt_time", default)]
    closed_at: Option<DateTime<Utc>>,
    note: Option<String>,
    measure_id: Option<i64>,
    version: i64,
}

impl WarningRow {
    fn warning(self) -> Option<Warning> {
        Some(Warning {
            id: self.id,
            unit_id: self.unit_id,
            unit_name: self.unit_name,
            unit_uscc: self.unit_uscc,
            finding: self.finding,
            state: WarningState::parse(&self.state)?,
            raised_by: self.raised_by,
            raised_at: self.raised_at,
            deadline: self.deadline,
            feedback: self.feedback,
            feedback_at: self.feedback_at,
            closed_by: self.closed_by,
            closed_at: self.closed_at,
            note: self.note,
            measure_id: self.measure_id,
            version: self.version,
        })
    }
}

/// A unit the 1% rule lists: more than 1% of its user units flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriousShare {
    pub unit_id: i64,
    pub name: String,
    pub uscc: String,
    pub bound: i64,
    pub flagged: i64,
}

/// A qualification lapsing with no extension asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lapsing {
    pub unit_id: i64,
    pub name: String,
    pub uscc: String,
    #[serde(deserialize_with = "de::time")]
    pub until: DateTime<Utc>,
}

/// What a supervisor works from: measures in force (overdue first), open
/// warnings, units the 1% rule lists, qualifications lapsing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Supervision {
    pub measures: Vec<Measure>,
    pub warnings: Vec<Warning>,
    pub serious: Vec<SeriousShare>,
    pub lapsing: Vec<Lapsing>,
}

/// What a measure is to be: its kind, reason, deadline and limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Imposition {
    pub kind: MeasureKind,
    pub reason: String,
    pub deadline: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub warning: Option<i64>,
}

/// How a measure ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureEnd {
    /// The unit rectified.
    Lift,
    /// The deadline passed unrectified: the unit's access ends.
    Escalate,
}

impl MeasureEnd {
    pub fn code(self) -> &'static str {
        match self {
            MeasureEnd::Lift => "lift",
            MeasureEnd::Escalate => "escalate",
        }
    }
}

/// What a warning comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum WarningStep {
    /// The unit's report back.
    Feedback(String),
    /// Rectified: closed with a note.
    Close(String),
    /// Escalated to a measure.
    Escalate(Imposition),
}

impl From<MeasureError> for Error {
    fn from(e: MeasureError) -> Self {
        Error::Invalid(e.to_string())
    }
}

/// A unit as the supervision rules read it.
#[derive(Deserialize)]
struct UnitSubject {
    id: i64,
    county: String,
    province: String,
    #[serde(deserialize_with = "de::flag")]
    direct: bool,
    in_force: Option<String>,
}

/// A measure as lifting and escalating read it.
#[derive(Deserialize)]
struct MeasureSubject {
    id: i64,
    unit_id: i64,
    kind: String,
    state: String,
    version: i64,
    county: String,
    province: String,
}

/// The bureaus whose units an officer supervises (SQLite has no row-level
/// security): their county, or their province's counties.
fn scope() -> &'static str {
    "(SELECT id FROM bureaus WHERE id = $1 OR province_id = $1)"
}

impl Store {
    /// Measures in force on units, and open warnings of a unit.
    pub(crate) async fn measures_of(&self, units: &[i64]) -> Result<Vec<Measure>> {
        let sql = format!(
            "{} SELECT {} FROM measures m JOIN units u ON u.id = m.unit_id
             WHERE m.unit_id IN (SELECT uid FROM u) AND m.state = 'in_force'",
            self.records(&[("uid", "bigint")]),
            self.objects(MEASURE_FIELDS)
        );
        let rows: Vec<MeasureRow> = self.read_objects(&sql, args![id_records(units)]).await?;
        Ok(rows.into_iter().filter_map(MeasureRow::measure).collect())
    }

    pub(crate) async fn open_warnings_of(&self, unit: i64) -> Result<Vec<Warning>> {
        let sql = format!(
            "SELECT {} FROM warnings w JOIN units u ON u.id = w.unit_id
             WHERE w.unit_id = $1 AND w.state IN ('open', 'answered')",
            self.objects(WARNING_FIELDS)
        );
        let rows: Vec<WarningRow> = self.read_objects(&sql, args![unit]).await?;
        Ok(rows.into_iter().filter_map(WarningRow::warning).collect())
    }

    /// Every measure and warning of a unit, newest first.
    pub async fn unit_supervision(&self, unit: i64) -> Result<(Vec<Measure>, Vec<Warning>)> {
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM measures WHERE unit_id = $1 ORDER BY id DESC LIMIT 200) m
             JOIN units u ON u.id = m.unit_id",
            self.objects(MEASURE_FIELDS)
        );
        let ms: Vec<MeasureRow> = self.read_objects(&sql, args![unit]).await?;
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM warnings WHERE unit_id = $1 ORDER BY id DESC LIMIT 200) w
             JOIN units u ON u.id = w.unit_id",
            self.objects(WARNING_FIELDS)
        );
        let ws: Vec<WarningRow> = self.read_objects(&sql, args![unit]).await?;
        Ok((
            ms.into_iter().filter_map(MeasureRow::measure).collect(),
            ws.into_iter().filter_map(WarningRow::warning).collect(),
        ))
    }

    /// What the officer supervises now.
    pub async fn supervision(&self, officer: &Officer, now: DateTime<Utc>) -> Result<Supervision> {
        let b = officer.bureau_id.as_str();
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM measures WHERE state = 'in_force' AND county_id IN {}
                 ORDER BY deadline IS NULL, deadline, id LIMIT 2000) m JOIN units u ON u.id = m.unit_id",
            self.objects(MEASURE_FIELDS),
            scope()
        );
        let measures: Vec<MeasureRow> = self.read_objects(&sql, args![b]).await?;
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM warnings WHERE state IN ('open', 'answered') AND county_id IN {}
                 ORDER BY deadline, id LIMIT 2000) w JOIN units u ON u.id = w.unit_id",
            self.objects(WARNING_FIELDS),
            scope()
        );
        let warnings: Vec<WarningRow> = self.read_objects(&sql, args![b]).await?;
        let sql = format!(
            "SELECT {} FROM (SELECT d.id AS unit_id, d.name, d.uscc, count(*) AS bound,
                    sum(CASE WHEN x.serious_offence THEN 1 ELSE 0 END) AS flagged
               FROM bindings k JOIN units d ON d.id = k.direct_unit_id JOIN units x ON x.id = k.user_unit_id
              WHERE k.active AND d.direct_connect AND d.bureau_id IN {}
              GROUP BY d.id, d.name, d.uscc) s
             WHERE s.flagged * 100 > s.bound * {}",
            self.objects(
                "'unit_id', s.unit_id, 'name', s.name, 'uscc', s.uscc, 'bound', s.bound, 'flagged', s.flagged"
            ),
            scope(),
            supervision::SERIOUS_SHARE_PERCENT
        );
        let serious: Vec<SeriousShare> = self.read_objects(&sql, args![b]).await?;
        let sql = format!(
            "SELECT {} FROM (SELECT id, name, uscc, qualified_until FROM units
               WHERE direct_connect AND qualified_until IS NOT NULL AND qualified_until < $2
                 AND bureau_id IN {}
                 AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.unit_id = units.id AND a.kind = 'extension'
                                    AND a.state IN ('pending_acceptance', 'pending_review', 'pending_confirmation'))
               ORDER BY qualified_until LIMIT 2000) l",
            self.objects("'unit_id', l.id, 'name', l.name, 'uscc', l.uscc, 'until', l.qualified_until"),
            scope()
        );
        let lapsing: Vec<Lapsing> = self
            .read_objects(
                &sql,
                args![b, now + chrono::Duration::days(supervision::LAPSE_DAYS)],
            )
            .await?;
        let mut measures: Vec<Measure> = measures
            .into_iter()
            .filter_map(MeasureRow::measure)
            .collect();
        // Overdue first, then by deadline; lasting measures with none last.
        measures.sort_by_key(|m| (!m.overdue(now), m.deadline.is_none(), m.deadline, m.id));
        Ok(Supervision {
            measures,
            warnings: warnings
                .into_iter()
                .filter_map(WarningRow::warning)
                .collect(),
            serious,
            lapsing,
        })
    }

    /// Measures listed: `unit` (by id), overdue ones only, or all in force
    /// in the officer's reach.
    pub async fn measures(
        &self,
        officer: &Officer,
        unit: Option<i64>,
        overdue: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Measure>> {
        let list = match unit {
            Some(u) => self.unit_supervision(u).await?.0,
            None => self.supervision(officer, now).await?.measures,
        };
        Ok(list
            .into_iter()
            .filter(|m| !overdue || m.overdue(now))
            .collect())
    }

    /// Imposes a measure on units, a chunk in one transaction.
    pub async fn impose(
        &self,
        officer: &Officer,
        units: &[DecideItem],
        what: &Imposition,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<ItemResult>> {
        let reason = validated_reason(Some(&what.reason), true)?.unwrap_or_default();
        let now = now();
        let deadline = supervision::deadline(what.kind, now, what.deadline)?;
        let limit = supervision::limit(what.kind, what.limit)?;
        let mut tx = self.begin().await?;
        let results = if self.is_embedded() {
            let actor = Actor {
                officer,
                now,
                client: client(),
                batch: batch.map(|b| b.0),
            };
            let judged = self
                .judge_impositions(&mut tx, officer, units, what.kind)
                .await?;
            self.apply_impositions(&mut tx, &actor, &judged, what, &reason, deadline, limit)
                .await?;
            self.write_results(&mut tx, batch, units, &judged).await?;
            judged
        } else {
            self.acting_as(officer)?;
            self.pg_impose(&mut tx, units, what, &reason, limit, Run::Apply { batch })
                .await?
        };
        tx.commit().await?;
        Ok(results)
    }

    /// Each unit judged for the measure: it exists, is direct-connect, not
    /// terminated, has no measure of the kind in force, and is the
    /// officer's to supervise.
    async fn judge_impositions(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        units: &[DecideItem],
        kind: MeasureKind,
    ) -> Result<Vec<ItemResult>> {
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let sql = format!(
            "{} SELECT {} FROM units n JOIN bureaus b ON b.id = n.bureau_id WHERE n.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects(
                "'id', n.id, 'county', n.bureau_id, 'province', b.province_id, 'direct', n.direct_connect,
                 'in_force', (SELECT group_concat(m.kind, ',') FROM measures m WHERE m.unit_id = n.id AND m.state = 'in_force')"
            )
        );
        let rows: Vec<UnitSubject> = tx.objects(&sql, args![id_records(&ids)]).await?;
        let found: HashMap<i64, UnitSubject> = rows.into_iter().map(|r| (r.id, r)).collect();
        let mut seen = HashSet::new();
        Ok(units
            .iter()
            .map(|u| {
                let verdict = (|| {
                    if !seen.insert(u.id) {
                        return Err(Error::Repeated(u.id));
                    }
                    let s = found.get(&u.id).ok_or_else(|| {
                        Error::NotFound(format!("未找到单位 {} (no such unit)", u.id))
                    })?;
                    supervision::may_supervise(officer, &s.county, &s.province)?;
                    let in_force: Vec<MeasureKind> = s
                        .in_force
                        .as_deref()
                        .unwrap_or("")
                        .split(',')
                        .filter_map(MeasureKind::parse)
                        .collect();
                    if in_force.contains(&MeasureKind::Terminate) {
                        return Err(Precondition::Terminated.into());
                    }
                    if !s.direct {
                        return Err(Precondition::NotDirect.into());
                    }
                    if kind.lasting() && in_force.contains(&kind) {
                        return Err(Precondition::InForce(kind).into());
                    }
                    Ok(())
                })();
                match verdict {
                    Ok(()) => ItemResult {
                        id: u.id,
                        action: Some(Action::MeasureImpose),
                        from: None,
                        to: None,
                        version: Some(1),
                        error: None,
                    },
                    Err(e) => ItemResult::failed(u.id, &e),
                }
            })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_impositions(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        judged: &[ItemResult],
        what: &Imposition,
        reason: &str,
        deadline: Option<DateTime<Utc>>,
        limit: Option<i64>,
    ) -> Result<()> {
        let ok: Vec<i64> = judged.iter().filter(|r| r.ok()).map(|r| r.id).collect();
        if ok.is_empty() {
            return Ok(());
        }
        let state = if what.kind.lasting() {
            MeasureState::InForce
        } else {
            MeasureState::Recorded
        };
        let sql = format!(
            "{} INSERT INTO measures (unit_id, county_id, kind, state, reason, concurrency_limit, deadline,
                 warning_id, imposed_by, imposed_at)
             SELECT n.id, n.bureau_id, $2, $3, $4, $5, $6, $7, $8, $9 FROM units n WHERE n.id IN (SELECT uid FROM u)
             RETURNING id",
            self.records(&[("uid", "bigint")])
        );
        let ids = tx
            .ids(
                &sql,
                args![
                    id_records(&ok),
                    what.kind.code(),
                    state.code(),
                    reason,
                    limit,
                    deadline,
                    what.warning,
                    actor.officer.login.as_str(),
                    actor.now
                ],
            )
            .await?;
        // Which measure each unit got.
        let sql = format!(
            "{} SELECT {} FROM measures m WHERE m.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects("'id', m.id, 'unit_id', m.unit_id")
        );
        #[derive(Deserialize)]
        struct Made {
            id: i64,
            unit_id: i64,
        }
        let mut made: Vec<Made> = tx.objects(&sql, args![id_records(&ids)]).await?;
        made.sort_by_key(|m| m.unit_id);
        let text = format!("{}：{reason}", what.kind.code());
        let events: Vec<NewAudit> = made
            .iter()
            .map(|m| NewAudit {
                application_id: None,
                binding_id: None,
                unit_id: Some(m.unit_id),
                measure_id: Some(m.id),
                warning_id: what.warning,
                action: Action::MeasureImpose.code(),
                from: None,
                to: None,
                reason: Some(&text),
            })
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await?;
        if what.kind == MeasureKind::Terminate {
            let ends: Vec<(i64, i64)> = made.iter().map(|m| (m.unit_id, m.id)).collect();
            self.end_connections(tx, actor, &ends, Ending::Termination)
                .await?;
        }
        Ok(())
    }

    /// Lifts or escalates measures, a chunk in one transaction.
    pub async fn end_measures(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        how: MeasureEnd,
        note: &str,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<ItemResult>> {
        let note = validated_reason(Some(note), true)?.unwrap_or_default();
        let mut tx = self.begin().await?;
        let results = if self.is_embedded() {
            let actor = Actor {
                officer,
                now: now(),
                client: client(),
                batch: batch.map(|b| b.0),
            };
            let (judged, loaded) = self.judge_ends(&mut tx, officer, items, how).await?;
            let judged = self
                .apply_ends(&mut tx, &actor, judged, &loaded, how, &note)
                .await?;
            self.write_results(&mut tx, batch, items, &judged).await?;
            judged
        } else {
            self.acting_as(officer)?;
            self.pg_end(&mut tx, items, how, &note, Run::Apply { batch })
                .await?
        };
        tx.commit().await?;
        Ok(results)
    }

    async fn judge_ends(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        items: &[DecideItem],
        how: MeasureEnd,
    ) -> Result<(Vec<ItemResult>, HashMap<i64, MeasureSubject>)> {
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let sql = format!(
            "{} SELECT {} FROM measures m JOIN bureaus b ON b.id = m.county_id WHERE m.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects(
                "'id', m.id, 'unit_id', m.unit_id, 'kind', m.kind, 'state', m.state, 'version', m.version,
                 'county', m.county_id, 'province', b.province_id"
            )
        );
        let rows: Vec<MeasureSubject> = tx.objects(&sql, args![id_records(&ids)]).await?;
        let found: HashMap<i64, MeasureSubject> = rows.into_iter().map(|r| (r.id, r)).collect();
        let mut seen = HashSet::new();
        let judged = items
            .iter()
            .map(|it| {
                let verdict = (|| {
                    if !seen.insert(it.id) {
                        return Err(Error::Repeated(it.id));
                    }
                    let m = found.get(&it.id).ok_or_else(|| {
                        Error::NotFound(format!("未找到监管措施 {} (no such measure)", it.id))
                    })?;
                    supervision::may_supervise(officer, &m.county, &m.province)?;
                    let state = MeasureState::parse(&m.state).unwrap_or(MeasureState::Lifted);
                    if state != MeasureState::InForce || it.version.is_some_and(|v| v != m.version)
                    {
                        return Err(Precondition::MeasureChanged { id: m.id, state }.into());
                    }
                    let kind = MeasureKind::parse(&m.kind).unwrap_or(MeasureKind::Terminate);
                    if kind == MeasureKind::Terminate {
                        return Err(Precondition::FinalMeasure.into());
                    }
                    if how == MeasureEnd::Escalate && !kind.has_deadline() {
                        return Err(Precondition::NoDeadline.into());
                    }
                    Ok(m.version)
                })();
                match verdict {
                    Ok(v) => ItemResult {
                        id: it.id,
                        action: Some(match how {
                            MeasureEnd::Lift => Action::MeasureLift,
                            MeasureEnd::Escalate => Action::MeasureEscalate,
                        }),
                        from: None,
                        to: None,
                        version: Some(v + 1),
                        error: None,
                    },
                    Err(e) => ItemResult::failed(it.id, &e),
                }
            })
            .collect();
        Ok((judged, found))
    }

    async fn apply_ends(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        judged: Vec<ItemResult>,
        loaded: &HashMap<i64, MeasureSubject>,
        how: MeasureEnd,
        note: &str,
    ) -> Result<Vec<ItemResult>> {
        let planned: Vec<&MeasureSubject> = judged
            .iter()
            .filter(|r| r.ok())
            .filter_map(|r| loaded.get(&r.id))
            .collect();
        if planned.is_empty() {
            return Ok(judged);
        }
        let to = match how {
            MeasureEnd::Lift => MeasureState::Lifted,
            MeasureEnd::Escalate => MeasureState::Escalated,
        };
        let recs = json_records(
            planned
                .iter()
                .map(|m| json!({"uid": m.id, "uver": m.version})),
        );
        let sql = format!(
            "{} UPDATE measures SET state = $2, version = version + 1, ended_by = $3, ended_at = $4, note = $5
             WHERE id IN (SELECT uid FROM u) AND state = 'in_force'",
            self.records(&[("uid", "bigint"), ("uver", "bigint")])
        );
        let n = tx
            .execute(
                &sql,
                args![
                    recs,
                    to.code(),
                    actor.officer.login.as_str(),
                    actor.now,
                    note
                ],
            )
            .await?;
        // SQLite's write lock: nobody moved them since they were read.
        debug_assert_eq!(n as usize, planned.len());
        let action = match how {
            MeasureEnd::Lift => Action::MeasureLift,
            MeasureEnd::Escalate => Action::MeasureEscalate,
        };
        let events: Vec<NewAudit> = planned
            .iter()
            .map(|m| NewAudit {
                application_id: None,
                binding_id: None,
                unit_id: Some(m.unit_id),
                measure_id: Some(m.id),
                warning_id: None,
                action: action.code(),
                from: None,
                to: None,
                reason: Some(note),
            })
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await?;
        if how == MeasureEnd::Escalate {
            let units: Vec<i64> = {
                let mut u: Vec<i64> = planned.iter().map(|m| m.unit_id).collect();
                u.sort();
                u.dedup();
                u
            };
            let what = Imposition {
                kind: MeasureKind::Terminate,
                reason: format!("整改期限已过未整改：{note}"),
                deadline: None,
                limit: None,
                warning: None,
            };
            let items: Vec<DecideItem> = units
                .iter()
                .map(|&id| DecideItem { id, version: None })
                .collect();
            let term = self
                .judge_impositions(tx, actor.officer, &items, MeasureKind::Terminate)
                .await?;
            let reason = what.reason.clone();
            self.apply_impositions(tx, actor, &term, &what, &reason, None, None)
                .await?;
        }
        Ok(judged)
    }

    /// Raises a risk warning against a unit; its id.
    pub async fn raise_warning(
        &self,
        officer: &Officer,
        unit: i64,
        finding: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let finding = validated_reason(Some(finding), true)?.unwrap_or_default();
        if !self.is_embedded() {
            self.acting_as(officer)?;
            let Backend::Postgres(p) = &self.backend else {
                unreachable!()
            };
            return Ok(
                sqlx::query_scalar("SELECT leqi_warning_raise($1, $2, $3, $4)")
                    .bind(unit)
                    .bind(&finding)
                    .bind(deadline)
                    .bind(client())
                    .fetch_one(p)
                    .await?,
            );
        }
        let now = now();
        let deadline =
            supervision::deadline(MeasureKind::SuspendAccess, now, deadline)?.unwrap_or(now);
        let mut tx = self.begin().await?;
        let s = self.unit_subject(&mut tx, unit).await?;
        supervision::may_supervise(officer, &s.county, &s.province)?;
        let id = tx
            .ids(
                "INSERT INTO warnings (unit_id, county_id, finding, state, raised_by, raised_at, deadline)
                 VALUES ($1, $2, $3, 'open', $4, $5, $6) RETURNING id",
                args![unit, s.county.as_str(), finding.as_str(), officer.login.as_str(), now, deadline],
            )
            .await?[0];
        self.warning_event(
            &mut tx,
            officer,
            now,
            unit,
            None,
            id,
            Action::WarningRaise,
            &finding,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn unit_subject(&self, tx: &mut Tx, unit: i64) -> Result<UnitSubject> {
        let sql = format!(
            "SELECT {} FROM units n JOIN bureaus b ON b.id = n.bureau_id WHERE n.id = $1",
            self.objects(
                "'id', n.id, 'county', n.bureau_id, 'province', b.province_id, 'direct', n.direct_connect, 'in_force', NULL"
            )
        );
        let rows: Vec<UnitSubject> = tx.objects(&sql, args![unit]).await?;
        rows.into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("未找到单位 {unit} (no such unit)")))
    }

    #[allow(clippy::too_many_arguments)]
    async fn warning_event(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        at: DateTime<Utc>,
        unit: i64,
        measure: Option<i64>,
        warning: i64,
        action: Action,
        text: &str,
    ) -> Result<()> {
        let client = client();
        let stamp = Stamp {
            officer: &officer.login,
            bureau: Some(&officer.bureau_id),
            at,
            batch: None,
            client: client.as_deref(),
        };
        let event = NewAudit {
            application_id: None,
            binding_id: None,
            unit_id: Some(unit),
            measure_id: measure,
            warning_id: Some(warning),
            action: action.code(),
            from: None,
            to: None,
            reason: Some(text),
        };
        self.append_events(tx, &stamp, &[event]).await
    }

    /// A warning answered, closed or escalated; for an escalation the new
    /// measure's id, else the warning's.
    pub async fn act_on_warning(
        &self,
        officer: &Officer,
        id: i64,
        version: Option<i64>,
        step: &WarningStep,
    ) -> Result<i64> {
        let (how, text) = match step {
            WarningStep::Feedback(t) => ("feedback", t.as_str()),
            WarningStep::Close(t) => ("close", t.as_str()),
            WarningStep::Escalate(m) => ("escalate", m.reason.as_str()),
        };
        let text = validated_reason(Some(text), true)?.unwrap_or_default();
        if !self.is_embedded() {
            self.acting_as(officer)?;
            let Backend::Postgres(p) = &self.backend else {
                unreachable!()
            };
            let (kind, deadline, limit) = match step {
                WarningStep::Escalate(m) => (Some(m.kind.code()), m.deadline, m.limit),
                _ => (None, None, None),
            };
            return Ok(sqlx::query_scalar(
                "SELECT leqi_warning_act($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(version)
            .bind(how)
            .bind(&text)
            .bind(kind)
            .bind(deadline)
            .bind(limit)
            .bind(client())
            .fetch_one(p)
            .await?);
        }
        let sql = format!(
            "SELECT {} FROM warnings w JOIN units u ON u.id = w.unit_id WHERE w.id = $1",
            self.objects(WARNING_FIELDS)
        );
        let found: Vec<WarningRow> = self.read_objects(&sql, args![id]).await?;
        let w = found
            .into_iter()
            .next()
            .and_then(WarningRow::warning)
            .ok_or_else(|| Error::NotFound(format!("未找到预警 {id} (no such warning)")))?;
        let mut tx = self.begin().await?;
        let s = self.unit_subject(&mut tx, w.unit_id).await?;
        supervision::may_supervise(officer, &s.county, &s.province)?;
        if !w.open() || version.is_some_and(|v| v != w.version) {
            return Err(Error::Database {
                kind: FailureKind::Conflict,
                message: format!(
                    "预警 {id} 已由 {} 处理，现为“{}” (the warning was handled first: it is {})",
                    w.closed_by.as_deref().unwrap_or(&w.raised_by),
                    w.state.zh(),
                    w.state.en()
                ),
            });
        }
        let now = now();
        let mut measure = None;
        if let WarningStep::Escalate(what) = step {
            let what = Imposition {
                warning: Some(id),
                reason: text.clone(),
                ..what.clone()
            };
            let actor = Actor {
                officer,
                now,
                client: client(),
                batch: None,
            };
            let items = [DecideItem {
                id: w.unit_id,
                version: None,
            }];
            let judged = self
                .judge_impositions(&mut tx, officer, &items, what.kind)
                .await?;
            if let Some(e) = judged[0].error.as_ref() {
                return Err(Error::Database {
                    kind: e.kind,
                    message: e.message.clone(),
                });
            }
            let deadline = supervision::deadline(what.kind, now, what.deadline)?;
            let limit = supervision::limit(what.kind, what.limit)?;
            self.apply_impositions(&mut tx, &actor, &judged, &what, &text, deadline, limit)
                .await?;
            measure = tx
                .ids(
                    "SELECT id FROM measures WHERE warning_id = $1 ORDER BY id DESC LIMIT 1",
                    args![id],
                )
                .await?
                .first()
                .copied();
        }
        let (state, action) = match step {
            WarningStep::Feedback(_) => (WarningState::Answered, Action::WarningFeedback),
            WarningStep::Close(_) => (WarningState::Closed, Action::WarningClose),
            WarningStep::Escalate(_) => (WarningState::Escalated, Action::WarningEscalate),
        };
        let feedback = matches!(step, WarningStep::Feedback(_));
        tx.execute(
            "UPDATE warnings SET state = $2, version = version + 1,
                 feedback = CASE WHEN $3 THEN $4 ELSE feedback END,
                 feedback_at = CASE WHEN $3 THEN $5 ELSE feedback_at END,
                 closed_by = CASE WHEN $3 THEN NULL ELSE $6 END,
                 closed_at = CASE WHEN $3 THEN NULL ELSE $5 END,
                 note = CASE WHEN $3 THEN note ELSE $4 END,
                 measure_id = $7
             WHERE id = $1",
            args![
                id,
                state.code(),
                feedback,
                text.as_str(),
                now,
                officer.login.as_str(),
                measure
            ],
        )
        .await?;
        self.warning_event(&mut tx, officer, now, w.unit_id, measure, id, action, &text)
            .await?;
        tx.commit().await?;
        Ok(measure.unwrap_or(id))
    }

    /// Measures imposed through `leqi_measure_impose`.
    pub(crate) async fn pg_impose(
        &self,
        tx: &mut Tx,
        units: &[DecideItem],
        what: &Imposition,
        reason: &str,
        limit: Option<i64>,
        run: Run<'_>,
    ) -> Result<Vec<ItemResult>> {
        let Tx::Postgres(t) = tx else {
            unreachable!("PostgreSQL only")
        };
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let rows: Vec<ResultRow> = sqlx::query_as(
            "SELECT * FROM leqi_measure_impose($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(ids)
        .bind(what.kind.code())
        .bind(reason)
        .bind(what.deadline)
        .bind(limit)
        .bind(what.warning)
        .bind(run.apply())
        .bind(run.batch())
        .bind(client())
        .bind(run.seqs())
        .fetch_all(&mut **t)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                r.result(Target::Unit)
                    .unwrap_or_else(|e| ItemResult::failed(r.id, &e))
            })
            .collect())
    }

    /// Measures lifted or escalated through `leqi_measure_end`.
    pub(crate) async fn pg_end(
        &self,
        tx: &mut Tx,
        items: &[DecideItem],
        how: MeasureEnd,
        note: &str,
        run: Run<'_>,
    ) -> Result<Vec<ItemResult>> {
        let Tx::Postgres(t) = tx else {
            unreachable!("PostgreSQL only")
        };
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let versions: Vec<Option<i64>> = items.iter().map(|i| i.version).collect();
        let rows: Vec<ResultRow> =
            sqlx::query_as("SELECT * FROM leqi_measure_end($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(ids)
                .bind(versions)
                .bind(how.code())
                .bind(note)
                .bind(run.apply())
                .bind(run.batch())
                .bind(client())
                .bind(run.seqs())
                .fetch_all(&mut **t)
                .await?;
        Ok(rows
            .iter()
            .map(|r| {
                r.result(Target::Measure)
                    .unwrap_or_else(|e| ItemResult::failed(r.id, &e))
            })
            .collect())
    }

    /// Supervision items judged without writing (a batch's prejudgement).
    pub(crate) async fn judge_supervision(
        &self,
        officer: &Officer,
        op: BatchOp,
        items: &[DecideItem],
        params: &BatchParams,
    ) -> Result<Vec<ItemResult>> {
        let mut tx = self.begin_read().await?;
        match (op, self.is_embedded()) {
            (BatchOp::Impose(kind), true) => {
                self.judge_impositions(&mut tx, officer, items, kind).await
            }
            (BatchOp::Lift | BatchOp::Escalate, true) => {
                let how = if op == BatchOp::Lift {
                    MeasureEnd::Lift
                } else {
                    MeasureEnd::Escalate
                };
                Ok(self.judge_ends(&mut tx, officer, items, how).await?.0)
            }
            (BatchOp::Impose(kind), false) => {
                self.acting_as(officer)?;
                let what = Imposition {
                    kind,
                    reason: "-".into(),
                    deadline: params.deadline,
                    limit: params.limit,
                    warning: None,
                };
                self.pg_impose(&mut tx, items, &what, "-", params.limit, Run::Judge)
                    .await
            }
            (BatchOp::Lift | BatchOp::Escalate, false) => {
                self.acting_as(officer)?;
                let how = if op == BatchOp::Lift {
                    MeasureEnd::Lift
                } else {
                    MeasureEnd::Escalate
                };
                self.pg_end(&mut tx, items, how, "-", Run::Judge).await
            }
            _ => Err(Error::Invalid("not a supervision batch".into())),
        }
    }
}
