//! Where things live, and the config file. Load order for the database:
//! `--database`, then `LEQI_DATABASE_URL`, then the config file, then the
//! embedded default in the user's data directory.

use crate::domain::workflow::{StageRule, Workflow};
use crate::domain::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Logs and reason drafts.
    pub state_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Paths {
        match directories::ProjectDirs::from("cn", "leqi", "leqi-console") {
            Some(d) => Paths {
                config_file: d.config_dir().join("config.toml"),
                config_dir: d.config_dir().to_path_buf(),
                data_dir: d.data_dir().to_path_buf(),
                state_dir: d.state_dir().unwrap_or(d.data_local_dir()).to_path_buf(),
            },
            // No home directory: keep everything beside the working directory.
            None => {
                let here = PathBuf::from(".leqi-console");
                Paths {
                    config_file: here.join("config.toml"),
                    config_dir: here.clone(),
                    data_dir: here.clone(),
                    state_dir: here,
                }
            }
        }
    }

    pub fn default_database(&self) -> String {
        format!("sqlite://{}", self.data_dir.join("leqi.db").display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_reads_and_rejects_what_it_should() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        std::fs::write(&f, "theme = \"16\"\nlang = \"en\"\n[[workflow]]\nkind = \"invitation\"\nstage = \"confirmation\"\nlevel = \"province\"\n").unwrap();
        let c = Config::load(&f).unwrap();
        assert_eq!(c.theme.as_deref(), Some("16"));
        let wf = c.workflow().unwrap();
        assert_eq!(
            wf.rule(Kind::Invitation, Stage::Confirmation)
                .unwrap()
                .level,
            Level::Province
        );
        std::fs::write(&f, "colour = 1\n").unwrap();
        assert!(
            Config::load(&f).unwrap_err().contains("config.toml"),
            "a bad file is named"
        );
        std::fs::write(
            &f,
            "[[workflow]]\nkind = \"invitation\"\nstage = \"review\"\nlevel = \"county\"\n",
        )
        .unwrap();
        assert!(
            Config::load(&f).unwrap().workflow().is_err(),
            "invitations have no review stage"
        );
        assert!(
            Config::load(&dir.path().join("missing.toml"))
                .unwrap()
                .database_url
                .is_none()
        );
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct StageConfig {
    pub kind: String,
    pub stage: String,
    pub level: String,
    pub role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OfficerConfig {
    pub login: String,
    pub name: String,
    pub bureau: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BureauConfig {
    pub id: String,
    pub name: String,
    pub level: String,
    pub province: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database_url: Option<String>,
    pub lang: Option<String>,
    pub keymap: Option<String>,
    /// "default" (256 colours), "16", or "none"; NO_COLOR always wins.
    pub theme: Option<String>,
    /// Items older than this many days are marked overdue.
    pub overdue_days: Option<i64>,
    pub separation_of_duties: Option<bool>,
    #[serde(default)]
    pub workflow: Vec<StageConfig>,
    /// Per province id, or "default".
    #[serde(default)]
    pub thresholds: HashMap<String, Thresholds>,
    #[serde(default)]
    pub bureaus: Vec<BureauConfig>,
    #[serde(default)]
    pub officers: Vec<OfficerConfig>,
}

impl Config {
    /// A missing file is an empty config; a malformed one is an error that
    /// names the file.
    pub fn load(path: &Path) -> Result<Config, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                format!(
                    "配置文件 {} 有误：{} (the config file is malformed)",
                    path.display(),
                    e.to_string().lines().next().unwrap_or("")
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!(
                "无法读取配置文件 {}：{e} (cannot read the config file)",
                path.display()
            )),
        }
    }

    /// The default workflow with this file's stage moves applied.
    pub fn workflow(&self) -> Result<Workflow, String> {
        let mut wf = Workflow::default();
        for s in &self.workflow {
            let kind = Kind::parse(&s.kind).ok_or_else(|| {
                format!("配置 workflow：未知的申请类型“{}” (unknown kind)", s.kind)
            })?;
            let stage = Stage::parse(&s.stage)
                .ok_or_else(|| format!("配置 workflow：未知的环节“{}” (unknown stage)", s.stage))?;
            let level = Level::parse(&s.level).ok_or_else(|| {
                format!(
                    "配置 workflow：未知的层级“{}”，应为 county 或 province (unknown level)",
                    s.level
                )
            })?;
            let current = wf.rule(kind, stage).ok_or_else(|| {
                format!(
                    "配置 workflow：{} 没有 {} 环节 (the kind has no such stage)",
                    s.kind, s.stage
                )
            })?;
            let role = match &s.role {
                Some(r) => Role::parse(r)
                    .ok_or_else(|| format!("配置 workflow：未知的角色“{r}” (unknown role)"))?,
                None => current.role,
            };
            wf.set(StageRule {
                kind,
                stage,
                level,
                role,
            })
            .map_err(|e| e.to_string())?;
        }
        if let Some(sod) = self.separation_of_duties {
            wf.separation_of_duties = sod;
        }
        Ok(wf)
    }

    /// `[thresholds.default]` and `[thresholds."PROVINCE-ID"]` sections.
    pub fn thresholds(&self) -> ThresholdTable {
        ThresholdTable {
            default: self.thresholds.get("default").cloned().unwrap_or_default(),
            provinces: self
                .thresholds
                .iter()
                .filter(|(k, _)| k.as_str() != "default")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}
