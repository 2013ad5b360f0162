//! Bureaus, officers and the workflow table: who acts on what.

use super::sql::args;
use super::*;
use crate::domain::workflow::{StageRule, Workflow};

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
        }
    }
}

impl Store {
    /// Writes the workflow table (defaults plus configuration) and
    /// recomputes the acting bureau of items whose stage moved level.
    pub async fn save_workflow(&mut self, wf: &Workflow) -> Result<()> {
        let mut tx = self.begin().await?;
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
        tx.commit().await?;
        self.workflow = wf.clone();
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

    /// Creates or replaces an officer and their roles.
    pub async fn upsert_officer(
        &self,
        login: &str,
        name: &str,
        bureau: &str,
        roles: &[Role],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO officers (login, name, bureau_id) VALUES ($1, $2, $3)
             ON CONFLICT (login) DO UPDATE SET name = excluded.name, bureau_id = excluded.bureau_id",
            args![login, name, bureau],
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
        tx.commit().await
    }

    pub async fn officers(&self) -> Result<Vec<Officer>> {
        let rows: Vec<OfficerRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT o.login, o.name, o.bureau_id, b.name AS bureau_name, b.level, b.province_id,
                        (SELECT string_agg(role, ',') FROM officer_roles r WHERE r.login = o.login) AS roles
                 FROM officers o JOIN bureaus b ON b.id = o.bureau_id ORDER BY b.level DESC, o.bureau_id, o.login",
            )
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(Officer::from).collect())
    }

    pub async fn officer(&self, login: &str) -> Result<Officer> {
        self.officers().await?.into_iter().find(|o| o.login == login).ok_or_else(|| {
            Error::NotFound(format!(
                "未登记的税务人员“{}”：请用 --officer 指定已登记的登录名，`leqi-console officers` 可列出 (officer not registered: pass --officer with a login that `leqi-console officers` lists)",
                crate::domain::text::inert(login)
            ))
        })
    }
}
