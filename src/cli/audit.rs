//! `audit checkpoint FILE` and `audit verify [--checkpoint FILE]`: the heads
//! of the audit trail's chains kept outside the database, and every chain,
//! application and head checked against them.

use super::args::AuditCommand;
use super::output;
use crate::context::{Failure, Outcome};
use crate::store::{Checkpoint, Store};

/// The exit code when the trail does not add up.
const TAMPERED: i32 = 7;

pub async fn run(store: &Store, action: &AuditCommand) -> Outcome<i32> {
    match action {
        AuditCommand::Checkpoint { file } => {
            let c = store.checkpoint().await?;
            crate::files::write_private(file, c.to_text().as_bytes()).map_err(|e| {
                Failure::other(format!(
                    "无法写入 {}：{e} (cannot write the checkpoint)",
                    file.display()
                ))
            })?;
            output::message(&format!(
                "已写入 {} 条链的链头 (wrote the heads of {} chains): {}",
                c.heads.len(),
                c.heads.len(),
                file.display()
            ));
            Ok(0)
        }
        AuditCommand::Verify { checkpoint, json } => {
            let cp = match checkpoint {
                Some(f) => {
                    let text =
                        crate::files::read_text(f, crate::files::CHECKPOINT).map_err(|e| {
                            Failure::usage(format!(
                                "无法读取检查点 {}：{e} (cannot read the checkpoint)",
                                f.display()
                            ))
                        })?;
                    Some(Checkpoint::parse(&text).map_err(Failure::usage)?)
                }
                None => None,
            };
            let r = store.verify(cp.as_ref()).await?;
            if *json {
                output::json(&r);
            } else {
                for f in &r.findings {
                    let at = match (f.application_id, f.event_id) {
                        (Some(a), Some(e)) => format!("申请 {a} 事件 {e}"),
                        (Some(a), None) => format!("申请 {a}"),
                        (None, Some(e)) => format!("{} 事件 {e}", f.chain),
                        (None, None) => f.chain.clone(),
                    };
                    output::message(&format!("✗ {at}：{}", f.problem));
                }
                output::note(&format!(
                    "{} 条链、{} 个事件、{} 件申请；发现 {} 处不符 ({} chains, {} events, {} applications; {} findings)",
                    r.chains,
                    r.events,
                    r.applications,
                    r.findings.len(),
                    r.chains,
                    r.events,
                    r.applications,
                    r.findings.len()
                ));
            }
            Ok(if r.findings.is_empty() { 0 } else { TAMPERED })
        }
    }
}
