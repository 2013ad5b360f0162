//! The terminal: entering and leaving raw mode and the alternate screen,
//! restoring it on every exit path (quit, error, panic, SIGTERM, SIGHUP),
//! and counting the bytes written.

use crate::context::Failure;
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stdout that counts what is written: the figure for "bytes per cursor move".
pub struct Counting<W: Write> {
    inner: W,
    pub written: Arc<AtomicU64>,
}

impl<W: Write> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting {
            inner,
            written: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub type Term = Terminal<CrosstermBackend<Counting<std::io::Stdout>>>;

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Leaves the terminal as it found it, however the console ends.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure::other(e.to_string())
}

/// Takes the terminal: a panic or any other way out restores it.
pub fn enter() -> Result<(Term, Guard, Arc<AtomicU64>), Failure> {
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()
        .map_err(|e| Failure::other(format!("无法进入终端原始模式：{e} (not a terminal?)")))?;
    let guard = Guard;
    let out = Counting::new(std::io::stdout());
    let written = out.written.clone();
    let mut terminal = Terminal::new(CrosstermBackend::new(out)).map_err(failed)?;
    execute!(
        terminal.backend_mut(),
        EnterAlternateScreen,
        crossterm::cursor::Hide
    )
    .map_err(failed)?;
    terminal.clear().ok();
    Ok((terminal, guard, written))
}
