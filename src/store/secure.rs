//! PostgreSQL writes go through the database's own functions
//! (migrations/postgres/0009_security.sql): the database knows the officer
//! by the session's login, judges every item by the stored workflow and
//! appends the audit trail. Here their per-item codes become the same
//! errors the embedded store's judges give, so an officer reads the same
//! message on either backend.

use super::sql::Tx;
use super::*;
use crate::domain::workflow::Forbidden;
use crate::domain::{FailureKind, Precondition};

/// One item's result row from `leqi_decide` or `leqi_unbind`.
#[derive(sqlx::FromRow)]
pub(crate) struct ResultRow {
    pub id: i64,
    pub code: String,
    pub detail: String,
    pub action: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub version: Option<i64>,
    pub cur_state: Option<String>,
    pub cur_version: Option<i64>,
    pub by_officer: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// A forbidden item's reason from its detail code.
fn forbidden(detail: &str) -> Forbidden {
    let mut parts = detail.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("wrong_bureau"), Some(level), Some(bureau)) => Forbidden::WrongBureau {
            level: Level::parse(level).unwrap_or(Level::County),
            bureau: bureau.to_string(),
        },
        (Some("missing_role"), Some(role), None) => match Role::parse(role) {
            Some(r) => Forbidden::MissingRole(r),
            None => Forbidden::Denied(detail.to_string()),
        },
        (Some("separation"), None, None) => Forbidden::SeparationOfDuties,
        // A server before 0015 named the unit's bureau: not shown.
        (Some("not_visible" | "not_your_unit"), _, None) => Forbidden::NotInJurisdiction,
        (Some("disabled"), Some(login), None) => Forbidden::Disabled(login.to_string()),
        _ => Forbidden::Denied(detail.to_string()),
    }
}

impl ResultRow {
    /// The item as it is now, for a conflict.
    fn conflict(&self) -> Error {
        match self.cur_state.as_deref().and_then(State::parse) {
            Some(state) => Error::Conflict(Conflict {
                id: self.id,
                state,
                version: self.cur_version.unwrap_or(0),
                by: self.by_officer.clone(),
                at: self.at.unwrap_or_else(now),
            }),
            None => Error::not_found_application(self.id),
        }
    }

    /// Held by another: `held|officer|lease end`.
    fn held(&self) -> Error {
        let rest = self.detail.strip_prefix("held|").unwrap_or(&self.detail);
        let (who, until) = rest.rsplit_once('|').unwrap_or((rest, ""));
        Error::Held(crate::domain::claim::Held {
            id: self.id,
            officer: who.to_string(),
            until: DateTime::parse_from_rfc3339(until)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| now()),
        })
    }

    fn precondition(&self) -> Precondition {
        let (what, n) = self.detail.split_once(':').unwrap_or((&self.detail, ""));
        match what {
            "measure" => match MeasureKind::parse(n) {
                Some(k) => Precondition::Measure(k),
                None => Precondition::MeasureChanged {
                    id: self.id,
                    state: MeasureState::parse(n).unwrap_or(MeasureState::Lifted),
                },
            },
            "not_direct" => Precondition::NotDirect,
            "terminated" => Precondition::Terminated,
            "in_force" => {
                Precondition::InForce(MeasureKind::parse(n).unwrap_or(MeasureKind::Terminate))
            }
            "final" => Precondition::FinalMeasure,
            "no_deadline" => Precondition::NoDeadline,
            "still_bound" => Precondition::StillBound(n.parse().unwrap_or(0)),
            "already_bound" => Precondition::AlreadyBound,
            "already_subscribed" => Precondition::AlreadySubscribed,
            "already_unbound" => Precondition::AlreadyUnbound {
                id: self.id,
                by: self.by_officer.clone(),
                at: self.at,
            },
            "binding_changed" => Precondition::BindingChanged {
                id: self.id,
                version: n.parse().unwrap_or(0),
            },
            _ => Precondition::BindingTaken(self.id),
        }
    }

    /// The item's result: done, or the error the embedded store gives.
    pub fn result(&self, target: Target) -> Result<ItemResult> {
        match self.code.as_str() {
            "00000" => Ok(ItemResult {
                id: self.id,
                action: self.action.as_deref().and_then(Action::parse),
                from: self.from_state.as_deref().and_then(State::parse),
                to: self.to_state.as_deref().and_then(State::parse),
                version: self.version,
                error: None,
            }),
            "LQ006" => Err(Error::Repeated(self.id)),
            "LQ005" => Err(match target {
                Target::Application => Error::not_found_application(self.id),
                Target::Binding => {
                    Error::NotFound(format!("未找到绑定关系 {} (no such binding)", self.id))
                }
                Target::Unit => Error::NotFound(format!("未找到单位 {} (no such unit)", self.id)),
                Target::Measure => {
                    Error::NotFound(format!("未找到监管措施 {} (no such measure)", self.id))
                }
            }),
            "LQ001" if target == Target::Measure => Err(Error::Precondition(self.precondition())),
            "LQ001" | "LQ002" => Err(self.conflict()),
            "42501" => Err(Error::Forbidden(forbidden(&self.detail))),
            "LQ003" => Err(Error::Invalid(
                crate::domain::validate::ReasonError::Empty.to_string(),
            )),
            "LQ004" => Err(Error::Precondition(self.precondition())),
            "LQ007" => Err(self.held()),
            other => Err(Error::Database {
                kind: FailureKind::Error,
                message: format!("数据库返回未知结果 {other} (unknown result code)"),
            }),
        }
    }
}

