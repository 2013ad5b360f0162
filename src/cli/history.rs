//! `history`: an application's audit events.

use super::output::{self, local};
use crate::context::Outcome;
use crate::domain::text::inert;
use crate::domain::*;
use crate::store::Store;

fn state_label(code: Option<&str>) -> String {
    match code {
        Some(c) => crate::fmt::known_or(State::parse(c).map(|s| s.label(super::output::zh())), c),
        None => String::new(),
    }
}

pub async fn run(store: &Store, id: i64, json: bool) -> Outcome<i32> {
    store.application(id).await?;
    let h = store.history(id).await?;
    if json {
        output::json(&h);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = h
        .iter()
        .map(|e| {
            vec![
                local(e.at),
                inert(&e.officer).into(),
                crate::fmt::known_or(
                    Action::parse(&e.action).map(|a| a.label(super::output::zh())),
                    &e.action,
                ),
                state_label(e.from_state.as_deref()),
                state_label(e.to_state.as_deref()),
                inert(e.reason.as_deref().unwrap_or("")).into(),
            ]
        })
        .collect();
    output::rows(
        &[
            "时间 (Time)",
            "办理人 (Officer)",
            "操作 (Operation)",
            "原状态 (From)",
            "新状态 (To)",
            "理由 (Reason)",
        ],
        &rows,
    );
    Ok(0)
}
