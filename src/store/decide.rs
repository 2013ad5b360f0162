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

impl Loaded {
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
    /// A FROM item of records passed as one JSON parameter `$1`: the only
    /// part of the set-wise statements that differs between the dialects.
    pub(crate) fn records(&self, cols: &[(&str, &str)]) -> String {
        match self.backend {
            Backend::Sqlite(_) => {
                let sel: Vec<String> = cols
                    .iter()
                    .map(|(c, _)| format!("json_extract(value, '$.{c}') AS {c}"))
                    .collect();
                format!("(SELECT {} FROM json_each($1)) AS u", sel.join(", "))
            }
            Backend::Postgres(_) => {
                let defs: Vec<String> = cols.iter().map(|(c, t)| format!("{c} {t}")).collect();
                format!("json_to_recordset($1::json) AS u({})", defs.join(", "))
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
            "SELECT a.id, a.kind, a.state, a.version, a.county_id, a.province_id, a.unit_id, a.direct_unit_id,
                    a.last_decider, a.last_officer, a.updated_at, a.form,
                    CASE WHEN a.kind = 'exit' THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = a.unit_id AND b.active) ELSE 0 END AS bound
             FROM applications a WHERE a.id IN (SELECT uid FROM {})",
            self.records(&[("uid", "bigint")])
        );
        let update_sql = format!(
            "UPDATE applications SET state = u.ust, version = version + 1, acting_bureau = u.uacting,
                 last_officer = $2, last_decider = $2, updated_at = $3
             FROM {} WHERE applications.id = u.uid AND applications.version = u.uver RETURNING id",
            self.records(&[("uid", "bigint"), ("uver", "bigint"), ("ust", "text"), ("uacting", "text")])
        );
        let audit_sql = format!(
            "INSERT INTO audit_events (application_id, action, from_state, to_state, officer, bureau_id, reason, at, batch_id, client)
             SELECT uid, uaction, ufrom, uto, $2, $3, $4, $5, $6, $7 FROM {}",
            self.records(&[("uid", "bigint"), ("uaction", "text"), ("ufrom", "text"), ("uto", "text")])
        );
        let unit_ids = self.records(&[("uunit", "bigint")]);
        let access_sql = format!(
            "UPDATE units SET direct_connect = TRUE, exiting = FALSE WHERE id IN (SELECT uunit FROM {unit_ids})"
        );
        let exit_kept_sql =
            format!("UPDATE units SET exiting = FALSE WHERE id IN (SELECT uunit FROM {unit_ids})");
        let bind_cols = [
            ("uid", "bigint"),
            ("uunit", "bigint"),
            ("udirect", "bigint"),
            ("urel", "text"),
        ];
        let binding_sql = format!(
            "INSERT INTO bindings (direct_unit_id, user_unit_id, relation, since, invitation_id) SELECT udirect, uunit, urel, $2, uid FROM {}",
            self.records(&bind_cols)
        );
        let authorise_sql = format!(
            "INSERT INTO authorisations (direct_unit_id, unit_id, capability) SELECT udirect, uunit, '基础开票能力' FROM {}",
            self.records(&bind_cols)
        );
        let capability_sql = format!(
            "INSERT INTO capabilities (unit_id, capability) SELECT uunit, ucap FROM {}",
            self.records(&[("uunit", "bigint"), ("ucap", "text")])
        );
        let batch_sql = format!(
            "UPDATE batch_items SET outcome = u.uout, message = u.umsg FROM {} WHERE batch_items.batch_id = $2 AND batch_items.seq = u.useq",
            self.records(&[("useq", "bigint"), ("uout", "text"), ("umsg", "text")])
        );

        let results = in_tx!(self, |tx| {
            async {
            let mut loaded = std::collections::HashMap::new();
            let mut bound = std::collections::HashMap::new();
            for r in sqlx::query(AssertSqlSafe(load_sql.clone())).bind(ids.to_string()).fetch_all(&mut *tx).await? {
                let kind: String = r.try_get("kind")?;
                let state: String = r.try_get("state")?;
                let form: String = r.try_get("form")?;
                let row = Loaded {
                    id: r.try_get("id")?,
                    kind: Kind::parse(&kind).ok_or_else(|| Error::Invalid(format!("unknown kind {kind}")))?,
                    state: State::parse(&state).ok_or_else(|| Error::Invalid(format!("unknown state {state}")))?,
                    version: r.try_get("version")?,
                    county_id: r.try_get("county_id")?,
                    province_id: r.try_get("province_id")?,
                    unit_id: r.try_get("unit_id")?,
                    direct_unit_id: r.try_get("direct_unit_id")?,
                    last_decider: r.try_get("last_decider")?,
                    last_officer: r.try_get("last_officer")?,
                    updated_at: r.try_get("updated_at")?,
                    form: serde_json::from_str(&form).unwrap_or_default(),
                };
                bound.insert(row.id, r.try_get::<i64, _>("bound")?);
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
            let updates = Value::Array(
                planned
                    .iter()
                    .map(|p| json!({"uid": p.id, "uver": p.version, "ust": p.step.to.code(), "uacting": p.acting}))
                    .collect(),
            );
            let applied: std::collections::HashSet<i64> = if planned.is_empty() {
                Default::default()
            } else {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(update_sql.clone()))
                    .bind(updates.to_string())
                    .bind(&officer.login)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect()
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
                let audit = Value::Array(
                    planned
                        .iter()
                        .map(|p| json!({"uid": p.id, "uaction": p.step.action.code(), "ufrom": p.step.from.code(), "uto": p.step.to.code()}))
                        .collect(),
                );
                sqlx::query(AssertSqlSafe(audit_sql.clone()))
                    .bind(audit.to_string())
                    .bind(&officer.login)
                    .bind(&officer.bureau_id)
                    .bind(reason)
                    .bind(now)
                    .bind(batch.map(|b| b.0))
                    .bind(&client)
                    .execute(&mut *tx)
                    .await?;
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
                let outcomes = Value::Array(
                    results
                        .iter()
                        .zip(seqs)
                        .map(|(r, seq)| match r {
                            Ok(r) => json!({"useq": seq, "uout": "done", "umsg": r.action.map(|a| a.zh())}),
                            Err(e) => json!({"useq": seq, "uout": e.kind(), "umsg": e.to_string()}),
                        })
                        .collect(),
                );
                sqlx::query(AssertSqlSafe(batch_sql.clone())).bind(outcomes.to_string()).bind(batch_id).execute(&mut *tx).await?;
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
            "SELECT b.id, b.direct_unit_id, b.user_unit_id, b.active, b.version, b.ended_by, b.ended_at, u.bureau_id, bu.province_id
             FROM bindings b JOIN units u ON u.id = b.direct_unit_id JOIN bureaus bu ON bu.id = u.bureau_id
             WHERE b.id IN (SELECT uid FROM {})",
            self.records(&[("uid", "bigint")])
        );
        let cols = [
            ("uid", "bigint"),
            ("uver", "bigint"),
            ("udirect", "bigint"),
            ("uuser", "bigint"),
        ];
        let update_sql = format!(
            "UPDATE bindings SET active = FALSE, version = version + 1, ended_at = $2, ended_by = $3, ended_reason = $4
             FROM {} WHERE bindings.id = u.uid AND bindings.version = u.uver AND bindings.active RETURNING id",
            self.records(&cols)
        );
        let auth_sql = format!(
            "UPDATE authorisations SET active = FALSE, ended_at = $2
             WHERE active AND EXISTS (SELECT 1 FROM {} WHERE u.udirect = authorisations.direct_unit_id AND u.uuser = authorisations.unit_id)",
            self.records(&cols)
        );
        let audit_sql = format!(
            "INSERT INTO audit_events (binding_id, action, officer, bureau_id, reason, at, batch_id, client)
             SELECT uid, 'unbind', $2, $3, $4, $5, $6, $7 FROM {}",
            self.records(&cols)
        );
        let batch_sql = format!(
            "UPDATE batch_items SET outcome = u.uout, message = u.umsg FROM {} WHERE batch_items.batch_id = $2 AND batch_items.seq = u.useq",
            self.records(&[("useq", "bigint"), ("uout", "text"), ("umsg", "text")])
        );
        let results = in_tx!(self, |tx| {
            async {
            type Row = (i64, i64, i64, bool, i64, Option<String>, Option<DateTime<Utc>>, String, String);
            let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(load_sql.clone())).bind(ids.to_string()).fetch_all(&mut *tx).await?;
            let by_id: std::collections::HashMap<i64, Row> = rows.into_iter().map(|r| (r.0, r)).collect();
            let mut results = Vec::with_capacity(items.len());
            let mut planned = Vec::new();
            for item in items {
                let judged = match by_id.get(&item.id) {
                    None => Err(Error::NotFound(format!("未找到绑定关系 {} (no such binding)", item.id))),
                    Some((_, _, _, false, _, by, at, _, _)) => Err(Error::Precondition(format!(
                        "绑定关系 {} 已由 {} 于 {} 解除 (already unbound)",
                        item.id,
                        by.as_deref().unwrap_or("?"),
                        at.map(|t| crate::fmt::beijing(t).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
                    ))),
                    Some(r) if item.version.is_some_and(|v| v != r.4) => {
                        Err(Error::Precondition(format!("绑定关系 {} 已被修改（版本 {}） (changed since you saw it)", item.id, r.4)))
                    }
                    Some(r) => may_unbind(officer, &r.7, &r.8).map(|_| r.clone()).map_err(Error::from),
                };
                match judged {
                    Ok(r) => {
                        results.push(ItemResult { id: item.id, action: Some(Action::Unbind), from: None, to: None, version: Some(r.4 + 1), error: None, code: 0 });
                        planned.push(r);
                    }
                    Err(e) => results.push(ItemResult::failed(item.id, &e)),
                }
            }
            let recs = |ps: &[Row]| Value::Array(ps.iter().map(|r| json!({"uid": r.0, "uver": r.4, "udirect": r.1, "uuser": r.2})).collect()).to_string();
            let applied: std::collections::HashSet<i64> = if planned.is_empty() {
                Default::default()
            } else {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(update_sql.clone()))
                    .bind(recs(&planned))
                    .bind(now)
                    .bind(&officer.login)
                    .bind(reason)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect()
            };
            for r in results.iter_mut().filter(|r| r.ok() && !applied.contains(&r.id)) {
                *r = ItemResult::failed(r.id, &Error::Precondition(format!("绑定关系 {} 刚被他人解除或修改 (changed by someone else just now)", r.id)));
            }
            planned.retain(|r| applied.contains(&r.0));
            if !planned.is_empty() {
                let v = recs(&planned);
                sqlx::query(AssertSqlSafe(auth_sql.clone())).bind(&v).bind(now).execute(&mut *tx).await?;
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
                let outcomes = Value::Array(
                    results
                        .iter()
                        .zip(seqs)
                        .map(|(r, seq)| json!({"useq": seq, "uout": if r.ok() { "done".to_string() } else { r.error.as_ref().map(|e| e.0.clone()).unwrap_or_default() },
                                               "umsg": r.error.as_ref().map(|e| e.1.clone()).unwrap_or_else(|| "解除绑定".into())}))
                        .collect(),
                );
                sqlx::query(AssertSqlSafe(batch_sql.clone())).bind(outcomes.to_string()).bind(batch_id).execute(&mut *tx).await?;
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
