//! `officers`: who is registered, in which bureau, with which roles.

use super::output;
use crate::context::Outcome;
use crate::domain::text::inert;
use crate::store::Store;

pub async fn run(store: &Store, json: bool) -> Outcome<i32> {
    let officers = store.officers().await?;
    if json {
        let v: Vec<serde_json::Value> = officers
            .iter()
            .map(|o| {
                serde_json::json!({"login": o.login, "name": o.name, "bureau": o.bureau_id,
                    "bureau_name": o.bureau_name, "level": o.level.code(),
                    "roles": o.roles.iter().map(|r| r.code()).collect::<Vec<_>>()})
            })
            .collect();
        output::json(&v);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = officers
        .iter()
        .map(|o| {
            let roles: Vec<&str> = o
                .roles
                .iter()
                .map(|r| r.label(super::output::zh()))
                .collect();
            vec![
                o.login.clone(),
                inert(&o.name).into(),
                inert(&o.bureau_name).into(),
                o.level.label(super::output::zh()).into(),
                roles.join(if super::output::zh() { "、" } else { ", " }),
            ]
        })
        .collect();
    output::rows(
        &[
            "登录名 (Login)",
            "姓名 (Name)",
            "税务机关 (Bureau)",
            "层级 (Level)",
            "角色 (Roles)",
        ],
        &rows,
    );
    Ok(0)
}
