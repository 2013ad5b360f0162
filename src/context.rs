//! The bootstrap both the console and the command line start from: the
//! global options, where things live, the config file, the database URL,
//! the acting officer, the language and the keymap; then the store.

use crate::config::{Config, Paths};
use crate::i18n::Lang;
use crate::keymap::Keymap;
use crate::store::{self, Store};
use clap::Args;
use std::path::{Path, PathBuf};

/// Options every subcommand and the console take.
#[derive(Debug, Clone, Default, Args)]
pub struct Global {
    /// sqlite:///PATH or postgres://USER@HOST:PORT/DB; else LEQI_DATABASE_URL, the config file, or the embedded default.
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// The acting officer's login on an embedded database (else the
    /// operating-system user); on PostgreSQL the login is who you connect
    /// as, and this may only repeat it.
    #[arg(long, global = true, value_name = "LOGIN")]
    pub officer: Option<String>,
    /// The config file (default: config.toml in the user's config directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Language of labels: zh (default) or en.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// Keymap: default, vim, or a file path.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// Create the embedded demo database if there is none and open the console on it.
    #[arg(long)]
    pub demo: bool,
}

/// An error for the user: one line and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl From<store::Error> for Failure {
    fn from(e: store::Error) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl Failure {
    pub fn usage(m: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: m.into(),
        }
    }
    pub fn invalid(m: impl Into<String>) -> Failure {
        Failure {
            code: 6,
            message: m.into(),
        }
    }
    pub fn other(m: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: m.into(),
        }
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// Everything a command needs, resolved from flags, environment and config.
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub database_url: String,
    /// The officer named by `--officer` (or the demo's), if any.
    pub officer_flag: Option<String>,
    /// The operating-system user, as the kernel knows the process.
    pub os_user: String,
    pub lang: Lang,
    pub keymap: Option<String>,
    /// The console opens on the demo database, creating it when empty.
    pub demo: bool,
}

