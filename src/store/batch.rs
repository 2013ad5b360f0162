//! Batches: the record of a multi-item decision or unbinding and of every
//! item's outcome. The item list is stored with the batch; an item's result
//! row is written in the same transaction as the item's change, so a batch
//! cut short (kill -9, a dropped SSH session) shows exactly what it did and
//! runs the rest on resume.

use super::*;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

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
    pub pending: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchItem {
    pub seq: i64,
    pub item_id: i64,
    pub outcome: String,
    pub message: Option<String>,
}

impl BatchItem {
    pub fn ok(&self) -> bool {
        self.outcome == "done"
    }
}

/// Items per transaction when a batch runs: progress and cancellation
/// happen between chunks.
pub const BATCH_CHUNK: usize = 1000;

/// A batches row: id, officer, op, reason, created, finished, total, items,
/// then the counts of done and of failed results.
type BatchRow = (
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
    Option<String>,
    i64,
    i64,
);

fn item_list(items: Option<&str>) -> Vec<DecideItem> {
    let parsed: Vec<(i64, Option<i64>)> = items
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    parsed
        .into_iter()
        .map(|(id, version)| DecideItem { id, version })
        .collect()
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
        let required = matches!(op, BatchOp::Unbind | BatchOp::Decide(Decision::Reject));
        let reason = decide::validated_reason(reason, required)?;
        if items.is_empty() {
            return Err(Error::Invalid("没有选中任何项目 (no items given)".into()));
        }
        let now = now();
        let id = format!(
            "B{}-{}-{:04x}",
            now.format("%Y%m%d%H%M%S"),
            officer.login,
            (now.timestamp_subsec_micros() ^ std::process::id()) & 0xffff
        );
        let list =
            Value::Array(items.iter().map(|i| json!([i.id, i.version])).collect()).to_string();
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO batches (id, officer, op, reason, created_at, total, items) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&id)
                .bind(&officer.login)
                .bind(op.code())
                .bind(&reason)
                .bind(now)
                .bind(items.len() as i64)
                .bind(&list)
                .execute(p)
                .await?;
        });
        Ok(id)
    }

    async fn batch_row(&self, id: &str) -> Result<BatchRow> {
        let row: Option<BatchRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT b.id, b.officer, b.op, b.reason, b.created_at, b.finished_at, b.total, b.items,
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome = 'done'),
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome <> 'done')
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

    fn info(r: BatchRow) -> BatchInfo {
        BatchInfo {
            id: r.0,
            officer: r.1,
            op: BatchOp::parse(&r.2).unwrap_or(BatchOp::Unbind),
            reason: r.3,
            created_at: r.4,
            finished_at: r.5,
            total: r.6,
            done: r.8,
            failed: r.9,
            pending: r.6 - r.8 - r.9,
        }
    }

    pub async fn batch(&self, id: &str) -> Result<BatchInfo> {
        Ok(Store::info(self.batch_row(id).await?))
    }

    /// The sequence numbers of a batch's decided items.
    async fn decided(&self, id: &str) -> Result<std::collections::HashSet<i64>> {
        let sql = format!(
            "SELECT {} FROM batch_items WHERE batch_id = $1",
            self.agg("seq")
        );
        let text: String = on_pool!(self, |p| sqlx::query_scalar(AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_one(p)
            .await?);
        Ok(decide::json_row::rows(&text)?
            .iter()
            .filter_map(|r| r.first().and_then(|v| v.as_i64()))
            .collect())
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
        if row.1 != officer.login {
            return Err(Error::Forbidden(crate::domain::workflow::Forbidden::NoRule));
        }
        let items = item_list(row.7.as_deref());
        let info = Store::info(row);
        let decided = self.decided(id).await?;
        let todo: Vec<(i64, DecideItem)> = items
            .into_iter()
            .enumerate()
            .map(|(i, it)| (i as i64, it))
            .filter(|(seq, _)| !decided.contains(seq))
            .collect();
        let mut done = decided.len() as i64;
        for part in todo.chunks(chunk.max(1)) {
            let seqs: Vec<i64> = part.iter().map(|(s, _)| *s).collect();
            let items: Vec<DecideItem> = part.iter().map(|(_, it)| *it).collect();
            match info.op {
                BatchOp::Decide(d) => {
                    self.decide_chunk(
                        officer,
                        &items,
                        d,
                        info.reason.as_deref(),
                        Some((id, &seqs)),
                    )
                    .await?;
                }
                BatchOp::Unbind => {
                    self.unbind_chunk(
                        officer,
                        &items,
                        info.reason.as_deref().unwrap_or_default(),
                        Some((id, &seqs)),
                    )
                    .await?;
                }
            }
            done += seqs.len() as i64;
            if !progress(done, info.total) {
                return self.batch(id).await;
            }
        }
        on_pool!(self, |p| {
            sqlx::query(
                "UPDATE batches SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
            )
            .bind(id)
            .bind(now())
            .execute(p)
            .await?;
        });
        self.batch(id).await
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

    /// Every item of a batch in order: its result, or "pending".
    pub async fn batch_items(&self, id: &str, failures_only: bool) -> Result<Vec<BatchItem>> {
        let row = self.batch_row(id).await?;
        let items = item_list(row.7.as_deref());
        let done: Vec<(i64, i64, String, Option<String>)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT seq, item_id, outcome, message FROM batch_items WHERE batch_id = $1 ORDER BY seq").bind(id).fetch_all(p).await?
        });
        let mut by_seq: std::collections::HashMap<i64, BatchItem> = done
            .into_iter()
            .map(|(seq, item_id, outcome, message)| {
                (
                    seq,
                    BatchItem {
                        seq,
                        item_id,
                        outcome,
                        message,
                    },
                )
            })
            .collect();
        let all = items.iter().enumerate().map(|(i, it)| {
            by_seq.remove(&(i as i64)).unwrap_or(BatchItem {
                seq: i as i64,
                item_id: it.id,
                outcome: "pending".into(),
                message: None,
            })
        });
        Ok(all
            .filter(|i| !failures_only || (!i.ok() && i.outcome != "pending"))
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
    let mut out = String::from("\u{FEFF}序号,编号,结果,说明\r\n");
    for i in items {
        let result = if i.ok() {
            "成功"
        } else if i.outcome == "pending" {
            "未处理"
        } else {
            "失败"
        };
        out.push_str(&format!(
            "{},{},{},{}\r\n",
            i.seq + 1,
            i.item_id,
            result,
            cell(i.message.as_deref().unwrap_or(""))
        ));
    }
    out
}
