//! `batch list|show|export|resume`.

use super::args::BatchCommand;
use super::decide::{print_results, run_batch};
use super::output::{self, local};
use crate::context::{Context, Failure, Outcome};
use crate::store::{self, Store};

pub async fn run(store: &Store, ctx: &Context, action: &BatchCommand) -> Outcome<i32> {
    let officer = ctx.officer(store).await?;
    match action {
        BatchCommand::List { unfinished, json } => {
            let bs = store.batches(&officer.login, *unfinished).await?;
            if *json {
                output::json(&bs);
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = bs
                .iter()
                .map(|b| {
                    vec![
                        b.id.clone(),
                        b.op.label(output::zh()),
                        local(b.created_at),
                        b.total.to_string(),
                        b.done.to_string(),
                        b.failed.to_string(),
                        (b.skipped + b.repeated).to_string(),
                        b.pending.to_string(),
                    ]
                })
                .collect();
            output::rows(
                &[
                    "批次 (Batch)",
                    "操作 (Operation)",
                    "时间 (Time)",
                    "总数 (Total)",
                    "成功 (Done)",
                    "失败 (Failed)",
                    "跳过 (Skipped)",
                    "未处理 (Pending)",
                ],
                &rows,
            );
            Ok(0)
        }
        BatchCommand::Show { id, failures, json } => {
            let items = store.batch_items(id, *failures).await?;
            if *json {
                output::json(&items);
            } else {
                print_results(&items);
            }
            Ok(0)
        }
        BatchCommand::Export { id, file } => {
            let items = store.batch_items(id, false).await?;
            crate::files::write_private(file, store::results_csv(&items).as_bytes()).map_err(
                |e| {
                    Failure::other(format!(
                        "无法写入 {}：{e} (cannot write the file)",
                        file.display()
                    ))
                },
            )?;
            output::line(&format!(
                "已导出 {} 行 (exported {} rows) → {}",
                items.len(),
                items.len(),
                file.display()
            ));
            Ok(0)
        }
        BatchCommand::Resume { id, json } => run_batch(store, &officer, id, *json).await,
    }
}
