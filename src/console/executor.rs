//! Carries out the app's effects: store work, drafts, exports, the cancel
//! flag of a running batch. Each effect ends in at most one message.

use super::drafts::Drafts;
use crate::app::{Effect, Failure, Msg};
use crate::domain::*;
use crate::store::{self, BatchInfo, BatchItem, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What effects run against: shared by every task of one console.
#[derive(Clone)]
pub struct Executor {
    pub store: Arc<Store>,
    pub officer: Arc<Officer>,
    pub export_dir: Arc<PathBuf>,
    pub drafts: Drafts,
    /// Read by a running batch between chunks.
    pub cancel: Arc<AtomicBool>,
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

impl Executor {
    pub fn new(
        store: Arc<Store>,
        officer: Officer,
        export_dir: PathBuf,
        drafts: Drafts,
    ) -> Executor {
        Executor {
            store,
            officer: Arc::new(officer),
            export_dir: Arc::new(export_dir),
            drafts,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Local work, done at once and in order.
    pub fn run_local(&self, effect: Effect) -> Option<Msg> {
        match effect {
            Effect::CancelBatch(on) => self.cancel.store(on, Ordering::SeqCst),
            Effect::SaveDraft { key, text } => self.drafts.save(&key, &text),
            Effect::ClearDraft { key } => self.drafts.clear(&key),
            Effect::LoadDraft { key } => {
                let text = self.drafts.load(&key);
                return Some(Msg::DraftLoaded { key, text });
            }
            _ => {}
        }
        None
    }

    /// Store work. `progress` receives batch progress.
    pub async fn run(&self, effect: Effect, progress: &(dyn Fn(Msg) + Send + Sync)) -> Option<Msg> {
        if effect.is_local() {
            return self.run_local(effect);
        }
        Some(match effect {
            Effect::LoadCounts(_)
            | Effect::LoadCount { .. }
            | Effect::LoadPage { .. }
            | Effect::LoadDetail { .. }
            | Effect::LoadBindings { .. }
            | Effect::FindUnit { .. }
            | Effect::SelectAll { .. }
            | Effect::LoadUnstaffed
            | Effect::LoadOfficers
            | Effect::LoadUnit { .. }
            | Effect::LoadWork { .. } => self.load(effect).await,
            Effect::LoadSupervision { now } => Msg::Supervision(
                self.store
                    .supervision(&self.officer, now)
                    .await
                    .map(Box::new)
                    .map_err(Failure::from),
            ),
            Effect::PreviewEnding { units } => Msg::EndingPreview(
                self.store
                    .ending_effects(&units)
                    .await
                    .map_err(Failure::from),
            ),
            Effect::StartBatch { .. }
            | Effect::RunBatch { .. }
            | Effect::LoadBatches
            | Effect::LoadBatch { .. }
            | Effect::ExportBatch { .. } => self.batch(effect, progress).await,
            Effect::Claim { .. }
            | Effect::Release { .. }
            | Effect::CheckClaims { .. }
            | Effect::Presence { .. } => self.claims(effect).await,
            other => self.write(other).await,
        })
    }

    /// Claims, releases and presence.
    async fn claims(&self, effect: Effect) -> Msg {
        let (store, officer) = (&*self.store, &*self.officer);
        match effect {
            Effect::Claim {
                ids,
                minutes,
                take_over,
                why,
            } => Msg::Claimed {
                why,
                result: store
                    .claim(officer, &ids, minutes, take_over.as_deref())
                    .await
                    .map_err(Failure::from),
            },
            Effect::Release { ids } => {
                Msg::Released(store.release(officer, &ids).await.map_err(Failure::from))
            }
            Effect::CheckClaims { ids } => {
                let result = store.claims_on(&ids).await.map_err(Failure::from);
                Msg::ClaimsChecked { ids, result }
            }
            Effect::Presence { queue } => Msg::Presence(
                store
                    .presence(officer, queue.as_deref())
                    .await
                    .map_err(Failure::from),
            ),
            _ => Msg::Released(Ok(vec![])),
        }
    }

    /// Reads for the screens.
    async fn load(&self, effect: Effect) -> Msg {
        let (store, officer) = (&*self.store, &*self.officer);
        let bureau = &officer.bureau_id;
        match effect {
            Effect::LoadCounts(nodes) => {
                // Each count is one index range; they run at once.
                let counts = nodes
                    .iter()
                    .map(|(stage, kinds)| store.queue_count(*stage, kinds, bureau, ""));
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
                older_than,
            } => {
                let result = store
                    .queue_count_where(stage, &kinds, bureau, &filter, older_than)
                    .await;
                Msg::Count {
                    seq,
                    result: result.map_err(Failure::from),
                }
            }
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
            Effect::LoadBindings { unit } => Msg::Bindings {
                unit,
                result: store.bindings(unit, false).await.map_err(Failure::from),
            },
            Effect::FindUnit { text } => Msg::UnitsFound(
                store
                    .search_direct_units(&text, crate::app::bindings::CHOICES as i64 + 1)
                    .await
                    .map_err(Failure::from),
            ),
            Effect::SelectAll { query } => Msg::Selected(self.select_all(query).await),
            Effect::LoadUnstaffed => Msg::Unstaffed(store.unstaffed().await.map_err(Failure::from)),
            Effect::LoadUnit { unit } => Msg::Unit {
                unit,
                result: store
                    .unit_view(unit)
                    .await
                    .map(Box::new)
                    .map_err(Failure::from),
            },
            Effect::LoadWork { since } => {
                let both = async {
                    let b = store.batches(&officer.login, false).await?;
                    let t = store.decisions_since(&officer.login, since).await?;
                    Ok::<_, store::Error>((b, t))
                };
                Msg::Work(both.await.map_err(Failure::from))
            }
            Effect::LoadOfficers => Msg::Officers(
                store
                    .officers()
                    .await
                    .map(|os| os.into_iter().map(|o| (o.login, o.name)).collect())
                    .map_err(Failure::from),
            ),
            other => unreachable_effect(other),
        }
    }

    /// Single decisions and paper receipts.
    async fn write(&self, effect: Effect) -> Msg {
        let (store, officer) = (&*self.store, &*self.officer);
        match effect {
            Effect::Decide {
                id,
                version,
                decision,
                reason,
                until,
            } => {
                let result = store
                    .decide_until(
                        officer,
                        id,
                        decision,
                        reason.as_deref(),
                        Some(version),
                        until,
                    )
                    .await;
                Msg::Decided {
                    id,
                    decision,
                    result: result.map_err(Failure::from),
                }
            }
            Effect::MarkPaper { material } => Msg::PaperMarked(
                store
                    .mark_paper_received(officer, material)
                    .await
                    .map_err(Failure::from),
            ),
            Effect::ActOnWarning { id, version, step } => {
                let action = match step {
                    store::WarningStep::Feedback(_) => Action::WarningFeedback,
                    store::WarningStep::Close(_) => Action::WarningClose,
                    store::WarningStep::Escalate(_) => Action::WarningEscalate,
                };
                let result = store
                    .act_on_warning(officer, id, Some(version), &step)
                    .await;
                Msg::WarningDone {
                    action,
                    subject: id,
                    result: result.map_err(Failure::from),
                }
            }
            Effect::RaiseWarning { unit, finding } => Msg::WarningDone {
                action: Action::WarningRaise,
                subject: unit,
                result: store
                    .raise_warning(officer, unit, &finding, None)
                    .await
                    .map_err(Failure::from),
            },
            other => unreachable_effect(other),
        }
    }

    /// Batches: created, run chunk by chunk with progress, listed, exported.
    async fn batch(&self, effect: Effect, progress: &(dyn Fn(Msg) + Send + Sync)) -> Msg {
        let (store, officer) = (&*self.store, &*self.officer);
        match effect {
            Effect::StartBatch {
                op,
                reason,
                items,
                params,
            } => Msg::BatchStarted(
                store
                    .create_batch_with(officer, op, reason.as_deref(), &params, &items)
                    .await
                    .map_err(Failure::from),
            ),
            Effect::RunBatch { id } => {
                let result = store
                    .run_batch(officer, &id, store::BATCH_CHUNK, |done, total| {
                        progress(Msg::BatchProgress {
                            id: id.clone(),
                            done,
                            total,
                        });
                        !self.cancel.load(Ordering::SeqCst)
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
            Effect::LoadBatch { id } => Msg::BatchDone {
                result: with_items(store, &id, store.batch(&id).await).await,
                id,
            },
            Effect::ExportBatch { id } => Msg::Exported(self.export(&id).await),
            other => unreachable_effect(other),
        }
    }

    /// Every (id, version, kind) of the queue matching the filter: the
    /// whole queue walked along its index, a page at a time.
    async fn select_all(
        &self,
        mut query: store::QueueQuery,
    ) -> Result<Vec<(i64, i64, Kind)>, Failure> {
        let mut out = Vec::new();
        query.limit = 2000;
        query.cursor = None;
        loop {
            let page = self.store.queue(&query).await?;
            out.extend(page.rows.iter().map(|r| (r.id, r.version, r.kind)));
            match (page.more, page.rows.last()) {
                (true, Some(last)) => query.cursor = Some(last.cursor(query.sort)),
                _ => return Ok(out),
            }
        }
    }

    async fn export(&self, id: &str) -> Result<String, Failure> {
        let items = self.store.batch_items(id, false).await?;
        // The id is read back from the database: only its safe characters
        // make the name, so no path or control character leaves exports/.
        let stem: String = id
            .chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '_' | '-' => c,
                _ => '_',
            })
            .take(120)
            .collect();
        let path = self.export_dir.join(format!("{stem}.csv"));
        crate::files::private_dir(&self.export_dir)
            .and_then(|_| crate::files::write_private(&path, store::results_csv(&items).as_bytes()))
            .map(|_| path.display().to_string())
            .map_err(|e| Failure {
                kind: FailureKind::Error,
                message: format!("无法写入 {}：{e} (cannot write the file)", path.display()),
            })
    }
}

/// An effect routed to the wrong group: a bug, said in the status line
/// rather than a panic.
fn unreachable_effect(e: Effect) -> Msg {
    tracing::error!("effect routed to the wrong group: {e:?}");
    Msg::Exported(Err(Failure {
        kind: FailureKind::Error,
        message: format!("internal: {e:?}"),
    }))
}
