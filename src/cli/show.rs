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
    output::line(&format!(
        "{} {}  {}  版本 {}",
        app.id,
        app.kind.full_zh(),
        app.state.zh(),
        app.version
    ));
    output::line(&format!(
        "单位：{}（{}）",
        inert(&app.unit.facts.name),
        inert(&app.unit.facts.uscc)
    ));
    output::line(&format!("主管税务机关：{}", app.county_name));
    output::line("\n材料：");
    for m in &app.materials {
        output::line(&format!(
            "  {}  {}  {} 字节  sha256 {}  纸质{}",
            m.kind.zh(),
            inert(&m.file_name),
            m.size,
            crate::fmt::head(&m.sha256, 12),
            if m.paper_received { "已收" } else { "未收" }
        ));
    }
    for m in app.missing_materials() {
        output::line(&format!("  缺少：{}", m.zh()));
    }
    output::line("\n校验：");
    for c in &checks {
        output::line(&format!(
            "  [{}] {}：{}",
            c.outcome.label(true),
            c.id.label(true),
            inert(&c.detail_zh)
        ));
    }
    output::line("\n历史：");
    for e in &app.history {
        output::line(&format!(
            "  {}  {}  {}  {}",
            local(e.at),
            inert(&e.officer),
            crate::fmt::known_or(Action::parse(&e.action).map(|a| a.zh()), &e.action),
            inert(e.reason.as_deref().unwrap_or(""))
        ));
    }
    Ok(0)
}
