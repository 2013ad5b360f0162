//! Risk warnings: raised against a unit, answered, closed, or escalated
//! to a measure; each step on the unit's audit chain.

use super::*;

impl Store {
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
        let text = match step {
            WarningStep::Feedback(t) | WarningStep::Close(t) => t.as_str(),
            WarningStep::Escalate(m) => m.reason.as_str(),
        };
        let text = validated_reason(Some(text), true)?.unwrap_or_default();
        if !self.is_embedded() {
            return self.pg_warning_act(officer, id, version, step, &text).await;
        }
        let w = self.warning(id).await?;
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
        let measure = match step {
            WarningStep::Escalate(what) => Some(
                self.escalate_warning(&mut tx, officer, now, &w, what, &text)
                    .await?,
            ),
            _ => None,
        };
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

    /// One warning, whatever its state.
    async fn warning(&self, id: i64) -> Result<Warning> {
        let sql = format!(
            "SELECT {} FROM warnings w JOIN units u ON u.id = w.unit_id WHERE w.id = $1",
            self.objects(WARNING_FIELDS)
        );
        let found: Vec<WarningRow> = self.read_objects(&sql, args![id]).await?;
        found
            .into_iter()
            .next()
            .and_then(WarningRow::warning)
            .ok_or_else(|| Error::NotFound(format!("未找到预警 {id} (no such warning)")))
    }

    /// The measure a warning escalates to, imposed in the warning's
    /// transaction (SQLite); its id.
    async fn escalate_warning(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        now: DateTime<Utc>,
        w: &Warning,
        what: &Imposition,
        text: &str,
    ) -> Result<i64> {
        let what = Imposition {
            warning: Some(w.id),
            reason: text.to_string(),
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
            .judge_impositions(tx, officer, &items, what.kind)
            .await?;
        if let Some(e) = judged[0].error.as_ref() {
            return Err(Error::Database {
                kind: e.kind,
                message: e.message.clone(),
            });
        }
        let deadline = supervision::deadline(what.kind, now, what.deadline)?;
        let limit = supervision::limit(what.kind, what.limit)?;
        self.apply_impositions(tx, &actor, &judged, &what, text, deadline, limit)
            .await?;
        tx.ids(
            "SELECT id FROM measures WHERE warning_id = $1 ORDER BY id DESC LIMIT 1",
            args![w.id],
        )
        .await?
        .first()
        .copied()
        .ok_or_else(|| Error::NotFound(format!("预警 {} 未能转为措施 (no measure made)", w.id)))
    }

    /// A warning's step through `leqi_warning_act`.
    async fn pg_warning_act(
        &self,
        officer: &Officer,
        id: i64,
        version: Option<i64>,
        step: &WarningStep,
        text: &str,
    ) -> Result<i64> {
        self.acting_as(officer)?;
        let Backend::Postgres(p) = &self.backend else {
            unreachable!("PostgreSQL only")
        };
        let (how, kind, deadline, limit) = match step {
            WarningStep::Feedback(_) => ("feedback", None, None, None),
            WarningStep::Close(_) => ("close", None, None, None),
            WarningStep::Escalate(m) => ("escalate", Some(m.kind.code()), m.deadline, m.limit),
        };
        Ok(
            sqlx::query_scalar("SELECT leqi_warning_act($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(version)
                .bind(how)
                .bind(text)
                .bind(kind)
                .bind(deadline)
                .bind(limit)
                .bind(client())
                .fetch_one(p)
                .await?,
        )
    }
}
