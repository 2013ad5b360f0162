//! `admin apply FILE`: a deployment file validated whole and written in one
//! audited transaction, by an officer with the admin role (or, into a
//! database with no administrator yet, by whoever bootstraps it).

use super::args::AdminCommand;
use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::deploy::Deployment;
use crate::store::{Error, Store};

pub async fn run(store: &mut Store, ctx: &Context, action: &AdminCommand) -> Outcome<i32> {
    let AdminCommand::Apply { file } = action;
    let known = store.bureau_levels().await?;
    let d = Deployment::load(file, &known).map_err(|e| Failure::usage(e.to_string()))?;
    // Who applies it: an administrator; the first deployment of a database
    // without one is its bootstrap, audited under the user's login.
    let (by, bureau) = if store.has_admin().await? {
        let o = store.officer(&ctx.officer_login).await?;
        crate::domain::judge::may_administer(&o).map_err(Error::from)?;
        (o.login, Some(o.bureau_id))
    } else {
        (ctx.officer_login.clone(), None)
    };
    store.apply_deployment(&by, bureau.as_deref(), &d).await?;
    output::line(&d.summary());
    super::workflow::warn(store).await?;
    Ok(0)
}
