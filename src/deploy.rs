//! The deployment file: a bureau's shared settings (bureaus, officers and
//! their roles, the workflow table, thresholds, separation of duties).
//! Read whole and validated whole; an administrator applies it to the
//! database with `admin apply`, in one audited transaction, or not at all.

use crate::domain::workflow::{StageRule, Workflow};
use crate::domain::*;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageEntry {
    kind: String,
    stage: String,
    level: String,
    role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BureauEntry {
    id: String,
    name: String,
    level: String,
    province: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerEntry {
    login: String,
    name: String,
    bureau: String,
    roles: Vec<String>,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployFile {
    separation_of_duties: Option<bool>,
    #[serde(default)]
    workflow: Vec<StageEntry>,
    /// Per province id, or "default".
    #[serde(default)]
    thresholds: HashMap<String, Thresholds>,
    #[serde(default)]
    bureaus: Vec<BureauEntry>,
    #[serde(default)]
    officers: Vec<OfficerEntry>,
}

/// A bureau as the deployment names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BureauSpec {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub province: String,
}

/// An officer as the deployment names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerSpec {
    pub login: String,
    pub name: String,
    pub bureau: String,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// A validated deployment: what `admin apply` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub workflow: Workflow,
    /// Only when the file sets any.
    pub thresholds: Option<ThresholdTable>,
    pub bureaus: Vec<BureauSpec>,
    pub officers: Vec<OfficerSpec>,
}

/// What is wrong, and where: file, key, value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("部署文件 {file}：{key} = “{value}”：{problem}")]
pub struct DeployError {
    pub file: String,
    pub key: String,
    pub value: String,
    pub problem: String,
}

/// A login: as a PostgreSQL role name needs no quoting.
pub fn valid_login(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 63
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

struct Check<'a> {
    file: &'a str,
}

impl Check<'_> {
    fn err(&self, key: impl Into<String>, value: &str, problem: &str) -> DeployError {
        DeployError {
            file: self.file.to_string(),
            key: key.into(),
            value: crate::domain::text::inert(value).into_owned(),
            problem: problem.to_string(),
        }
    }

    /// A name: not empty, nothing a terminal would obey.
    fn name(&self, key: String, v: &str) -> Result<String, DeployError> {
        if !crate::domain::text::is_plain_name(v) {
            return Err(self.err(
                key,
                v,
                "不能为空或含控制字符 (must be non-empty text without control characters)",
            ));
        }
        Ok(v.trim().to_string())
    }

    fn parse<T>(
        &self,
        key: String,
        v: &str,
        p: fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, DeployError> {
        p(v).ok_or_else(|| self.err(key, v, what))
    }
}

fn workflow(c: &Check, f: &DeployFile) -> Result<Workflow, DeployError> {
    let mut wf = Workflow::default();
    for (i, s) in f.workflow.iter().enumerate() {
        let key = |k: &str| format!("workflow[{i}].{k}");
        let kind = c.parse(
            key("kind"),
            &s.kind,
            Kind::parse,
            "未知的申请类型 (unknown kind)",
        )?;
        let stage = c.parse(
            key("stage"),
            &s.stage,
            Stage::parse,
            "未知的环节 (unknown stage)",
        )?;
        let level = c.parse(
            key("level"),
            &s.level,
            Level::parse,
            "应为 county 或 province (unknown level)",
        )?;
        let current = wf.rule(kind, stage).ok_or_else(|| {
            c.err(
                key("stage"),
                &s.stage,
                "该申请类型没有这个环节 (the kind has no such stage)",
            )
        })?;
        let role = match &s.role {
            Some(r) => c.parse(key("role"), r, Role::parse, "未知的角色 (unknown role)")?,
            None => current.role,
        };
        let rule = StageRule {
            kind,
            stage,
            level,
            role,
        };
        wf.set(rule)
            .map_err(|e| c.err(key("stage"), &s.stage, &e.to_string()))?;
    }
    if let Some(sod) = f.separation_of_duties {
        wf.separation_of_duties = sod;
    }
    Ok(wf)
}

fn thresholds(c: &Check, f: &DeployFile) -> Result<Option<ThresholdTable>, DeployError> {
    if f.thresholds.is_empty() {
        return Ok(None);
    }
    for (k, t) in &f.thresholds {
        let key = |x: &str| format!("thresholds.{k}.{x}");
        for (name, v) in [
            ("revenue_wan", t.revenue_wan),
            ("invoice_count", t.invoice_count),
            ("invoice_amount_wan", t.invoice_amount_wan),
        ] {
            if v < 0 {
                return Err(c.err(key(name), &v.to_string(), "不能为负 (must not be negative)"));
            }
        }
        if !(t.livelihood_factor > 0.0 && t.livelihood_factor <= 1.0) {
            let v = t.livelihood_factor.to_string();
            return Err(c.err(
                key("livelihood_factor"),
                &v,
                "应在 0 与 1 之间 (must be above 0 and at most 1)",
            ));
        }
    }
    Ok(Some(ThresholdTable {
        default: f.thresholds.get("default").cloned().unwrap_or_default(),
        provinces: f
            .thresholds
            .iter()
            .filter(|(k, _)| k.as_str() != "default")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    }))
}

fn bureaus(c: &Check, f: &DeployFile) -> Result<Vec<BureauSpec>, DeployError> {
    let mut out: Vec<BureauSpec> = Vec::new();
    for (i, b) in f.bureaus.iter().enumerate() {
        let key = |k: &str| format!("bureaus[{i}].{k}");
        if b.id.is_empty() || !b.id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(c.err(key("id"), &b.id, "应为字母或数字 (letters and digits only)"));
        }
        if out.iter().any(|o| o.id == b.id) {
            return Err(c.err(key("id"), &b.id, "重复的税务机关 (listed twice)"));
        }
        let level = c.parse(
            key("level"),
            &b.level,
            Level::parse,
            "应为 county 或 province (unknown level)",
        )?;
        let name = c.name(key("name"), &b.name)?;
        out.push(BureauSpec {
            id: b.id.clone(),
            name,
            level,
            province: b.province.clone(),
        });
    }
    Ok(out)
}

