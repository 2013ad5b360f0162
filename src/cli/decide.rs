//! `decide` and `unbind`: one item at once, many as a batch with a result
//! per item. Also the batch runner `batch resume` shares.

use super::args::Command;
use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::domain::text::inert;
use crate::domain::*;
use crate::store::{BatchItem, BatchOp, BatchParams, DecideItem, Error, ItemResult, Store};
use std::path::Path;

pub async fn decide(store: &Store, ctx: &Context, cmd: &Command) -> Outcome<i32> {
    let Command::Decide {
        decision,
        ids,
        reason,
        version,
        from_file,
        until,
        take_over,
        json,
    } = cmd
    else {
        return Ok(2);
    };
    let officer = ctx.officer(store).await?;
    let items = collect_items(ids, from_file.as_deref(), *version)?;
    let decision = decision.decision();
    let until = until.as_deref().map(super::supervise::date).transpose()?;
    // Checked before anything is claimed or recorded.
    if let Some(u) = until {
        crate::domain::supervision::extension_end(u, crate::store::now())
            .map_err(Failure::invalid)?;
    }
    let minutes = super::claim::lease(ctx, None)?;
    let take = reason.as_deref().filter(|_| *take_over);
    if let Some(one) = single(&items) {
        if let Some(take) = take {
            let judged = take_over_one(store, &officer, one, decision, take, minutes).await?;
            if let Some(refused) = judged {
                return report(&[refused], *json);
            }
        }
        // A pass takes no reason: one given with --take-over was the take-over's.
        let reason = reason
            .as_deref()
            .filter(|_| take.is_none() || decision == Decision::Reject);
        let r = store
            .decide_until(&officer, one.id, decision, reason, one.version, until)
            .await;
        // A refusal is the item's result (printed as JSON with --json);
        // anything else (the database gone) is the command's error.
        let r = match r {
            Err(e) if e.kind() != FailureKind::Error => ItemResult::failed(one.id, &e),
            other => other?,
        };
        return report(&[r], *json);
    }
    if take.is_some() {
        // Taken over before the batch, which then renews them as its own.
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        store.claim(&officer, &ids, minutes, take).await?;
    }
    let op = BatchOp::Decide(decision);
    let params = BatchParams {
        until,
        ..Default::default()
    };
    start_batch(
        store,
        &officer,
        op,
        reason.as_deref(),
        &params,
        &items,
        *json,
    )
    .await
}

/// One decision is one transaction, which is its own claim: the database
/// refuses it while another officer holds the item. With --take-over the
/// item is taken over only if nothing but the claim stands in the way; the
/// take-over is claimed (and audited) first, and kept should the decision
/// still fail. The refusal that stops it, if any.
async fn take_over_one(
    store: &Store,
    officer: &Officer,
    one: DecideItem,
    decision: Decision,
    reason: &str,
    minutes: i64,
) -> Outcome<Option<ItemResult>> {
    let judged = store
        .judge_decisions(officer, &[one], decision, true)
        .await?;
    let other = judged.into_iter().find(|r| {
        r.error
            .as_ref()
            .is_some_and(|f| f.kind != FailureKind::Held)
    });
    if other.is_some() {
        return Ok(other);
    }
    let claimed = store
        .claim(officer, &[one.id], minutes, Some(reason))
        .await?;
    Ok(claimed.into_iter().find(|c| !c.ok()).map(|c| ItemResult {
        id: c.id,
        action: None,
        from: None,
        to: None,
        version: None,
        error: c.error,
    }))
}

pub async fn unbind(store: &Store, ctx: &Context, cmd: &Command) -> Outcome<i32> {
    let Command::Unbind {
        binding_ids,
        reason,
        from_file,
        json,
    } = cmd
    else {
        return Ok(2);
    };
    let officer = ctx.officer(store).await?;
    let items = collect_items(binding_ids, from_file.as_deref(), None)?;
    if let Some(one) = single(&items) {
        let r = store.unbind(&officer, &[one], reason).await?;
        return report(&r, *json);
    }
    start_batch(
        store,
        &officer,
        BatchOp::Unbind,
        Some(reason),
        &BatchParams::default(),
        &items,
        *json,
    )
    .await
}

