//! Decisions and unbindings, one item or ten thousand: each chunk is one
//! transaction that loads what the rules need in one query, judges every
//! item with the domain rules, and applies the changes set-wise with their
//! audit events. An item that cannot be decided is skipped with its reason.

use super::*;
use crate::domain::workflow::{self, Forbidden, Jurisdiction};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecideItem {
    pub id: i64,
    /// The version the caller saw; None takes the current one.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOp {
    Decide(Decision),
    Unbind,
}

impl BatchOp {
    pub fn code(self) -> &'static str {
        match self {
            BatchOp::Decide(Decision::Pass) => "pass",
            BatchOp::Decide(Decision::Reject) => "reject",
            BatchOp::Unbind => "unbind",
        }
    }
    pub fn parse(s: &str) -> Option<BatchOp> {
        match s {
            "pass" => Some(BatchOp::Decide(Decision::Pass)),
            "reject" => Some(BatchOp::Decide(Decision::Reject)),
            "unbind" => Some(BatchOp::Unbind),
            _ => None,
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
    /// None when done; else the error kind and its message.
    pub error: Option<(String, String)>,
    /// Exit code of the error, 0 when done.
    pub code: i32,
}

impl ItemResult {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
    fn failed(id: i64, e: &Error) -> ItemResult {
        ItemResult {
            id,
            action: None,
            from: None,
            to: None,
            version: None,
            error: Some((e.kind().into(), e.to_string())),
            code: e.exit_code(),
        }
    }
}

struct Loaded {
    id: i64,
    kind: Kind,
    state: State,
    version: i64,
    county_id: String,
    province_id: String,
    unit_id: i64,
    direct_unit_id: Option<i64>,
    last_decider: Option<String>,
    last_officer: Option<String>,
    updated_at: DateTime<Utc>,
    form: Form,
}

struct Planned {
    id: i64,
    kind: Kind,
    step: workflow::Step,
    version: i64,
    acting: Option<String>,
    unit_id: i64,
    direct_unit_id: Option<i64>,
    form: Form,
}

/// Reading an aggregated row: numbers, text, times and booleans as either
/// dialect renders them in JSON.
pub(crate) mod json_row {
    use chrono::{DateTime, Utc};
    use serde_json::Value;

    pub fn rows(text: &str) -> super::Result<Vec<Vec<Value>>> {
        serde_json::from_str(text).map_err(|e| super::Error::Invalid(format!("aggregate: {e}")))
    }
    pub fn int(v: &Value) -> Option<i64> {
        v.as_i64()
    }
    pub fn text(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    pub fn flag(v: &Value) -> bool {
        v.as_bool()
            .or_else(|| v.as_i64().map(|n| n != 0))
            .unwrap_or(false)
    }
    pub fn time(v: &Value) -> Option<DateTime<Utc>> {
        let s = v.as_str()?;
        DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl Loaded {
    /// From [id, kind, state, version, county, province, unit, direct unit,
    /// last decider, last officer, updated at, form, bound].
    fn from_json(r: &[Value]) -> Result<(Loaded, i64)> {
        use json_row::*;
        let bad = || Error::Invalid("malformed application row".into());
        let get = |i: usize| r.get(i).ok_or_else(bad);
        let kind = text(get(1)?)
            .and_then(|k| Kind::parse(&k))
            .ok_or_else(bad)?;
        let state = text(get(2)?)
            .and_then(|k| State::parse(&k))
            .ok_or_else(bad)?;
        let row = Loaded {
            id: int(get(0)?).ok_or_else(bad)?,
            kind,
            state,
            version: int(get(3)?).ok_or_else(bad)?,
            county_id: text(get(4)?).ok_or_else(bad)?,
            province_id: text(get(5)?).ok_or_else(bad)?,
            unit_id: int(get(6)?).ok_or_else(bad)?,
            direct_unit_id: int(get(7)?),
            last_decider: text(get(8)?),
            last_officer: text(get(9)?),
            updated_at: time(get(10)?).ok_or_else(bad)?,
            form: text(get(11)?)
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or_default(),
        };
        Ok((row, int(get(12)?).unwrap_or(0)))
    }

    fn conflict(&self) -> Error {
        Error::Conflict(Conflict {
            id: self.id,
            state: self.state,
            version: self.version,
            by: self.last_officer.clone(),
            at: self.updated_at,
        })
    }
}

/// Judges one item by the rules; pure.
fn plan(
    wf: &workflow::Workflow,
    officer: &Officer,
    item: &DecideItem,
    row: Option<&Loaded>,
    decision: Decision,
    reason: Option<&str>,
    bound: i64,
) -> Result<Planned> {
    let row = row
        .ok_or_else(|| Error::NotFound(format!("未找到申请 {} (no such application)", item.id)))?;
    if item.version.is_some_and(|v| v != row.version) {
        return Err(row.conflict());
    }
    let step = match workflow::step(row.kind, row.state, decision) {
        Ok(s) => s,
        // Decided already (or never the officers' to decide): a conflict.
        Err(_) => return Err(row.conflict()),
    };
    workflow::authorize(
        wf,
        officer,
        row.kind,
        step.stage,
        Jurisdiction {
            county: &row.county_id,
            province: &row.province_id,
        },
        row.last_decider.as_deref(),
    )?;
    if decision == Decision::Reject && reason.is_none() {
        return Err(Error::Invalid(
            crate::domain::validate::ReasonError::Empty.to_string(),
        ));
    }
    if row.kind == Kind::Exit && decision == Decision::Pass && bound > 0 {
        return Err(Error::Precondition(format!(
            "仍有{bound}个使用单位未解除绑定，请先解除 ({bound} user units are still bound: unbind them first)"
        )));
    }
    let acting = Stage::of_state(step.to)
        .and_then(|st| wf.rule(row.kind, st))
        .map(|r| match r.level {
            Level::County => row.county_id.clone(),
            Level::Province => row.province_id.clone(),
        });
    Ok(Planned {
        id: row.id,
        kind: row.kind,
        step,
        version: row.version,
        acting,
        unit_id: row.unit_id,
        direct_unit_id: row.direct_unit_id,
        form: row.form.clone(),
    })
}

/// Who may unbind: an officer of the direct-connect unit's county bureau with
/// the accept or supervise role, or of its province with supervise.
fn may_unbind(officer: &Officer, county: &str, province: &str) -> Result<(), Forbidden> {
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
    let role = match officer.level {
        Level::County if officer.has(Role::Accept) => None,
        _ if officer.has(Role::Supervise) => None,
        _ => Some(Role::Supervise),
    };
    match role {
        Some(r) => Err(Forbidden::MissingRole(r)),
        None => Ok(()),
    }
}

pub fn validated_reason(reason: Option<&str>, required: bool) -> Result<Option<String>> {
    match reason {
        Some(r) => crate::domain::validate::reason(r)
            .map(Some)
            .map_err(|e| Error::Invalid(e.to_string())),
        None if required => Err(Error::Invalid(
            crate::domain::validate::ReasonError::Empty.to_string(),
        )),
        None => Ok(None),
    }
}

impl Store {
    /// Records passed as one JSON parameter `$1`, as a materialized CTE
    /// named `u`: the only part of the set-wise statements that differs
    /// between the dialects. Materialized, so that SQLite reads the JSON
    /// once and indexes it for the join, instead of scanning it per row.
    pub(crate) fn records(&self, cols: &[(&str, &str)]) -> String {
        match self.backend {
            Backend::Sqlite(_) => {
                let sel: Vec<String> = cols
                    .iter()
                    .map(|(c, _)| format!("json_extract(value, '$.{c}') AS {c}"))
                    .collect();
                format!(
                    "WITH u AS MATERIALIZED (SELECT {} FROM json_each($1))",
                    sel.join(", ")
                )
            }
            Backend::Postgres(_) => {
                let defs: Vec<String> = cols.iter().map(|(c, t)| format!("{c} {t}")).collect();
                format!(
                    "WITH u AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS r({}))",
                    defs.join(", ")
                )
            }
        }
    }

    /// Writes the results of a chunk's items into their batch, in the
    /// chunk's transaction. A result already there (two consoles resuming
    /// one batch) stays as it was.
    /// `$3` and `$4`, the outcome and message, are shared by the records:
    /// a chunk writes its successes in one group and its failures by kind.
    fn result_rows_sql(&self) -> String {
        format!(
            "{} INSERT INTO batch_items (batch_id, seq, item_id, version, outcome, message)
             SELECT $2, useq, uid, uver, $3, COALESCE(umsg, $4) FROM u WHERE TRUE ON CONFLICT (batch_id, seq) DO NOTHING",
            self.records(&[("useq", "bigint"), ("uid", "bigint"), ("uver", "bigint"), ("umsg", "text")])
        )
    }

    /// Rows gathered into one JSON array of arrays. sqlx hands SQLite's
    /// rows across threads one message each; a thousand rows as one value
    /// cost one.
    pub(crate) fn agg(&self, cols: &str) -> String {
        match self.backend {
            Backend::Sqlite(_) => format!("json_group_array(json_array({cols}))"),
            Backend::Postgres(_) => {
                format!("COALESCE(json_agg(json_build_array({cols})), '[]'::json)::text")
            }
        }
    }

    /// One decision on one application; its refusal is the error.
    pub async fn decide(
        &self,
        officer: &Officer,
        id: i64,
        decision: Decision,
        reason: Option<&str>,
        version: Option<i64>,
    ) -> Result<ItemResult> {
        let reason = validated_reason(reason, decision == Decision::Reject)?;
        let mut r = self
            .judge_chunk(
                officer,
                &[DecideItem { id, version }],
                decision,
                reason.as_deref(),
                None,
            )
            .await?;
        r.pop().expect("one result per item")
    }

    /// Decides a chunk of items in one transaction; an item that cannot be
    /// decided is reported in its result, not as the error. The reason must
    /// have been validated.
    pub async fn decide_chunk(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        reason: Option<&str>,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<ItemResult>> {
        let r = self
            .judge_chunk(officer, items, decision, reason, batch)
            .await?;
        Ok(r.into_iter()
            .zip(items)
            .map(|(r, i)| r.unwrap_or_else(|e| ItemResult::failed(i.id, &e)))
            .collect())
    }

    async fn judge_chunk(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        reason: Option<&str>,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<Result<ItemResult>>> {
        let now = now();
        let client = client();
        let ids = Value::Array(items.iter().map(|i| json!({"uid": i.id})).collect());
        let load_sql = format!(
            "{} SELECT {} FROM applications a WHERE a.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.agg(
                "a.id, a.kind, a.state, a.version, a.county_id, a.province_id, a.unit_id, a.direct_unit_id,
                 a.last_decider, a.last_officer, a.updated_at, a.form,
                 CASE WHEN a.kind = 'exit' THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = a.unit_id AND b.active) ELSE 0 END"
            )
        );
        let check_sql = format!(
            "{} SELECT {} FROM applications a WHERE a.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.agg("a.id, a.version, a.last_officer, a.updated_at")
        );
        // Items of a chunk share their step in groups: what a group shares
        // is passed once, not parsed from every record.
        let update_sql = format!(
            "{} UPDATE applications SET state = $4, version = version + 1, acting_bureau = $5,
                 last_officer = $2, last_decider = $2, updated_at = $3
             FROM u WHERE applications.id = u.uid AND applications.version = u.uver",
            self.records(&[("uid", "bigint"), ("uver", "bigint")])
        );
        let audit_sql = format!(
            "{} INSERT INTO audit_events (application_id, action, from_state, to_state, officer, bureau_id, reason, at, batch_id, client)
             SELECT uid, $8, $9, $10, $2, $3, $4, $5, $6, $7 FROM u",
            self.records(&[("uid", "bigint")])
        );
        let units = self.records(&[("uunit", "bigint")]);
        let access_sql = format!(
            "{units} UPDATE units SET direct_connect = TRUE, exiting = FALSE WHERE id IN (SELECT uunit FROM u)"
        );
        let exit_kept_sql =
            format!("{units} UPDATE units SET exiting = FALSE WHERE id IN (SELECT uunit FROM u)");
        let bind_cols = [
            ("uid", "bigint"),
            ("uunit", "bigint"),
            ("udirect", "bigint"),
            ("urel", "text"),
        ];
        let binding_sql = format!(
            "{} INSERT INTO bindings (direct_unit_id, user_unit_id, relation, since, invitation_id) SELECT udirect, uunit, urel, $2, uid FROM u",
            self.records(&bind_cols)
        );
        let authorise_sql = format!(
            "{} INSERT INTO authorisations (direct_unit_id, unit_id, capability) SELECT udirect, uunit, '基础开票能力' FROM u",
            self.records(&bind_cols)
        );
        let capability_sql = format!(
            "{} INSERT INTO capabilities (unit_id, capability) SELECT uunit, ucap FROM u",
            self.records(&[("uunit", "bigint"), ("ucap", "text")])
        );
        let batch_sql = self.result_rows_sql();

        let results = in_tx!(self, |tx| {
            async {
            let mut loaded = std::collections::HashMap::new();
            let mut bound = std::collections::HashMap::new();
            let text: String = sqlx::query_scalar(AssertSqlSafe(load_sql.clone())).bind(ids.to_string()).fetch_one(&mut *tx).await?;
            for r in json_row::rows(&text)? {
                let (row, b) = Loaded::from_json(&r)?;
                bound.insert(row.id, b);
                loaded.insert(row.id, row);
            }
            let mut results: Vec<Result<ItemResult>> = Vec::with_capacity(items.len());
            let mut planned: Vec<Planned> = Vec::new();
            for item in items {
                let b = bound.get(&item.id).copied().unwrap_or(0);
                match plan(&self.workflow, officer, item, loaded.get(&item.id), decision, reason, b) {
                    Ok(p) => {
                        results.push(Ok(ItemResult {
                            id: p.id,
                            action: Some(p.step.action),
                            from: Some(p.step.from),
                            to: Some(p.step.to),
                            version: Some(p.version + 1),
                            error: None,
                            code: 0,
                        }));
                        planned.push(p);
                    }
                    Err(e) => results.push(Err(e)),
                }
            }
            // The version guard: an item another officer moved since the load
            // is not updated, and reported as a conflict.
            let mut groups: std::collections::BTreeMap<(State, Option<String>), Vec<Value>> = Default::default();
            for p in &planned {
                groups.entry((p.step.to, p.acting.clone())).or_default().push(json!({"uid": p.id, "uver": p.version}));
            }
            let applied: std::collections::HashSet<i64> = if planned.is_empty() {
                Default::default()
            } else {
                let mut affected = 0;
                for ((to, acting), recs) in &groups {
                    affected += sqlx::query(AssertSqlSafe(update_sql.clone()))
                        .bind(Value::Array(recs.clone()).to_string())
                        .bind(&officer.login)
                        .bind(now)
                        .bind(to.code())
                        .bind(acting)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                if affected as usize == planned.len() {
                    planned.iter().map(|p| p.id).collect()
                } else {
                    // Some moved under us: ours are those at our version and time.
                    let ids = Value::Array(planned.iter().map(|p| json!({"uid": p.id})).collect());
                    let text: String = sqlx::query_scalar(AssertSqlSafe(check_sql.clone())).bind(ids.to_string()).fetch_one(&mut *tx).await?;
                    let want: std::collections::HashMap<i64, i64> = planned.iter().map(|p| (p.id, p.version + 1)).collect();
                    json_row::rows(&text)?
                        .iter()
                        .filter(|r| {
                            let id = r.first().and_then(json_row::int);
                            id.is_some_and(|id| r.get(1).and_then(json_row::int) == want.get(&id).copied())
                                && r.get(2).and_then(json_row::text).as_deref() == Some(officer.login.as_str())
                                && r.get(3).and_then(json_row::time) == Some(now)
                        })
                        .filter_map(|r| r.first().and_then(json_row::int))
                        .collect()
                }
            };
            for r in results.iter_mut() {
                let Ok(done) = r else { continue };
                if applied.contains(&done.id) {
                    continue;
                }
                let id = done.id;
                let fresh: Option<(String, i64, Option<String>, DateTime<Utc>)> =
                    sqlx::query_as("SELECT state, version, last_officer, updated_at FROM applications WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                *r = Err(match fresh {
                    Some((s, v, by, at)) => Error::Conflict(Conflict { id, state: State::parse(&s).unwrap_or(State::Draft), version: v, by, at }),
                    None => Error::NotFound(format!("未找到申请 {id} (no such application)")),
                });
            }
            planned.retain(|p| applied.contains(&p.id));
            if !planned.is_empty() {
                let mut steps: std::collections::BTreeMap<(Action, State, State), Vec<Value>> = Default::default();
                for p in &planned {
                    steps.entry((p.step.action, p.step.from, p.step.to)).or_default().push(json!({"uid": p.id}));
                }
                for ((action, from, to), recs) in steps {
                    sqlx::query(AssertSqlSafe(audit_sql.clone()))
                        .bind(Value::Array(recs).to_string())
                        .bind(&officer.login)
                        .bind(&officer.bureau_id)
                        .bind(reason)
                        .bind(now)
                        .bind(batch.map(|b| b.0))
                        .bind(&client)
                        .bind(action.code())
                        .bind(from.code())
                        .bind(to.code())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            // What a final step does beyond the state change.
            let units_where = |pred: &dyn Fn(&Planned) -> bool| {
                Value::Array(planned.iter().filter(|p| pred(p)).map(|p| json!({"uunit": p.unit_id})).collect())
            };
            let access = units_where(&|p| p.kind == Kind::Access && p.step.to == State::Confirmed);
            if access.as_array().is_some_and(|a| !a.is_empty()) {
                sqlx::query(AssertSqlSafe(access_sql.clone())).bind(access.to_string()).execute(&mut *tx).await?;
            }
            let kept = units_where(&|p| p.kind == Kind::Exit && decision == Decision::Reject);
            if kept.as_array().is_some_and(|a| !a.is_empty()) {
                sqlx::query(AssertSqlSafe(exit_kept_sql.clone())).bind(kept.to_string()).execute(&mut *tx).await?;
            }
            let invitations: Vec<Value> = planned
                .iter()
                .filter(|p| p.kind == Kind::Invitation && p.step.to == State::Confirmed)
                .filter_map(|p| {
                    Some(json!({"uid": p.id, "uunit": p.unit_id, "udirect": p.direct_unit_id?,
                        "urel": p.form.relation.unwrap_or(Relation::Control).code()}))
                })
                .collect();
            if !invitations.is_empty() {
                let v = Value::Array(invitations).to_string();
                sqlx::query(AssertSqlSafe(binding_sql.clone())).bind(&v).bind(now).execute(&mut *tx).await?;
                sqlx::query(AssertSqlSafe(authorise_sql.clone())).bind(&v).execute(&mut *tx).await?;
            }
            let subs: Vec<Value> = planned
                .iter()
                .filter(|p| p.kind == Kind::Subscription && p.step.to == State::Confirmed)
                .map(|p| json!({"uunit": p.unit_id, "ucap": p.form.capability.clone().unwrap_or_else(|| "数电票开具".into())}))
                .collect();
            if !subs.is_empty() {
                sqlx::query(AssertSqlSafe(capability_sql.clone())).bind(Value::Array(subs).to_string()).execute(&mut *tx).await?;
            }
            for p in planned.iter().filter(|p| p.kind == Kind::Exit && p.step.to == State::Confirmed) {
                // DOMAIN.md D: everything the unit had ends with its exit.
                sqlx::query("UPDATE capabilities SET active = FALSE, ended_at = $2 WHERE unit_id = $1 AND active")
                    .bind(p.unit_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE authorisations SET active = FALSE, ended_at = $2 WHERE (direct_unit_id = $1 OR unit_id = $1) AND active")
                    .bind(p.unit_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let still: Vec<i64> = sqlx::query_scalar(
                    "UPDATE bindings SET active = FALSE, version = version + 1, ended_at = $2, ended_by = $3, ended_reason = '直连单位退出'
                     WHERE direct_unit_id = $1 AND active RETURNING id",
                )
                .bind(p.unit_id)
                .bind(now)
                .bind(&officer.login)
                .fetch_all(&mut *tx)
                .await?;
                for b in &still {
                    sqlx::query(
                        "INSERT INTO audit_events (binding_id, action, officer, bureau_id, reason, at, batch_id, client)
                         VALUES ($1, 'unbind', $2, $3, '直连单位退出', $4, $5, $6)",
                    )
                    .bind(*b)
                    .bind(&officer.login)
                    .bind(&officer.bureau_id)
                    .bind(now)
                    .bind(batch.map(|b| b.0))
                    .bind(&client)
                    .execute(&mut *tx)
                    .await?;
                }
                let flights: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT id, state FROM applications
                     WHERE ((kind = 'invitation' AND direct_unit_id = $1) OR (kind = 'subscription' AND unit_id = $1))
                       AND state IN ('awaiting_unit', 'pending_acceptance', 'pending_review', 'pending_confirmation')",
                )
                .bind(p.unit_id)
                .fetch_all(&mut *tx)
                .await?;
                for (fid, fstate) in &flights {
                    sqlx::query(
                        "UPDATE applications SET state = 'unsuccessful', version = version + 1, acting_bureau = NULL,
                             last_officer = $2, updated_at = $3 WHERE id = $1",
                    )
                    .bind(*fid)
                    .bind(&officer.login)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO audit_events (application_id, action, from_state, to_state, officer, bureau_id, reason, at, batch_id, client)
                         VALUES ($1, 'set_unsuccessful', $2, 'unsuccessful', $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(*fid)
                    .bind(fstate)
                    .bind(&officer.login)
                    .bind(&officer.bureau_id)
                    .bind(format!("直连单位退出申请 {} 确认通过 (exit {} confirmed)", p.id, p.id))
                    .bind(now)
                    .bind(batch.map(|b| b.0))
                    .bind(&client)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE units SET direct_connect = FALSE, exiting = FALSE WHERE id = $1")
                    .bind(p.unit_id)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((batch_id, seqs)) = batch {
                // Grouped by (outcome, shared message): successes share their
                // action's name; a failure carries its own message.
                let mut groups: std::collections::BTreeMap<(&str, Option<&str>), Vec<Value>> = Default::default();
                for ((r, seq), it) in results.iter().zip(seqs).zip(items) {
                    match r {
                        Ok(r) => groups.entry(("done", r.action.map(|a| a.zh()))).or_default().push(json!({"useq": seq, "uid": it.id, "uver": it.version})),
                        Err(e) => groups.entry((e.kind(), None)).or_default().push(json!({"useq": seq, "uid": it.id, "uver": it.version, "umsg": e.to_string()})),
                    }
                }
                for ((outcome, message), recs) in groups {
                    sqlx::query(AssertSqlSafe(batch_sql.clone()))
                        .bind(Value::Array(recs).to_string())
                        .bind(batch_id)
                        .bind(outcome)
                        .bind(message)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Ok::<_, Error>(results)
        }
        .await
        });
        Ok(results)
    }

    /// Ends bindings, with their authorisations, in one transaction.
    pub async fn unbind(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        reason: &str,
    ) -> Result<Vec<ItemResult>> {
        let reason = validated_reason(Some(reason), true)?.unwrap_or_default();
        self.unbind_chunk(officer, items, &reason, None).await
    }

    pub(crate) async fn unbind_chunk(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        reason: &str,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<ItemResult>> {
        let now = now();
        let client = client();
        let ids = Value::Array(items.iter().map(|i| json!({"uid": i.id})).collect());
        let load_sql = format!(
            "{} SELECT {} FROM bindings b JOIN units du ON du.id = b.direct_unit_id JOIN bureaus bu ON bu.id = du.bureau_id
             WHERE b.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.agg("b.id, b.direct_unit_id, b.user_unit_id, b.active, b.version, b.ended_by, b.ended_at, du.bureau_id, bu.province_id")
        );
        let check_sql = format!(
            "{} SELECT {} FROM bindings b WHERE b.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.agg("b.id, b.active, b.version, b.ended_by, b.ended_at")
        );
        let cols = [("uid", "bigint"), ("uver", "bigint")];
        let update_sql = format!(
            "{} UPDATE bindings SET active = FALSE, version = version + 1, ended_at = $2, ended_by = $3, ended_reason = $4
             FROM u WHERE bindings.id = u.uid AND bindings.version = u.uver AND bindings.active",
            self.records(&cols)
        );
        let auth_sql = format!(
            "{} UPDATE authorisations SET active = FALSE, ended_at = $2
             WHERE active AND (direct_unit_id, unit_id) IN
                 (SELECT b.direct_unit_id, b.user_unit_id FROM bindings b WHERE b.id IN (SELECT uid FROM u))",
            self.records(&cols)
        );
        let audit_sql = format!(
            "{} INSERT INTO audit_events (binding_id, action, officer, bureau_id, reason, at, batch_id, client)
             SELECT uid, 'unbind', $2, $3, $4, $5, $6, $7 FROM u",
            self.records(&cols)
        );
        let batch_sql = self.result_rows_sql();
        let results = in_tx!(self, |tx| {
            async {
                type Row = (
                    i64,
                    i64,
                    i64,
                    bool,
                    i64,
                    Option<String>,
                    Option<DateTime<Utc>>,
                    String,
                    String,
                );
                let text: String = sqlx::query_scalar(AssertSqlSafe(load_sql.clone()))
                    .bind(ids.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
                let rows: Vec<Row> = json_row::rows(&text)?
                    .iter()
                    .map(|r| -> Option<Row> {
                        use json_row::*;
                        Some((
                            int(r.first()?)?,
                            int(r.get(1)?)?,
                            int(r.get(2)?)?,
                            flag(r.get(3)?),
                            int(r.get(4)?)?,
                            text(r.get(5)?),
                            time(r.get(6)?),
                            text(r.get(7)?)?,
                            text(r.get(8)?)?,
                        ))
                    })
                    .collect::<Option<Vec<Row>>>()
                    .ok_or_else(|| Error::Invalid("malformed binding row".into()))?;
                let by_id: std::collections::HashMap<i64, Row> =
                    rows.into_iter().map(|r| (r.0, r)).collect();
                let mut results = Vec::with_capacity(items.len());
                let mut planned = Vec::new();
                for item in items {
                    let judged = match by_id.get(&item.id) {
                        None => Err(Error::NotFound(format!(
                            "未找到绑定关系 {} (no such binding)",
                            item.id
                        ))),
                        Some((_, _, _, false, _, by, at, _, _)) => {
                            Err(Error::Precondition(format!(
                                "绑定关系 {} 已由 {} 于 {} 解除 (already unbound)",
                                item.id,
                                by.as_deref().unwrap_or("?"),
                                at.map(|t| crate::fmt::beijing(t)
                                    .format("%Y-%m-%d %H:%M")
                                    .to_string())
                                    .unwrap_or_default()
                            )))
                        }
                        Some(r) if item.version.is_some_and(|v| v != r.4) => {
                            Err(Error::Precondition(format!(
                                "绑定关系 {} 已被修改（版本 {}） (changed since you saw it)",
                                item.id, r.4
                            )))
                        }
                        Some(r) => may_unbind(officer, &r.7, &r.8)
                            .map(|_| r.clone())
                            .map_err(Error::from),
                    };
                    match judged {
                        Ok(r) => {
                            results.push(ItemResult {
                                id: item.id,
                                action: Some(Action::Unbind),
                                from: None,
                                to: None,
                                version: Some(r.4 + 1),
                                error: None,
                                code: 0,
                            });
                            planned.push(r);
                        }
                        Err(e) => results.push(ItemResult::failed(item.id, &e)),
                    }
                }
                let recs = |ps: &[Row]| {
                    Value::Array(
                        ps.iter()
                            .map(|r| json!({"uid": r.0, "uver": r.4}))
                            .collect(),
                    )
                    .to_string()
                };
                let applied: std::collections::HashSet<i64> = if planned.is_empty() {
                    Default::default()
                } else {
                    let affected = sqlx::query(AssertSqlSafe(update_sql.clone()))
                        .bind(recs(&planned))
                        .bind(now)
                        .bind(&officer.login)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if affected as usize == planned.len() {
                        planned.iter().map(|r| r.0).collect()
                    } else {
                        // Some changed under us: ours are those we ended just now.
                        let ids =
                            Value::Array(planned.iter().map(|r| json!({"uid": r.0})).collect());
                        let text: String = sqlx::query_scalar(AssertSqlSafe(check_sql.clone()))
                            .bind(ids.to_string())
                            .fetch_one(&mut *tx)
                            .await?;
                        let want: std::collections::HashMap<i64, i64> =
                            planned.iter().map(|r| (r.0, r.4 + 1)).collect();
                        json_row::rows(&text)?
                            .iter()
                            .filter(|r| {
                                let id = r.first().and_then(json_row::int);
                                id.is_some_and(|id| {
                                    r.get(2).and_then(json_row::int) == want.get(&id).copied()
                                }) && !r.get(1).is_some_and(json_row::flag)
                                    && r.get(3).and_then(json_row::text).as_deref()
                                        == Some(officer.login.as_str())
                                    && r.get(4).and_then(json_row::time) == Some(now)
                            })
                            .filter_map(|r| r.first().and_then(json_row::int))
                            .collect()
                    }
                };
                for r in results
                    .iter_mut()
                    .filter(|r| r.ok() && !applied.contains(&r.id))
                {
                    *r = ItemResult::failed(
                        r.id,
                        &Error::Precondition(format!(
                            "绑定关系 {} 刚被他人解除或修改 (changed by someone else just now)",
                            r.id
                        )),
                    );
                }
                planned.retain(|r| applied.contains(&r.0));
                if !planned.is_empty() {
                    let v = recs(&planned);
                    sqlx::query(AssertSqlSafe(auth_sql.clone()))
                        .bind(&v)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(AssertSqlSafe(audit_sql.clone()))
                        .bind(&v)
                        .bind(&officer.login)
                        .bind(&officer.bureau_id)
                        .bind(reason)
                        .bind(now)
                        .bind(batch.map(|b| b.0))
                        .bind(&client)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some((batch_id, seqs)) = batch {
                    let mut groups: std::collections::BTreeMap<String, Vec<Value>> =
                        Default::default();
                    for ((r, seq), it) in results.iter().zip(seqs).zip(items) {
                        let (outcome, message) = match &r.error {
                            None => ("done".to_string(), None),
                            Some((kind, message)) => (kind.clone(), Some(message.clone())),
                        };
                        groups.entry(outcome).or_default().push(
                            json!({"useq": seq, "uid": it.id, "uver": it.version, "umsg": message}),
                        );
                    }
                    for (outcome, recs) in groups {
                        sqlx::query(AssertSqlSafe(batch_sql.clone()))
                            .bind(Value::Array(recs).to_string())
                            .bind(batch_id)
                            .bind(&outcome)
                            .bind(Action::Unbind.zh())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Ok::<_, Error>(results)
            }
            .await
        });
        Ok(results)
    }

    /// Notes that the paper copy of a material was received at the counter.
    pub async fn mark_paper_received(&self, officer: &Officer, material: i64) -> Result<()> {
        let now = now();
        let client = client();
        in_tx!(self, |tx| {
            async {
            let row: Option<(i64, String, bool)> = sqlx::query_as(
                "SELECT m.application_id, a.county_id, m.paper_received FROM materials m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
            )
            .bind(material)
            .fetch_optional(&mut *tx)
            .await?;
            let (app, county, done) = row.ok_or_else(|| Error::NotFound(format!("未找到材料 {material} (no such material)")))?;
            if officer.bureau_id != county {
                return Err(Error::Forbidden(Forbidden::WrongBureau { level: Level::County, bureau: county }));
            }
            if !officer.has(Role::Accept) {
                return Err(Error::Forbidden(Forbidden::MissingRole(Role::Accept)));
            }
            if !done {
                sqlx::query("UPDATE materials SET paper_received = TRUE WHERE id = $1").bind(material).execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO audit_events (application_id, action, officer, bureau_id, reason, at, client)
                     VALUES ($1, 'paper_received', $2, $3, $4, $5, $6)",
                )
                .bind(app)
                .bind(&officer.login)
                .bind(&officer.bureau_id)
                .bind(format!("材料 {material}"))
                .bind(now)
                .bind(&client)
                .execute(&mut *tx)
                .await?;
            }
            Ok::<_, Error>(())
        }
        .await
        });
        Ok(())
    }
}
