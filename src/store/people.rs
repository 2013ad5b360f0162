//! Bureaus, officers and the workflow table: who acts on what.

use super::audit::{NewAudit, Stamp};
use super::sql::{Tx, args};
use super::*;
use crate::deploy::Deployment;
use crate::domain::workflow::{StageRule, Unstaffed, Workflow};
use std::collections::HashMap;

/// An officer row with their bureau.
#[derive(sqlx::FromRow)]
struct OfficerRow {
    login: String,
    name: String,
    bureau_id: String,
    bureau_name: String,
    level: String,
    province_id: String,
    roles: Option<String>,
    active: bool,
}

impl From<OfficerRow> for Officer {
    fn from(r: OfficerRow) -> Officer {
        let mut roles: Vec<Role> = r
            .roles
            .unwrap_or_default()
            .split(',')
            .filter_map(Role::parse)
            .collect();
        roles.sort();
        Officer {
            login: r.login,
            name: r.name,
            bureau_id: r.bureau_id,
            bureau_name: r.bureau_name,
            level: Level::parse(&r.level).unwrap_or(Level::County),
            province_id: r.province_id,
            roles,
            active: r.active,
        }
    }
}

impl Store {
    /// Writes the workflow table and recomputes the acting bureau of items
    /// whose stage moved level (an administrator's change).
    pub async fn save_workflow(&mut self, wf: &Workflow) -> Result<()> {
        let mut tx = self.begin().await?;
        self.write_workflow(&mut tx, wf).await?;
        tx.commit().await?;
        self.workflow = wf.clone();
        Ok(())
    }

