//! Bulk inserts for demo data: multi-row INSERTs in one transaction per
//! chunk, explicit ids so that rows can refer to each other.

use super::*;
use sqlx::QueryBuilder;

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub id: i64,
    pub bureau_id: String,
    pub address: String,
    pub facts: UnitFacts,
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
                     barred_from_adding, independent) ",
                );
                q.push_values(part, |mut b, u| {
                    let f = &u.facts;
                    b.push_bind(u.id).push_bind(&f.uscc).push_bind(&f.name).push_bind(&u.address).push_bind(&u.bureau_id);
                    b.push_bind(&f.credit).push_bind(f.pilot).push_bind(f.violation).push_bind(f.livelihood).push_bind(f.revenue_wan);
                    b.push_bind(f.invoices_issued).push_bind(f.invoices_received).push_bind(f.invoice_amount_wan);
                    b.push_bind(f.can_supply_data).push_bind(f.risk_warning).push_bind(f.direct_connect).push_bind(f.exiting);
                    b.push_bind(f.barred_from_adding).push_bind(f.independent);
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

    /// After explicit ids, PostgreSQL's sequences must move past them;
    /// then fresh statistics for the planner.
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
