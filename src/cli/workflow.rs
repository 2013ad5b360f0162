//! `workflow check`: every stage of every kind that no active officer can
//! act on, with the items waiting there. `init`, `demo` and `admin apply`
//! warn of the same.

use super::args::WorkflowCommand;
use super::output;
use crate::context::Outcome;
use crate::domain::workflow::Unstaffed;
use crate::store::Store;

fn rows(gaps: &[Unstaffed]) -> Vec<Vec<String>> {
    gaps.iter()
        .map(|g| {
            vec![
                g.kind.label(super::output::zh()).into(),
                g.stage.label(super::output::zh()).into(),
                g.level.label(super::output::zh()).into(),
                g.role.label(super::output::zh()).into(),
                g.bureau.clone(),
                g.waiting.to_string(),
            ]
        })
        .collect()
}

const HEADER: [&str; 6] = [
    "类型 (Kind)",
    "环节 (Stage)",
    "层级 (Level)",
    "所需角色 (Role needed)",
    "税务机关 (Bureau)",
    "待办 (Waiting)",
];

/// Exit 5 when items wait where nobody can act on them; 0 otherwise.
pub async fn run(store: &Store, action: &WorkflowCommand) -> Outcome<i32> {
    let WorkflowCommand::Check { json } = action;
    let gaps = store.unstaffed().await?;
    if *json {
        output::json(&gaps);
    } else if gaps.is_empty() {
        output::line("每个环节都有在岗人员 (every stage has an officer who can act on it)");
    } else {
        output::rows(&HEADER, &rows(&gaps));
    }
    Ok(if gaps.iter().any(|g| g.waiting > 0) {
        5
    } else {
        0
    })
}

/// A warning on stderr when items wait where nobody can act on them.
pub async fn warn(store: &Store) -> Outcome<()> {
    let gaps: Vec<Unstaffed> = store
        .unstaffed()
        .await?
        .into_iter()
        .filter(|g| g.waiting > 0)
        .collect();
    if gaps.is_empty() {
        return Ok(());
    }
    let n: i64 = gaps.iter().map(|g| g.waiting).sum();
    output::note(&format!(
        "注意：{n} 件待办所在的环节无人可办（leqi-console workflow check 可列出）(warning: {n} items wait at stages no active officer can act on)"
    ));
    Ok(())
}
