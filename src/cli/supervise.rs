//! `measures`, `measure impose|lift|terminate`, `warnings`, `warning
//! raise|feedback|close|escalate`: the supervision work of the service
//! agreement, with the same exit codes as `decide`; many units or measures
//! run as one batch.

use super::args::{Command, MeasureCommand, WarningCommand};
use super::decide::{report, single, start_batch};
use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::domain::supervision;
use crate::domain::text::inert;
use crate::domain::*;
use crate::store::{BatchOp, BatchParams, DecideItem, Imposition, MeasureEnd, Store, WarningStep};
use chrono::{DateTime, Utc};

/// The default note of a termination for a missed deadline.
const LAPSED: &str = "整改期限已过，未整改 (the deadline passed unrectified)";

pub async fn run(store: &Store, ctx: &Context, cmd: &Command) -> Outcome<i32> {
    match cmd {
        Command::Measures {
            unit,
            overdue,
            json,
        } => measures(store, ctx, unit.as_deref(), *overdue, *json).await,
        Command::Measure { action } => measure(store, ctx, action).await,
        Command::Warnings { json } => warnings(store, ctx, *json).await,
        Command::Warning { action } => warning(store, ctx, action).await,
        _ => Ok(2),
    }
}

/// A date given as YYYY-MM-DD: the end of that day in Beijing time.
pub fn date(s: &str) -> Outcome<DateTime<Utc>> {
    supervision::parse_day(s).ok_or_else(|| {
        Failure::usage(format!(
            "日期“{}”无效：应为 YYYY-MM-DD (bad date: use YYYY-MM-DD)",
            inert(s)
        ))
    })
}

fn kind(s: &str) -> Outcome<MeasureKind> {
    MeasureKind::parse(s).ok_or_else(|| {
        Failure::usage(format!(
            "未知的措施“{}”：应为 提醒 reminder、约谈 interview、暂停新增使用单位 suspend-invitations、暂停使用乐企能力 suspend-capabilities、限制并发量 limit-concurrency、暂停接入服务 suspend-access、终止接入服务 terminate (unknown measure)",
            inert(s)
        ))
    })
}

fn day(t: Option<DateTime<Utc>>) -> String {
    t.map(supervision::day).unwrap_or_else(|| "—".into())
}

async fn measures(
    store: &Store,
    ctx: &Context,
    unit: Option<&str>,
    overdue: bool,
    json: bool,
) -> Outcome<i32> {
    let officer = ctx.officer(store).await?;
    let unit = match unit {
        Some(u) => Some(store.find_unit(u).await?.id),
        None => None,
    };
    let now = crate::store::now();
    let list = store.measures(&officer, unit, overdue, now).await?;
    if json {
        output::json(&list);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                inert(&m.unit_name).into(),
                m.kind.label(super::output::zh()).into(),
                m.state.label(super::output::zh()).into(),
                format!(
                    "{}{}",
                    day(m.deadline),
                    if m.overdue(now) {
                        overdue_mark()
                    } else {
                        String::new()
                    }
                ),
                m.limit.map(|n| n.to_string()).unwrap_or_default(),
                inert(&m.reason).into(),
            ]
        })
        .collect();
    output::rows(
        &[
            "编号 (ID)",
            "单位 (Unit)",
            "措施 (Measure)",
            "状态 (State)",
            "整改期限 (Deadline)",
            "并发上限 (Limit)",
            "理由 (Reason)",
        ],
        &rows,
    );
    Ok(0)
}

async fn measure(store: &Store, ctx: &Context, action: &MeasureCommand) -> Outcome<i32> {
    let officer = ctx.officer(store).await?;
    match action {
        MeasureCommand::Impose {
            units,
            kind: k,
            reason,
            deadline,
            limit,
            json,
        } => {
            let kind = kind(k)?;
            let deadline = deadline.as_deref().map(date).transpose()?;
            let mut items = Vec::new();
            for u in units {
                items.push(DecideItem {
                    id: store.find_unit(u).await?.id,
                    version: None,
                });
            }
            if items.is_empty() {
                return Err(Failure::usage("请给出单位 (name at least one unit)"));
            }
            if let Some(one) = single(&items) {
                let what = Imposition {
                    kind,
                    reason: reason.clone(),
                    deadline,
                    limit: *limit,
                    warning: None,
                };
                let r = store.impose(&officer, &[one], &what, None).await?;
                return report(&r, *json);
            }
            let params = BatchParams {
                deadline,
                limit: *limit,
                until: None,
            };
            let op = BatchOp::Impose(kind);
            start_batch(store, &officer, op, Some(reason), &params, &items, *json).await
        }
        MeasureCommand::Lift { ids, note, json } => {
            end(store, &officer, ids, MeasureEnd::Lift, note, *json).await
        }
        MeasureCommand::Terminate { ids, note, json } => {
            let note = note.as_deref().unwrap_or(LAPSED);
            end(store, &officer, ids, MeasureEnd::Escalate, note, *json).await
        }
    }
}

