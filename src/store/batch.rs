//! Batches: the record of a multi-item decision or unbinding and of every
//! item's outcome. The item list is stored with the batch; an item's result
//! row is written in the same transaction as the item's change, so a batch
//! cut short (kill -9, a dropped SSH session) shows exactly what it did and
//! runs the rest on resume.

use super::sql::args;
use super::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::FromRow;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchInfo {
    pub id: String,
    pub officer: String,
    pub op: BatchOp,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// Held by another officer: skipped, not failed.
    pub skipped: i64,
    pub pending: i64,
    /// Ids named more than once: done once, the repeats skipped.
    pub repeated: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchItem {
    pub seq: i64,
    pub item_id: i64,
    pub outcome: ItemOutcome,
    pub message: Option<String>,
    /// The application's kind (None for an unbinding).
    pub kind: Option<Kind>,
    /// The applicant, or for an unbinding the user unit.
    pub unit: Option<String>,
    pub from: Option<State>,
    pub to: Option<State>,
}

impl BatchItem {
    pub fn ok(&self) -> bool {
        self.outcome == ItemOutcome::Done
    }
    /// Refused: a repeat, or an item another officer holds, is skipped,
    /// not failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, ItemOutcome::Failed(k) if !skips(k))
    }
    pub fn skipped(&self) -> bool {
        matches!(self.outcome, ItemOutcome::Failed(k) if skips(k))
    }
}

/// Kinds of refusal a batch skips rather than fails.
fn skips(k: FailureKind) -> bool {
    matches!(k, FailureKind::Duplicate | FailureKind::Held)
}

/// Items per transaction when a batch runs: progress and cancellation
/// happen between chunks.
pub const BATCH_CHUNK: usize = 1000;

/// The most items one batch holds (as leqi_batch_create refuses more).
pub const BATCH_MAX: usize = 1_000_000;

/// A batches row with the counts of its results.
#[derive(FromRow)]
struct BatchRow {
    id: String,
    officer: String,
    op: String,
    reason: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    total: i64,
    items: Option<String>,
    duplicates: Option<String>,
    params: Option<String>,
    done: i64,
    failed: i64,
    skipped: i64,
}

impl BatchRow {
    fn info(&self) -> BatchInfo {
        BatchInfo {
            id: self.id.clone(),
            officer: self.officer.clone(),
            op: BatchOp::parse(&self.op).unwrap_or(BatchOp::Unbind),
            reason: self.reason.clone(),
            created_at: self.created_at,
            finished_at: self.finished_at,
            total: self.total,
            done: self.done,
            failed: self.failed,
            skipped: self.skipped,
            pending: self.total - self.done - self.failed - self.skipped,
            repeated: self.repeats().len() as i64,
        }
    }

