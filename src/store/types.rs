//! Plain data the store hands out.

use crate::domain::checks::{self, Check, CheckInput};
use crate::domain::*;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bureau {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub province_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Oldest first.
    #[default]
    Age,
    Name,
    /// Most failed checks first.
    Failed,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Age => Sort::Name,
            Sort::Name => Sort::Failed,
            Sort::Failed => Sort::Age,
        }
    }
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Sort::Age, true) => "按时间",
            (Sort::Name, true) => "按名称",
            (Sort::Failed, true) => "按未通过校验",
            (Sort::Age, false) => "by age",
            (Sort::Name, false) => "by name",
            (Sort::Failed, false) => "by failed checks",
        }
    }
}

/// A position in a queue: the sort key of a row and its id.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    Time(DateTime<Utc>, i64),
    Text(String, i64),
    Int(i64, i64),
}

impl Cursor {
    /// The cursor as the command line prints and takes it: an opaque
    /// token (base64url of the key), never the key's text, which may be an
    /// applicant's name.
    pub fn encode(&self) -> String {
        let key = match self {
            Cursor::Time(t, id) => format!("t{}|{id}", t.to_rfc3339()),
            Cursor::Text(s, id) => format!("s{s}|{id}"),
            Cursor::Int(n, id) => format!("i{n}|{id}"),
        };
        base64url::encode(key.as_bytes())
    }
    /// A cursor just before this one in `sort`'s order, so that reading
    /// from it includes this row: ids are integers, so (key, id - 1) is
    /// passed by exactly the rows from (key, id) on.
    pub fn inclusive(&self, sort: Sort) -> Cursor {
        let step = if sort == Sort::Failed { 1 } else { -1 };
        match self {
            Cursor::Time(t, id) => Cursor::Time(*t, id + step),
            Cursor::Text(s, id) => Cursor::Text(s.clone(), id + step),
            Cursor::Int(n, id) => Cursor::Int(*n, id + step),
        }
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        let bytes = base64url::decode(token)?;
        let s = String::from_utf8(bytes).ok()?;
        let (key, id) = s.rsplit_once('|')?;
        let id: i64 = id.parse().ok()?;
        let mut chars = key.chars();
        let tag = chars.next()?;
        let rest = chars.as_str();
        match tag {
            't' => Some(Cursor::Time(
                DateTime::parse_from_rfc3339(rest).ok()?.with_timezone(&Utc),
                id,
            )),
            's' => Some(Cursor::Text(rest.to_string(), id)),
            'i' => Some(Cursor::Int(rest.parse().ok()?, id)),
            _ => None,
        }
    }
}

/// Base64url without padding (RFC 4648 §5): a cursor's token.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        for chunk in s.as_bytes().chunks(4) {
            if chunk.len() == 1 {
                return None;
            }
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let v = ALPHABET.iter().position(|a| a == c)? as u32;
                n |= v << (18 - 6 * i);
            }
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i) & 255) as u8);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn a_cursor_is_an_opaque_token_that_reads_back() {
        let c = Cursor::Text("恶意\x1b]0;x\x07公司".into(), 42);
        let t = c.encode();
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{t}"
        );
        assert_eq!(Cursor::decode(&t), Some(c));
        for n in 0..7 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 97 + 13) as u8).collect();
            assert_eq!(base64url::decode(&base64url::encode(&bytes)), Some(bytes));
        }
        assert_eq!(base64url::encode(b"hello"), "aGVsbG8");
        assert_eq!(Cursor::decode("not a token!"), None);
        assert_eq!(Cursor::decode("A"), None);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueQuery {
    pub stage: Stage,
    /// The kinds to list; empty means every kind that has the stage.
    pub kinds: Vec<Kind>,
    pub bureau: String,
    pub sort: Sort,
    pub filter: String,
    pub cursor: Option<Cursor>,
    pub direction: Direction,
    pub limit: i64,
    /// Only items filed before this time (the overdue).
    pub older_than: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRow {
    pub id: i64,
    pub kind: Kind,
    pub state: State,
    pub version: i64,
    pub uscc: String,
    pub name: String,
    /// What names sort by (pinyin, then oldest first).
    #[serde(skip)]
    pub name_key: String,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub passed_checks: i64,
    pub failed_checks: i64,
    pub last_officer: Option<String>,
    /// Who took the previous decision (separation of duties).
    pub last_decider: Option<String>,
    /// For exits: user units still bound (the precondition).
    pub bound_user_units: i64,
    pub unit_id: i64,
    /// Other applications of the same unit and kind still in the flow.
    pub siblings: i64,
    /// Made moot by a decision on another application of the unit.
    pub obsolete: Option<crate::domain::judge::Obsolete>,
    /// Who has claimed it, until when (the lease may have run out).
    pub holder: Option<(String, DateTime<Utc>)>,
}

impl QueueRow {
    pub fn cursor(&self, sort: Sort) -> Cursor {
        match sort {
            Sort::Age => Cursor::Time(self.submitted_at, self.id),
            Sort::Name => Cursor::Text(self.name_key.clone(), self.id),
            Sort::Failed => Cursor::Int(self.failed_checks_stored(), self.id),
        }
    }
    /// The stored count, without the live bound-units check of exits.
    fn failed_checks_stored(&self) -> i64 {
        self.failed_checks - i64::from(self.kind == Kind::Exit && self.bound_user_units > 0)
    }
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.submitted_at).num_days()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub rows: Vec<QueueRow>,
    /// More rows lie beyond the page in its direction.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Material {
    pub id: i64,
    pub kind: MaterialKind,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub content: String,
    pub paper_received: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub application_id: Option<i64>,
    pub binding_id: Option<i64>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub officer: String,
    pub bureau_id: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    pub batch_id: Option<String>,
    pub client: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Binding {
    pub id: i64,
    pub direct_unit_id: i64,
    pub user_unit_id: i64,
    pub user_uscc: String,
    pub user_name: String,
    /// None: a stored code this version does not know (shown as "？").
    pub relation: Option<Relation>,
    pub since: DateTime<Utc>,
    pub invitation_id: i64,
    pub active: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub id: i64,
    pub bureau_id: String,
    pub address: String,
    pub facts: UnitFacts,
    /// How long its qualification runs (extensions set it).
    pub qualified_until: Option<DateTime<Utc>>,
}

/// A supervision measure on a direct-connect unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_uscc: String,
    pub kind: MeasureKind,
    pub state: MeasureState,
    pub reason: String,
    pub limit: Option<i64>,
    pub deadline: Option<DateTime<Utc>>,
    pub warning_id: Option<i64>,
    pub imposed_by: String,
    pub imposed_at: DateTime<Utc>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub version: i64,
}

