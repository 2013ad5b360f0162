//! `claim`, `release`, `claims`: who works on what. A claim held by
//! another officer is refused with exit 5 (a conflict), naming the holder
//! and until when.

use super::args::Command;
use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::domain::claim;
use crate::domain::text::inert;
use crate::store::{ClaimResult, Store};

pub async fn run(store: &Store, ctx: &Context, cmd: &Command) -> Outcome<i32> {
    match cmd {
        Command::Claim {
            ids,
            minutes,
            take_over,
            reason,
            json,
        } => {
            let officer = ctx.officer(store).await?;
            let minutes = lease(ctx, *minutes)?;
            let reason = if *take_over { reason.as_deref() } else { None };
            let results = store.claim(&officer, ids, minutes, reason).await?;
            report(&results, *json)
        }
        Command::Release { ids, json } => {
            let officer = ctx.officer(store).await?;
            let gone = store.release(&officer, ids).await?;
            if *json {
                output::json(&gone);
            } else {
                for id in ids {
                    if gone.contains(id) {
                        output::line(&format!("{id}：{}", output::said("已放弃领取 (released)")));
                    } else {
                        let why = output::said("您没有领取 (not claimed by you)");
                        output::note(&format!("{id}：{why}"));
                    }
                }
            }
            // Something named was not the officer's to release: not found.
            Ok(if ids.iter().all(|i| gone.contains(i)) {
                0
            } else {
                3
            })
        }
        Command::Claims { mine, json } => {
            let officer = ctx.officer(store).await?;
            let list = store.claims(&officer, *mine).await?;
            if *json {
                output::json(&list);
                return Ok(0);
            }
            if list.is_empty() {
                output::note(&output::said("没有生效的领取 (no claims in force)"));
                return Ok(0);
            }
            let now = crate::store::now();
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        c.application_id.to_string(),
                        inert(c.unit_name.as_deref().unwrap_or("—")).into(),
                        inert(&c.officer).into(),
                        output::local(c.expires_at),
                        format!(
                            "{} {}",
                            claim::minutes_left(c.expires_at, now),
                            if output::zh() { "分" } else { "min" }
                        ),
                        c.taken_from
                            .as_deref()
                            .map(|f| {
                                let from = if output::zh() {
                                    "接手自"
                                } else {
                                    "taken from"
                                };
                                format!("{from} {}", inert(f))
                            })
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            output::rows(
                &[
                    "编号 (ID)",
                    "单位 (Unit)",
                    "领取人 (Holder)",
                    "到期 (Until)",
                    "剩余 (Left)",
                    "说明 (Note)",
                ],
                &rows,
            );
            Ok(0)
        }
        _ => Ok(2),
    }
}

/// The lease asked for: the flag, else the config file's, else 15 minutes.
pub(super) fn lease(ctx: &Context, minutes: Option<i64>) -> Outcome<i64> {
    let m = minutes
        .or(ctx.config.claim_minutes)
        .unwrap_or(claim::DEFAULT_MINUTES);
    claim::lease_minutes(m).map_err(Failure::usage)
}

/// Each item's claim; the exit code is the first failure's (5 when held).
fn report(results: &[ClaimResult], json: bool) -> Outcome<i32> {
    if json {
        output::json(&results);
    }
    let mut code = 0;
    for r in results {
        match &r.error {
            None if !json => {
                let t = r.until.map(output::local).unwrap_or_default();
                let said = output::said(&format!("已领取至 {t} (claimed until {t})"));
                output::line(&format!("{}：{said}", r.id));
            }
            None => {}
            Some(f) => {
                if !json {
                    let why = output::said(&super::decide::with_hint(f));
                    output::note(&format!("{}：{why}", r.id));
                }
                if code == 0 {
                    code = f.kind.exit_code();
                }
            }
        }
    }
    Ok(code)
}
