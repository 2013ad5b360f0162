//! Batches: the record of a multi-item decision or unbinding and of every
//! item's outcome, written in the same transaction as the item's change, so
//! that a batch cut short (kill -9, a dropped SSH session) shows what it did
//! and can be run to the end.

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

/// A batches row with its outcome counts.
type BatchRow = (
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
    i64,
    i64,
    i64,
);

impl Store {
    /// Records a batch and its items, all pending. The reason is validated
    /// here, once for every item.
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
        let insert_sql = format!(
            "INSERT INTO batch_items (batch_id, seq, item_id, version) SELECT $2, useq, uid, uver FROM {}",
            self.records(&[("useq", "bigint"), ("uid", "bigint"), ("uver", "bigint")])
        );
        in_tx!(self, |tx| {
            async {
            sqlx::query("INSERT INTO batches (id, officer, op, reason, created_at, total) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(&officer.login)
                .bind(op.code())
                .bind(&reason)
                .bind(now)
                .bind(items.len() as i64)
                .execute(&mut *tx)
                .await?;
            for (n, part) in items.chunks(5000).enumerate() {
                let recs = Value::Array(
                    part.iter().enumerate().map(|(i, it)| json!({"useq": n * 5000 + i, "uid": it.id, "uver": it.version})).collect(),
                );
                sqlx::query(AssertSqlSafe(insert_sql.clone())).bind(recs.to_string()).bind(&id).execute(&mut *tx).await?;
            }
            Ok::<_, Error>(())
        }
        .await
        });
        Ok(id)
    }

    /// Runs the pending items of a batch, a chunk per transaction. After
    /// each chunk `progress(done, total)` is called; when it returns false
    /// the batch stops there, resumable.
    pub async fn run_batch(
        &self,
        officer: &Officer,
        id: &str,
        chunk: usize,
        mut progress: impl FnMut(i64, i64) -> bool,
    ) -> Result<BatchInfo> {
        let info = self.batch(id).await?;
        if info.officer != officer.login {
            return Err(Error::Forbidden(crate::domain::workflow::Forbidden::NoRule));
        }
        loop {
            let pending: Vec<(i64, i64, Option<i64>)> = on_pool!(self, |p| {
                sqlx::query_as("SELECT seq, item_id, version FROM batch_items WHERE batch_id = $1 AND outcome = 'pending' ORDER BY seq LIMIT $2")
                    .bind(id)
                    .bind(chunk as i64)
                    .fetch_all(p)
                    .await?
            });
            if pending.is_empty() {
                on_pool!(self, |p| {
                    sqlx::query(
                        "UPDATE batches SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
                    )
                    .bind(id)
                    .bind(now())
                    .execute(p)
                    .await?;
                });
                break;
            }
            let seqs: Vec<i64> = pending.iter().map(|x| x.0).collect();
            let items: Vec<DecideItem> = pending
                .iter()
                .map(|x| DecideItem {
                    id: x.1,
                    version: x.2,
                })
                .collect();
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
            let now = self.batch(id).await?;
            if !progress(now.total - now.pending, now.total) {
                break;
            }
        }
        self.batch(id).await
    }

    pub async fn batch(&self, id: &str) -> Result<BatchInfo> {
        let row: Option<BatchRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT b.id, b.officer, b.op, b.reason, b.created_at, b.finished_at, b.total,
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome = 'done'),
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome NOT IN ('done', 'pending')),
                        (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id AND i.outcome = 'pending')
                 FROM batches b WHERE b.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        let r = row.ok_or_else(|| {
            Error::NotFound(format!(
                "未找到批次 {} (no such batch)",
                crate::domain::text::inert(id)
            ))
        })?;
        Ok(BatchInfo {
            id: r.0,
            officer: r.1,
            op: BatchOp::parse(&r.2).unwrap_or(BatchOp::Unbind),
            reason: r.3,
            created_at: r.4,
            finished_at: r.5,
            total: r.6,
            done: r.7,
            failed: r.8,
            pending: r.9,
        })
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

    pub async fn batch_items(&self, id: &str, failures_only: bool) -> Result<Vec<BatchItem>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_as::<_, (i64, i64, String, Option<String>)>(
                "SELECT seq, item_id, outcome, message FROM batch_items WHERE batch_id = $1 AND (NOT $2 OR outcome NOT IN ('done', 'pending')) ORDER BY seq",
            )
            .bind(id)
            .bind(failures_only)
            .fetch_all(p)
            .await?
            .into_iter()
            .map(|(seq, item_id, outcome, message)| BatchItem { seq, item_id, outcome, message })
            .collect()
        }))
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