impl Measure {
    /// In force past its deadline: due to be lifted or escalated.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == MeasureState::InForce && self.deadline.is_some_and(|d| d < now)
    }
}

/// A risk warning raised against a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_uscc: String,
    pub finding: String,
    pub state: WarningState,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub measure_id: Option<i64>,
    pub version: i64,
}

impl Warning {
    pub fn open(&self) -> bool {
        matches!(self.state, WarningState::Open | WarningState::Answered)
    }
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.open() && self.deadline < now
    }
}

/// One application with everything an officer reads before deciding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    pub id: i64,
    pub kind: Kind,
    pub state: State,
    pub version: i64,
    pub unit: Unit,
    pub county_id: String,
    pub province_id: String,
    pub county_name: String,
    pub direct_unit: Option<Unit>,
    pub form: Form,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_officer: Option<String>,
    pub last_decider: Option<String>,
    /// The earlier application this one was filed again after, and its
    /// state.
    pub previous: Option<(i64, State)>,
    /// Applications filed again after this one (newest last).
    pub refiled_as: Vec<i64>,
    pub materials: Vec<Material>,
    pub history: Vec<AuditEvent>,
    /// User units bound to the unit (for exits: the precondition).
    pub bound_user_units: i64,
    /// What confirming an exit would cancel: active capabilities,
    /// authorisations, and in-flight invitations and subscriptions.
    pub exit_effects: Option<ExitEffects>,
    /// For exits: the user units still bound (at most 200).
    pub bound: Vec<Binding>,
    /// Other applications of the unit of the same kind still in the flow:
    /// (id, state).
    pub siblings: Vec<(i64, State)>,
    /// Made moot by a decision on another application of the unit.
    pub obsolete: Option<crate::domain::judge::Obsolete>,
    /// Measures in force on the unit (and, for an invitation, on the
    /// inviting unit).
    pub measures: Vec<Measure>,
    /// The unit's open risk warnings.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExitEffects {
    /// Bindings still active (an exit has none left by its confirmation).
    pub bindings: i64,
    pub capabilities: i64,
    pub authorisations: i64,
    pub in_flight: Vec<(i64, Kind, State, String)>,
}

impl Application {
    /// The checks, against the thresholds of the application's province.
    pub fn checks(&self, table: &ThresholdTable) -> Vec<Check> {
        let thresholds = table.for_province(&self.province_id);
        let mats: Vec<MaterialKind> = self.materials.iter().map(|m| m.kind).collect();
        // The measures on the unit the kind concerns: for an invitation
        // the inviting unit's.
        let concerned = match (self.kind, &self.direct_unit) {
            (Kind::Invitation, Some(d)) => d.id,
            _ => self.unit.id,
        };
        let measures: Vec<MeasureKind> = self
            .measures
            .iter()
            .filter(|m| m.unit_id == concerned && m.state == MeasureState::InForce)
            .map(|m| m.kind)
            .collect();
        checks::run(&CheckInput {
            kind: self.kind,
            unit: &self.unit.facts,
            form: &self.form,
            materials: &mats,
            inviter: self.direct_unit.as_ref().map(|u| &u.facts),
            bound_user_units: self.bound_user_units,
            thresholds,
            measures: &measures,
        })
    }
    pub fn missing_materials(&self) -> Vec<MaterialKind> {
        let mats: Vec<MaterialKind> = self.materials.iter().map(|m| m.kind).collect();
        checks::missing_materials(self.kind, &self.form, &mats)
    }
}

