//! The command line: for scripts and for tests. Every subcommand goes
//! through the same store calls as the console.

use crate::config::{Config, Paths};
use crate::domain::text::inert;
use crate::domain::*;
use crate::fmt::table;
use crate::store::{
    self, BatchOp, DecideItem, Direction, Error, ItemResult, QueueQuery, Sort, Store,
};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "leqi-console",
    version,
    about = "乐企直连审批台：税务人员的受理、复核、确认工作台 (the tax officers' console for Leqi direct connection)"
)]
pub struct Cli {
    /// sqlite:///PATH or postgres://USER@HOST:PORT/DB; else LEQI_DATABASE_URL, the config file, or the embedded default.
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// The acting officer's login; else the operating-system user.
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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (apply migrations, seed the workflow table and configured officers).
    Init,
    /// Fill the database with realistic demo data.
    Demo {
        /// Number of applications to generate.
        #[arg(long, default_value_t = 3000)]
        scale: u64,
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Add to a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// List officers: login, name, bureau, level, roles.
    Officers {
        #[arg(long)]
        json: bool,
    },
    /// The acting officer's queue for a stage.
    Queue {
        /// 待受理 | 待复核 | 待确认, or pending-acceptance | pending-review | pending-confirmation.
        #[arg(long)]
        stage: String,
        /// 接入 | 邀请 | 退出 | 订阅 | 延续, or access | invitation | exit | subscription | extension.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The cursor printed after the previous page.
        #[arg(long)]
        after: Option<String>,
        #[arg(long, value_enum, default_value_t = SortArg::Age)]
        sort: SortArg,
        /// Only names or codes containing this text.
        #[arg(long, default_value = "")]
        filter: String,
        #[arg(long)]
        json: bool,
    },
    /// One application with its materials, checks and history.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Pass or reject the current stage of one or many applications.
    Decide {
        #[arg(value_enum)]
        decision: DecisionArg,
        ids: Vec<i64>,
        /// Required for reject: the applicant sees it.
        #[arg(long)]
        reason: Option<String>,
        /// Decide only if the application is still at this version.
        #[arg(long)]
        version: Option<i64>,
        /// Read ids from a file, one a line (optionally id:version).
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// End bindings between a direct-connect unit and user units.
    Unbind {
        binding_ids: Vec<i64>,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Bindings of a direct-connect unit (by USCC or id).
    Bindings {
        unit: String,
        /// Include ended bindings.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Audit events of an application.
    History {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Batches: list them, show one's results, export them, or run the rest.
    Batch {
        #[command(subcommand)]
        action: BatchCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// The acting officer's batches (unfinished ones with --unfinished).
    List {
        #[arg(long)]
        unfinished: bool,
        #[arg(long)]
        json: bool,
    },
    /// One batch's per-item results.
    Show {
        id: String,
        #[arg(long)]
        failures: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write a batch's results as CSV (UTF-8 with BOM).
    Export { id: String, file: PathBuf },
    /// Run the items of a batch that were not done (after a crash).
    Resume {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DecisionArg {
    Pass,
    Reject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Age,
    Name,
    Failed,
}

/// An error for the command line: one line and an exit code.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
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
}

pub type CliResult<T> = Result<T, Failure>;

/// Everything a command needs, resolved from flags, environment and config.
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub database_url: String,
    pub officer_login: String,
}

impl Context {
    pub fn resolve(cli: &Cli) -> CliResult<Context> {
        let paths = Paths::discover();
        let config_file = cli
            .config
            .clone()
            .unwrap_or_else(|| paths.config_file.clone());
        let config = Config::load(&config_file).map_err(Failure::usage)?;
        let database_url = cli
            .database
            .clone()
            .or_else(|| {
                std::env::var("LEQI_DATABASE_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| config.database_url.clone())
            .unwrap_or_else(|| paths.default_database());
        let officer_login = cli
            .officer
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .unwrap_or_default();
        Ok(Context {
            paths,
            config,
            database_url,
            officer_login,
        })
    }

    /// Opens the store with the configured workflow, thresholds and officers.
    pub async fn open(&self) -> CliResult<Store> {
        let mut store = Store::open(&self.database_url).await?;
        let wf = self.config.workflow().map_err(Failure::usage)?;
        if wf != store.workflow {
            store.save_workflow(&wf).await?;
        }
        store.thresholds = self.config.thresholds();
        for b in &self.config.bureaus {
            let level = Level::parse(&b.level).ok_or_else(|| {
                Failure::usage(format!(
                    "配置 bureaus：未知的层级“{}” (unknown level)",
                    b.level
                ))
            })?;
            store
                .upsert_bureau(&store::Bureau {
                    id: b.id.clone(),
                    name: b.name.clone(),
                    level,
                    province_id: b.province.clone(),
                })
                .await?;
        }
        for o in &self.config.officers {
            let roles: Option<Vec<Role>> = o.roles.iter().map(|r| Role::parse(r)).collect();
            let roles = roles.ok_or_else(|| {
                Failure::usage(format!(
                    "配置 officers：{} 的角色有误 (unknown role)",
                    o.login
                ))
            })?;
            store
                .upsert_officer(&o.login, &o.name, &o.bureau, &roles)
                .await?;
        }
        Ok(store)
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::fmt::beijing(t).format("%Y-%m-%d %H:%M").to_string()
}

pub async fn run(_cli: &Cli, cmd: &Command, ctx: &Context) -> CliResult<i32> {
    let store = ctx.open().await?;
    let result = run_with(&store, cmd, ctx).await;
    store.close().await;
    result
}

async fn run_with(store: &Store, cmd: &Command, ctx: &Context) -> CliResult<i32> {
    match cmd {
        Command::Init => {
            println!(
                "数据库已就绪 (database ready): {}",
                store::redact(&ctx.database_url)
            );
            Ok(0)
        }
        Command::Demo { scale, seed, force } => {
            if store.has_data().await? && !force {
                return Err(Failure { code: 5, message: "数据库中已有数据；如确需追加演示数据，请加 --force (the database already holds data: add --force to add demo data to it)".into() });
            }
            let started = std::time::Instant::now();
            let n = crate::demo::generate(store, *scale, *seed, |done| {
                if done % 100_000 == 0 {
                    eprintln!("… {done}");
                }
            })
            .await?;
            eprintln!(
                "演示数据：{n} 件申请，用时 {:.1} 秒 (demo data: {n} applications in {:.1} s)",
                started.elapsed().as_secs_f64(),
                started.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        Command::Officers { json } => {
            let officers = store.officers().await?;
            if *json {
                let v: Vec<serde_json::Value> = officers
                    .iter()
                    .map(|o| serde_json::json!({"login": o.login, "name": o.name, "bureau": o.bureau_id, "bureau_name": o.bureau_name, "level": o.level.code(), "roles": o.roles.iter().map(|r| r.code()).collect::<Vec<_>>()}))
                    .collect();
                print_json(&v);
            } else {
                let rows: Vec<Vec<String>> = officers
                    .iter()
                    .map(|o| {
                        vec![
                            o.login.clone(),
                            inert(&o.name).into(),
                            inert(&o.bureau_name).into(),
                            o.level.zh().into(),
                            o.roles
                                .iter()
                                .map(|r| r.zh())
                                .collect::<Vec<_>>()
                                .join("、"),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(&["登录名", "姓名", "税务机关", "层级", "角色"], &rows)
                );
            }
            Ok(0)
        }
        Command::Queue {
            stage,
            kind,
            limit,
            after,
            sort,
            filter,
            json,
        } => {
            let officer = store.officer(&ctx.officer_login).await?;
            let stage = Stage::parse(stage).ok_or_else(|| Failure::usage(format!("未知的环节“{}”：应为 待受理、待复核、待确认 或 pending-acceptance、pending-review、pending-confirmation (unknown stage)", inert(stage))))?;
            let kind = match kind {
                Some(k) => Some(Kind::parse(k).ok_or_else(|| {
                    Failure::usage(format!(
                        "未知的申请类型“{}”：应为 接入、邀请、退出、订阅、延续 (unknown kind)",
                        inert(k)
                    ))
                })?),
                None => None,
            };
            let cursor = match after {
                Some(c) => Some(store::Cursor::decode(c).ok_or_else(|| Failure::usage("--after 的游标无效：请用上一页输出的游标 (bad cursor: use the one the previous page printed)"))?),
                None => None,
            };
            let sort = match sort {
                SortArg::Age => Sort::Age,
                SortArg::Name => Sort::Name,
                SortArg::Failed => Sort::Failed,
            };
            // The officer's queue: kinds of the stage their level and roles reach.
            let reach = store.workflow.queues_for(&officer);
            let kinds: Vec<Kind> = reach
                .iter()
                .filter(|(s, k)| *s == stage && kind.is_none_or(|x| x == *k))
                .map(|(_, k)| *k)
                .collect();
            let mut rows = Vec::new();
            let mut more = false;
            if !kinds.is_empty() {
                let page = store
                    .queue(&QueueQuery {
                        stage,
                        kinds: kinds.clone(),
                        bureau: officer.bureau_id.clone(),
                        sort,
                        filter: filter.clone(),
                        cursor,
                        direction: Direction::Forward,
                        limit: *limit,
                    })
                    .await?;
                rows = page
                    .rows
                    .into_iter()
                    .filter(|r| kinds.contains(&r.kind))
                    .collect();
                more = page.more;
            }
            let next = if more {
                rows.last().map(|r| r.cursor(sort).encode())
            } else {
                None
            };
            if *json {
                print_json(&serde_json::json!({"items": rows, "next": next}));
            } else {
                let now = chrono::Utc::now();
                let t: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.kind.zh().into(),
                            inert(&r.uscc).into(),
                            inert(&r.name).into(),
                            local(r.submitted_at),
                            r.age_days(now).to_string(),
                            format!("{}/{}", r.passed_checks, r.failed_checks),
                            r.version.to_string(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &[
                            "编号",
                            "类型",
                            "统一社会信用代码",
                            "单位名称",
                            "提交时间",
                            "天数",
                            "通过/未过",
                            "版本"
                        ],
                        &t
                    )
                );
                if let Some(n) = next {
                    println!("下一页 (next): --after '{n}'");
                }
            }
            Ok(0)
        }
        Command::Show { id, json } => {
            let app = store.application(*id).await?;
            let checks = app.checks(&store.thresholds);
            if *json {
                print_json(
                    &serde_json::json!({"application": app, "checks": checks, "missing_materials": app.missing_materials()}),
                );
            } else {
                println!(
                    "{} {}  {}  版本 {}",
                    app.id,
                    app.kind.full_zh(),
                    app.state.zh(),
                    app.version
                );
                println!(
                    "单位：{}（{}）",
                    inert(&app.unit.facts.name),
                    inert(&app.unit.facts.uscc)
                );
                println!("主管税务机关：{}", app.county_name);
                println!("\n材料：");
                for m in &app.materials {
                    println!(
                        "  {}  {}  {} 字节  sha256 {}  纸质{}",
                        m.kind.zh(),
                        inert(&m.file_name),
                        m.size,
                        &m.sha256[..12.min(m.sha256.len())],
                        if m.paper_received { "已收" } else { "未收" }
                    );
                }
                for m in app.missing_materials() {
                    println!("  缺少：{}", m.zh());
                }
                println!("\n校验：");
                for c in &checks {
                    println!(
                        "  [{}] {}：{}",
                        c.outcome.label(true),
                        c.id.label(true),
                        inert(&c.detail_zh)
                    );
                }
                println!("\n历史：");
                for e in &app.history {
                    println!(
                        "  {}  {}  {}  {}",
                        local(e.at),
                        inert(&e.officer),
                        Action::parse(&e.action)
                            .map(|a| a.zh())
                            .unwrap_or(&e.action),
                        inert(e.reason.as_deref().unwrap_or(""))
                    );
                }
            }
            Ok(0)
        }
        Command::Decide {
            decision,
            ids,
            reason,
            version,
            from_file,
            json,
        } => {
            let officer = store.officer(&ctx.officer_login).await?;
            let items = collect_items(ids, from_file.as_ref(), *version)?;
            let decision = match decision {
                DecisionArg::Pass => Decision::Pass,
                DecisionArg::Reject => Decision::Reject,
            };
            if items.len() == 1 {
                let r = store
                    .decide(
                        &officer,
                        items[0].id,
                        decision,
                        reason.as_deref(),
                        items[0].version,
                    )
                    .await?;
                return report(&[r], *json);
            }
            let batch = store
                .create_batch(
                    &officer,
                    BatchOp::Decide(decision),
                    reason.as_deref(),
                    &items,
                )
                .await?;
            run_batch(store, &officer, &batch, *json).await
        }
        Command::Unbind {
            binding_ids,
            reason,
            from_file,
            json,
        } => {
            let officer = store.officer(&ctx.officer_login).await?;
            let items = collect_items(binding_ids, from_file.as_ref(), None)?;
            if items.len() == 1 {
                let r = store.unbind(&officer, &items, reason).await?;
                return report(&r, *json);
            }
            let batch = store
                .create_batch(&officer, BatchOp::Unbind, Some(reason), &items)
                .await?;
            run_batch(store, &officer, &batch, *json).await
        }
        Command::Bindings { unit, all, json } => {
            let u = store.find_unit(unit).await?;
            let b = store.bindings(u.id, *all).await?;
            if *json {
                print_json(&b);
            } else {
                println!(
                    "{}（{}）：{} 个绑定",
                    inert(&u.facts.name),
                    inert(&u.facts.uscc),
                    b.len()
                );
                let rows: Vec<Vec<String>> = b
                    .iter()
                    .map(|b| {
                        vec![
                            b.id.to_string(),
                            inert(&b.user_uscc).into(),
                            inert(&b.user_name).into(),
                            b.relation.zh().into(),
                            local(b.since),
                            b.invitation_id.to_string(),
                            if b.active { "有效" } else { "已解除" }.into(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &[
                            "绑定编号",
                            "使用单位代码",
                            "使用单位名称",
                            "关系",
                            "绑定时间",
                            "邀请编号",
                            "状态"
                        ],
                        &rows
                    )
                );
            }
            Ok(0)
        }
        Command::History { id, json } => {
            store.application(*id).await?;
            let h = store.history(*id).await?;
            if *json {
                print_json(&h);
            } else {
                let rows: Vec<Vec<String>> = h
                    .iter()
                    .map(|e| {
                        vec![
                            local(e.at),
                            inert(&e.officer).into(),
                            Action::parse(&e.action)
                                .map(|a| a.zh().to_string())
                                .unwrap_or_else(|| e.action.clone()),
                            e.from_state
                                .as_deref()
                                .and_then(State::parse)
                                .map(|s| s.zh())
                                .unwrap_or("")
                                .into(),
                            e.to_state
                                .as_deref()
                                .and_then(State::parse)
                                .map(|s| s.zh())
                                .unwrap_or("")
                                .into(),
                            inert(e.reason.as_deref().unwrap_or("")).into(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &["时间", "办理人", "操作", "原状态", "新状态", "理由"],
                        &rows
                    )
                );
            }
            Ok(0)
        }
        Command::Batch { action } => {
            let officer = store.officer(&ctx.officer_login).await?;
            match action {
                BatchCommand::List { unfinished, json } => {
                    let bs = store.batches(&officer.login, *unfinished).await?;
                    if *json {
                        print_json(&bs);
                    } else {
                        let rows: Vec<Vec<String>> = bs
                            .iter()
                            .map(|b| {
                                vec![
                                    b.id.clone(),
                                    b.op.code().into(),
                                    local(b.created_at),
                                    b.total.to_string(),
                                    b.done.to_string(),
                                    b.failed.to_string(),
                                    b.pending.to_string(),
                                ]
                            })
                            .collect();
                        print!(
                            "{}",
                            table(
                                &["批次", "操作", "时间", "总数", "成功", "失败", "未处理"],
                                &rows
                            )
                        );
                    }
                    Ok(0)
                }
                BatchCommand::Show { id, failures, json } => {
                    let items = store.batch_items(id, *failures).await?;
                    if *json {
                        print_json(&items);
                    } else {
                        let rows: Vec<Vec<String>> = items
                            .iter()
                            .map(|i| {
                                vec![
                                    i.item_id.to_string(),
                                    i.outcome.clone(),
                                    inert(i.message.as_deref().unwrap_or("")).into(),
                                ]
                            })
                            .collect();
                        print!("{}", table(&["编号", "结果", "说明"], &rows));
                    }
                    Ok(0)
                }
                BatchCommand::Export { id, file } => {
                    let items = store.batch_items(id, false).await?;
                    std::fs::write(file, store::results_csv(&items)).map_err(|e| Failure {
                        code: 1,
                        message: format!(
                            "无法写入 {}：{e} (cannot write the file)",
                            file.display()
                        ),
                    })?;
                    println!(
                        "已导出 {} 行 (exported {} rows) → {}",
                        items.len(),
                        items.len(),
                        file.display()
                    );
                    Ok(0)
                }
                BatchCommand::Resume { id, json } => run_batch(store, &officer, id, *json).await,
            }
        }
    }
}

fn collect_items(
    ids: &[i64],
    file: Option<&PathBuf>,
    version: Option<i64>,
) -> CliResult<Vec<DecideItem>> {
    let mut items: Vec<DecideItem> = ids.iter().map(|&id| DecideItem { id, version }).collect();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| {
            Failure::usage(format!(
                "无法读取 {}：{e} (cannot read the id file)",
                f.display()
            ))
        })?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, ver) = match line.split_once(':') {
                Some((a, b)) => (a.trim(), Some(b.trim())),
                None => (line, None),
            };
            let bad = || {
                Failure::invalid(format!(
                    "{} 第{}行“{}”不是编号 (line {} is not an id)",
                    f.display(),
                    n + 1,
                    inert(line),
                    n + 1
                ))
            };
            let id: i64 = id.parse().map_err(|_| bad())?;
            let version = match ver {
                Some(v) => Some(v.parse().map_err(|_| bad())?),
                None => version,
            };
            items.push(DecideItem { id, version });
        }
    }
    if items.is_empty() {
        return Err(Failure::usage(
            "请给出至少一个编号，或 --from-file (give at least one id, or --from-file)",
        ));
    }
    Ok(items)
}

/// Items per transaction; `LEQI_BATCH_CHUNK` overrides it (smaller chunks
/// show progress more often and are how the crash test lands mid-batch).
fn batch_chunk() -> usize {
    std::env::var("LEQI_BATCH_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(crate::store::BATCH_CHUNK)
}

async fn run_batch(store: &Store, officer: &Officer, batch: &str, json: bool) -> CliResult<i32> {
    let info = store
        .run_batch(officer, batch, batch_chunk(), |done, total| {
            if !json && total > 1000 {
                eprintln!("… {done}/{total}");
            }
            true
        })
        .await?;
    let items = store.batch_items(batch, false).await?;
    if json {
        print_json(&serde_json::json!({"batch": info, "items": items}));
    } else {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                vec![
                    i.item_id.to_string(),
                    if i.ok() {
                        "成功".into()
                    } else {
                        format!("失败:{}", i.outcome)
                    },
                    inert(i.message.as_deref().unwrap_or("")).into(),
                ]
            })
            .collect();
        print!("{}", table(&["编号", "结果", "说明"], &rows));
        println!(
            "批次 {}：成功 {}，失败 {}，未处理 {} (batch: done, failed, pending)",
            info.id, info.done, info.failed, info.pending
        );
    }
    Ok(if info.failed == 0 && info.pending == 0 {
        0
    } else {
        items
            .iter()
            .filter(|i| !i.ok())
            .map(|_| 1)
            .next()
            .unwrap_or(1)
            .max(first_failure_code(&items))
    })
}

/// The exit code of a batch: the code of its first failure's kind.
fn first_failure_code(items: &[store::BatchItem]) -> i32 {
    items
        .iter()
        .find(|i| !i.ok())
        .map(|i| match i.outcome.as_str() {
            "not_found" => 3,
            "forbidden" => 4,
            "conflict" | "precondition" => 5,
            "invalid" => 6,
            _ => 1,
        })
        .unwrap_or(0)
}

fn report(results: &[ItemResult], json: bool) -> CliResult<i32> {
    if json {
        print_json(&results);
    } else {
        for r in results {
            match (&r.error, r.action) {
                (None, Some(a)) => println!(
                    "{}：{}{}（版本 {}）",
                    r.id,
                    a.zh(),
                    r.to.map(|s| format!("，现为“{}”", s.zh()))
                        .unwrap_or_default(),
                    r.version.unwrap_or_default()
                ),
                (Some((_, m)), _) if results.len() > 1 => eprintln!("{}：{m}", r.id),
                _ => {}
            }
        }
    }
    // One item: its error is the command's error (one line, its exit code).
    match results.iter().find(|r| !r.ok()) {
        Some(r) if results.len() == 1 => Err(Failure {
            code: r.code,
            message: r.error.as_ref().map(|e| e.1.clone()).unwrap_or_default(),
        }),
        Some(r) => Ok(r.code),
        None => Ok(0),
    }
}
