//! Unbinding, one binding or ten thousand: load, judge with the domain's
//! rules, end the bindings and the user units' authorisations through the
//! unit, and audit each, in one transaction per chunk.

use super::audit::NewAudit;
use super::decide::{Actor, validated_reason};
use super::secure::Run;
use super::sql::{Tx, args, de, id_records, json_records};
use super::*;
use crate::domain::Precondition;
use crate::domain::judge::{self, BindingSubject};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// A binding row as an unbinding loads it.
#[derive(Deserialize)]
struct BindingRow {
    id: i64,
    #[serde(deserialize_with = "de::flag")]
    active: bool,
    version: i64,
    ended_by: Option<String>,
    #[serde(deserialize_with = "de::opt_time")]
    ended_at: Option<DateTime<Utc>>,
    county_id: String,
    province_id: String,
}

impl From<BindingRow> for BindingSubject {
    fn from(r: BindingRow) -> Self {
        BindingSubject {
            id: r.id,
            active: r.active,
            version: r.version,
            ended_by: r.ended_by,
            ended_at: r.ended_at,
            county_id: r.county_id,
            province_id: r.province_id,
        }
    }
}

impl Store {
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
        if !self.is_embedded() {
            let mut tx = self.begin().await?;
            let results = self
                .pg_unbind(&mut tx, officer, items, reason, Run::Apply { batch })
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
        let found = self.load_bindings(&mut tx, &ids).await?;
        let judged = judge::unbindings(officer, items, |id| found.get(&id));
        let mut results = Vec::with_capacity(items.len());
        let mut planned: Vec<(i64, i64)> = Vec::new();
        for (item, judged) in items.iter().zip(judged) {
            match judged {
                Ok(()) => {
                    let version = found.get(&item.id).map_or(0, |b| b.version);
                    results.push(ItemResult {
                        id: item.id,
                        action: Some(Action::Unbind),
                        from: None,
                        to: None,
                        version: Some(version + 1),
                        error: None,
                    });
                    planned.push((item.id, version));
                }
                Err(refusal) => results.push(ItemResult::failed(item.id, &refusal.into())),
            }
        }
        let applied = self.end_bindings(&mut tx, &actor, reason, &planned).await?;
        for r in results
            .iter_mut()
            .filter(|r| r.ok() && !applied.contains(&r.id))
        {
            *r = ItemResult::failed(r.id, &Precondition::BindingTaken(r.id).into());
        }
        planned.retain(|(id, _)| applied.contains(id));
        if !planned.is_empty() {
            let ended: Vec<i64> = planned.iter().map(|(id, _)| *id).collect();
            let recs = id_records(&ended);
            let sql = format!(
                "{} UPDATE authorisations SET active = FALSE, ended_at = $2
                 WHERE active AND (direct_unit_id, unit_id) IN
                     (SELECT b.direct_unit_id, b.user_unit_id FROM bindings b WHERE b.id IN (SELECT uid FROM u))",
                self.records(&[("uid", "bigint")])
            );
            tx.execute(&sql, args![recs.clone(), actor.now]).await?;
            self.audit_unbind(&mut tx, &actor, reason, &ended).await?;
        }
        self.write_results(&mut tx, batch, items, &results).await?;
        tx.commit().await?;
        Ok(results)
    }

    /// What a chunk of unbindings would do, judged without writing.
    pub(crate) async fn judge_unbindings(
        &self,
        officer: &Officer,
        items: &[DecideItem],
    ) -> Result<Vec<ItemResult>> {
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let mut tx = self.begin_read().await?;
        if !self.is_embedded() {
            // Judged by the database; the reason is checked when it runs.
            return self
                .pg_unbind(&mut tx, officer, items, "-", Run::Judge)
                .await;
        }
        let found = self.load_bindings(&mut tx, &ids).await?;
        drop(tx);
        let judged = judge::unbindings(officer, items, |id| found.get(&id));
        Ok(items
            .iter()
            .zip(judged)
            .map(|(item, j)| match j {
                Ok(()) => ItemResult {
                    id: item.id,
                    action: Some(Action::Unbind),
                    from: None,
                    to: None,
                    version: None,
                    error: None,
                },
                Err(r) => ItemResult::failed(item.id, &r.into()),
            })
            .collect())
    }

    /// What the unbinding rules read of each binding, by id.
    async fn load_bindings(
        &self,
        tx: &mut Tx,
        ids: &[i64],
    ) -> Result<HashMap<i64, BindingSubject>> {
        let sql = format!(
            "{} SELECT {} FROM bindings b JOIN units du ON du.id = b.direct_unit_id JOIN bureaus bu ON bu.id = du.bureau_id
             WHERE b.id IN (SELECT uid FROM u)",
            self.records(&[("uid", "bigint")]),
            self.objects(
                "'id', b.id, 'active', b.active, 'version', b.version, 'ended_by', b.ended_by,
                 'ended_at', b.ended_at, 'county_id', du.bureau_id, 'province_id', bu.province_id"
            )
        );
        let rows: Vec<BindingRow> = tx.objects(&sql, args![id_records(ids)]).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.into())).collect())
    }

    /// Ends the bindings still at the version judged; returns those ended.
    async fn end_bindings(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        reason: &str,
        planned: &[(i64, i64)],
    ) -> Result<HashSet<i64>> {
        if planned.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "{} UPDATE bindings SET active = FALSE, version = version + 1, ended_at = $2, ended_by = $3, ended_reason = $4
             FROM u WHERE bindings.id = u.uid AND bindings.version = u.uver AND bindings.active",
            self.records(&[("uid", "bigint"), ("uver", "bigint")])
        );
        let recs = json_records(planned.iter().map(|(id, v)| json!({"uid": id, "uver": v})));
        let affected = tx
            .execute(
                &sql,
                args![recs, actor.now, actor.officer.login.as_str(), reason],
            )
            .await?;
        if affected as usize == planned.len() {
            return Ok(planned.iter().map(|(id, _)| *id).collect());
        }
        // Some changed under us: ours are those we ended just now.
        let ids: Vec<i64> = planned.iter().map(|(id, _)| *id).collect();
        let after = self.load_bindings(tx, &ids).await?;
        Ok(planned
            .iter()
            .filter(|(id, v)| {
                after.get(id).is_some_and(|b| {
                    !b.active
                        && b.version == v + 1
                        && b.ended_by.as_deref() == Some(actor.officer.login.as_str())
                        && b.ended_at == Some(actor.now)
                })
            })
            .map(|(id, _)| *id)
            .collect())
    }

    /// One unbind event per binding ended.
    pub(crate) async fn audit_unbind(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        reason: &str,
        ended: &[i64],
    ) -> Result<()> {
        let events: Vec<NewAudit> = ended
            .iter()
            .map(|id| NewAudit {
                application_id: None,
                binding_id: Some(*id),
                unit_id: None,
                measure_id: None,
                warning_id: None,
                action: Action::Unbind.code(),
                from: None,
                to: None,
                reason: Some(reason),
            })
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await
    }
}
