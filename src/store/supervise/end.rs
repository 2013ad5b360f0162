//! Measures ended: lifted when the unit rectified, escalated to
//! termination when the deadline passed unrectified.

use super::*;

impl Store {
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

    pub(super) async fn judge_ends(
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
            let mut units: Vec<i64> = planned.iter().map(|m| m.unit_id).collect();
            units.sort();
            units.dedup();
            self.terminate_units(tx, actor, &units, note).await?;
        }
        Ok(judged)
    }

    /// Measures escalated: their units' access terminated, in the same
    /// transaction.
    async fn terminate_units(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        units: &[i64],
        note: &str,
    ) -> Result<()> {
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
        Ok(())
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
        Ok(super::super::secure::item_results(&rows, Target::Measure))
    }
}