fn officers(c: &Check, f: &DeployFile) -> Result<Vec<OfficerSpec>, DeployError> {
    let mut out: Vec<OfficerSpec> = Vec::new();
    for (i, o) in f.officers.iter().enumerate() {
        let key = |k: &str| format!("officers[{i}].{k}");
        if !valid_login(&o.login) {
            return Err(c.err(key("login"), &o.login, "应以小写字母开头，只含小写字母、数字和 - _ .，至多 63 个字符 (a lower-case letter, then lower-case letters, digits, - _ .; at most 63)"));
        }
        if out.iter().any(|x| x.login == o.login) {
            return Err(c.err(key("login"), &o.login, "重复的登录名 (listed twice)"));
        }
        let mut roles = Vec::new();
        for (j, r) in o.roles.iter().enumerate() {
            roles.push(c.parse(
                format!("officers[{i}].roles[{j}]"),
                r,
                Role::parse,
                "未知的角色 (unknown role)",
            )?);
        }
        if roles.is_empty() {
            return Err(c.err(key("roles"), "", "至少一个角色 (at least one role)"));
        }
        out.push(OfficerSpec {
            login: o.login.clone(),
            name: c.name(key("name"), &o.name)?,
            bureau: o.bureau.clone(),
            roles,
            active: o.active,
        });
    }
    Ok(out)
}

impl Deployment {
    /// Reads and validates a deployment file whole. `known`: the bureaus
    /// already in the database, (id, level), that the file may refer to.
    pub fn load(path: &Path, known: &[(String, Level)]) -> Result<Deployment, DeployError> {
        let file = path.display().to_string();
        let c = Check { file: &file };
        let text = crate::files::read_text(path, crate::files::LIST)
            .map_err(|e| c.err("", "", &format!("无法读取：{e} (cannot read the file)")))?;
        Deployment::parse(&text, &file, known)
    }

