//! The command line: for scripts and for tests. Every subcommand goes
//! through the same store calls as the console; one module each.

mod admin;
pub mod args;
mod audit;
mod batch;
mod bindings;
mod claim;
mod decide;
mod history;
mod officers;
pub mod output;
mod queue;
mod setup;
mod show;
mod supervise;
mod workflow;

pub use args::{Cli, Command};

use crate::context::{Context, Outcome};
use crate::store::Store;

pub async fn run(cmd: &Command, ctx: &Context) -> Outcome<i32> {
    use args::AdminCommand as A;
    // Setting up or upgrading a database is done before opening it.
    let setup = matches!(
        cmd,
        Command::Init
            | Command::Admin {
                action: A::Init | A::Upgrade
            }
    );
    let mut store = if setup {
        Store::init(&ctx.database_url).await?
    } else {
        ctx.open().await?
    };
    let result = dispatch(&mut store, cmd, ctx).await;
    store.close().await;
    result
}

async fn dispatch(store: &mut Store, cmd: &Command, ctx: &Context) -> Outcome<i32> {
    use Command as C;
    match cmd {
        C::Init => setup::init(store, ctx).await,
        C::Demo { scale, seed, force } => setup::demo(store, *scale, *seed, *force).await,
        C::Officers { json } => officers::run(store, *json).await,
        C::Queue { .. } => queue::run(store, ctx, cmd).await,
        C::Show { id, json } => show::run(store, *id, *json).await,
        C::Decide { .. } => decide::decide(store, ctx, cmd).await,
        C::Unbind { .. } => decide::unbind(store, ctx, cmd).await,
        C::Claim { .. } | C::Release { .. } | C::Claims { .. } => claim::run(store, ctx, cmd).await,
        C::Bindings { unit, all, json } => bindings::run(store, unit, *all, *json).await,
        C::History { id, json } => history::run(store, *id, *json).await,
        C::Batch { action } => batch::run(store, ctx, action).await,
        C::Admin { action } => admin::run(store, ctx, action).await,
        C::Workflow { action } => workflow::run(store, action).await,
        C::Audit { action } => audit::run(store, action).await,
        C::Measures { .. } | C::Measure { .. } | C::Warnings { .. } | C::Warning { .. } => {
            supervise::run(store, ctx, cmd).await
        }
    }
}
