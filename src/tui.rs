//! The console (issue 3).
use crate::cli::{Cli, CliResult, Context, Failure};

pub async fn run(_cli: &Cli, _ctx: Context) -> CliResult<i32> {
    Err(Failure::usage("console: under construction"))
}
