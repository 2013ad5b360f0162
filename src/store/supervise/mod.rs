//! Supervision in the store: measures imposed, lifted and escalated set-
//! wise (one chunk per transaction, like decisions), risk warnings raised,
//! answered, closed and escalated, and what a supervisor works from. On
//! PostgreSQL through the database's functions
//! (migrations/postgres/0010_supervision.sql); on SQLite judged here by the
//! domain's rules. Every change is audited on the unit's chain.

mod end;
mod impose;
mod warning;

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
        let mut serious: Vec<SeriousShare> = self.read_objects(&sql, args![b]).await?;
        // The largest share first (compared without division).
        serious.sort_by(|x, y| {
            (y.flagged * x.bound)
                .cmp(&(x.flagged * y.bound))
                .then(x.unit_id.cmp(&y.unit_id))
        });
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
}