async fn end(
    store: &Store,
    officer: &Officer,
    ids: &[i64],
    how: MeasureEnd,
    note: &str,
    json: bool,
) -> Outcome<i32> {
    let items: Vec<DecideItem> = ids
        .iter()
        .map(|&id| DecideItem { id, version: None })
        .collect();
    if items.is_empty() {
        return Err(Failure::usage("请给出措施编号 (name at least one measure)"));
    }
    if let Some(one) = single(&items) {
        let r = store.end_measures(officer, &[one], how, note, None).await?;
        return report(&r, json);
    }
    let op = match how {
        MeasureEnd::Lift => BatchOp::Lift,
        MeasureEnd::Escalate => BatchOp::Escalate,
    };
    start_batch(
        store,
        officer,
        op,
        Some(note),
        &BatchParams::default(),
        &items,
        json,
    )
    .await
}

async fn warnings(store: &Store, ctx: &Context, json: bool) -> Outcome<i32> {
    let officer = ctx.officer(store).await?;
    let now = crate::store::now();
    let list = store.supervision(&officer, now).await?.warnings;
    if json {
        output::json(&list);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|w| {
            vec![
                w.id.to_string(),
                inert(&w.unit_name).into(),
                w.state.label(super::output::zh()).into(),
                format!(
                    "{}{}",
                    day(Some(w.deadline)),
                    if w.overdue(now) {
                        overdue_mark()
                    } else {
                        String::new()
                    }
                ),
                inert(&w.finding).into(),
                inert(w.feedback.as_deref().unwrap_or("")).into(),
            ]
        })
        .collect();
    output::rows(
        &[
            "编号 (ID)",
            "单位 (Unit)",
            "状态 (State)",
            "整改期限 (Deadline)",
            "发现的问题 (Finding)",
            "反馈 (Feedback)",
        ],
        &rows,
    );
    Ok(0)
}

async fn warning(store: &Store, ctx: &Context, action: &WarningCommand) -> Outcome<i32> {
    let officer = ctx.officer(store).await?;
    let (id, step) = match action {
        WarningCommand::Raise {
            unit,
            finding,
            deadline,
        } => {
            let unit = store.find_unit(unit).await?;
            let deadline = deadline.as_deref().map(date).transpose()?;
            let id = store
                .raise_warning(&officer, unit.id, finding, deadline)
                .await?;
            output::message(&format!("已发出风险预警 {id} (warning raised)"));
            return Ok(0);
        }
        WarningCommand::Feedback { id, text } => (*id, WarningStep::Feedback(text.clone())),
        WarningCommand::Close { id, note } => (*id, WarningStep::Close(note.clone())),
        WarningCommand::Escalate {
            id,
            kind: k,
            reason,
            deadline,
            limit,
        } => (
            *id,
            WarningStep::Escalate(Imposition {
                kind: kind(k)?,
                reason: reason.clone(),
                deadline: deadline.as_deref().map(date).transpose()?,
                limit: *limit,
                warning: Some(*id),
            }),
        ),
    };
    let made = store.act_on_warning(&officer, id, None, &step).await?;
    output::message(&match step {
        WarningStep::Escalate(_) => {
            format!("预警 {id} 已转为措施 {made} (escalated to measure {made})")
        }
        WarningStep::Close(_) => format!("预警 {id} 已关闭 (closed)"),
        WarningStep::Feedback(_) => format!("已记录预警 {id} 的反馈 (feedback recorded)"),
    });
    Ok(0)
}

/// The mark after a deadline passed, in the user's language.
fn overdue_mark() -> String {
    format!(" {}", crate::i18n::Msg::Overdue.get(super::output::lang()))
}
