//! `init` and `demo`: a database made ready, and filled with demo data.

use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::store::{self, Store};

pub async fn init(store: &Store, ctx: &Context) -> Outcome<i32> {
    output::message(&format!(
        "数据库已就绪 (database ready): {}",
        store::redact(&ctx.database_url)
    ));
    super::workflow::warn(store).await?;
    Ok(0)
}

pub async fn demo(store: &Store, scale: u64, seed: u64, force: bool) -> Outcome<i32> {
    if store.has_data().await? && !force {
        return Err(Failure {
            code: 5,
            message: "数据库中已有数据；如确需追加演示数据，请加 --force (the database already holds data: add --force to add demo data to it)".into(),
        });
    }
    let started = std::time::Instant::now();
    let n = crate::demo::generate(store, scale, seed, |done| {
        if done % 100_000 == 0 {
            output::note(&format!("… {done}"));
        }
    })
    .await?;
    let s = started.elapsed().as_secs_f64();
    output::note(&format!(
        "演示数据：{n} 件申请，用时 {s:.1} 秒 (demo data: {n} applications in {s:.1} s)"
    ));
    super::workflow::warn(store).await?;
    Ok(0)
}
