//! Reads: one application whole, its unit, materials and history; the
//! bindings of a unit; what an exit would cancel.

use super::queue::like_pattern;
use super::*;
use crate::domain::judge;
use sqlx::{AssertSqlSafe, FromRow};

/// A unit row as stored.
#[derive(FromRow)]
struct UnitRow {
    id: i64,
    bureau_id: String,
    address: String,
    uscc: String,
    name: String,
    credit: String,
    pilot: bool,
    violation: bool,
    livelihood: bool,
    revenue_wan: i64,
    invoices_issued: i64,
    invoices_received: i64,
    invoice_amount_wan: i64,
    can_supply_data: bool,
    risk_warning: bool,
    direct_connect: bool,
    exiting: bool,
    barred_from_adding: bool,
    independent: bool,
    special_industry: bool,
    serious_offence: bool,
    qualified_until: Option<DateTime<Utc>>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        Unit {
            id: r.id,
            bureau_id: r.bureau_id,
            address: r.address,
            facts: UnitFacts {
                uscc: r.uscc,
                name: r.name,
                credit: r.credit,
                pilot: r.pilot,
                violation: r.violation,
                livelihood: r.livelihood,
                revenue_wan: r.revenue_wan,
                invoices_issued: r.invoices_issued,
                invoices_received: r.invoices_received,
                invoice_amount_wan: r.invoice_amount_wan,
                can_supply_data: r.can_supply_data,
                risk_warning: r.risk_warning,
                direct_connect: r.direct_connect,
                exiting: r.exiting,
                barred_from_adding: r.barred_from_adding,
                independent: r.independent,
                special_industry: r.special_industry,
                serious_offence: r.serious_offence,
            },
            qualified_until: r.qualified_until,
        }
    }
}

/// An application row as stored, with its county's name.
#[derive(FromRow)]
struct ApplicationRow {
    kind: String,
    state: String,
    version: i64,
    unit_id: i64,
    county_id: String,
    province_id: String,
    county_name: String,
    direct_unit_id: Option<i64>,
    form: String,
    submitted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_officer: Option<String>,
    last_decider: Option<String>,
    previous_id: Option<i64>,
}

#[derive(FromRow)]
struct MaterialRow {
    id: i64,
    kind: String,
    file_name: String,
    size: i64,
    sha256: String,
    content: String,
    paper_received: bool,
}

#[derive(FromRow)]
struct BindingRow {
    id: i64,
    direct_unit_id: i64,
    user_unit_id: i64,
    user_uscc: String,
    user_name: String,
    relation: String,
    since: DateTime<Utc>,
    invitation_id: i64,
    active: bool,
    version: i64,
}

#[derive(FromRow)]
struct UnitAppRow {
    id: i64,
    kind: String,
    state: String,
    submitted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_officer: Option<String>,
    previous_id: Option<i64>,
}

#[derive(FromRow)]
struct DecidedRow {
    id: i64,
    action: String,
    at: DateTime<Utc>,
    kind: String,
    unit_name: String,
    batch_id: Option<String>,
}

#[derive(FromRow)]
struct InFlightRow {
    id: i64,
    kind: String,
    state: String,
    unit_name: String,
}

/// A stored code parsed; one this version does not know is logged (and
/// shown by the caller as a placeholder).
fn known<T>(parsed: Option<T>, what: &str, raw: &str) -> Option<T> {
    if parsed.is_none() {
        tracing::warn!("unknown stored {what} {raw:?}");
    }
    parsed
}

