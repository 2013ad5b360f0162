//! The command line's grammar (clap): global options and subcommands.

use crate::context::Global;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "leqi-console",
    version,
    about = "乐企直连审批台：税务人员的受理、复核、确认工作台 (the tax officers' console for Leqi direct connection)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
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
        /// Rows on the page, 1 to 10,000.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
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
        /// An extension's confirmation: the date it runs to (YYYY-MM-DD);
        /// else the end its request names, else a year.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Decide items another officer has claimed, taking them over;
        /// needs --reason, which is audited with the take-over.
        #[arg(long, requires = "reason")]
        take_over: bool,
        #[arg(long)]
        json: bool,
    },
    /// Claim (领取) applications: nobody else decides them while the claim
    /// lasts. Held by another: refused (exit 5) unless taken over.
    Claim {
        #[arg(required = true)]
        ids: Vec<i64>,
        /// How long the claim lasts (1 to 480; default 15, or the config
        /// file's claim_minutes).
        #[arg(long, value_name = "N")]
        minutes: Option<i64>,
        /// Take over items another officer holds; needs --reason.
        #[arg(long, requires = "reason")]
        take_over: bool,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// End your claims on applications.
    Release {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Claims in force that you can see: who holds what, until when.
    Claims {
        /// Only your own.
        #[arg(long)]
        mine: bool,
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
    /// Shared settings, for administrators: bureaus, officers and roles, the workflow table, thresholds.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// Supervision measures: those in force (overdue first), or a unit's.
    Measures {
        /// A unit, by USCC or id: every measure of it.
        #[arg(long)]
        unit: Option<String>,
        /// Only those past their rectification deadline.
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        json: bool,
    },
    /// Impose, lift or terminate supervision measures (supervise role).
    Measure {
        #[command(subcommand)]
        action: MeasureCommand,
    },
    /// Open risk warnings, oldest deadline first.
    Warnings {
        #[arg(long)]
        json: bool,
    },
    /// Raise a risk warning, record a unit's feedback, close or escalate it.
    Warning {
        #[command(subcommand)]
        action: WarningCommand,
    },
    /// The audit trail's hash chains: a checkpoint to keep, and verification.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// The workflow table and who can act on it.
    Workflow {
        #[command(subcommand)]
        action: WorkflowCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Validate a deployment file whole and write it in one audited transaction (admin role; the first one into a database with no administrator).
    Apply { file: PathBuf },
    /// Set up a new database: on PostgreSQL the owner and officers' roles and the schema, with credentials that may create roles.
    Init,
    /// Bring a database's schema up to this program's (as `init`).
    Upgrade,
    /// Officers and their login roles.
    Officer {
        #[command(subcommand)]
        action: OfficerCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OfficerCommand {
    /// Register an officer; on PostgreSQL also their login role (no password unless --password-file).
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        bureau: String,
        /// Comma-separated: accept, review, confirm, supervise, admin.
        #[arg(long)]
        roles: String,
        /// A file holding the login role's password (first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Disable an officer: no more logins or decisions; their history stays.
    Disable { login: String },
}

#[derive(Debug, Subcommand)]
pub enum MeasureCommand {
    /// Impose a measure on units (by USCC or id): 提醒 reminder, 约谈 interview,
    /// 暂停新增使用单位 suspend-invitations, 暂停使用乐企能力 suspend-capabilities,
    /// 限制并发量 limit-concurrency (with --limit), 暂停接入服务 suspend-access,
    /// 终止接入服务 terminate.
    Impose {
        units: Vec<String>,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        reason: String,
        /// The rectification deadline (YYYY-MM-DD): a month unless given, at most three.
        #[arg(long, value_name = "DATE")]
        deadline: Option<String>,
        /// 限制并发量's new limit.
        #[arg(long)]
        limit: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Lift measures: the unit rectified.
    Lift {
        ids: Vec<i64>,
        #[arg(long)]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// The deadline passed unrectified: end the units' access.
    Terminate {
        ids: Vec<i64>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WarningCommand {
    /// Raise a risk warning against a unit (by USCC or id).
    Raise {
        unit: String,
        #[arg(long)]
        finding: String,
        /// Rectify and report back by (YYYY-MM-DD): a month unless given.
        #[arg(long, value_name = "DATE")]
        deadline: Option<String>,
    },
    /// Record the unit's feedback.
    Feedback {
        id: i64,
        #[arg(long)]
        text: String,
    },
    /// Close a warning: the unit rectified.
    Close {
        id: i64,
        #[arg(long)]
        note: String,
    },
    /// Escalate a warning to a measure.
    Escalate {
        id: i64,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        deadline: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the head of every chain of the audit trail to FILE, to keep outside the database.
    Checkpoint { file: PathBuf },
    /// Recompute every chain, replay every application's events, and compare with a checkpoint.
    Verify {
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// List every stage of every kind that no active officer can act on, with the items waiting there.
    Check {
        #[arg(long)]
        json: bool,
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

impl DecisionArg {
    pub fn decision(self) -> crate::domain::Decision {
        match self {
            DecisionArg::Pass => crate::domain::Decision::Pass,
            DecisionArg::Reject => crate::domain::Decision::Reject,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Age,
    Name,
    Failed,
}

impl SortArg {
    pub fn sort(self) -> crate::store::Sort {
        match self {
            SortArg::Age => crate::store::Sort::Age,
            SortArg::Name => crate::store::Sort::Name,
            SortArg::Failed => crate::store::Sort::Failed,
        }
    }
}
