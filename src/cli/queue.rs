//! `queue`: one page of the acting officer's queue, and the cursor of the
//! next.

use super::args::Command;
use super::output::{self, local};
use crate::context::{Context, Failure, Outcome};
use crate::domain::text::inert;
use crate::domain::*;
use crate::store::{self, Direction, QueueQuery, QueueRow, Store};

fn parse_stage(s: &str) -> Outcome<Stage> {
    Stage::parse(s).ok_or_else(|| {
        Failure::usage(format!(
            "未知的环节“{}”：应为 待受理、待复核、待确认 或 pending-acceptance、pending-review、pending-confirmation (unknown stage)",
            inert(s)
        ))
    })
}

fn parse_kind(k: Option<&String>) -> Outcome<Option<Kind>> {
    k.map(|k| {
        Kind::parse(k).ok_or_else(|| {
            Failure::usage(format!(
                "未知的申请类型“{}”：应为 接入、邀请、退出、订阅、延续 (unknown kind)",
                inert(k)
            ))
        })
    })
    .transpose()
}

pub async fn run(store: &Store, ctx: &Context, cmd: &Command) -> Outcome<i32> {
    let Command::Queue {
        stage,
        kind,
        limit,
        after,
        sort,
        filter,
        json,
    } = cmd
    else {
        return Ok(2);
    };
    let officer = ctx.officer(store).await?;
    let stage = parse_stage(stage)?;
    let kind = parse_kind(kind.as_ref())?;
    let cursor = after
        .as_deref()
        .map(|c| {
            store::Cursor::decode(c).ok_or_else(|| {
                Failure::usage("--after 的游标无效：请用上一页输出的游标 (bad cursor: use the one the previous page printed)")
            })
        })
        .transpose()?;
    let sort = sort.sort();
    // The officer's queue: kinds of the stage their level and roles reach.
    let kinds: Vec<Kind> = store
        .workflow
        .queues_for(&officer)
        .into_iter()
        .filter(|(s, k)| *s == stage && kind.is_none_or(|x| x == *k))
        .map(|(_, k)| k)
        .collect();
    let (mut rows, mut more) = (Vec::new(), false);
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
                older_than: None,
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
        output::json(&serde_json::json!({"items": rows, "next": next}));
    } else {
        print_table(&rows);
        if let Some(n) = next {
            let next = output::lang().half("下一页 (next page)");
            output::line(&format!("{next}: --after '{n}'"));
        }
    }
    Ok(0)
}

fn print_table(rows: &[QueueRow]) {
    let now = chrono::Utc::now();
    let t: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.kind.label(super::output::zh()).into(),
                inert(&r.uscc).into(),
                inert(&r.name).into(),
                local(r.submitted_at),
                r.age_days(now).to_string(),
                format!("{}/{}", r.passed_checks, r.failed_checks),
                r.version.to_string(),
            ]
        })
        .collect();
    output::rows(
        &[
            "编号 (ID)",
            "类型 (Kind)",
            "统一社会信用代码 (USCC)",
            "单位名称 (Unit)",
            "提交时间 (Submitted)",
            "天数 (Days)",
            "通过/未过 (Pass/fail)",
            "版本 (Version)",
        ],
        &t,
    );
}
