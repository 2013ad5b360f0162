//! Measures imposed on units, a chunk in one transaction: judged by the
//! domain's rules on SQLite, by `leqi_measure_impose` on PostgreSQL.

use super::*;

impl Store {
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
    pub(super) async fn judge_impositions(
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
    pub(super) async fn apply_impositions(
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
        Ok(super::super::secure::item_results(&rows, Target::Unit))
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
