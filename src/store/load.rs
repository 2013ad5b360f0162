//! Reads: queues (keyset-paginated along an index), counts, one
//! application whole, bindings, history.

use super::*;
use sqlx::AssertSqlSafe;

const ROW_COLUMNS: &str = "a.id, a.kind, a.state, a.version, a.uscc, a.unit_name, a.submitted_at, a.updated_at,
    a.failed_checks, a.passed_checks, a.last_officer, a.unit_id,
    CASE WHEN a.kind = 'exit' THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = a.unit_id AND b.active) ELSE 0 END AS bound";

fn sort_columns(sort: Sort) -> (&'static str, bool) {
    // (column, ascending)
    match sort {
        Sort::Age => ("a.submitted_at", true),
        Sort::Name => ("a.unit_name", true),
        Sort::Failed => ("a.failed_checks", false),
    }
}

/// `%` and `_` typed by an officer are literal.
fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The SQL of one page: one index range per kind, merged.
fn queue_sql(kinds: &[Kind], q: &QueueQuery) -> String {
    let (col, asc) = sort_columns(q.sort);
    let forward = q.direction == Direction::Forward;
    let up = asc == forward;
    let (cmp, ord) = if up { (">", "ASC") } else { ("<", "DESC") };
    let mut parts = Vec::new();
    for k in kinds {
        let mut s = format!(
            "SELECT {ROW_COLUMNS} FROM applications a WHERE a.state = $1 AND a.kind = '{}' AND a.acting_bureau = $2",
            k.code()
        );
        // Every parameter is referenced whichever parts apply: both drivers
        // refuse a bound parameter that the statement does not use.
        if q.filter.is_empty() {
            s.push_str(" AND $3 IS NOT NULL AND $4 IS NOT NULL");
        } else {
            s.push_str(" AND (a.unit_name LIKE $3 ESCAPE '\\' OR a.uscc LIKE $4 ESCAPE '\\')");
        }
        if q.cursor.is_some() {
            s.push_str(&format!(" AND ({col}, a.id) {cmp} ($5, $6)"));
        } else {
            s.push_str(" AND $5 IS NOT NULL AND $6 IS NOT NULL");
        }
        s.push_str(&format!(" ORDER BY {col} {ord}, a.id {ord} LIMIT $7"));
        parts.push(format!("SELECT * FROM ({s}) k{}", parts.len()));
    }
    let plain = col.trim_start_matches("a.");
    format!(
        "SELECT * FROM ({}) u ORDER BY {plain} {ord}, id {ord} LIMIT $7",
        parts.join(" UNION ALL ")
    )
}

fn row_to_queue<R: Row>(r: &R) -> Result<QueueRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    String: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    Option<String>: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    DateTime<Utc>: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
{
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let kind = Kind::parse(&kind).ok_or_else(|| Error::Invalid(format!("unknown kind {kind}")))?;
    let bound: i64 = r.try_get("bound")?;
    let stored_failed: i64 = r.try_get("failed_checks")?;
    let stored_passed: i64 = r.try_get("passed_checks")?;
    // Exits store their checks as if no unit were bound; the bound count is live.
    let live = i64::from(kind == Kind::Exit && bound > 0);
    Ok(QueueRow {
        id: r.try_get("id")?,
        kind,
        state: State::parse(&state)
            .ok_or_else(|| Error::Invalid(format!("unknown state {state}")))?,
        version: r.try_get("version")?,
        uscc: r.try_get("uscc")?,
        name: r.try_get("unit_name")?,
        submitted_at: r.try_get("submitted_at")?,
        updated_at: r.try_get("updated_at")?,
        passed_checks: stored_passed - live,
        failed_checks: stored_failed + live,
        last_officer: r.try_get("last_officer")?,
        bound_user_units: bound,
        unit_id: r.try_get("unit_id")?,
    })
}