impl Store {
    pub async fn unit(&self, id: i64) -> Result<Unit> {
        let row: Option<UnitRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(Unit::from)
            .ok_or_else(|| Error::NotFound(format!("未找到单位 {id} (no such unit)")))
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
        let row: Option<ApplicationRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT a.*, b.name AS county_name FROM applications a JOIN bureaus b ON b.id = a.county_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        let r = row.ok_or_else(|| Error::not_found_application(id))?;
        let kind = Kind::parse(&r.kind)
            .ok_or_else(|| Error::Invalid(format!("unknown kind {}", r.kind)))?;
        let state = State::parse(&r.state)
            .ok_or_else(|| Error::Invalid(format!("unknown state {}", r.state)))?;
        let unit = self.unit(r.unit_id).await?;
        let direct_unit = match r.direct_unit_id {
            Some(d) if d != r.unit_id => Some(self.unit(d).await?),
            _ => None,
        };
        let materials = self.materials(id).await?;
        let history = self.history(id).await?;
        let bound_user_units = self.bound_count(r.unit_id).await?;
        let exit_effects = if kind == Kind::Exit && state.in_flight() {
            Some(self.exit_effects(r.unit_id).await?)
        } else {
            None
        };
        let bound = if kind == Kind::Exit {
            let mut b = self.bindings(r.unit_id, false).await?;
            b.truncate(200);
            b
        } else {
            vec![]
        };
        let siblings = self.siblings(id, r.unit_id, kind).await?;
        let (previous, refiled_as) = self.refilings(id, r.previous_id).await?;
        let mut concerned = vec![r.unit_id];
        concerned.extend(r.direct_unit_id.filter(|d| *d != r.unit_id));
        let measures = self.measures_of(&concerned).await?;
        let warnings = self.open_warnings_of(r.unit_id).await?;
        let obsolete = judge::obsolete(kind, state, unit.facts.direct_connect);
        Ok(Application {
            id,
            kind,
            state,
            version: r.version,
            unit,
            county_id: r.county_id,
            province_id: r.province_id,
            county_name: r.county_name,
            direct_unit,
            form: serde_json::from_str(&r.form).unwrap_or_default(),
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            last_officer: r.last_officer,
            last_decider: r.last_decider,
            previous,
            refiled_as,
            materials,
            history,
            bound_user_units,
            exit_effects,
            bound,
            siblings,
            obsolete,
            measures,
            warnings,
        })
    }