    /// Ids named more than once, with how many more times.
    fn repeats(&self) -> Vec<(i64, usize)> {
        self.duplicates
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The batch's parameters (a measure's deadline and limit, an
    /// extension's end).
    fn params(&self) -> BatchParams {
        self.params
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The stored item list: `[[id, version], ...]`.
    fn item_list(&self) -> Vec<DecideItem> {
        let parsed: Vec<(i64, Option<i64>)> = self
            .items
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        parsed
            .into_iter()
            .map(|(id, version)| DecideItem { id, version })
            .collect()
    }
}

#[derive(FromRow)]
struct ResultRow {
    seq: i64,
    item_id: i64,
    outcome: String,
    message: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
}

/// What each item is: its kind and unit, by id.
#[derive(Deserialize)]
struct ItemFacts {
    id: i64,
    kind: Option<String>,
    unit: String,
}

impl Store {
    /// Records a batch and its item list. The reason is validated here,
    /// once for every item.
    pub async fn create_batch(
        &self,
        officer: &Officer,
        op: BatchOp,
        reason: Option<&str>,
        items: &[DecideItem],
    ) -> Result<String> {
        self.create_batch_with(officer, op, reason, &BatchParams::default(), items)
            .await
    }

    /// As `create_batch`, with the batch's parameters (a measure's
    /// deadline and limit, an extension's end).
    pub async fn create_batch_with(
        &self,
        officer: &Officer,
        op: BatchOp,
        reason: Option<&str>,
        params: &BatchParams,
        items: &[DecideItem],
    ) -> Result<String> {
        let reason = validated_reason(reason, op.needs_reason())?;
        // An extension's end, a measure's deadline and limit are checked
        // before anything runs.
        if let Some(u) = params.until {
            crate::domain::supervision::extension_end(u, now()).map_err(Error::Invalid)?;
        }
        if let BatchOp::Impose(kind) = op {
            crate::domain::supervision::deadline(kind, now(), params.deadline)?;
            crate::domain::supervision::limit(kind, params.limit)?;
        }
        if items.is_empty() {
            return Err(Error::Invalid("没有选中任何项目 (no items given)".into()));
        }
        // The limit PostgreSQL's leqi_batch_create sets, on both backends.
        if items.len() > BATCH_MAX {
            return Err(Error::Invalid(format!(
                "一批最多 {BATCH_MAX} 项，现为 {} 项：请分成几批 (a batch holds at most {BATCH_MAX} items: split the list)",
                items.len()
            )));
        }
        // A batch is a set: each id once, the repeats kept to be reported.
        let (items, repeated) = crate::domain::judge::distinct(items);
        let items = items.as_slice();
        // A batch of which nothing can be done leaves no record.
        let judged = self.prejudge(officer, op, params, items).await?;
        if judged.iter().all(|r| !r.ok()) {
            return Err(Error::NothingToDo(judged));
        }
        let now = now();
        // The date and time the officer's screen shows: Beijing time.
        let id = format!(
            "B{}-{}-{:04x}",
            crate::fmt::beijing(now).format("%Y%m%d%H%M%S"),
            officer.login,
            (now.timestamp_subsec_micros() ^ std::process::id()) & 0xffff
        );
        let list =
            Value::Array(items.iter().map(|i| json!([i.id, i.version])).collect()).to_string();
        let repeats = (!repeated.is_empty()).then(|| json!(repeated).to_string());
        let params = (*params != BatchParams::default())
            .then(|| serde_json::to_string(params).unwrap_or_default());
        let mut tx = self.begin().await?;
        if self.is_embedded() {
            tx.execute(
                "INSERT INTO batches (id, officer, op, reason, created_at, total, items, duplicates, params)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    id.as_str(),
                    officer.login.as_str(),
                    op.code(),
                    reason,
                    now,
                    items.len() as i64,
                    list,
                    repeats,
                    params
                ],
            )
            .await?;
        } else {
            // The database records it as the session's officer, at its time.
            tx.execute(
                "SELECT leqi_batch_create($1, $2, $3, $4, $5, $6, $7)",
                args![
                    id.as_str(),
                    op.code(),
                    reason,
                    items.len() as i64,
                    list,
                    repeats,
                    params
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Items judged as they stand, nothing written, up to the first chunk
    /// that holds one that can be done: a batch is recorded as soon as
    /// something in it can be done, and when nothing can, every item says
    /// why.
    async fn prejudge(
        &self,
        officer: &Officer,
        op: BatchOp,
        params: &BatchParams,
        items: &[DecideItem],
    ) -> Result<Vec<ItemResult>> {
        let mut out = Vec::with_capacity(items.len());
        for part in items.chunks(BATCH_CHUNK) {
            let judged = match op {
                BatchOp::Decide(d) => {
                    self.judge_decisions(officer, part, d, op.needs_reason())
                        .await?
                }
                BatchOp::Unbind => self.judge_unbindings(officer, part).await?,
                BatchOp::Impose(_) | BatchOp::Lift | BatchOp::Escalate => {
                    self.judge_supervision(officer, op, part, params).await?
                }
            };
            let some = judged.iter().any(|r| r.ok());
            out.extend(judged);
            if some {
                break;
            }
        }
        Ok(out)
    }

    async fn batch_row(&self, id: &str) -> Result<BatchRow> {
        let row: Option<BatchRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT b.id, b.officer, b.op, b.reason, b.created_at, b.finished_at, b.total, b.items, b.duplicates, b.params,
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome = 'done') AS done,
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome NOT IN ('done', 'held')) AS failed,
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome = 'held') AS skipped
                 FROM batches b WHERE b.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        row.ok_or_else(|| {
            Error::NotFound(format!(
                "未找到批次 {} (no such batch)",
                crate::domain::text::inert(id)
            ))
        })
    }

    pub async fn batch(&self, id: &str) -> Result<BatchInfo> {
        Ok(self.batch_row(id).await?.info())
    }

    /// The sequence numbers of a batch's decided items.
    async fn decided(&self, id: &str) -> Result<std::collections::HashSet<i64>> {
        #[derive(Deserialize)]
        struct Seq {
            seq: i64,
        }
        let sql = format!(
            "SELECT {} FROM batch_items WHERE batch_id = $1",
            self.objects("'seq', seq")
        );
        let seqs: Vec<Seq> = self.read_objects(&sql, args![id]).await?;
        Ok(seqs.into_iter().map(|s| s.seq).collect())
    }

    /// Runs the items of a batch not yet decided, a chunk per transaction.
    /// After each chunk `progress(done, total)` is called; when it returns
    /// false the batch stops there, resumable.
    pub async fn run_batch(
        &self,
        officer: &Officer,
        id: &str,
        chunk: usize,
        mut progress: impl FnMut(i64, i64) -> bool,
    ) -> Result<BatchInfo> {
        let row = self.batch_row(id).await?;
        if row.officer != officer.login {
            return Err(Error::NotYourBatch {
                id: row.id,
                owner: row.officer,
            });
        }
        let info = row.info();
        let decided = self.decided(id).await?;
        let todo: Vec<(i64, DecideItem)> = row
            .item_list()
            .into_iter()
            .enumerate()
            .map(|(i, it)| (i as i64, it))
            .filter(|(seq, _)| !decided.contains(seq))
            .collect();
        let mut done = decided.len() as i64;
        let mut claimed = self.claim_batch(officer, info.op, &todo).await?;
        // Chunks are independent transactions over distinct applications:
        // on PostgreSQL up to `lanes` run at once, each on its own
        // connection. Their outcomes are taken in order, so progress counts
        // up as before; a stop or an error starts no further chunk and
        // waits for those in flight, so nothing is left half-run.
        let lanes = if self.is_embedded() {
            1
        } else {
            self.lanes.max(1)
        };
        let mut parts = todo.chunks(chunk.max(1));
        let mut running = futures_util::stream::FuturesOrdered::new();
        let mut stopped = false;
        let mut failed = None;
        loop {
            while !stopped && running.len() < lanes {
                let Some(part) = parts.next() else { break };
                let row = &row;
                running.push_back(async move {
                    // A deadlock's or serialisation failure's victim was
                    // rolled back whole: running it again runs it once.
                    // Two chunks in flight can lock one unit's rows in
                    // different orders.
                    let mut outcome = self.run_chunk(officer, row, id, part).await;
                    if outcome.as_ref().is_err_and(Error::is_transient) {
                        outcome = self.run_chunk(officer, row, id, part).await;
                    }
                    (part.len(), outcome)
                });
            }
            let Some((n, outcome)) = futures_util::StreamExt::next(&mut running).await else {
                break;
            };
            match outcome {
                Ok(decided) => {
                    // A decision ends its claim: only the rest are released.
                    claimed.retain(|i| !decided.contains(i));
                    done += n as i64;
                    if !stopped && !progress(done, info.total) {
                        stopped = true;
                    }
                }
                Err(e) => {
                    stopped = true;
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        self.release(officer, &claimed).await?;
        if stopped {
            return self.batch(id).await;
        }
        self.finish_batch(id).await?;
        self.batch(id).await
    }

    /// A batch of decisions claims its items in one step first: items
    /// another officer holds are then refused, naming the holder, as their
    /// chunk comes. What the officer holds already (the console claims a
    /// selection when its dialog opens) is not claimed again. Returns the
    /// ids claimed here, which the batch releases if it does not decide
    /// them.
    async fn claim_batch(
        &self,
        officer: &Officer,
        op: BatchOp,
        todo: &[(i64, DecideItem)],
    ) -> Result<Vec<i64>> {
        if !matches!(op, BatchOp::Decide(_)) || todo.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = todo.iter().map(|(_, it)| it.id).collect();
        let mine: std::collections::HashSet<i64> =
            self.held_by(officer, &ids).await?.into_iter().collect();
        let ids: Vec<i64> = ids.into_iter().filter(|i| !mine.contains(i)).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let minutes = crate::domain::claim::DEFAULT_MINUTES;
        Ok(self
            .claim(officer, &ids, minutes, None)
            .await?
            .into_iter()
            .filter(|c| c.ok())
            .map(|c| c.id)
            .collect())
    }

    /// One chunk of a batch in its transaction; the applications decided.
    async fn run_chunk(
        &self,
        officer: &Officer,
        row: &BatchRow,
        id: &str,
        part: &[(i64, DecideItem)],
    ) -> Result<std::collections::HashSet<i64>> {
        let seqs: Vec<i64> = part.iter().map(|(s, _)| *s).collect();
        let items: Vec<DecideItem> = part.iter().map(|(_, it)| *it).collect();
        let batch = Some((id, seqs.as_slice()));
        // A stored operation this program does not know is not guessed at.
        let Some(op) = BatchOp::parse(&row.op) else {
            return Err(Error::Invalid(format!(
                "批次 {} 的操作“{}”无法识别 (unknown stored batch operation)",
                crate::domain::text::inert(id),
                crate::domain::text::inert(&row.op)
            )));
        };
        let reason = row.reason.as_deref().unwrap_or_default();
        match op {
            BatchOp::Decide(d) => {
                let results = self
                    .decide_chunk_until(
                        officer,
                        &items,
                        d,
                        row.reason.as_deref(),
                        row.params().until,
                        batch,
                    )
                    .await?;
                return Ok(results.iter().filter(|r| r.ok()).map(|r| r.id).collect());
            }
            BatchOp::Unbind => {
                self.unbind_chunk(officer, &items, reason, batch).await?;
            }
            BatchOp::Impose(kind) => {
                let p = row.params();
                let what = super::supervise::Imposition {
                    kind,
                    reason: reason.to_string(),
                    deadline: p.deadline,
                    limit: p.limit,
                    warning: None,
                };
                self.impose(officer, &items, &what, batch).await?;
            }
            BatchOp::Lift | BatchOp::Escalate => {
                let how = if op == BatchOp::Lift {
                    super::supervise::MeasureEnd::Lift
                } else {
                    super::supervise::MeasureEnd::Escalate
                };
                self.end_measures(officer, &items, how, reason, batch)
                    .await?;
            }
        }
        Ok(Default::default())
    }

    /// Marks a batch finished.
    async fn finish_batch(&self, id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        if self.is_embedded() {
            tx.execute(
                "UPDATE batches SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
                args![id, now()],
            )
            .await?;
        } else {
            tx.execute("SELECT leqi_batch_finish($1)", args![id])
                .await?;
        }
        tx.commit().await
    }

    /// An officer's batches, newest first; `unfinished` keeps those with
    /// items still pending.
    pub async fn batches(&self, officer: &str, unfinished: bool) -> Result<Vec<BatchInfo>> {
        let ids: Vec<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT id FROM batches WHERE officer = $1 AND (finished_at IS NULL OR NOT $2) ORDER BY created_at DESC, id DESC LIMIT 50")
                .bind(officer)
                .bind(unfinished)
                .fetch_all(p)
                .await?
        });
        let mut out = Vec::new();
        for id in ids {
            let b = self.batch(&id).await?;
            if !unfinished || b.pending > 0 {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// The kind and unit of each item, by id: the applications of a
    /// decision, or the bindings (and their user units) of an unbinding.
    async fn item_facts(
        &self,
        ids: &[i64],
        target: Target,
    ) -> Result<std::collections::HashMap<i64, (Option<Kind>, String)>> {
        let select = match target {
            Target::Binding => format!(
                "SELECT {} FROM bindings b JOIN units n ON n.id = b.user_unit_id WHERE b.id IN (SELECT uid FROM u)",
                self.objects("'id', b.id, 'kind', NULL, 'unit', n.name")
            ),
            Target::Application => format!(
                "SELECT {} FROM applications a WHERE a.id IN (SELECT uid FROM u)",
                self.objects("'id', a.id, 'kind', a.kind, 'unit', a.unit_name")
            ),
            Target::Unit => format!(
                "SELECT {} FROM units n WHERE n.id IN (SELECT uid FROM u)",
                self.objects("'id', n.id, 'kind', NULL, 'unit', n.name")
            ),
            Target::Measure => format!(
                "SELECT {} FROM measures m JOIN units n ON n.id = m.unit_id WHERE m.id IN (SELECT uid FROM u)",
                self.objects("'id', m.id, 'kind', NULL, 'unit', n.name")
            ),
        };
        let sql = format!("{} {select}", self.records(&[("uid", "bigint")]));
        let rows: Vec<ItemFacts> = self
            .read_objects(&sql, super::sql::args![super::sql::id_records(ids)])
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, (r.kind.as_deref().and_then(Kind::parse), r.unit)))
            .collect())
    }

    /// Every item of a batch in order: its result, or pending.
    pub async fn batch_items(&self, id: &str, failures_only: bool) -> Result<Vec<BatchItem>> {
        let row = self.batch_row(id).await?;
        let items = row.item_list();
        let done: Vec<ResultRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT seq, item_id, outcome, message, from_state, to_state FROM batch_items WHERE batch_id = $1 ORDER BY seq").bind(id).fetch_all(p).await?
        });
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let target = BatchOp::parse(&row.op).map_or(Target::Binding, BatchOp::target);
        let facts = self.item_facts(&ids, target).await?;
        let fact = |id: i64| facts.get(&id);
        let parse_state = |s: Option<String>| s.as_deref().and_then(State::parse);
        let mut by_seq: std::collections::HashMap<i64, BatchItem> = done
            .into_iter()
            .map(|r| {
                let f = fact(r.item_id);
                (
                    r.seq,
                    BatchItem {
                        seq: r.seq,
                        item_id: r.item_id,
                        outcome: ItemOutcome::parse(&r.outcome),
                        message: super::secure::render_result(r.item_id, r.message, target),
                        kind: f.and_then(|f| f.0),
                        unit: f.map(|f| f.1.clone()),
                        from: parse_state(r.from_state),
                        to: parse_state(r.to_state),
                    },
                )
            })
            .collect();
        let all = items.iter().enumerate().map(|(i, it)| {
            by_seq.remove(&(i as i64)).unwrap_or_else(|| {
                let f = fact(it.id);
                BatchItem {
                    seq: i as i64,
                    item_id: it.id,
                    outcome: ItemOutcome::Pending,
                    message: None,
                    kind: f.and_then(|f| f.0),
                    unit: f.map(|f| f.1.clone()),
                    from: None,
                    to: None,
                }
            })
        });
        // Each repeated id once, after the items, as skipped.
        let n = items.len() as i64;
        let repeats = row
            .repeats()
            .into_iter()
            .enumerate()
            .map(|(k, (id, times))| BatchItem {
                seq: n + k as i64,
                item_id: id,
                outcome: ItemOutcome::Failed(FailureKind::Duplicate),
                message: Some(format!(
                    "重复：本批共列出 {} 次，只办理一次 (listed {} times in this batch: done once)",
                    times + 1,
                    times + 1
                )),
                kind: fact(id).and_then(|f| f.0),
                unit: fact(id).map(|f| f.1.clone()),
                from: None,
                to: None,
            });
        Ok(all
            .chain(repeats)
            .filter(|i| !failures_only || i.failed() || i.skipped())
            .collect())
    }
}

/// A batch's results as CSV, UTF-8 with a byte-order mark so that a
/// spreadsheet opens the Chinese correctly.
pub fn results_csv(items: &[BatchItem]) -> String {
    fn cell(s: &str) -> String {
        let s: String = crate::domain::text::inert(s).into_owned();
        // A leading = + - @ would be read as a formula by a spreadsheet.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s
        };
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("\u{FEFF}序号,编号,类型,单位,原状态,新状态,结果,说明\r\n");
    for i in items {
        let result = match i.outcome {
            ItemOutcome::Done => "成功",
            ItemOutcome::Pending => "未处理",
            ItemOutcome::Failed(k @ (FailureKind::Duplicate | FailureKind::Held)) => k.label(true),
            ItemOutcome::Failed(_) => "失败",
        };
        let kind = i.kind.map(|k| k.zh()).unwrap_or("");
        let state = |s: Option<State>| s.map(|s| s.zh()).unwrap_or("");
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            i.seq + 1,
            i.item_id,
            kind,
            cell(i.unit.as_deref().unwrap_or("")),
            state(i.from),
            state(i.to),
            result,
            cell(i.message.as_deref().unwrap_or(""))
        ));
    }
    out
}