impl Store {
    /// The kinds of a stage that an officer at this level reaches.
    fn kinds_for(&self, stage: Stage, kinds: &[Kind]) -> Vec<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .filter(|k| {
                self.workflow.rule(*k, stage).is_some() && (kinds.is_empty() || kinds.contains(k))
            })
            .collect()
    }

    /// One page of a queue, along its index.
    pub async fn queue(&self, q: &QueueQuery) -> Result<Page> {
        let kinds = self.kinds_for(q.stage, &q.kinds);
        if kinds.is_empty() {
            return Ok(Page {
                rows: vec![],
                more: false,
            });
        }
        let sql = queue_sql(&kinds, q);
        let filter = like_pattern(&q.filter);
        let filter_upper = like_pattern(&q.filter.to_uppercase());
        let limit = q.limit.max(1) + 1;
        let (ctime, ctext, cint, cid) = match &q.cursor {
            Some(Cursor::Time(t, id)) => (Some(*t), None, None, *id),
            Some(Cursor::Text(s, id)) => (None, Some(s.clone()), None, *id),
            Some(Cursor::Int(n, id)) => (None, None, Some(*n), *id),
            None => (None, None, None, 0),
        };
        let mut rows: Vec<QueueRow> = on_pool!(self, |p| {
            let mut query = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(q.stage.state().code())
                .bind(&q.bureau);
            query = query.bind(&filter).bind(&filter_upper);
            query = match (&ctime, &ctext, &cint) {
                (Some(t), _, _) => query.bind(*t),
                (_, Some(s), _) => query.bind(s.clone()),
                (_, _, Some(n)) => query.bind(*n),
                _ => query.bind(0i64),
            };
            query = query.bind(cid).bind(limit);
            query
                .fetch_all(p)
                .await?
                .iter()
                .map(row_to_queue)
                .collect::<Result<Vec<_>>>()?
        });
        let more = rows.len() as i64 > q.limit.max(1);
        rows.truncate(q.limit.max(1) as usize);
        if q.direction == Direction::Backward {
            rows.reverse();
        }
        Ok(Page { rows, more })
    }

    /// How many items a queue holds; counted along its index.
    pub async fn queue_count(
        &self,
        stage: Stage,
        kinds: &[Kind],
        bureau: &str,
        filter: &str,
    ) -> Result<i64> {
        let mut total = 0;
        for k in self.kinds_for(stage, kinds) {
            let sql = if filter.is_empty() {
                "SELECT count(*) FROM applications WHERE state = $1 AND kind = $2 AND acting_bureau = $3 AND $4 = $4 AND $5 = $5"
            } else {
                "SELECT count(*) FROM applications WHERE state = $1 AND kind = $2 AND acting_bureau = $3
                 AND (unit_name LIKE $4 ESCAPE '\\' OR uscc LIKE $5 ESCAPE '\\')"
            };
            let n: i64 = on_pool!(self, |p| {
                sqlx::query_scalar(sql)
                    .bind(stage.state().code())
                    .bind(k.code())
                    .bind(bureau)
                    .bind(like_pattern(filter))
                    .bind(like_pattern(&filter.to_uppercase()))
                    .fetch_one(p)
                    .await?
            });
            total += n;
        }
        Ok(total)
    }

    pub async fn unit(&self, id: i64) -> Result<Unit> {
        let u = on_pool!(self, |p| {
            let r = sqlx::query("SELECT * FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
                .ok_or_else(|| Error::NotFound(format!("未找到单位 {id} (no such unit)")))?;
            Unit {
                id: r.try_get("id")?,
                bureau_id: r.try_get("bureau_id")?,
                address: r.try_get("address")?,
                facts: UnitFacts {
                    uscc: r.try_get("uscc")?,
                    name: r.try_get("name")?,
                    credit: r.try_get("credit")?,
                    pilot: r.try_get("pilot")?,
                    violation: r.try_get("violation")?,
                    livelihood: r.try_get("livelihood")?,
                    revenue_wan: r.try_get("revenue_wan")?,
                    invoices_issued: r.try_get("invoices_issued")?,
                    invoices_received: r.try_get("invoices_received")?,
                    invoice_amount_wan: r.try_get("invoice_amount_wan")?,
                    can_supply_data: r.try_get("can_supply_data")?,
                    risk_warning: r.try_get("risk_warning")?,
                    direct_connect: r.try_get("direct_connect")?,
                    exiting: r.try_get("exiting")?,
                    barred_from_adding: r.try_get("barred_from_adding")?,
                    independent: r.try_get("independent")?,
                },
            }
        });
        Ok(u)
    }

    /// A unit by USCC or by numeric id.
    pub async fn find_unit(&self, key: &str) -> Result<Unit> {
        let id: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT id FROM units WHERE uscc = $1")
                .bind(key)
                .fetch_optional(p)
                .await?
        });
        match id.or_else(|| key.parse().ok()) {
            Some(id) => self.unit(id).await,
            None => Err(Error::NotFound(format!(
                "未找到单位“{}” (no such unit)",
                crate::domain::text::inert(key)
            ))),
        }
    }

    pub async fn application(&self, id: i64) -> Result<Application> {
        let row = on_pool!(self, |p| {
            let r = sqlx::query(
                "SELECT a.*, b.name AS county_name FROM applications a JOIN bureaus b ON b.id = a.county_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
            .ok_or_else(|| Error::NotFound(format!("未找到申请 {id} (no such application)")))?;
            let form: String = r.try_get("form")?;
            (
                r.try_get::<String, _>("kind")?,
                r.try_get::<String, _>("state")?,
                r.try_get::<i64, _>("version")?,
                r.try_get::<i64, _>("unit_id")?,
                r.try_get::<String, _>("county_id")?,
                r.try_get::<String, _>("province_id")?,
                r.try_get::<String, _>("county_name")?,
                r.try_get::<Option<i64>, _>("direct_unit_id")?,
                form,
                r.try_get::<DateTime<Utc>, _>("submitted_at")?,
                r.try_get::<DateTime<Utc>, _>("updated_at")?,
                r.try_get::<Option<String>, _>("last_officer")?,
                r.try_get::<Option<String>, _>("last_decider")?,
                r.try_get::<Option<i64>, _>("previous_id")?,
            )
        });
        let (
            kind,
            state,
            version,
            unit_id,
            county_id,
            province_id,
            county_name,
            direct_unit_id,
            form,
            submitted_at,
            updated_at,
            last_officer,
            last_decider,
            previous_id,
        ) = row;
        let kind =
            Kind::parse(&kind).ok_or_else(|| Error::Invalid(format!("unknown kind {kind}")))?;
        let state =
            State::parse(&state).ok_or_else(|| Error::Invalid(format!("unknown state {state}")))?;
        let unit = self.unit(unit_id).await?;
        let direct_unit = match direct_unit_id {
            Some(d) if d != unit_id => Some(self.unit(d).await?),
            _ => None,
        };
        let materials = self.materials(id).await?;
        let history = self.history(id).await?;
        let bound_user_units = self.bound_count(unit_id).await?;
        let exit_effects = if kind == Kind::Exit && state.in_flight() {
            Some(self.exit_effects(unit_id).await?)
        } else {
            None
        };
        Ok(Application {
            id,
            kind,
            state,
            version,
            unit,
            county_id,
            province_id,
            county_name,
            direct_unit,
            form: serde_json::from_str(&form).unwrap_or_default(),
            submitted_at,
            updated_at,
            last_officer,
            last_decider,
            previous_id,
            materials,
            history,
            bound_user_units,
            exit_effects,
        })
    }

    pub async fn materials(&self, application: i64) -> Result<Vec<Material>> {
        Ok(on_pool!(self, |p| {
            sqlx::query("SELECT * FROM materials WHERE application_id = $1 ORDER BY id")
                .bind(application)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| -> Result<Material> {
                    let kind: String = r.try_get("kind")?;
                    Ok(Material {
                        id: r.try_get("id")?,
                        kind: MaterialKind::parse(&kind).unwrap_or(MaterialKind::Other),
                        file_name: r.try_get("file_name")?,
                        size: r.try_get("size")?,
                        sha256: r.try_get("sha256")?,
                        content: r.try_get("content")?,
                        paper_received: r.try_get("paper_received")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        }))
    }

    async fn audit_where(&self, clause: &'static str, key: i64) -> Result<Vec<AuditEvent>> {
        let sql = format!("SELECT * FROM audit_events WHERE {clause} ORDER BY id");
        Ok(on_pool!(self, |p| {
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(key)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| -> Result<AuditEvent> {
                    Ok(AuditEvent {
                        id: r.try_get("id")?,
                        application_id: r.try_get("application_id")?,
                        binding_id: r.try_get("binding_id")?,
                        action: r.try_get("action")?,
                        from_state: r.try_get("from_state")?,
                        to_state: r.try_get("to_state")?,
                        officer: r.try_get("officer")?,
                        bureau_id: r.try_get("bureau_id")?,
                        reason: r.try_get("reason")?,
                        at: r.try_get("at")?,
                        batch_id: r.try_get("batch_id")?,
                        client: r.try_get("client")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        }))
    }

    /// Every audit event of an application, oldest first.
    pub async fn history(&self, application: i64) -> Result<Vec<AuditEvent>> {
        self.audit_where("application_id = $1", application).await
    }

    pub async fn bound_count(&self, direct_unit: i64) -> Result<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT count(*) FROM bindings WHERE direct_unit_id = $1 AND active")
                .bind(direct_unit)
                .fetch_one(p)
                .await?
        }))
    }

    pub async fn exit_effects(&self, unit: i64) -> Result<ExitEffects> {
        let (capabilities, authorisations): (i64, i64) = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM capabilities WHERE unit_id = $1 AND active),
                        (SELECT count(*) FROM authorisations WHERE direct_unit_id = $1 AND active)",
            )
            .bind(unit)
            .fetch_one(p)
            .await?
        });
        let rows: Vec<(i64, String, String, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, state, unit_name FROM applications
                 WHERE ((kind = 'invitation' AND direct_unit_id = $1) OR (kind = 'subscription' AND unit_id = $1))
                   AND state IN ('awaiting_unit', 'pending_acceptance', 'pending_review', 'pending_confirmation')
                 ORDER BY id",
            )
            .bind(unit)
            .fetch_all(p)
            .await?
        });
        let in_flight = rows
            .into_iter()
            .filter_map(|(id, k, s, n)| Some((id, Kind::parse(&k)?, State::parse(&s)?, n)))
            .collect();
        Ok(ExitEffects {
            capabilities,
            authorisations,
            in_flight,
        })
    }

    /// Bindings of a direct-connect unit, active ones by default.
    pub async fn bindings(&self, direct_unit: i64, include_ended: bool) -> Result<Vec<Binding>> {
        Ok(on_pool!(self, |p| {
            sqlx::query(
                "SELECT b.*, u.uscc AS user_uscc, u.name AS user_name FROM bindings b JOIN units u ON u.id = b.user_unit_id
                 WHERE b.direct_unit_id = $1 AND (b.active OR $2) ORDER BY b.id",
            )
            .bind(direct_unit)
            .bind(include_ended)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| -> Result<Binding> {
                let rel: String = r.try_get("relation")?;
                Ok(Binding {
                    id: r.try_get("id")?,
                    direct_unit_id: r.try_get("direct_unit_id")?,
                    user_unit_id: r.try_get("user_unit_id")?,
                    user_uscc: r.try_get("user_uscc")?,
                    user_name: r.try_get("user_name")?,
                    relation: Relation::parse(&rel).unwrap_or(Relation::Control),
                    since: r.try_get("since")?,
                    invitation_id: r.try_get("invitation_id")?,
                    active: r.try_get("active")?,
                    version: r.try_get("version")?,
                })
            })
            .collect::<Result<Vec<_>>>()?
        }))
    }

    /// Direct-connect units by exact code or part of the name, by name.
    pub async fn search_direct_units(
        &self,
        text: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, uscc, name FROM units WHERE direct_connect AND (uscc = $1 OR name LIKE $2 ESCAPE '\\') ORDER BY name, id LIMIT $3",
            )
            .bind(text.trim().to_uppercase())
            .bind(like_pattern(text.trim()))
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }
}
