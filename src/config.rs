//! Where things live, and the officer's own config file: personal
//! settings only (language, keymap, theme, database URL, overdue days).
//! Shared settings live in the database and change only by an
//! administrator's `admin apply` (see `deploy.rs`). Load order for the
//! database: `--database`, then `LEQI_DATABASE_URL`, then the config
//! file, then the embedded default in the user's data directory.

use serde::Deserialize;
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

/// The officer's own settings.
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
    /// How long a claim (领取) lasts before it lapses, in minutes; the
    /// console renews it while it holds the item.
    pub claim_minutes: Option<i64>,
}

/// Keys that belong to the deployment, not to a personal file.
const SHARED: [&str; 5] = [
    "bureaus",
    "officers",
    "workflow",
    "thresholds",
    "separation_of_duties",
];

impl Config {
    /// A missing file is an empty config; a malformed one, or one that
    /// sets shared settings, is an error that names the file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = match crate::files::read_text(path, crate::files::SMALL) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(format!(
                    "无法读取配置文件 {}：{} (cannot read the config file)",
                    path.display(),
                    crate::domain::text::inert(&e.to_string())
                ));
            }
        };
        let bad = |what: String| {
            format!(
                "配置文件 {} 有误：{what} (the config file is malformed)",
                path.display()
            )
        };
        let table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
        if let Some(k) = SHARED.iter().find(|k| table.contains_key(**k)) {
            return Err(format!(
                "配置文件 {}：“{k}”是共享设置，只能由管理员用 `leqi-console admin apply 部署文件` 写入数据库 (shared settings belong to the deployment file, applied by an administrator with `leqi-console admin apply FILE`)",
                path.display()
            ));
        }
        // Parsed again from the text, so that an error knows its line.
        let c: Config = toml::from_str(&text).map_err(|e| bad(located(&text, &e)))?;
        if let Some(t) = c.theme.as_deref()
            && !["default", "16", "sixteen", "none", "mono"].contains(&t)
        {
            return Err(bad(format!(
                "theme “{}” 无效：应为 default、16 或 none (theme must be default, 16 or none)",
                crate::fmt::truncate(&crate::domain::text::inert(t), 40)
            )));
        }
        if c.overdue_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(bad(
                "overdue_days 应在 1 到 3650 之间 (overdue_days must be 1 to 3650)".into(),
            ));
        }
        if let Some(m) = c.claim_minutes {
            crate::domain::claim::lease_minutes(m)
                .map_err(|e| bad(format!("claim_minutes: {e}")))?;
        }
        Ok(c)
    }
}

/// A typed error with where it is: its line, and the key set there.
fn located(text: &str, e: &toml::de::Error) -> String {
    let Some(at) = e.span().and_then(|s| text.get(..s.start)) else {
        return e.message().to_string();
    };
    let n = at.matches('\n').count() + 1;
    let line = text.lines().nth(n - 1).unwrap_or_default();
    // The key as the file spells it, made inert: it is the user's text.
    let key = line
        .split_once('=')
        .map(|(k, _)| crate::fmt::truncate(&crate::domain::text::inert(k.trim()), 40))
        .filter(|k| !k.is_empty());
    match key {
        Some(k) => format!("第 {n} 行 {k}：{} (line {n}, {k})", e.message()),
        None => format!("第 {n} 行：{} (line {n})", e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_holds_personal_settings_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        std::fs::write(&f, "theme = \"16\"\nlang = \"en\"\noverdue_days = 5\n").unwrap();
        let c = Config::load(&f).unwrap();
        assert_eq!((c.theme.as_deref(), c.overdue_days), (Some("16"), Some(5)));
        std::fs::write(&f, "colour = 1\n").unwrap();
        assert!(
            Config::load(&f).unwrap_err().contains("config.toml"),
            "a bad file is named"
        );
        // A theme it does not know, a device: refused, named.
        std::fs::write(&f, "theme = \"bogus\"\n").unwrap();
        assert!(Config::load(&f).unwrap_err().contains("theme"));
        assert!(
            Config::load(Path::new("/dev/zero"))
                .unwrap_err()
                .contains("not a regular file")
        );
        // A value of the wrong type: its line and its key are named.
        std::fs::write(&f, "theme = \"16\"\nclaim_minutes = \"x\"\n").unwrap();
        let e = Config::load(&f).unwrap_err();
        assert!(e.contains("第 2 行 claim_minutes"), "{e}");
        for shared in [
            "[[officers]]\nlogin = \"x\"\n",
            "separation_of_duties = false\n",
            "[[workflow]]\nkind = \"invitation\"\nstage = \"confirmation\"\nlevel = \"province\"\n",
        ] {
            std::fs::write(&f, shared).unwrap();
            let e = Config::load(&f).unwrap_err();
            assert!(e.contains("admin apply"), "{e}");
        }
        std::fs::write(&f, "overdue_days = -1\n").unwrap();
        assert!(Config::load(&f).is_err());
        assert!(
            Config::load(&dir.path().join("missing.toml"))
                .unwrap()
                .database_url
                .is_none()
        );
    }
}