    async fn write_workflow(&self, tx: &mut Tx, wf: &Workflow) -> Result<()> {
        for r in &wf.rules {
            tx.execute(
                "INSERT INTO workflow_stages (kind, stage, level, role) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, stage) DO UPDATE SET level = excluded.level, role = excluded.role",
                args![r.kind.code(), r.stage.code(), r.level.code(), r.role.code()],
            )
            .await?;
            tx.execute(
                "UPDATE applications SET acting_bureau = CASE WHEN $1 = 'county' THEN county_id ELSE province_id END
                 WHERE kind = $2 AND state = $3 AND acting_bureau IS DISTINCT FROM (CASE WHEN $1 = 'county' THEN county_id ELSE province_id END)",
                args![r.level.code(), r.kind.code(), r.stage.state().code()],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('separation_of_duties', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![if wf.separation_of_duties { "on" } else { "off" }],
        )
        .await?;
        Ok(())
    }

    /// The thresholds an administrator set; the defaults until then.
    pub(crate) async fn load_thresholds(&self) -> Result<ThresholdTable> {
        let v: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'thresholds'")
                .fetch_optional(p)
                .await?
        });
        Ok(match v {
            Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::error!("stored thresholds unreadable ({e}): using the defaults");
                ThresholdTable::default()
            }),
            None => ThresholdTable::default(),
        })
    }

    /// Every bureau: (id, level).
    pub async fn bureau_levels(&self) -> Result<Vec<(String, Level)>> {
        let rows: Vec<(String, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, level FROM bureaus ORDER BY id")
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(id, l)| Some((id, Level::parse(&l)?)))
            .collect())
    }

    /// Whether any active officer holds the admin role.
    pub async fn has_admin(&self) -> Result<bool> {
        Ok(self
            .officers()
            .await?
            .iter()
            .any(|o| crate::domain::judge::may_administer(o).is_ok()))
    }

    /// Stages no active officer can act on, with the items waiting there.
    pub async fn unstaffed(&self) -> Result<Vec<Unstaffed>> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT kind, state, acting_bureau, count(*) FROM applications
                 WHERE acting_bureau IS NOT NULL GROUP BY kind, state, acting_bureau",
            )
            .fetch_all(p)
            .await?
        });
        let waiting: HashMap<(Kind, Stage, String), i64> = rows
            .into_iter()
            .filter_map(|(k, s, b, n)| {
                let stage = Stage::of_state(State::parse(&s)?)?;
                Some(((Kind::parse(&k)?, stage, b), n))
            })
            .collect();
        let bureaus = self.bureau_levels().await?;
        let officers = self.officers().await?;
        Ok(crate::domain::workflow::unstaffed(
            &self.workflow,
            &bureaus,
            &officers,
            &waiting,
        ))
    }

    /// An administrator's deployment: bureaus, officers and their roles,
    /// the workflow table, thresholds, written whole in one transaction
    /// with its audit event, or not at all. `by`: the administrator (or,
    /// for the first deployment of a database with none, the user).
    pub async fn apply_deployment(
        &mut self,
        by: &str,
        bureau: Option<&str>,
        d: &Deployment,
    ) -> Result<()> {
        if !self.is_embedded() {
            // The database checks the administrator and writes it whole.
            self.pg_admin_apply(d).await?;
            self.workflow = d.workflow.clone();
            if let Some(t) = &d.thresholds {
                self.thresholds = t.clone();
            }
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for b in &d.bureaus {
            tx.execute(
                "INSERT INTO bureaus (id, name, level, province_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, province_id = excluded.province_id",
                args![b.id.as_str(), b.name.as_str(), b.level.code(), b.province.as_str()],
            )
            .await?;
        }
        for o in &d.officers {
            write_officer(&mut tx, &o.login, &o.name, &o.bureau, &o.roles, o.active).await?;
        }
        self.write_workflow(&mut tx, &d.workflow).await?;
        if let Some(t) = &d.thresholds {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('thresholds', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                args![serde_json::to_string(t).unwrap_or_default()],
            )
            .await?;
        }
        let (summary, client) = (d.summary(), client());
        let stamp = Stamp {
            officer: by,
            bureau,
            at: now(),
            batch: None,
            client: client.as_deref(),
        };
        let event = NewAudit {
            application_id: None,
            binding_id: None,
            unit_id: None,
            measure_id: None,
            warning_id: None,
            action: Action::AdminApply.code(),
            from: None,
            to: None,
            reason: Some(&summary),
        };
        self.append_events(&mut tx, &stamp, &[event]).await?;
        tx.commit().await?;
        self.workflow = d.workflow.clone();
        if let Some(t) = &d.thresholds {
            self.thresholds = t.clone();
        }
        Ok(())
    }

    pub(crate) async fn load_workflow(&self) -> Result<Workflow> {
        let mut wf = Workflow::default();
        let rows: Vec<(String, String, String, String)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT kind, stage, level, role FROM workflow_stages")
                .fetch_all(p)
                .await?
        });
        for (k, s, l, r) in rows {
            if let (Some(kind), Some(stage), Some(level), Some(role)) = (
                Kind::parse(&k),
                Stage::parse(&s),
                Level::parse(&l),
                Role::parse(&r),
            ) {
                let _ = wf.set(StageRule {
                    kind,
                    stage,
                    level,
                    role,
                });
            }
        }
        let sod: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'separation_of_duties'")
                .fetch_optional(p)
                .await?
        });
        wf.separation_of_duties = sod.as_deref() != Some("off");
        Ok(wf)
    }

    /// Whether the database holds any unit or officer.
    pub async fn has_data(&self) -> Result<bool> {
        let n: i64 = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT (SELECT count(*) FROM (SELECT 1 FROM units LIMIT 1) u) + (SELECT count(*) FROM (SELECT 1 FROM officers LIMIT 1) o)")
                .fetch_one(p)
                .await?
        });
        Ok(n > 0)
    }

    pub async fn upsert_bureau(&self, b: &Bureau) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO bureaus (id, name, level, province_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, province_id = excluded.province_id",
            args![b.id.as_str(), b.name.as_str(), b.level.code(), b.province_id.as_str()],
        )
        .await?;
        tx.commit().await
    }

    /// Creates or replaces an officer and their roles (demo data, tests).
    pub async fn upsert_officer(
        &self,
        login: &str,
        name: &str,
        bureau: &str,
        roles: &[Role],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        write_officer(&mut tx, login, name, bureau, roles, true).await?;
        if !self.is_embedded() {
            // Their own login role (no password: pg_hba.conf decides).
            tx.execute("SELECT leqi_login_role($1, true, NULL)", args![login])
                .await?;
        }
        tx.commit().await
    }

    /// An administrator adds an officer (on PostgreSQL with their login
    /// role, a password only if given), audited.
    pub async fn add_officer(
        &self,
        by: &Officer,
        o: &crate::deploy::OfficerSpec,
        password: Option<&str>,
    ) -> Result<()> {
        let roles: Vec<&str> = o.roles.iter().map(|r| r.code()).collect();
        // Shown on every console and in every audit line.
        if !crate::domain::text::is_plain_name(&o.name) {
            return Err(Error::Invalid(format!(
                "姓名“{}”不能为空或含控制字符 (the name must be non-empty text without control characters)",
                crate::domain::text::inert(&o.name)
            )));
        }
        if o.roles.is_empty() {
            return Err(Error::Invalid(
                "请给出至少一个角色 (at least one role is required)".into(),
            ));
        }
        let mut tx = self.begin().await?;
        if self.is_embedded() {
            crate::domain::judge::may_administer(by)?;
            // Adding adds: moving a registered officer is a deployment's
            // change (admin apply), as the PostgreSQL function says too.
            if self.officers().await?.iter().any(|x| x.login == o.login) {
                return Err(Error::Database {
                    kind: crate::domain::FailureKind::Precondition,
                    message: format!(
                        "税务人员 {0} 已登记：调整其税务机关或角色请用部署文件 admin apply (officer {0} is registered already: change bureau or roles through admin apply)",
                        crate::domain::text::inert(&o.login)
                    ),
                });
            }
            if self
                .bureau_levels()
                .await?
                .iter()
                .all(|(b, _)| *b != o.bureau)
            {
                return Err(Error::NotFound(format!(
                    "没有税务机关 {} (no such bureau)",
                    crate::domain::text::inert(&o.bureau)
                )));
            }
            write_officer(&mut tx, &o.login, &o.name, &o.bureau, &o.roles, true).await?;
            let what = format!("{} {} @{} {}", o.login, o.name, o.bureau, roles.join(","));
            self.admin_event(&mut tx, Action::OfficerAdd, by, &what)
                .await?;
        } else {
            self.acting_as(by)?;
            tx.execute(
                "SELECT leqi_officer_add($1, $2, $3, string_to_array($4, ','), $5, $6)",
                args![
                    o.login.as_str(),
                    o.name.as_str(),
                    o.bureau.as_str(),
                    roles.join(","),
                    password,
                    client()
                ],
            )
            .await?;
        }
        tx.commit().await
    }

    /// An administrator disables an officer: they can no longer log in or
    /// act; their history stays.
    pub async fn disable_officer(&self, by: &Officer, login: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        if self.is_embedded() {
            crate::domain::judge::may_administer(by)?;
            let n = tx
                .execute(
                    "UPDATE officers SET active = FALSE WHERE login = $1",
                    args![login],
                )
                .await?;
            if n == 0 {
                return Err(Error::NotFound(format!(
                    "没有税务人员 {} (no such officer)",
                    crate::domain::text::inert(login)
                )));
            }
            self.admin_event(&mut tx, Action::OfficerDisable, by, login)
                .await?;
        } else {
            self.acting_as(by)?;
            tx.execute(
                "SELECT leqi_officer_disable($1, $2)",
                args![login, client()],
            )
            .await?;
        }
        tx.commit().await
    }

    /// A deployment through `leqi_admin_apply`.
    async fn pg_admin_apply(&self, d: &Deployment) -> Result<()> {
        use serde_json::json;
        let doc = json!({
            "bureaus": d.bureaus.iter().map(|b| json!({"id": b.id, "name": b.name, "level": b.level.code(), "province": b.province})).collect::<Vec<_>>(),
            "officers": d.officers.iter().map(|o| json!({"login": o.login, "name": o.name, "bureau": o.bureau,
                "roles": o.roles.iter().map(|r| r.code()).collect::<Vec<_>>(), "active": o.active})).collect::<Vec<_>>(),
            "workflow": d.workflow.rules.iter().map(|r| json!({"kind": r.kind.code(), "stage": r.stage.code(), "level": r.level.code(), "role": r.role.code()})).collect::<Vec<_>>(),
            "separation_of_duties": d.workflow.separation_of_duties,
            "thresholds": d.thresholds,
        });
        let mut tx = self.begin().await?;
        tx.execute(
            "SELECT leqi_admin_apply($1::json, $2, $3)",
            args![doc.to_string(), d.summary(), client()],
        )
        .await?;
        tx.commit().await
    }

    pub async fn officers(&self) -> Result<Vec<Officer>> {
        let rows: Vec<OfficerRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT o.login, o.name, o.bureau_id, b.name AS bureau_name, b.level, b.province_id, o.active,
                        (SELECT string_agg(role, ',') FROM officer_roles r WHERE r.login = o.login) AS roles
                 FROM officers o JOIN bureaus b ON b.id = o.bureau_id ORDER BY b.level DESC, o.bureau_id, o.login",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(Officer::from).collect())
    }

    /// An active officer by login; a disabled one is refused.
    pub async fn officer(&self, login: &str) -> Result<Officer> {
        let found = self
            .officers()
            .await?
            .into_iter()
            .find(|o| o.login == login);
        if let Some(o) = &found
            && !o.active
        {
            return Err(Error::Forbidden(
                crate::domain::workflow::Forbidden::Disabled(o.login.clone()),
            ));
        }
        found.ok_or_else(|| {
            Error::NotFound(format!(
                "未登记的税务人员“{}”：请用 --officer 指定已登记的登录名，`leqi-console officers` 可列出 (officer not registered: pass --officer with a login that `leqi-console officers` lists)",
                crate::domain::text::inert(login)
            ))
        })
    }
}

