//! Decisions, one item or ten thousand: each chunk is one transaction that
//! loads what the rules need in one query, asks the domain to judge every
//! item, and applies the changes set-wise with their audit events. An item
//! that cannot be decided is skipped with its reason.

use super::audit::{NewAudit, Stamp};
use super::secure::Run;
use super::sql::{Tx, args, de, id_records, json_records};
use super::*;
use crate::domain::judge::{self, Consequence, Planned, Refusal, Subject};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// An application row as a decision loads it.
#[derive(Deserialize)]
struct SubjectRow {
    id: i64,
    kind: String,
    state: String,
    version: i64,
    county_id: String,
    province_id: String,
    unit_id: i64,
    direct_unit_id: Option<i64>,
    last_decider: Option<String>,
    last_officer: Option<String>,
    #[serde(deserialize_with = "de::time")]
    updated_at: DateTime<Utc>,
    form: String,
    bound: i64,
    #[serde(deserialize_with = "de::flag")]
    already_bound: bool,
    #[serde(deserialize_with = "de::flag")]
    already_subscribed: bool,
    /// Kinds of the measures in force on the unit concerned, comma-joined.
    measures: Option<String>,
    /// The claim on it: holder and lease end.
    holder: Option<String>,
    #[serde(default, deserialize_with = "de::opt_time")]
    holder_until: Option<DateTime<Utc>>,
}

impl SubjectRow {
    /// The subject, or why the stored row cannot be read.
    fn into_subject(self) -> Result<Subject, String> {
        let bad = |what: &str, v: &str| {
            tracing::error!("application {}: unknown stored {what} {v:?}", self.id);
            format!(
                "申请 {} 的{what}“{}”无法识别 (unknown stored code)",
                self.id,
                crate::domain::text::inert(v)
            )
        };
        let kind = Kind::parse(&self.kind).ok_or_else(|| bad("类型", &self.kind))?;
        let state = State::parse(&self.state).ok_or_else(|| bad("状态", &self.state))?;
        let form: Form = serde_json::from_str(&self.form).unwrap_or_default();
        Ok(Subject {
            id: self.id,
            kind,
            state,
            version: self.version,
            county_id: self.county_id,
            province_id: self.province_id,
            unit_id: self.unit_id,
            direct_unit_id: self.direct_unit_id,
            last_decider: self.last_decider,
            last_officer: self.last_officer,
            updated_at: self.updated_at,
            relation: form.relation,
            capability: form.capability,
            bound_user_units: self.bound,
            already_bound: self.already_bound,
            already_subscribed: self.already_subscribed,
            measures: self
                .measures
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(MeasureKind::parse)
                .collect(),
            period_end: form.period_end.as_deref().and_then(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
            }),
            claim: self.holder.zip(self.holder_until),
        })
    }
}

/// A rejection or unbinding reason, validated; required or not.
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

/// Each item's result, its error as a failed result.
fn flatten(results: &[Result<ItemResult>], items: &[DecideItem]) -> Vec<ItemResult> {
    results
        .iter()
        .zip(items)
        .map(|(r, i)| match r {
            Ok(r) => r.clone(),
            Err(e) => ItemResult::failed(i.id, e),
        })
        .collect()
}

/// Who acts, when and from where: written with every change.
pub(crate) struct Actor<'a> {
    pub officer: &'a Officer,
    pub now: DateTime<Utc>,
    pub client: Option<String>,
    pub batch: Option<&'a str>,
}

impl Actor<'_> {
    /// The stamp on the events this actor writes.
    pub fn stamp(&self) -> Stamp<'_> {
        Stamp {
            officer: &self.officer.login,
            bureau: Some(&self.officer.bureau_id),
            at: self.now,
            batch: self.batch,
            client: self.client.as_deref(),
        }
    }
}

impl Store {
    /// One decision on one application; its refusal is the error.
    pub async fn decide(
        &self,
        officer: &Officer,
        id: i64,
        decision: Decision,
        reason: Option<&str>,
        version: Option<i64>,
    ) -> Result<ItemResult> {
        self.decide_until(officer, id, decision, reason, version, None)
            .await
    }

    /// As `decide`; an extension confirmed runs to `until` (else the end
    /// its request names, else a year).
    pub async fn decide_until(
        &self,
        officer: &Officer,
        id: i64,
        decision: Decision,
        reason: Option<&str>,
        version: Option<i64>,
        until: Option<DateTime<Utc>>,
    ) -> Result<ItemResult> {
        let reason = validated_reason(reason, decision == Decision::Reject)?;
        let item = DecideItem { id, version };
        let mut judged = self
            .judge_chunk(officer, &[item], decision, reason.as_deref(), until, None)
            .await?;
        judged
            .pop()
            .unwrap_or_else(|| Err(Error::not_found_application(id)))
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
        self.decide_chunk_until(officer, items, decision, reason, None, batch)
            .await
    }