    pub fn parse(
        text: &str,
        file: &str,
        known: &[(String, Level)],
    ) -> Result<Deployment, DeployError> {
        let c = Check { file };
        let f: DeployFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(text).lines().count().max(1))
                .unwrap_or(1);
            c.err(format!("第 {line} 行 (line {line})"), "", e.message())
        })?;
        let d = Deployment {
            workflow: workflow(&c, &f)?,
            thresholds: thresholds(&c, &f)?,
            bureaus: bureaus(&c, &f)?,
            officers: officers(&c, &f)?,
        };
        d.references(&c, known)?;
        Ok(d)
    }

    /// Every bureau an officer or bureau names exists, in the file or the
    /// database; a bureau's province is a provincial bureau.
    fn references(&self, c: &Check, known: &[(String, Level)]) -> Result<(), DeployError> {
        let level_of = |id: &str| {
            self.bureaus
                .iter()
                .find(|b| b.id == id)
                .map(|b| b.level)
                .or_else(|| known.iter().find(|(k, _)| k == id).map(|(_, l)| *l))
        };
        for (i, b) in self.bureaus.iter().enumerate() {
            if level_of(&b.province) != Some(Level::Province) {
                return Err(c.err(
                    format!("bureaus[{i}].province"),
                    &b.province,
                    "不是已知的省级税务机关 (not a known provincial bureau)",
                ));
            }
        }
        for (i, o) in self.officers.iter().enumerate() {
            if level_of(&o.bureau).is_none() {
                return Err(c.err(
                    format!("officers[{i}].bureau"),
                    &o.bureau,
                    "不是已知的税务机关 (no such bureau in the file or the database)",
                ));
            }
        }
        Ok(())
    }

    /// What the deployment changes, in one line, for the audit trail.
    pub fn summary(&self) -> String {
        format!(
            "部署：{} 个税务机关，{} 名税务人员，工作流 {} 个环节，职责分离{}，阈值{} (deployment applied)",
            self.bureaus.len(),
            self.officers.len(),
            self.workflow.rules.len(),
            if self.workflow.separation_of_duties {
                "开"
            } else {
                "关"
            },
            if self.thresholds.is_some() {
                "已设"
            } else {
                "未变"
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
separation_of_duties = true

[[bureaus]]
id = "13300000000"
name = "国家税务总局某某省税务局"
level = "province"
province = "13300000000"

[[bureaus]]
id = "13301010000"
name = "国家税务总局某某县税务局"
level = "county"
province = "13300000000"

[[officers]]
login = "zhangsan"
name = "张三"
bureau = "13301010000"
roles = ["accept", "review"]

[[workflow]]
kind = "invitation"
stage = "confirmation"
level = "province"

[thresholds.default]
revenue_wan = 50000
invoice_count = 20000
invoice_amount_wan = 30000
livelihood_factor = 0.5
"#;

    #[test]
    fn a_good_file_reads_whole() {
        let d = Deployment::parse(GOOD, "d.toml", &[]).unwrap();
        assert_eq!(d.officers[0].roles, vec![Role::Accept, Role::Review]);
        assert_eq!(
            d.workflow
                .rule(Kind::Invitation, Stage::Confirmation)
                .unwrap()
                .level,
            Level::Province
        );
        assert!(d.thresholds.is_some());
        assert!(d.summary().contains("1 名税务人员"));
    }

    #[test]
    fn errors_say_file_key_and_value() {
        let bad = |from: &str, to: &str| {
            Deployment::parse(&GOOD.replace(from, to), "d.toml", &[]).unwrap_err()
        };
        let e = bad(
            r#"roles = ["accept", "review"]"#,
            r#"roles = ["accept", "boss"]"#,
        );
        assert_eq!(
            (e.key.as_str(), e.value.as_str()),
            ("officers[0].roles[1]", "boss")
        );
        assert!(e.to_string().starts_with("部署文件 d.toml："), "{e}");
        let e = bad(r#"bureau = "13301010000""#, r#"bureau = "99""#);
        assert_eq!(e.key, "officers[0].bureau");
        let e = bad("login = \"zhangsan\"", "login = \"Zhang San\"");
        assert_eq!(e.key, "officers[0].login");
        let e = bad("stage = \"confirmation\"", "stage = \"review\"");
        assert_eq!(e.key, "workflow[0].stage");
        let e = bad("livelihood_factor = 0.5", "livelihood_factor = 3.0");
        assert_eq!(e.key, "thresholds.default.livelihood_factor");
        let e = bad("name = \"张三\"", "name = \"张\\u001b[2J三\"");
        assert_eq!(e.key, "officers[0].name");
        assert!(!e.to_string().contains('\u{1b}'), "said inert");
        let e = bad("separation_of_duties = true", "colour = 1");
        assert!(e.problem.contains("colour"), "{e}");
        assert!(
            Deployment::parse(GOOD, "d.toml", &[("13301010000".into(), Level::County)]).is_ok()
        );
    }
}