/// An item as a caller names it (an application for a decision, a binding
/// for an unbinding), with the version the caller saw.
pub type DecideItem = crate::domain::judge::Item;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOp {
    Decide(Decision),
    Unbind,
    /// A supervision measure imposed on units.
    Impose(MeasureKind),
    /// Measures lifted: the units rectified.
    Lift,
    /// Measures escalated to termination: the deadline passed.
    Escalate,
}

impl BatchOp {
    pub fn code(self) -> &'static str {
        use MeasureKind as M;
        match self {
            BatchOp::Decide(Decision::Pass) => "pass",
            BatchOp::Decide(Decision::Reject) => "reject",
            BatchOp::Unbind => "unbind",
            BatchOp::Impose(M::Reminder) => "impose:reminder",
            BatchOp::Impose(M::Interview) => "impose:interview",
            BatchOp::Impose(M::SuspendInvitations) => "impose:suspend_invitations",
            BatchOp::Impose(M::SuspendCapabilities) => "impose:suspend_capabilities",
            BatchOp::Impose(M::LimitConcurrency) => "impose:limit_concurrency",
            BatchOp::Impose(M::SuspendAccess) => "impose:suspend_access",
            BatchOp::Impose(M::Terminate) => "impose:terminate",
            BatchOp::Lift => "lift",
            BatchOp::Escalate => "escalate",
        }
    }
    /// The operation as officers read it.
    pub fn label(self, zh: bool) -> String {
        match (self, zh) {
            (BatchOp::Decide(d), _) => d.label(zh).to_string(),
            (BatchOp::Unbind, true) => "解除绑定".into(),
            (BatchOp::Unbind, false) => "unbind".into(),
            (BatchOp::Impose(k), true) => format!("采取“{}”", k.zh()),
            (BatchOp::Impose(k), false) => format!("impose {}", k.en()),
            (BatchOp::Lift, true) => "解除监管措施".into(),
            (BatchOp::Lift, false) => "lift".into(),
            (BatchOp::Escalate, true) => "升级为终止".into(),
            (BatchOp::Escalate, false) => "escalate".into(),
        }
    }
    pub fn parse(s: &str) -> Option<BatchOp> {
        match s {
            "pass" => Some(BatchOp::Decide(Decision::Pass)),
            "reject" => Some(BatchOp::Decide(Decision::Reject)),
            "unbind" => Some(BatchOp::Unbind),
            "lift" => Some(BatchOp::Lift),
            "escalate" => Some(BatchOp::Escalate),
            other => other
                .strip_prefix("impose:")
                .and_then(MeasureKind::parse)
                .map(BatchOp::Impose),
        }
    }
    /// A reason is required for rejections, unbindings and every
    /// supervision step.
    pub fn needs_reason(self) -> bool {
        !matches!(self, BatchOp::Decide(Decision::Pass))
    }
    /// What the batch's items are.
    pub fn target(self) -> Target {
        match self {
            BatchOp::Decide(_) => Target::Application,
            BatchOp::Unbind => Target::Binding,
            BatchOp::Impose(_) => Target::Unit,
            BatchOp::Lift | BatchOp::Escalate => Target::Measure,
        }
    }
}

/// What an item of work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Application,
    Binding,
    Unit,
    Measure,
}

/// A batch's parameters beyond its reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct BatchParams {
    /// A measure's rectification deadline.
    #[serde(default)]
    pub deadline: Option<DateTime<Utc>>,
    /// 限制并发量's new limit.
    #[serde(default)]
    pub limit: Option<i64>,
    /// An extension's end, set by the confirming officer.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// Why one item was not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl From<&super::Error> for ItemFailure {
    fn from(e: &super::Error) -> Self {
        ItemFailure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    pub id: i64,
    /// For a decision: the step taken ("受理", ...); for an unbinding "解除绑定".
    pub action: Option<Action>,
    pub from: Option<State>,
    pub to: Option<State>,
    pub version: Option<i64>,
    /// None when done.
    pub error: Option<ItemFailure>,
}

impl ItemResult {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
    /// The exit code of this item: 0 when done.
    pub fn code(&self) -> i32 {
        self.error.as_ref().map_or(0, |f| f.kind.exit_code())
    }
    pub fn failed(id: i64, e: &super::Error) -> ItemResult {
        ItemResult {
            id,
            action: None,
            from: None,
            to: None,
            version: None,
            error: Some(e.into()),
        }
    }
}

/// One application as the unit view lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitApp {
    pub id: i64,
    pub kind: Kind,
    pub state: State,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_officer: Option<String>,
    /// The earlier application this one was filed again after.
    pub previous_id: Option<i64>,
}

/// A unit whole: its applications, and its bindings each way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitView {
    pub unit: Unit,
    pub applications: Vec<UnitApp>,
    /// User units bound to it, as a direct-connect unit.
    pub bound: i64,
    /// Direct-connect units it is bound to, as a user unit.
    pub bound_to: i64,
    /// Measures in force on it.
    pub measures: Vec<Measure>,
    /// Its open risk warnings.
    pub warnings: Vec<Warning>,
}

/// A decision an officer took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decided {
    pub id: i64,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub unit_name: String,
    pub batch_id: Option<String>,
}