    /// As `decide_chunk`, extensions confirmed to `until`.
    pub async fn decide_chunk_until(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        reason: Option<&str>,
        until: Option<DateTime<Utc>>,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<ItemResult>> {
        let judged = self
            .judge_chunk(officer, items, decision, reason, until, batch)
            .await?;
        Ok(judged
            .into_iter()
            .zip(items)
            .map(|(r, i)| r.unwrap_or_else(|e| ItemResult::failed(i.id, &e)))
            .collect())
    }

    /// Load, judge, apply: the whole of one chunk, in one transaction.
    async fn judge_chunk(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        reason: Option<&str>,
        until: Option<DateTime<Utc>>,
        batch: Option<(&str, &[i64])>,
    ) -> Result<Vec<Result<ItemResult>>> {
        if let Some(u) = until {
            crate::domain::supervision::extension_end(u, now()).map_err(Error::Invalid)?;
        }
        if !self.is_embedded() {
            // The database judges, writes and records the batch's result
            // rows (leqi_decide), in one call.
            let mut tx = self.begin().await?;
            let run = Run::Apply { batch };
            let results = self
                .pg_decide(&mut tx, officer, items, decision, reason, until, run)
                .await?;
            tx.commit().await?;
            return Ok(results);
        }
        let actor = Actor {
            officer,
            now: now(),
            client: client(),
            batch: batch.map(|b| b.0),
        };
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let loaded = self.load_subjects(&mut tx, &ids).await?;
        let asked = judge::Asked {
            decision,
            has_reason: reason.is_some(),
            until,
            now: Some(actor.now),
        };
        let judged = judge::decisions(
            &self.workflow,
            officer,
            items,
            |id| loaded.get(&id).and_then(|r| r.as_ref().ok()),
            asked,
        );
        let mut results = Vec::with_capacity(items.len());
        let mut planned: Vec<Planned> = Vec::new();
        for (item, judged) in items.iter().zip(judged) {
            match (judged, loaded.get(&item.id)) {
                // A row the rules could not read: its own error.
                (Err(Refusal::NoApplication(_)), Some(Err(e))) => {
                    results.push(Err(Error::Invalid(e.clone())))
                }
                (Ok(p), _) => {
                    results.push(Ok(ItemResult {
                        id: p.id,
                        action: Some(p.step.action),
                        from: Some(p.step.from),
                        to: Some(p.step.to),
                        version: Some(p.version + 1),
                        error: None,
                    }));
                    planned.push(p);
                }
                (Err(refusal), _) => results.push(Err(refusal.into())),
            }
        }
        let applied = self.apply_steps(&mut tx, &actor, &planned).await?;
        self.report_lost(&mut tx, &mut results, &applied).await?;
        planned.retain(|p| applied.contains(&p.id));
        // A decided item's claim ends with its version; a lapsed one's
        // lapse is recorded first.
        self.record_lapses(&mut tx, &actor, &planned).await?;
        self.audit_steps(&mut tx, &actor, reason, &planned).await?;
        self.apply_consequences(&mut tx, &actor, &planned).await?;
        self.write_results(&mut tx, batch, items, &flatten(&results, items))
            .await?;
        tx.commit().await?;
        Ok(results)
    }

    /// What a chunk of decisions would do, judged without writing: which
    /// items can be done now.
    pub(crate) async fn judge_decisions(
        &self,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        has_reason: bool,
    ) -> Result<Vec<ItemResult>> {
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let mut tx = self.begin_read().await?;
        if !self.is_embedded() {
            let reason = has_reason.then_some("-");
            let judged = self
                .pg_decide(&mut tx, officer, items, decision, reason, None, Run::Judge)
                .await?;
            return Ok(flatten(&judged, items));
        }
        let loaded = self.load_subjects(&mut tx, &ids).await?;
        drop(tx);
        let judged = judge::decisions(
            &self.workflow,
            officer,
            items,
            |id| loaded.get(&id).and_then(|r| r.as_ref().ok()),
            judge::Asked::plain(decision, has_reason),
        );
        Ok(items
            .iter()
            .zip(judged)
            .map(|(item, j)| match j {
                Ok(p) => ItemResult {
                    id: p.id,
                    action: Some(p.step.action),
                    from: Some(p.step.from),
                    to: Some(p.step.to),
                    version: Some(p.version + 1),
                    error: None,
                },
                Err(r) => ItemResult::failed(item.id, &r.into()),
            })
            .collect())
    }

    /// What the rules read of each application, by id.
    pub(super) async fn load_subjects(
        &self,
        tx: &mut Tx,
        ids: &[i64],
    ) -> Result<HashMap<i64, Result<Subject, String>>> {
        let sql = format!(
            "{} SELECT {} FROM applications a WHERE a.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects(&format!(
                "'id', a.id, 'kind', a.kind, 'state', a.state, 'version', a.version,
                 'county_id', a.county_id, 'province_id', a.province_id, 'unit_id', a.unit_id,
                 'direct_unit_id', a.direct_unit_id, 'last_decider', a.last_decider,
                 'last_officer', a.last_officer, 'updated_at', a.updated_at, 'form', a.form,
                 'bound', CASE WHEN a.kind = 'exit' THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = a.unit_id AND b.active) ELSE 0 END,
                 'already_bound', CASE WHEN a.kind = 'invitation' THEN EXISTS (SELECT 1 FROM bindings b
                     WHERE b.direct_unit_id = a.direct_unit_id AND b.user_unit_id = a.unit_id AND b.active) ELSE FALSE END,
                 'already_subscribed', CASE WHEN a.kind = 'subscription' THEN EXISTS (SELECT 1 FROM capabilities c
                     WHERE c.unit_id = a.unit_id AND c.active AND c.capability = COALESCE({capability}, '{default}')) ELSE FALSE END,
                 'measures', (SELECT group_concat(m.kind, ',') FROM measures m WHERE m.state = 'in_force'
                     AND m.unit_id = CASE WHEN a.kind = 'invitation' THEN a.direct_unit_id ELSE a.unit_id END),
                 'holder', (SELECT c.officer FROM claims c WHERE c.application_id = a.id AND c.version = a.version),
                 'holder_until', (SELECT c.expires_at FROM claims c WHERE c.application_id = a.id AND c.version = a.version)",
                capability = self.json_text("a.form", "capability"),
                default = judge::DEFAULT_CAPABILITY,
            ))
        );
        let rows: Vec<SubjectRow> = tx.objects(&sql, args![id_records(ids)]).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.into_subject())).collect())
    }

    /// The state changes, version-guarded: an item another officer moved
    /// since the load is not updated. Returns the ids changed.
    async fn apply_steps(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        planned: &[Planned],
    ) -> Result<HashSet<i64>> {
        if planned.is_empty() {
            return Ok(HashSet::new());
        }
        // Items of a chunk share their step in groups: what a group shares
        // is passed once, not parsed from every record.
        let sql = format!(
            "{} UPDATE applications SET state = $4, version = version + 1, acting_bureau = $5,
                 last_officer = $2, last_decider = $2, updated_at = $3
             FROM u WHERE applications.id = u.uid AND applications.version = u.uver",
            self.records(&[("uid", "bigint"), ("uver", "bigint")])
        );
        let mut groups: BTreeMap<(State, Option<String>), Vec<serde_json::Value>> = BTreeMap::new();
        for p in planned {
            groups
                .entry((p.step.to, p.acting.clone()))
                .or_default()
                .push(json!({"uid": p.id, "uver": p.version}));
        }
        let mut affected = 0;
        for ((to, acting), recs) in groups {
            affected += tx
                .execute(
                    &sql,
                    args![
                        json_records(recs),
                        actor.officer.login.as_str(),
                        actor.now,
                        to.code(),
                        acting
                    ],
                )
                .await?;
        }
        if affected as usize == planned.len() {
            return Ok(planned.iter().map(|p| p.id).collect());
        }
        // Some moved under us: ours are those at our version and time.
        let check = format!(
            "{} SELECT {} FROM applications a WHERE a.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects(
                "'id', a.id, 'version', a.version, 'last_officer', a.last_officer, 'updated_at', a.updated_at"
            )
        );
        #[derive(Deserialize)]
        struct After {
            id: i64,
            version: i64,
            last_officer: Option<String>,
            #[serde(deserialize_with = "de::time")]
            updated_at: DateTime<Utc>,
        }
        let want: HashMap<i64, i64> = planned.iter().map(|p| (p.id, p.version + 1)).collect();
        let rows: Vec<After> = tx.objects(&check, args![id_records(want.keys())]).await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                want.get(&r.id) == Some(&r.version)
                    && r.last_officer.as_deref() == Some(actor.officer.login.as_str())
                    && r.updated_at == actor.now
            })
            .map(|r| r.id)
            .collect())
    }

    /// Items judged done that another officer changed first become
    /// conflicts that say who and when.
    async fn report_lost(
        &self,
        tx: &mut Tx,
        results: &mut [Result<ItemResult>],
        applied: &HashSet<i64>,
    ) -> Result<()> {
        let lost: Vec<i64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|r| r.id))
            .filter(|id| !applied.contains(id))
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        let mut now = self.load_subjects(tx, &lost).await?;
        for r in results.iter_mut() {
            let Ok(done) = r else { continue };
            if applied.contains(&done.id) {
                continue;
            }
            let id = done.id;
            *r = Err(match now.remove(&id) {
                Some(Ok(s)) => Error::Conflict(s.conflict()),
                Some(Err(e)) => Error::Invalid(e),
                None => Error::not_found_application(id),
            });
        }
        Ok(())
    }

    /// One audit event per change, in groups that share their step.
    async fn audit_steps(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        reason: Option<&str>,
        planned: &[Planned],
    ) -> Result<()> {
        // An extension's confirmation says to when.
        let extended: HashMap<i64, String> = planned
            .iter()
            .filter_map(|p| match p.consequence {
                Some(Consequence::Extends { until, .. }) => Some((
                    p.id,
                    format!(
                        "资格延续至 {}",
                        crate::fmt::beijing(until).format("%Y-%m-%d")
                    ),
                )),
                _ => None,
            })
            .collect();
        let events: Vec<NewAudit> = planned
            .iter()
            .map(|p| NewAudit {
                application_id: Some(p.id),
                binding_id: None,
                unit_id: None,
                measure_id: None,
                warning_id: None,
                action: p.step.action.code(),
                from: Some(p.step.from.code()),
                to: Some(p.step.to.code()),
                reason: extended.get(&p.id).map(String::as_str).or(reason),
            })
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await
    }

    /// What final steps do beyond the state change, set-wise by kind.
    async fn apply_consequences(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        planned: &[Planned],
    ) -> Result<()> {
        let mut direct = Vec::new();
        let mut kept = Vec::new();
        let mut binds = Vec::new();
        let mut subs = Vec::new();
        let mut exits = Vec::new();
        let mut extends = Vec::new();
        for c in planned.iter().filter_map(|p| p.consequence.as_ref()) {
            match c {
                Consequence::BecomesDirect { unit } => direct.push(json!({"uunit": unit})),
                Consequence::KeepsAccess { unit } => kept.push(json!({"uunit": unit})),
                Consequence::Binds {
                    invitation,
                    user,
                    direct,
                    relation,
                } => binds.push(json!({"uid": invitation, "uunit": user, "udirect": direct,
                    "urel": relation.code(), "ucap": judge::BASIC_CAPABILITY})),
                Consequence::Subscribes { unit, capability } => {
                    subs.push(json!({"uunit": unit, "ucap": capability}))
                }
                Consequence::Exits { unit, exit } => exits.push((*unit, *exit)),
                Consequence::Extends { unit, until } => {
                    extends.push(json!({"uunit": unit, "uuntil": until}))
                }
            }
        }
        if !extends.is_empty() {
            let sql = format!(
                "{} UPDATE units SET qualified_until = (SELECT uuntil FROM u WHERE u.uunit = units.id)
                 WHERE id IN (SELECT uunit FROM u)",
                self.records(&[("uunit", "bigint"), ("uuntil", "timestamptz")])
            );
            tx.execute(&sql, args![json_records(extends)]).await?;
        }
        let units = self.records(&[("uunit", "bigint")]);
        if !direct.is_empty() {
            let sql = format!(
                "{units} UPDATE units SET direct_connect = TRUE, exiting = FALSE WHERE id IN (SELECT uunit FROM u)"
            );
            tx.execute(&sql, args![json_records(direct)]).await?;
        }
        if !kept.is_empty() {
            let sql = format!(
                "{units} UPDATE units SET exiting = FALSE WHERE id IN (SELECT uunit FROM u)"
            );
            tx.execute(&sql, args![json_records(kept)]).await?;
        }
        if !binds.is_empty() {
            let recs = self.records(&[
                ("uid", "bigint"),
                ("uunit", "bigint"),
                ("udirect", "bigint"),
                ("urel", "text"),
                ("ucap", "text"),
            ]);
            let v = json_records(binds);
            let bind = format!(
                "{recs} INSERT INTO bindings (direct_unit_id, user_unit_id, relation, since, invitation_id) SELECT udirect, uunit, urel, $2, uid FROM u"
            );
            tx.execute(&bind, args![v.clone(), actor.now]).await?;
            let authorise = format!(
                "{recs} INSERT INTO authorisations (direct_unit_id, unit_id, capability) SELECT udirect, uunit, ucap FROM u"
            );
            tx.execute(&authorise, args![v]).await?;
        }
        if !subs.is_empty() {
            let sql = format!(
                "{} INSERT INTO capabilities (unit_id, capability) SELECT uunit, ucap FROM u",
                self.records(&[("uunit", "bigint"), ("ucap", "text")])
            );
            tx.execute(&sql, args![json_records(subs)]).await?;
        }
        if !exits.is_empty() {
            self.exit_cascade(tx, actor, &exits).await?;
        }
        Ok(())
    }
}