async fn write_officer(
    tx: &mut Tx,
    login: &str,
    name: &str,
    bureau: &str,
    roles: &[Role],
    active: bool,
) -> Result<()> {
    tx.execute(
        "INSERT INTO officers (login, name, bureau_id, active) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO UPDATE SET name = excluded.name, bureau_id = excluded.bureau_id, active = excluded.active",
        args![login, name, bureau, active],
    )
    .await?;
    tx.execute("DELETE FROM officer_roles WHERE login = $1", args![login])
        .await?;
    for r in roles {
        tx.execute(
            "INSERT INTO officer_roles (login, role) VALUES ($1, $2)",
            args![login, r.code()],
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// A shared-settings event: who changed what.
    async fn admin_event(
        &self,
        tx: &mut Tx,
        action: Action,
        by: &Officer,
        what: &str,
    ) -> Result<()> {
        let client = client();
        let stamp = Stamp {
            officer: &by.login,
            bureau: Some(&by.bureau_id),
            at: now(),
            batch: None,
            client: client.as_deref(),
        };
        let event = NewAudit {
            application_id: None,
            binding_id: None,
            unit_id: None,
            measure_id: None,
            warning_id: None,
            action: action.code(),
            from: None,
            to: None,
            reason: Some(what),
        };
        self.append_events(tx, &stamp, &[event]).await
    }
}