/// Records the batch and runs it; a batch of which nothing can be done
/// says why for each item, and is not recorded.
pub(super) async fn start_batch(
    store: &Store,
    officer: &Officer,
    op: BatchOp,
    reason: Option<&str>,
    params: &BatchParams,
    items: &[DecideItem],
    json: bool,
) -> Outcome<i32> {
    match store
        .create_batch_with(officer, op, reason, params, items)
        .await
    {
        Ok(batch) => run_batch(store, officer, &batch, json).await,
        Err(e @ Error::NothingToDo(_)) => {
            if let Error::NothingToDo(results) = &e {
                if json {
                    output::json(&results);
                }
                for r in results {
                    if let Some(f) = &r.error {
                        output::note(&format!("{}：{}", r.id, f.message));
                    }
                }
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// One item, however often it was named: done at once, the repeats said.
/// Several go to a batch, which keeps its own record of repeats.
pub(super) fn single(items: &[DecideItem]) -> Option<DecideItem> {
    let (distinct, repeated) = crate::domain::judge::distinct(items);
    let [one] = distinct.as_slice() else {
        return None;
    };
    for (id, n) in repeated {
        let total = n + 1;
        output::note(&format!(
            "{id}：重复，共列出 {total} 次，只办理一次 ({id} is listed {total} times: done once)"
        ));
    }
    Some(*one)
}

/// Ids from the command line and, with `--from-file`, one a line
/// (`id` or `id:version`; `#` starts a comment).
fn collect_items(
    ids: &[i64],
    file: Option<&Path>,
    version: Option<i64>,
) -> Outcome<Vec<DecideItem>> {
    let mut items: Vec<DecideItem> = ids.iter().map(|&id| DecideItem { id, version }).collect();
    if let Some(f) = file {
        let text = crate::files::read_text(f, crate::files::LIST).map_err(|e| {
            Failure::usage(format!(
                "无法读取 {}：{e} (cannot read the id file)",
                f.display()
            ))
        })?;
        // A file saved with a byte-order mark (as the CSV exports are) reads
        // as the same ids.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            items.push(parse_line(f, n + 1, line, version)?);
        }
    }
    if items.is_empty() {
        return Err(Failure::usage(
            "请给出至少一个编号，或 --from-file (give at least one id, or --from-file)",
        ));
    }
    Ok(items)
}

fn parse_line(f: &Path, n: usize, line: &str, version: Option<i64>) -> Outcome<DecideItem> {
    let bad = || {
        Failure::invalid(format!(
            "{} 第{n}行“{}”不是编号 (line {n} is not an id)",
            f.display(),
            inert(line),
        ))
    };
    let (id, ver) = match line.split_once(':') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (line, None),
    };
    let id: i64 = id.parse().map_err(|_| bad())?;
    let version = match ver {
        Some(v) => Some(v.parse().map_err(|_| bad())?),
        None => version,
    };
    Ok(DecideItem { id, version })
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

/// Runs (or resumes) a batch and prints every item's result. The exit
/// code is 0 only when every item was done; else the first failure's.
pub async fn run_batch(store: &Store, officer: &Officer, batch: &str, json: bool) -> Outcome<i32> {
    let info = store
        .run_batch(officer, batch, batch_chunk(), |done, total| {
            if !json && total > 1000 {
                output::note(&format!("… {done}/{total}"));
            }
            true
        })
        .await?;
    let items = store.batch_items(batch, false).await?;
    if json {
        output::json(&serde_json::json!({"batch": info, "items": items}));
    } else {
        print_results(&items);
        // Skipped as the rows above say: held by another, or a repeat.
        let skipped = info.skipped + info.repeated;
        output::line(&if output::zh() {
            format!(
                "批次 {}：成功 {}，失败 {}，跳过 {skipped}，未处理 {}",
                info.id, info.done, info.failed, info.pending
            )
        } else {
            format!(
                "batch {}: done {}, failed {}, skipped {skipped}, pending {}",
                info.id, info.done, info.failed, info.pending
            )
        });
    }
    Ok(batch_exit_code(&items))
}

/// 0 when every item was done (repeats are skipped, not failed); else the
/// code of the first that was not.
fn batch_exit_code(items: &[BatchItem]) -> i32 {
    // A repeat was done once; an item another officer holds was not done.
    let repeat = ItemOutcome::Failed(FailureKind::Duplicate);
    match items
        .iter()
        .find(|i| !i.ok() && i.outcome != repeat)
        .map(|i| i.outcome)
    {
        None => 0,
        Some(ItemOutcome::Failed(k)) => k.exit_code(),
        Some(_) => 1,
    }
}

pub fn print_results(items: &[BatchItem]) {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.item_id.to_string(),
                match i.outcome {
                    ItemOutcome::Done => crate::i18n::Msg::Succeeded.get(output::lang()).into(),
                    ItemOutcome::Pending => crate::i18n::Msg::Pending.get(output::lang()).into(),
                    ItemOutcome::Failed(k) => k.label(output::zh()).into(),
                },
                note(i),
            ]
        })
        .collect();
    output::rows(&["编号 (ID)", "结果 (Result)", "说明 (Note)"], &rows);
}

