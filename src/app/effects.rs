//! What the app asks for (effects) and what comes back (messages). The
//! terminal loop runs effects on tokio tasks; tests run them in order.

use crate::domain::*;
use crate::store::{
    self, Application, BatchInfo, BatchItem, BatchOp, Binding, DecideItem, ItemResult, Page,
    QueueQuery, Store,
};

/// An error as the console shows it: its kind decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: &'static str,
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
    },
    MarkPaper {
        material: i64,
        application: i64,
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
    },
    /// Run (or resume) a batch chunk by chunk.
    RunBatch {
        id: String,
    },
    LoadBatches,
    LoadBatch {
        id: String,
    },
    ExportBatch {
        id: String,
    },
    Quit,
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
    PaperMarked {
        application: i64,
        result: Result<(), Failure>,
    },
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
    Exported(Result<String, Failure>),
    /// Another officer changed the database (or the watch reconnected and
    /// may have missed a notice): what is shown may be stale.
    Changed,
}

/// A batch's summary with its per-item results.
async fn with_items(
    store: &Store,
    id: &str,
    info: store::Result<BatchInfo>,
) -> Result<(BatchInfo, Vec<BatchItem>), Failure> {
    let info = info?;
    Ok((info, store.batch_items(id, false).await?))
}

/// Runs one effect against the store. `progress` receives batch progress;
/// `cancelled` is read between batch chunks.
pub async fn execute(
    store: &Store,
    officer: &Officer,
    effect: Effect,
    export_dir: &std::path::Path,
    progress: &(dyn Fn(Msg) + Send + Sync),
    cancelled: &std::sync::atomic::AtomicBool,
) -> Option<Msg> {
    Some(match effect {
        Effect::LoadCounts(nodes) => {
            // Each count is one index range; they run at once.
            let counts = nodes
                .iter()
                .map(|(stage, kinds)| store.queue_count(*stage, kinds, &officer.bureau_id, ""));
            Msg::Counts(
                futures_util::future::try_join_all(counts)
                    .await
                    .map_err(Failure::from),
            )
        }
        Effect::LoadCount {
            seq,
            stage,
            kinds,
            filter,
        } => Msg::Count {
            seq,
            result: store
                .queue_count(stage, &kinds, &officer.bureau_id, &filter)
                .await
                .map_err(Failure::from),
        },
        Effect::LoadPage { seq, mode, query } => Msg::Page {
            seq,
            mode,
            result: store.queue(&query).await.map_err(Failure::from),
        },
        Effect::LoadDetail { seq, id } => Msg::Detail {
            seq,
            result: store
                .application(id)
                .await
                .map(Box::new)
                .map_err(Failure::from),
        },
        Effect::Decide {
            id,
            version,
            decision,
            reason,
        } => Msg::Decided {
            id,
            decision,
            result: store
                .decide(officer, id, decision, reason.as_deref(), Some(version))
                .await
                .map_err(Failure::from),
        },
        Effect::MarkPaper {
            material,
            application,
        } => Msg::PaperMarked {
            application,
            result: store
                .mark_paper_received(officer, material)
                .await
                .map_err(Failure::from),
        },
        Effect::LoadBindings { unit } => Msg::Bindings {
            unit,
            result: store.bindings(unit, false).await.map_err(Failure::from),
        },
        Effect::FindUnit { text } => Msg::UnitsFound(
            store
                .search_direct_units(&text, 20)
                .await
                .map_err(Failure::from),
        ),
        Effect::SelectAll { mut query } => {
            // Walk the whole queue along its index, a page at a time: only
            // (id, version) pairs are kept.
            let mut out = Vec::new();
            query.limit = 2000;
            query.cursor = None;
            loop {
                match store.queue(&query).await {
                    Ok(page) => {
                        out.extend(page.rows.iter().map(|r| (r.id, r.version, r.kind)));
                        match (page.more, page.rows.last()) {
                            (true, Some(last)) => query.cursor = Some(last.cursor(query.sort)),
                            _ => break,
                        }
                    }
                    Err(e) => return Some(Msg::Selected(Err(e.into()))),
                }
            }
            Msg::Selected(Ok(out))
        }
        Effect::StartBatch { op, reason, items } => Msg::BatchStarted(
            store
                .create_batch(officer, op, reason.as_deref(), &items)
                .await
                .map_err(Failure::from),
        ),
        Effect::RunBatch { id } => {
            let result = store
                .run_batch(officer, &id, crate::store::BATCH_CHUNK, |done, total| {
                    progress(Msg::BatchProgress {
                        id: id.clone(),
                        done,
                        total,
                    });
                    !cancelled.load(std::sync::atomic::Ordering::SeqCst)
                })
                .await;
            Msg::BatchDone {
                result: with_items(store, &id, result).await,
                id,
            }
        }
        Effect::LoadBatches => Msg::Batches(
            store
                .batches(&officer.login, false)
                .await
                .map_err(Failure::from),
        ),
        Effect::LoadBatch { id } => {
            let info = store.batch(&id).await;
            Msg::BatchDone {
                result: with_items(store, &id, info).await,
                id,
            }
        }
        Effect::ExportBatch { id } => {
            let result = match store.batch_items(&id, false).await {
                Ok(items) => {
                    let path = export_dir.join(format!("{id}.csv"));
                    std::fs::create_dir_all(export_dir)
                        .and_then(|_| std::fs::write(&path, store::results_csv(&items)))
                        .map(|_| path.display().to_string())
                        .map_err(|e| Failure {
                            kind: "error",
                            message: format!(
                                "无法写入 {}：{e} (cannot write the file)",
                                path.display()
                            ),
                        })
                }
                Err(e) => Err(e.into()),
            };
            Msg::Exported(result)
        }
        Effect::Quit => return None,
    })
}