    /// The application this one was filed again after (with its state), and
    /// those filed again after this one.
    async fn refilings(
        &self,
        id: i64,
        previous: Option<i64>,
    ) -> Result<(Option<(i64, State)>, Vec<i64>)> {
        let rows: Vec<(i64, String, bool)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, state, TRUE FROM applications WHERE id = $2
                 UNION ALL SELECT id, state, FALSE FROM applications WHERE previous_id = $1 ORDER BY 1",
            )
            .bind(id)
            .bind(previous.unwrap_or(-1))
            .fetch_all(p)
            .await?
        });
        let mut before = None;
        let mut after = vec![];
        for (i, s, earlier) in rows {
            if earlier {
                before = State::parse(&s).map(|s| (i, s));
            } else {
                after.push(i);
            }
        }
        Ok((before, after))
    }

    /// The unit's other applications of a kind still in the flow.
    async fn siblings(&self, id: i64, unit: i64, kind: Kind) -> Result<Vec<(i64, State)>> {
        let rows: Vec<(i64, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, state FROM applications WHERE unit_id = $1 AND kind = $2 AND id <> $3
                 AND acting_bureau IS NOT NULL ORDER BY id",
            )
            .bind(unit)
            .bind(kind.code())
            .bind(id)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(i, s)| Some((i, State::parse(&s)?)))
            .collect())
    }

    pub async fn materials(&self, application: i64) -> Result<Vec<Material>> {
        let rows: Vec<MaterialRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM materials WHERE application_id = $1 ORDER BY id")
                .bind(application)
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Material {
                id: r.id,
                kind: known(MaterialKind::parse(&r.kind), "material kind", &r.kind)
                    .unwrap_or(MaterialKind::Other),
                file_name: r.file_name,
                size: r.size,
                sha256: r.sha256,
                content: r.content,
                paper_received: r.paper_received,
            })
            .collect())
    }

    async fn audit_where(&self, clause: &'static str, key: i64) -> Result<Vec<AuditEvent>> {
        let sql = format!("SELECT * FROM audit_events WHERE {clause} ORDER BY id");
        Ok(on_pool!(self, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(key)
                .fetch_all(p)
                .await?
        }))
    }

    /// Every audit event of an application, oldest first.
    pub async fn history(&self, application: i64) -> Result<Vec<AuditEvent>> {
        let events = self.audit_where("application_id = $1", application).await?;
        for e in &events {
            known(Action::parse(&e.action), "audit action", &e.action);
        }
        Ok(events)
    }

    pub async fn bound_count(&self, direct_unit: i64) -> Result<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT count(*) FROM bindings WHERE direct_unit_id = $1 AND active")
                .bind(direct_unit)
                .fetch_one(p)
                .await?
        }))
    }

    /// What confirming the unit's exit would cancel.
    pub async fn exit_effects(&self, unit: i64) -> Result<ExitEffects> {
        self.ending_effects(&[unit]).await
    }

    /// What ending the units' connections would cancel (an exit
    /// confirmed, access terminated): their bindings, capabilities and
    /// authorisations, and their invitations and subscriptions in flight
    /// (the first 200).
    pub async fn ending_effects(&self, units: &[i64]) -> Result<ExitEffects> {
        if let Backend::Postgres(p) = &self.backend {
            // Row-level security hides other counties' applications: the
            // database counts them for an officer whose unit it is.
            let (bindings, capabilities, authorisations, in_flight): (i64, i64, i64, String) =
                sqlx::query_as(
                    "SELECT n_bindings, n_capabilities, n_authorisations, in_flight::text
                       FROM leqi_ending_effects($1)",
                )
                .bind(units)
                .fetch_one(p)
                .await?;
            #[derive(serde::Deserialize)]
            struct Row {
                id: i64,
                kind: String,
                state: String,
                unit_name: String,
            }
            let rows: Vec<Row> = super::sql::decode_objects(&in_flight)?;
            return Ok(ExitEffects {
                bindings,
                capabilities,
                authorisations,
                in_flight: rows
                    .into_iter()
                    .filter_map(|r| {
                        Some((
                            r.id,
                            Kind::parse(&r.kind)?,
                            State::parse(&r.state)?,
                            r.unit_name,
                        ))
                    })
                    .collect(),
            });
        }
        let recs = self.records(&[("uid", "bigint")]);
        let ids = super::sql::id_records(units);
        let sql = AssertSqlSafe(format!(
            "{recs} SELECT (SELECT count(*) FROM bindings WHERE direct_unit_id IN (SELECT uid FROM u) AND active),
                    (SELECT count(*) FROM capabilities WHERE unit_id IN (SELECT uid FROM u) AND active),
                    (SELECT count(*) FROM authorisations WHERE direct_unit_id IN (SELECT uid FROM u) AND active)"
        ));
        let (bindings, capabilities, authorisations): (i64, i64, i64) = on_pool!(self, |p| {
            sqlx::query_as(sql).bind(&ids).fetch_one(p).await?
        });
        let states: Vec<String> = judge::in_flight_codes()
            .iter()
            .map(|s| format!("'{s}'"))
            .collect();
        let [by_inviter, by_unit] = judge::CASCADE_STOPS;
        let sql = AssertSqlSafe(format!(
            "{recs} SELECT id, kind, state, unit_name FROM applications
             WHERE ((kind = '{}' AND direct_unit_id IN (SELECT uid FROM u)) OR (kind = '{}' AND unit_id IN (SELECT uid FROM u)))
               AND state IN ({})
             ORDER BY id LIMIT 200",
            by_inviter.code(),
            by_unit.code(),
            states.join(", ")
        ));
        let rows: Vec<InFlightRow> = on_pool!(self, |p| {
            sqlx::query_as(sql).bind(&ids).fetch_all(p).await?
        });
        let in_flight = rows
            .into_iter()
            .filter_map(|r| {
                Some((
                    r.id,
                    Kind::parse(&r.kind)?,
                    State::parse(&r.state)?,
                    r.unit_name,
                ))
            })
            .collect();
        Ok(ExitEffects {
            bindings,
            capabilities,
            authorisations,
            in_flight,
        })
    }

    /// Bindings of a direct-connect unit, active ones by default.
    pub async fn bindings(&self, direct_unit: i64, include_ended: bool) -> Result<Vec<Binding>> {
        let rows: Vec<BindingRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT b.*, u.uscc AS user_uscc, u.name AS user_name FROM bindings b JOIN units u ON u.id = b.user_unit_id
                 WHERE b.direct_unit_id = $1 AND (b.active OR $2) ORDER BY b.id",
            )
            .bind(direct_unit)
            .bind(include_ended)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Binding {
                id: r.id,
                direct_unit_id: r.direct_unit_id,
                user_unit_id: r.user_unit_id,
                user_uscc: r.user_uscc,
                user_name: r.user_name,
                relation: known(
                    Relation::parse(&r.relation),
                    "binding relation",
                    &r.relation,
                ),
                since: r.since,
                invitation_id: r.invitation_id,
                active: r.active,
                version: r.version,
            })
            .collect())
    }

    /// Direct-connect units whose code or name holds the text (any part
    /// of either), an exact code first, then by name.
    pub async fn search_direct_units(
        &self,
        text: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        let text = text.trim();
        Ok(on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, uscc, name FROM units WHERE direct_connect
                   AND (uscc LIKE $1 ESCAPE '\\' OR name LIKE $2 ESCAPE '\\')
                 ORDER BY CASE WHEN uscc = $3 THEN 0 ELSE 1 END, name, id LIMIT $4",
            )
            .bind(like_pattern(&text.to_uppercase()))
            .bind(like_pattern(text))
            .bind(text.to_uppercase())
            .bind(limit)
            .fetch_all(p)
            .await?
        }))
    }

    /// A unit whole: every application of it in every kind and state, the
    /// bindings it holds as a direct-connect unit and those it is in as a
    /// user unit.
    pub async fn unit_view(&self, id: i64) -> Result<UnitView> {
        let unit = self.unit(id).await?;
        let rows: Vec<UnitAppRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, state, submitted_at, updated_at, last_officer, previous_id FROM applications
                 WHERE unit_id = $1 OR direct_unit_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT 500",
            )
            .bind(id)
            .fetch_all(p)
            .await?
        });
        let applications = rows
            .into_iter()
            .filter_map(|r| {
                Some(UnitApp {
                    id: r.id,
                    kind: known(Kind::parse(&r.kind), "application kind", &r.kind)?,
                    state: known(State::parse(&r.state), "application state", &r.state)?,
                    submitted_at: r.submitted_at,
                    updated_at: r.updated_at,
                    last_officer: r.last_officer,
                    previous_id: r.previous_id,
                })
            })
            .collect();
        let (bound, bound_to): (i64, i64) = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM bindings WHERE direct_unit_id = $1 AND active),
                        (SELECT count(*) FROM bindings WHERE user_unit_id = $1 AND active)",
            )
            .bind(id)
            .fetch_one(p)
            .await?
        });
        let measures = self.measures_of(&[id]).await?;
        let warnings = self.open_warnings_of(id).await?;
        Ok(UnitView {
            unit,
            applications,
            bound,
            bound_to,
            measures,
            warnings,
        })
    }

    /// An officer's own decisions since a time (today's, say), newest first.
    pub async fn decisions_since(&self, login: &str, since: DateTime<Utc>) -> Result<Vec<Decided>> {
        let rows: Vec<DecidedRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT e.application_id AS id, e.action, e.at, a.kind, a.unit_name, e.batch_id FROM audit_events e
                 JOIN applications a ON a.id = e.application_id
                 WHERE e.officer = $1 AND e.at >= $2 AND e.application_id IS NOT NULL
                   AND e.action IN ('accept', 'not_accept', 'review_pass', 'review_reject', 'confirm_pass', 'confirm_reject')
                 ORDER BY e.at DESC, e.id DESC LIMIT 1000",
            )
            .bind(login)
            .bind(since)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Decided {
                    id: r.id,
                    action: Action::parse(&r.action)?,
                    at: r.at,
                    kind: Kind::parse(&r.kind)?,
                    unit_name: r.unit_name,
                    batch_id: r.batch_id,
                })
            })
            .collect())
    }
}
