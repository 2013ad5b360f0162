//! Bulk inserts for demo data: multi-row INSERTs in one transaction per
//! chunk, explicit ids so that rows can refer to each other.

use super::*;
use sqlx::QueryBuilder;

#[derive(Debug, Clone, Default)]
pub struct NewUnit {
    pub id: i64,
    pub bureau_id: String,
    pub address: String,
    pub facts: UnitFacts,
    /// How long a direct-connect unit's qualification runs.
    pub qualified_until: Option<DateTime<Utc>>,
}

/// A supervision measure, as demo data has it.
#[derive(Debug, Clone)]
pub struct NewMeasure {
    pub id: i64,
    pub unit_id: i64,
    pub county_id: String,
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
}

/// A risk warning, as demo data has it.
#[derive(Debug, Clone)]
pub struct NewWarning {
    pub id: i64,
    pub unit_id: i64,
    pub county_id: String,
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
}

/// An event of a unit's own chain (supervision), in order.
#[derive(Debug, Clone)]
pub struct NewUnitEvent {
    pub unit_id: i64,
    pub measure_id: Option<i64>,
    pub warning_id: Option<i64>,
    pub action: Action,
    pub officer: String,
    pub bureau_id: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApplication {
    pub id: i64,
    pub kind: Kind,
    pub state: State,
    pub unit_id: i64,
    pub uscc: String,
    pub name: String,
    pub county_id: String,
    pub province_id: String,
    pub acting_bureau: Option<String>,
    pub direct_unit_id: Option<i64>,
    pub form: String,
    pub failed_checks: i64,
    pub passed_checks: i64,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_officer: Option<String>,
    pub last_decider: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewMaterial {
    pub application_id: i64,
    pub kind: MaterialKind,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub content: String,
    pub paper_received: bool,
}

#[derive(Debug, Clone)]
pub struct NewBinding {
    pub id: i64,
    pub direct_unit_id: i64,
    pub user_unit_id: i64,
    pub relation: Relation,
    pub since: DateTime<Utc>,
    pub invitation_id: i64,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub application_id: i64,
    pub action: Action,
    pub from: Option<State>,
    pub to: Option<State>,
    pub officer: String,
    pub bureau_id: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// One chunk of demo rows, inserted together.
#[derive(Debug, Default)]
pub struct Chunk {
    pub units: Vec<NewUnit>,
    pub applications: Vec<NewApplication>,
    pub materials: Vec<NewMaterial>,
    pub bindings: Vec<NewBinding>,
    /// (direct unit, unit, capability) authorisations.
    pub authorisations: Vec<(i64, i64, String)>,
    /// (unit, capability) subscriptions in force.
    pub capabilities: Vec<(i64, String)>,
    pub events: Vec<NewEvent>,
}

/// The chain fields of new applications' events (each chain starts in
/// this chunk), and each application's version: one more than the
/// decisions its events record.
#[allow(clippy::type_complexity)]
fn seal_new_chains(
    events: &[NewEvent],
) -> (
    std::collections::HashMap<i64, i64>,
    Vec<(String, i64, String, String)>,
) {
    use crate::domain::audit;
    let mut heads: std::collections::HashMap<i64, (i64, String)> = Default::default();
    let mut versions: std::collections::HashMap<i64, i64> = Default::default();
    let sealed = events
        .iter()
        .map(|e| {
            let chain = audit::chain_of(Some(e.application_id), None, None);
            let (seq, prev) = heads
                .get(&e.application_id)
                .map(|(s, h)| (s + 1, h.clone()))
                .unwrap_or((1, String::new()));
            let ev = audit::Event {
                id: 0,
                application_id: Some(e.application_id),
                binding_id: None,
                unit_id: None,
                measure_id: None,
                warning_id: None,
                action: e.action.code().into(),
                from_state: e.from.map(|s| s.code().into()),
                to_state: e.to.map(|s| s.code().into()),
                officer: e.officer.clone(),
                bureau_id: e.bureau_id.clone(),
                reason: e.reason.clone(),
                // As stored: whole microseconds.
                at_micros: e.at.trunc_subsecs(6).timestamp_micros(),
                batch_id: None,
                client: None,
            };
            let hash = audit::hash(&ev, &chain, seq, &prev);
            heads.insert(e.application_id, (seq, hash.clone()));
            if audit::bumps_version(e.action.code()) {
                *versions.entry(e.application_id).or_insert(1) += 1;
            }
            (chain, seq, prev, hash)
        })
        .collect();
    (versions, sealed)
}

/// Rows per statement: below SQLite's 32,766 parameters for the widest table.
const ROWS: usize = 1000;

impl Store {
    pub async fn max_ids(&self) -> Result<(i64, i64, i64)> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT (SELECT COALESCE(max(id), 0) FROM units), (SELECT COALESCE(max(id), 0) FROM applications), (SELECT COALESCE(max(id), 0) FROM bindings)",
            )
            .fetch_one(p)
            .await?
        }))
    }

    pub async fn insert_chunk(&self, c: &Chunk) -> Result<()> {
        let (versions, sealed) = seal_new_chains(&c.events);
        in_tx!(self, |tx| {
            async {
            for part in c.units.chunks(ROWS) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO units (id, uscc, name, address, bureau_id, credit, pilot, violation, livelihood, revenue_wan,
                     invoices_issued, invoices_received, invoice_amount_wan, can_supply_data, risk_warning, direct_connect, exiting,
                     barred_from_adding, independent, special_industry, serious_offence, qualified_until) ",
                );
                q.push_values(part, |mut b, u| {
                    let f = &u.facts;
                    b.push_bind(u.id).push_bind(&f.uscc).push_bind(&f.name).push_bind(&u.address).push_bind(&u.bureau_id);
                    b.push_bind(&f.credit).push_bind(f.pilot).push_bind(f.violation).push_bind(f.livelihood).push_bind(f.revenue_wan);
                    b.push_bind(f.invoices_issued).push_bind(f.invoices_received).push_bind(f.invoice_amount_wan);
                    b.push_bind(f.can_supply_data).push_bind(f.risk_warning).push_bind(f.direct_connect).push_bind(f.exiting);
                    b.push_bind(f.barred_from_adding).push_bind(f.independent).push_bind(f.special_industry);
                    b.push_bind(f.serious_offence).push_bind(u.qualified_until.map(|t| t.trunc_subsecs(6)));
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.applications.chunks(ROWS) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO applications (id, kind, state, version, unit_id, uscc, unit_name, county_id, province_id, acting_bureau,
                     direct_unit_id, form, failed_checks, passed_checks, submitted_at, updated_at, last_officer, last_decider, name_key) ",
                );
                q.push_values(part, |mut b, a| {
                    b.push_bind(a.id).push_bind(a.kind.code()).push_bind(a.state.code()).push_bind(*versions.get(&a.id).unwrap_or(&1)).push_bind(a.unit_id);
                    b.push_bind(&a.uscc).push_bind(&a.name).push_bind(&a.county_id).push_bind(&a.province_id).push_bind(&a.acting_bureau);
                    b.push_bind(a.direct_unit_id).push_bind(&a.form).push_bind(a.failed_checks).push_bind(a.passed_checks);
                    b.push_bind(a.submitted_at).push_bind(a.updated_at).push_bind(&a.last_officer).push_bind(&a.last_decider);
                    b.push_bind(crate::domain::text::name_key(&a.name, a.submitted_at));
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.materials.chunks(ROWS) {
                let mut q = QueryBuilder::new("INSERT INTO materials (application_id, kind, file_name, size, sha256, content, paper_received) ");
                q.push_values(part, |mut b, m| {
                    b.push_bind(m.application_id).push_bind(m.kind.code()).push_bind(&m.file_name).push_bind(m.size);
                    b.push_bind(&m.sha256).push_bind(&m.content).push_bind(m.paper_received);
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.bindings.chunks(ROWS) {
                let mut q = QueryBuilder::new("INSERT INTO bindings (id, direct_unit_id, user_unit_id, relation, since, invitation_id) ");
                q.push_values(part, |mut b, x| {
                    b.push_bind(x.id).push_bind(x.direct_unit_id).push_bind(x.user_unit_id).push_bind(x.relation.code());
                    b.push_bind(x.since).push_bind(x.invitation_id);
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.authorisations.chunks(ROWS) {
                let mut q = QueryBuilder::new("INSERT INTO authorisations (direct_unit_id, unit_id, capability) ");
                q.push_values(part, |mut b, x| {
                    b.push_bind(x.0).push_bind(x.1).push_bind(&x.2);
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.capabilities.chunks(ROWS) {
                let mut q = QueryBuilder::new("INSERT INTO capabilities (unit_id, capability) ");
                q.push_values(part, |mut b, x| {
                    b.push_bind(x.0).push_bind(&x.1);
                });
                q.build().execute(&mut *tx).await?;
            }
            for part in c.events.iter().zip(&sealed).collect::<Vec<_>>().chunks(ROWS) {
                let mut q = QueryBuilder::new("INSERT INTO audit_events (application_id, action, from_state, to_state, officer, bureau_id, reason, at, chain, chain_seq, prev_hash, hash) ");
                q.push_values(part, |mut b, (e, (chain, seq, prev, hash))| {
                    b.push_bind(e.application_id).push_bind(e.action.code()).push_bind(e.from.map(|s| s.code()));
                    b.push_bind(e.to.map(|s| s.code())).push_bind(&e.officer).push_bind(&e.bureau_id).push_bind(&e.reason).push_bind(e.at.trunc_subsecs(6));
                    b.push_bind(chain).push_bind(*seq).push_bind(prev).push_bind(hash);
                });
                q.build().execute(&mut *tx).await?;
            }
            Ok::<_, Error>(())
        }
        .await
        });
        Ok(())
    }

    /// Supervision demo data: measures, warnings and their units' events
    /// (each unit's chain new), with explicit ids.
    pub async fn insert_supervision(
        &self,
        measures: &[NewMeasure],
        warnings: &[NewWarning],
        events: &[NewUnitEvent],
    ) -> Result<()> {
        use crate::domain::audit;
        let mut heads: std::collections::HashMap<i64, (i64, String)> = Default::default();
        let sealed: Vec<(String, i64, String, String)> = events
            .iter()
            .map(|e| {
                let chain = audit::chain_of(None, None, Some(e.unit_id));
                let (seq, prev) = heads
                    .get(&e.unit_id)
                    .map(|(s, h)| (s + 1, h.clone()))
                    .unwrap_or((1, String::new()));
                let ev = audit::Event {
                    id: 0,
                    application_id: None,
                    binding_id: None,
                    unit_id: Some(e.unit_id),
                    measure_id: e.measure_id,
                    warning_id: e.warning_id,
                    action: e.action.code().into(),
                    from_state: None,
                    to_state: None,
                    officer: e.officer.clone(),
                    bureau_id: Some(e.bureau_id.clone()),
                    reason: Some(e.reason.clone()),
                    at_micros: e.at.trunc_subsecs(6).timestamp_micros(),
                    batch_id: None,
                    client: None,
                };
                let hash = audit::hash(&ev, &chain, seq, &prev);
                heads.insert(e.unit_id, (seq, hash.clone()));
                (chain, seq, prev, hash)
            })
            .collect();
        in_tx!(self, |tx| {
            async {
                for part in measures.chunks(ROWS) {
                    let mut q = QueryBuilder::new(
                        "INSERT INTO measures (id, unit_id, county_id, kind, state, reason, concurrency_limit, deadline,
                         warning_id, imposed_by, imposed_at, ended_by, ended_at, note) ",
                    );
                    q.push_values(part, |mut b, m| {
                        b.push_bind(m.id).push_bind(m.unit_id).push_bind(&m.county_id).push_bind(m.kind.code());
                        b.push_bind(m.state.code()).push_bind(&m.reason).push_bind(m.limit).push_bind(m.deadline);
                        b.push_bind(m.warning_id).push_bind(&m.imposed_by).push_bind(m.imposed_at);
                        b.push_bind(&m.ended_by).push_bind(m.ended_at).push_bind(&m.note);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for part in warnings.chunks(ROWS) {
                    let mut q = QueryBuilder::new(
                        "INSERT INTO warnings (id, unit_id, county_id, finding, state, raised_by, raised_at, deadline,
                         feedback, feedback_at, closed_by, closed_at, note, measure_id) ",
                    );
                    q.push_values(part, |mut b, w| {
                        b.push_bind(w.id).push_bind(w.unit_id).push_bind(&w.county_id).push_bind(&w.finding);
                        b.push_bind(w.state.code()).push_bind(&w.raised_by).push_bind(w.raised_at).push_bind(w.deadline);
                        b.push_bind(&w.feedback).push_bind(w.feedback_at).push_bind(&w.closed_by);
                        b.push_bind(w.closed_at).push_bind(&w.note).push_bind(w.measure_id);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for part in events.iter().zip(&sealed).collect::<Vec<_>>().chunks(ROWS) {
                    let mut q = QueryBuilder::new(
                        "INSERT INTO audit_events (unit_id, measure_id, warning_id, action, officer, bureau_id, reason, at,
                         chain, chain_seq, prev_hash, hash) ",
                    );
                    q.push_values(part, |mut b, (e, (chain, seq, prev, hash))| {
                        b.push_bind(e.unit_id).push_bind(e.measure_id).push_bind(e.warning_id).push_bind(e.action.code());
                        b.push_bind(&e.officer).push_bind(&e.bureau_id).push_bind(&e.reason).push_bind(e.at.trunc_subsecs(6));
                        b.push_bind(chain).push_bind(*seq).push_bind(prev).push_bind(hash);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                Ok::<_, Error>(())
            }
            .await
        });
        Ok(())
    }

    /// The highest measure and warning ids (0 when none).
    pub async fn max_supervision_ids(&self) -> Result<(i64, i64)> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT (SELECT COALESCE(max(id), 0) FROM measures), (SELECT COALESCE(max(id), 0) FROM warnings)",
            )
            .fetch_one(p)
            .await?
        }))
    }

    /// Those of `units` with no active binding and nothing in the
    /// approval flow: ending their access ends nothing else.
    pub async fn quiet_units(&self, units: &[i64]) -> Result<std::collections::HashSet<i64>> {
        let flowing: Vec<String> = crate::domain::judge::in_flight_codes()
            .iter()
            .map(|c| format!("'{c}'"))
            .collect();
        let sql = format!(
            "{} SELECT uid FROM u WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = u.uid AND b.active)
             AND NOT EXISTS (SELECT 1 FROM applications a WHERE (a.unit_id = u.uid OR a.direct_unit_id = u.uid)
                             AND a.state IN ({}))",
            self.records(&[("uid", "bigint")]),
            flowing.join(", ")
        );
        let sql = sqlx::AssertSqlSafe(sql);
        let ids = super::sql::id_records(units);
        let quiet: Vec<i64> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(ids)
            .fetch_all(p)
            .await?);
        Ok(quiet.into_iter().collect())
    }

    /// Demo units whose access a measure terminated: no longer direct,
    /// their capabilities ended (they had nothing bound or in the flow).
    pub async fn end_demo_access(&self, units: &[i64], at: DateTime<Utc>) -> Result<()> {
        let recs = self.records(&[("uid", "bigint")]);
        let ids = super::sql::id_records(units);
        in_tx!(self, |tx| {
            async {
                for sql in [
                    format!("{recs} UPDATE units SET direct_connect = FALSE WHERE id IN (SELECT uid FROM u)"),
                    format!("{recs} UPDATE capabilities SET active = FALSE, ended_at = $2 WHERE unit_id IN (SELECT uid FROM u) AND active"),
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&ids).bind(at).execute(&mut *tx).await?;
                }
                Ok::<_, Error>(())
            }
            .await
        });
        Ok(())
    }

    pub async fn finish_bulk(&self) -> Result<()> {
        self.move_sequences().await?;
        on_pool!(self, |p| sqlx::query("ANALYZE")
            .execute(p)
            .await
            .map(|_| ())?);
        Ok(())
    }

    pub async fn move_sequences(&self) -> Result<()> {
        match &self.backend {
            Backend::Postgres(p) => {
                for t in [
                    "units",
                    "measures",
                    "warnings",
                    "applications",
                    "materials",
                    "bindings",
                    "authorisations",
                    "capabilities",
                    "audit_events",
                ] {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), GREATEST((SELECT max(id) FROM {t}), 1))"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
                }
            }
            Backend::Sqlite(_) => {}
        }
        Ok(())
    }
}
