//! leqi-console: the tax officers' console for the Leqi direct-connection
//! approval workflow. Parse, bootstrap, run; nothing else.
#![forbid(unsafe_code)]

use clap::Parser;
use leqi_console::cli::{self, Cli};
use leqi_console::context::Context;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => fail(
            1,
            &format!("无法启动运行时：{e} (cannot start the runtime)"),
        ),
    };
    let code = runtime.block_on(async {
        let ctx = match Context::resolve(&cli.global) {
            Ok(c) => c,
            Err(f) => fail(f.code, &f.message),
        };
        let result = match &cli.command {
            Some(cmd) => cli::run(cmd, &ctx).await,
            None => leqi_console::console::run(ctx).await,
        };
        match result {
            Ok(code) => code,
            Err(f) => fail(f.code, &f.message),
        }
    });
    std::process::exit(code);
}

/// One clear line on stderr and the exit code; never a backtrace for input
/// a user can get wrong.
fn fail(code: i32, message: &str) -> ! {
    eprintln!("leqi-console: {message}");
    std::process::exit(code);
}
