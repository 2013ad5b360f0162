//! `bindings`: a direct-connect unit's bindings.

use super::output::{self, local};
use crate::context::Outcome;
use crate::domain::text::inert;
use crate::store::Store;

pub async fn run(store: &Store, unit: &str, all: bool, json: bool) -> Outcome<i32> {
    let u = store.find_unit(unit).await?;
    let b = store.bindings(u.id, all).await?;
    if json {
        output::json(&b);
        return Ok(0);
    }
    let (name, code) = (inert(&u.facts.name), inert(&u.facts.uscc));
    output::line(&if output::zh() {
        format!("{name}（{code}）：{} 个绑定", b.len())
    } else {
        let n = b.len();
        format!(
            "{name} ({code}): {n} binding{}",
            if n == 1 { "" } else { "s" }
        )
    });
    let rows: Vec<Vec<String>> = b
        .iter()
        .map(|b| {
            vec![
                b.id.to_string(),
                inert(&b.user_uscc).into(),
                inert(&b.user_name).into(),
                crate::fmt::known_or(b.relation.map(|r| r.label(super::output::zh())), ""),
                local(b.since),
                b.invitation_id.to_string(),
                match (b.active, output::zh()) {
                    (true, true) => "有效",
                    (false, true) => "已解除",
                    (true, false) => "active",
                    (false, false) => "ended",
                }
                .into(),
            ]
        })
        .collect();
    output::rows(
        &[
            "绑定编号 (Binding)",
            "使用单位代码 (User unit code)",
            "使用单位名称 (User unit)",
            "关系 (Relation)",
            "绑定时间 (Bound)",
            "邀请编号 (Invitation)",
            "状态 (State)",
        ],
        &rows,
    );
    Ok(0)
}