/// Each row's result, a refusal as a failed item.
pub(crate) fn item_results(rows: &[ResultRow], target: Target) -> Vec<ItemResult> {
    rows.iter()
        .map(|r| {
            r.result(target)
                .unwrap_or_else(|e| ItemResult::failed(r.id, &e))
        })
        .collect()
}

/// The error of a refused verdict code (`leqi_claim`'s rows).
pub(crate) fn verdict_error(id: i64, code: &str, detail: &str) -> Error {
    let row = ResultRow {
        id,
        code: code.to_string(),
        detail: detail.to_string(),
        action: None,
        from_state: None,
        to_state: None,
        version: None,
        cur_state: None,
        cur_version: None,
        by_officer: None,
        at: None,
    };
    match (code, row.result(Target::Application)) {
        (_, Ok(_)) => Error::Invalid(format!("未知结果 {code} (unknown result)")),
        // A claim's rows carry no current state: said as what it is.
        ("LQ001" | "LQ002", Err(_)) => Error::Database {
            kind: FailureKind::Conflict,
            message: format!(
                "申请 {id} 已不在可办理的环节 (application {id} is no longer at a stage to act on)"
            ),
        },
        (_, Err(e)) => e,
    }
}

/// A batch result row's message: done rows carry the step's name, refused
/// ones (on PostgreSQL) the database's code, rendered here in the same
/// words as the embedded store's.
pub(crate) fn render_result(id: i64, message: Option<String>, target: Target) -> Option<String> {
    let m = message?;
    let Some(coded) = m.strip_prefix('§') else {
        return Some(m);
    };
    let f: Vec<&str> = coded.splitn(6, '§').collect();
    let [code, detail, state, version, by, at] = f.as_slice() else {
        return Some(m);
    };
    let row = ResultRow {
        id,
        code: code.to_string(),
        detail: detail.to_string(),
        action: None,
        from_state: None,
        to_state: None,
        version: None,
        cur_state: Some(state.to_string()).filter(|s| !s.is_empty()),
        cur_version: version.parse().ok(),
        by_officer: Some(by.to_string()).filter(|s| !s.is_empty()),
        at: DateTime::parse_from_rfc3339(at)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
    };
    Some(match row.result(target) {
        Ok(_) => m,
        Err(e) => e.to_string(),
    })
}

/// A refusal the database raised for a whole call, by its SQLSTATE.
pub(crate) fn refused(e: &sqlx::Error) -> Option<Error> {
    let d = e.as_database_error()?;
    let code = d.code()?;
    let detail = d
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|p| p.detail())
        .unwrap_or("")
        .to_string();
    let message = d.message().to_string();
    let kind = match code.as_ref() {
        "42501" => {
            let f = match forbidden(&detail) {
                Forbidden::Denied(_) => Forbidden::Denied(message),
                f => f,
            };
            return Some(Error::Forbidden(f));
        }
        "LQ001" | "LQ002" => FailureKind::Conflict,
        "LQ003" => FailureKind::Invalid,
        "LQ004" => FailureKind::Precondition,
        "LQ005" => FailureKind::NotFound,
        // Another officer made the same binding or subscription in the
        // same instant: the index kept one, and this call changed nothing.
        "23505"
            if matches!(
                d.constraint(),
                Some("bindings_one_active" | "capabilities_one_active")
            ) =>
        {
            return Some(Error::Database {
                kind: FailureKind::Conflict,
                message: "另一位税务人员同时建立了相同的绑定或订阅，本次未作改动，请刷新后重试 (another officer made the same binding or subscription at the same moment: nothing was changed; refresh and try again)".into(),
            });
        }
        _ => return None,
    };
    Some(Error::Database { kind, message })
}

