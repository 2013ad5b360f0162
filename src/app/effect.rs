//! What the app asks for (effects) and what comes back (messages). The
//! console runner carries effects out (store work on tokio tasks, drafts
//! in order) and hands the messages back; tests run them in order.

use crate::domain::*;
use crate::store::{
    self, Application, BatchInfo, BatchItem, BatchOp, BatchParams, Binding, DecideItem,
    ExitEffects, ItemResult, Page, QueueQuery, Supervision, WarningStep,
};

/// An error as the console shows it: its kind decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl From<store::Error> for Failure {
    fn from(e: store::Error) -> Self {
        Failure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMode {
    /// A new window; its first row is at this absolute index.
    Replace(i64),
    /// The window read again where it is, after others' changes: the row
    /// under the cursor stays even if it left the queue.
    Refresh(i64),
    Append,
    Prepend,
    /// A new window ending at the end of the queue.
    Last,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCounts(Vec<(Stage, Vec<Kind>)>),
    LoadCount {
        seq: u64,
        stage: Stage,
        kinds: Vec<Kind>,
        filter: String,
        older_than: Option<chrono::DateTime<chrono::Utc>>,
    },
    LoadPage {
        seq: u64,
        mode: PageMode,
        query: QueueQuery,
    },
    LoadDetail {
        seq: u64,
        id: i64,
    },
    Decide {
        id: i64,
        version: i64,
        decision: Decision,
        reason: Option<String>,
        /// An extension confirmed: the end of the period the officer set.
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    MarkPaper {
        material: i64,
    },
    LoadBindings {
        unit: i64,
    },
    FindUnit {
        text: String,
    },
    /// Every id of the queue matching the filter (for select-all).
    SelectAll {
        query: QueueQuery,
    },
    StartBatch {
        op: BatchOp,
        reason: Option<String>,
        items: Vec<DecideItem>,
        /// A measure's deadline and limit.
        params: BatchParams,
    },
    /// What the officer supervises (as of `now`).
    LoadSupervision {
        now: chrono::DateTime<chrono::Utc>,
    },
    /// What ending these units' connections would cancel.
    PreviewEnding {
        units: Vec<i64>,
    },
    /// A warning answered, closed or escalated.
    ActOnWarning {
        id: i64,
        version: i64,
        step: WarningStep,
    },
    RaiseWarning {
        unit: i64,
        finding: String,
    },
    /// Run (or resume) a batch chunk by chunk.
    RunBatch {
        id: String,
    },
    LoadBatches,
    /// The officer's batches and their decisions since a time.
    LoadWork {
        since: chrono::DateTime<chrono::Utc>,
    },
    LoadUnit {
        unit: i64,
    },
    /// Every officer's name, for showing who did what.
    LoadOfficers,
    LoadBatch {
        id: String,
    },
    ExportBatch {
        id: String,
    },
    /// Stages no active officer can act on (an administrator's console).
    LoadUnstaffed,
    /// Stop a running batch after the chunk in flight (true), or let the
    /// next run go on (false).
    CancelBatch(bool),
    /// Keep what the officer typed (a reason draft), or forget it.
    SaveDraft {
        key: String,
        text: String,
    },
    ClearDraft {
        key: String,
    },
    /// Offer a kept draft again.
    LoadDraft {
        key: String,
    },
    /// Claim items for a lease (renewing the officer's own), taking them
    /// over from another with a reason.
    Claim {
        ids: Vec<i64>,
        minutes: i64,
        take_over: Option<String>,
        why: ClaimWhy,
    },
    Release {
        ids: Vec<i64>,
    },
    /// The claims on items this console holds, as they are now.
    CheckClaims {
        ids: Vec<i64>,
    },
    /// The officer works in this queue (None: no longer); who else does.
    Presence {
        queue: Option<String>,
    },
}

/// Why the console claims: the answer is handled accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimWhy {
    /// A decision was started on it (the dialog opened).
    Start,
    /// The claim key.
    Key,
    /// The console renewing what it holds.
    Renew,
    /// Taken over from another officer, with a reason.
    TakeOver,
    /// A selection's decision was started (its batch dialog opened): held
    /// for the batch, which then decides without claiming again.
    Batch,
}

impl Effect {
    /// Local work the runner does at once and in order (drafts, the cancel
    /// flag); everything else goes to the store on a task.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            Effect::CancelBatch(_)
                | Effect::SaveDraft { .. }
                | Effect::ClearDraft { .. }
                | Effect::LoadDraft { .. }
        )
    }
}

#[derive(Debug, Clone)]
pub enum Msg {
    Counts(Result<Vec<i64>, Failure>),
    Count {
        seq: u64,
        result: Result<i64, Failure>,
    },
    Page {
        seq: u64,
        mode: PageMode,
        result: Result<Page, Failure>,
    },
    Detail {
        seq: u64,
        result: Result<Box<Application>, Failure>,
    },
    Decided {
        id: i64,
        decision: Decision,
        result: Result<ItemResult, Failure>,
    },
    PaperMarked(Result<(), Failure>),
    Bindings {
        unit: i64,
        result: Result<Vec<Binding>, Failure>,
    },
    /// Direct-connect units found: (id, USCC, name).
    UnitsFound(Result<Vec<(i64, String, String)>, Failure>),
    Selected(Result<Vec<(i64, i64, Kind)>, Failure>),
    BatchStarted(Result<String, Failure>),
    BatchProgress {
        id: String,
        done: i64,
        total: i64,
    },
    BatchDone {
        id: String,
        result: Result<(BatchInfo, Vec<BatchItem>), Failure>,
    },
    Batches(Result<Vec<BatchInfo>, Failure>),
    Work(Result<(Vec<BatchInfo>, Vec<crate::store::Decided>), Failure>),
    Unit {
        unit: i64,
        result: Result<Box<crate::store::UnitView>, Failure>,
    },
    /// login -> name.
    Officers(Result<Vec<(String, String)>, Failure>),
    Exported(Result<String, Failure>),
    Unstaffed(Result<Vec<crate::domain::workflow::Unstaffed>, Failure>),
    /// A kept draft, if there is one.
    DraftLoaded {
        key: String,
        text: Option<String>,
    },
    Supervision(Result<Box<Supervision>, Failure>),
    EndingPreview(Result<ExitEffects, Failure>),
    /// A warning raised or acted on (`action` says which): the warning's
    /// id, or an escalation's new measure.
    WarningDone {
        action: Action,
        /// The warning acted on, or the unit a warning was raised against.
        subject: i64,
        result: Result<i64, Failure>,
    },
    /// Another officer changed the database (or the watch reconnected and
    /// may have missed a notice): what is shown may be stale.
    Changed,
    /// A piece of work failed in a way the program did not foresee (a bug):
    /// said, and the console goes on.
    Crashed(String),
    Claimed {
        why: ClaimWhy,
        result: Result<Vec<crate::store::ClaimResult>, Failure>,
    },
    Released(Result<Vec<i64>, Failure>),
    /// The claims on the ids asked about (an id without one: ended).
    ClaimsChecked {
        ids: Vec<i64>,
        result: Result<Vec<crate::store::Claim>, Failure>,
    },
    Presence(Result<Vec<String>, Failure>),
    /// Half a minute passed: leases to renew, presence to say, minutes
    /// left to count down.
    Tick,
}