/// An item's note in the user's language: a step done named, whichever
/// way it was stored; a refusal's own words, its half in the language.
fn note(i: &BatchItem) -> String {
    let m = i.message.as_deref().unwrap_or("");
    let zh = output::zh();
    match (i.outcome, Action::parse(m)) {
        (ItemOutcome::Done, Some(a)) => a.label(zh).to_string(),
        _ => inert(&output::said(m)).into_owned(),
    }
}

/// A refusal's message; held by another, with how to take it over.
pub(super) fn with_hint(f: &crate::store::ItemFailure) -> String {
    if f.kind == FailureKind::Held {
        use crate::i18n::Lang;
        format!(
            "{}；用 --take-over --reason 理由 接手 ({}; add --take-over --reason TEXT to take it over)",
            Lang::Zh.half(&f.message),
            Lang::En.half(&f.message)
        )
    } else {
        f.message.clone()
    }
}

/// The results of a decision or unbinding done at once.
pub(super) fn report(results: &[ItemResult], json: bool) -> Outcome<i32> {
    if json {
        output::json(&results);
    } else {
        for r in results {
            let zh = output::zh();
            let v = r.version.unwrap_or_default();
            match (&r.error, r.action) {
                (None, Some(a)) if zh => output::line(&format!(
                    "{}：{}{}（版本 {v}）",
                    r.id,
                    a.zh(),
                    r.to.map(|s| format!("，现为“{}”", s.zh()))
                        .unwrap_or_default(),
                )),
                (None, Some(a)) => output::line(&format!(
                    "{}: {}{} (version {v})",
                    r.id,
                    a.en(),
                    r.to.map(|s| format!(", now {}", s.en()))
                        .unwrap_or_default(),
                )),
                (Some(f), _) if results.len() > 1 => output::note(&format!(
                    "{}{}{}",
                    r.id,
                    if zh { "：" } else { ": " },
                    output::lang().half(&f.message)
                )),
                _ => {}
            }
        }
    }
    // One item: its error is the command's error (one line, its exit code).
    match results.iter().find(|r| !r.ok()) {
        Some(r) if results.len() == 1 => Err(Failure {
            code: r.code(),
            message: r.error.as_ref().map(with_hint).unwrap_or_default(),
        }),
        Some(r) => Ok(r.code()),
        None => Ok(0),
    }
}