/// Whether a call only judges, or does: as part of a batch (its id and
/// the items' positions in it, whose result rows the database writes with
/// the changes), or not.
#[derive(Clone, Copy)]
pub(crate) enum Run<'a> {
    Judge,
    Apply { batch: Option<(&'a str, &'a [i64])> },
}

impl Run<'_> {
    pub(crate) fn apply(self) -> bool {
        matches!(self, Run::Apply { .. })
    }
    pub(crate) fn batch(self) -> Option<String> {
        match self {
            Run::Apply { batch } => batch.map(|b| b.0.to_string()),
            Run::Judge => None,
        }
    }
    pub(crate) fn seqs(self) -> Option<Vec<i64>> {
        match self {
            Run::Apply { batch } => batch.map(|b| b.1.to_vec()),
            Run::Judge => None,
        }
    }
}

impl Store {
    /// On PostgreSQL the officer is the session's login: a call naming
    /// another is refused before the database is asked.
    pub(crate) fn acting_as(&self, officer: &Officer) -> Result<()> {
        match &self.login {
            Some(login) if *login != officer.login => {
                Err(Error::Forbidden(Forbidden::Denied(format!(
                    "您以 {login} 登录，不能以 {} 的身份办理 (logged in as {login}, not {})",
                    officer.login, officer.login
                ))))
            }
            _ => Ok(()),
        }
    }

    /// Decisions through `leqi_decide`: judged and (with `apply`) done in
    /// the transaction `tx`.
    // One argument per parameter of the SQL function it calls.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn pg_decide(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        items: &[DecideItem],
        decision: Decision,
        reason: Option<&str>,
        until: Option<DateTime<Utc>>,
        run: Run<'_>,
    ) -> Result<Vec<Result<ItemResult>>> {
        self.acting_as(officer)?;
        let Tx::Postgres(t) = tx else {
            unreachable!("PostgreSQL only")
        };
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let versions: Vec<Option<i64>> = items.iter().map(|i| i.version).collect();
        let rows: Vec<ResultRow> =
            sqlx::query_as("SELECT * FROM leqi_decide($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(ids)
                .bind(versions)
                .bind(decision.code())
                .bind(reason)
                .bind(run.apply())
                .bind(run.batch())
                .bind(client())
                .bind(run.seqs())
                .bind(until)
                .fetch_all(&mut **t)
                .await?;
        Ok(rows.iter().map(|r| r.result(Target::Application)).collect())
    }

    /// Unbindings through `leqi_unbind`.
    pub(crate) async fn pg_unbind(
        &self,
        tx: &mut Tx,
        officer: &Officer,
        items: &[DecideItem],
        reason: &str,
        run: Run<'_>,
    ) -> Result<Vec<ItemResult>> {
        self.acting_as(officer)?;
        let Tx::Postgres(t) = tx else {
            unreachable!("PostgreSQL only")
        };
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let versions: Vec<Option<i64>> = items.iter().map(|i| i.version).collect();
        let rows: Vec<ResultRow> =
            sqlx::query_as("SELECT * FROM leqi_unbind($1, $2, $3, $4, $5, $6, $7)")
                .bind(ids)
                .bind(versions)
                .bind(reason)
                .bind(run.apply())
                .bind(run.batch())
                .bind(client())
                .bind(run.seqs())
                .fetch_all(&mut **t)
                .await?;
        Ok(item_results(&rows, Target::Binding))
    }

    /// A paper copy noted through `leqi_mark_paper`.
    pub(crate) async fn pg_mark_paper(&self, officer: &Officer, material: i64) -> Result<()> {
        self.acting_as(officer)?;
        let Backend::Postgres(p) = &self.backend else {
            unreachable!("PostgreSQL only")
        };
        sqlx::query("SELECT leqi_mark_paper($1, $2)")
            .bind(material)
            .bind(client())
            .execute(p)
            .await?;
        Ok(())
    }

    /// The session's login (PostgreSQL).
    pub(crate) async fn session_login(pool: &sqlx::PgPool) -> Result<String> {
        Ok(sqlx::query_scalar("SELECT session_user::text")
            .fetch_one(pool)
            .await?)
    }
}
