//! `show`: one application with its materials, checks and history.

use super::output::{self, local};
use crate::context::Outcome;
use crate::domain::text::inert;
use crate::domain::*;
use crate::store::Store;

pub async fn run(store: &Store, id: i64, json: bool) -> Outcome<i32> {
    let app = store.application(id).await?;
    let checks = app.checks(&store.thresholds);
    if json {
        output::json(&serde_json::json!({"application": app, "checks": checks,
            "missing_materials": app.missing_materials()}));
        return Ok(0);
    }
    let zh = output::zh();
    // Each line's words in the user's language; what applicants and
    // officers wrote, as written (inert).
    let say = |both: &str| output::lang().half(both);
    output::line(&format!(
        "{} {}  {}  {} {}",
        app.id,
        app.kind.full(zh),
        app.state.label(zh),
        say("版本 (version)"),
        app.version
    ));
    output::line(&format!(
        "{}{}{} ({})",
        say("单位 (unit)"),
        if zh { "：" } else { ": " },
        inert(&app.unit.facts.name),
        inert(&app.unit.facts.uscc)
    ));
    output::line(&format!(
        "{}{}{}",
        say("主管税务机关 (competent bureau)"),
        if zh { "：" } else { ": " },
        inert(&app.county_name)
    ));
    output::line(&format!("\n{}", say("材料： (materials:)")));
    for m in &app.materials {
        output::line(&format!(
            "  {}  {}  {} {}  sha256 {}  {}",
            m.kind.label(zh),
            inert(&m.file_name),
            m.size,
            say("字节 (bytes)"),
            crate::fmt::head(&m.sha256, 12),
            if m.paper_received {
                say("纸质已收 (paper received)")
            } else {
                say("纸质未收 (no paper yet)")
            }
        ));
    }
    for m in app.missing_materials() {
        output::line(&format!("  {} {}", say("缺少： (missing:)"), m.label(zh)));
    }
    output::line(&format!("\n{}", say("校验： (checks:)")));
    for c in &checks {
        output::line(&format!(
            "  [{}] {}{}{}",
            c.outcome.label(zh),
            c.id.label(zh),
            if zh { "：" } else { ": " },
            inert(c.detail(zh))
        ));
    }
    output::line(&format!("\n{}", say("历史： (history:)")));
    for e in &app.history {
        output::line(&format!(
            "  {}  {}  {}  {}",
            local(e.at),
            inert(&e.officer),
            crate::fmt::known_or(Action::parse(&e.action).map(|a| a.label(zh)), &e.action),
            inert(e.reason.as_deref().unwrap_or(""))
        ));
    }
    Ok(0)
}
