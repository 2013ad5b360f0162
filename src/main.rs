//! leqi-console: the tax officers' console for the Leqi direct-connection
//! approval workflow. Parse, bootstrap, run; nothing else.
#![forbid(unsafe_code)]

use clap::Parser;
use leqi_console::cli::{self, Cli};
use leqi_console::context::Context;

fn main() {
    // A bug is one inert line, not a backtrace (unless RUST_BACKTRACE asks
    // for one); the console installs its own hook over this one.
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let line = leqi_console::domain::text::inert(&what).into_owned();
            eprintln!("leqi-console: 内部错误，请报告 (internal error, please report): {line}{at}");
        }));
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => usage(e),
    };
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
        // Errors in the officer's language only.
        let lang = ctx.lang;
        cli::output::set_lang(lang);
        let result = match &cli.command {
            Some(cmd) => cli::run(cmd, &ctx).await,
            None => leqi_console::console::run(ctx).await,
        };
        match result {
            Ok(code) => code,
            Err(f) => fail(f.code, &lang.half(&f.message)),
        }
    });
    std::process::exit(code);
}

/// Help and version as clap prints them; a mistake on the command line in
/// one line, with where to look (exit 2).
fn usage(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        std::process::exit(0);
    }
    let text = e.to_string();
    // clap's message runs over lines (the missing arguments below the
    // first): joined into one, up to the usage it appends.
    let joined = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let missing = e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
    let first = joined.trim_start_matches("error: ");
    // The command line did not parse, so its --lang is looked for by hand.
    let args: Vec<String> = std::env::args().collect();
    let en = args
        .windows(2)
        .any(|w| w[0] == "--lang" && w[1].eq_ignore_ascii_case("en"))
        || args.iter().any(|a| a.eq_ignore_ascii_case("--lang=en"));
    let line = match (en, missing) {
        (false, true) => "命令行有误：缺少子命令或参数；用法见 --help".to_string(),
        (false, false) => format!("命令行有误：{first}；用法见 --help"),
        (true, true) => "bad command line: a subcommand or argument is missing; see --help".into(),
        (true, false) => format!("bad command line: {first}; see --help"),
    };
    fail(2, &line)
}

/// One clear line on stderr and the exit code; never a backtrace for input
/// a user can get wrong, never a character a terminal would obey.
fn fail(code: i32, message: &str) -> ! {
    use std::io::Write;
    let line = leqi_console::domain::text::inert(message);
    let _ = writeln!(std::io::stderr(), "leqi-console: {line}");
    std::process::exit(code);
}