impl Context {
    pub fn resolve(g: &Global) -> Outcome<Context> {
        let paths = Paths::discover();
        let config_file = g
            .config
            .clone()
            .unwrap_or_else(|| paths.config_file.clone());
        // A file named on the command line must be there: a typo is not
        // the defaults. The default file may be absent.
        if let Some(named) = &g.config
            && std::fs::symlink_metadata(named).is_err()
        {
            return Err(Failure::usage(format!(
                "找不到配置文件 {}：请检查 --config 的路径 (the config file named by --config does not exist)",
                crate::domain::text::inert(&named.display().to_string())
            )));
        }
        let config = Config::load(&config_file).map_err(Failure::usage)?;
        if let Some(u) = &g.database
            && has_password(u)
        {
            return Err(Failure::usage(
                "命令行的 --database 中不能写密码（跳板机上的其他用户用 ps 就能看到）：请写入 ~/.pgpass（权限 0600）或用 PGPASSFILE 指定的文件 (a password in --database shows in ps to every user of the host: put it in ~/.pgpass, mode 0600, or the file PGPASSFILE names)",
            ));
        }
        let database_url = g
            .database
            .clone()
            .or_else(|| {
                std::env::var("LEQI_DATABASE_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| config.database_url.clone())
            .unwrap_or_else(|| paths.default_database());
        let officer_flag = g.officer.clone();
        let os_user = os_user();
        let lang = match g.lang.as_deref().or(config.lang.as_deref()) {
            Some(l) => Lang::parse(l).ok_or_else(|| {
                Failure::usage(format!(
                    "未知的语言“{l}”：应为 zh 或 en (unknown language: use zh or en)"
                ))
            })?,
            None => Lang::Zh,
        };
        let keymap = g.keymap.clone().or_else(|| config.keymap.clone());
        secure(&paths);
        let mut ctx = Context {
            paths,
            config,
            database_url,
            officer_flag,
            os_user,
            lang,
            keymap,
            demo: g.demo,
        };
        if g.demo {
            // The demo database lives beside the default one; --database still wins.
            if g.database.is_none() {
                ctx.database_url =
                    format!("sqlite://{}", ctx.paths.data_dir.join("demo.db").display());
            }
            if g.officer.is_none() {
                ctx.officer_flag = Some(crate::demo::DEMO_OFFICER.into());
            }
        }
        Ok(ctx)
    }

    /// Opens the store: shared settings are read from the database, never
    /// written by an ordinary run.
    pub async fn open(&self) -> Outcome<Store> {
        Ok(Store::open(&self.database_url).await?)
    }

    /// The demo console's database gets its data on first use.
    pub async fn ensure_demo(&self, store: &Store) -> Outcome<()> {
        if self.demo && !store.has_data().await? {
            crate::cli::output::note(&format!(
                "正在创建演示数据库：{} (creating the demo database: {})",
                self.database_url, self.database_url
            ));
            crate::demo::generate(store, 3000, 1, |_| {}).await?;
        }
        Ok(())
    }

    /// Who is acting. On PostgreSQL the session's login, never a flag:
    /// `--officer` naming anyone else is refused (exit 4). On SQLite
    /// `--officer`, else the operating-system user.
    pub fn officer_login(&self, store: &Store) -> Outcome<String> {
        match (&store.login, &self.officer_flag) {
            (Some(login), Some(named)) if named != login => Err(Failure {
                code: 4,
                message: format!(
                    "您以 {login} 登录数据库，不能以 {named} 的身份办理；请用 {named} 自己的账号连接 (you are logged in as {login}: --officer {named} names someone else; connect with their own credentials)",
                    login = crate::domain::text::inert(login),
                    named = crate::domain::text::inert(named),
                ),
            }),
            (Some(login), _) => Ok(login.clone()),
            (None, Some(named)) => Ok(named.clone()),
            (None, None) => Ok(self.os_user.clone()),
        }
    }

    /// The acting officer, registered and active.
    pub async fn officer(&self, store: &Store) -> Outcome<crate::domain::Officer> {
        let login = self.officer_login(store)?;
        Ok(store.officer(&login).await?)
    }

    /// The keymap chosen by flag or config, with the user's file over it.
    pub fn keymap(&self) -> (Keymap, Option<String>) {
        load_keymap(
            self.keymap.as_deref(),
            &self.paths.config_dir.join("keymap.toml"),
        )
    }
}

/// The log (the state folder's `leqi-console.log`, the user's alone), and
/// the data and state folders made the user's own, with a line in the log
/// for whatever had to be tightened.
fn secure(paths: &crate::config::Paths) {
    let state = &paths.state_dir;
    let mut said = Vec::new();
    for dir in [
        paths.data_dir.clone(),
        state.clone(),
        state.join("drafts"),
        state.join("exports"),
    ] {
        match crate::files::private_dir(&dir) {
            Ok(done) => said.extend(done),
            Err(e) => said.push(format!("cannot make {} private: {e}", dir.display())),
        }
    }
    if let Ok(file) = crate::files::append_private(&state.join("leqi-console.log")) {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .try_init();
    }
    for line in said {
        tracing::warn!("{line}");
    }
}

/// The keymap: the chosen shipped or file map, then the user's file over
/// it. A bad file is reported and the defaults are used.
pub fn load_keymap(choice: Option<&str>, user_file: &Path) -> (Keymap, Option<String>) {
    let defaults = || Keymap::builtin("default").unwrap_or_default();
    let name = choice.unwrap_or("default");
    let (mut km, mut notice) = match Keymap::builtin(name) {
        Some(k) => (k, None),
        None => match crate::files::read_text(std::path::Path::new(name), crate::files::SMALL) {
            Ok(text) => match Keymap::parse(&text, name) {
                Ok(k) => {
                    let mut base = defaults();
                    base.merge(&k);
                    (base, None)
                }
                Err(e) => (defaults(), Some(e.to_string())),
            },
            Err(e) => (defaults(), Some(format!("{name}: {e}"))),
        },
    };
    if notice.is_none()
        && let Ok(text) = crate::files::read_text(user_file, crate::files::SMALL)
    {
        match Keymap::parse(&text, &user_file.display().to_string()) {
            Ok(user) => km.merge(&user),
            Err(e) => {
                notice = Some(e.to_string());
                km = defaults();
            }
        }
    }
    (km, notice)
}

/// The operating-system user by the process's real user id (getuid), not
/// `$USER`, which anyone can set.
fn os_user() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(u)) => u.name,
        _ => uid.to_string(),
    }
}

/// Whether a database URL carries a password (`scheme://user:password@`).
pub fn has_password(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(creds, _)| creds.contains(':'))
        || url.contains("password=")
}
