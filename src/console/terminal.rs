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

/// For a 16-colour terminal: crossterm writes even the 16 standard colours
/// as 256-colour indices (`38;5;1`); this rewrites them as the standard
/// SGR codes (30–37, 90–97, 40–47, 100–107) that such a terminal knows.
pub struct Sgr16<W: Write> {
    inner: W,
    active: bool,
    /// An escape sequence cut between two writes.
    pending: Vec<u8>,
}

impl<W: Write> Sgr16<W> {
    pub fn new(inner: W, active: bool) -> Self {
        Sgr16 {
            inner,
            active,
            pending: Vec::new(),
        }
    }
}

/// The parameters of one SGR sequence with 256-colour indices below 16
/// made standard codes.
fn sgr16(params: &str) -> String {
    let p: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match (
            p[i],
            p.get(i + 1),
            p.get(i + 2).and_then(|n| n.parse::<u8>().ok()),
        ) {
            ("38", Some(&"5"), Some(n)) if n < 16 => {
                out.push(if n < 8 { 30 + n as u16 } else { 82 + n as u16 }.to_string());
                i += 3;
            }
            ("48", Some(&"5"), Some(n)) if n < 16 => {
                out.push(if n < 8 { 40 + n as u16 } else { 92 + n as u16 }.to_string());
                i += 3;
            }
            (x, _, _) => {
                out.push(x.to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

impl<W: Write> Write for Sgr16<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.active {
            return self.inner.write(buf);
        }
        self.pending.extend_from_slice(buf);
        let data = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(data.len());
        let mut i = 0;
        while i < data.len() {
            if data[i] == 0x1b && data.get(i + 1) == Some(&b'[') {
                // A CSI: parameters, then a final byte in 0x40..=0x7e.
                let end = data[i + 2..].iter().position(|b| (0x40..=0x7e).contains(b));
                let Some(end) = end.map(|e| i + 2 + e) else {
                    self.pending = data[i..].to_vec();
                    break;
                };
                let params = String::from_utf8_lossy(&data[i + 2..end]);
                if data[end] == b'm' {
                    out.extend_from_slice(format!("\x1b[{}m", sgr16(&params)).as_bytes());
                } else {
                    out.extend_from_slice(&data[i..=end]);
                }
                i = end + 1;
            } else if data[i] == 0x1b && i + 1 == data.len() {
                self.pending = vec![0x1b];
                break;
            } else {
                out.push(data[i]);
                i += 1;
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub type Term = Terminal<CrosstermBackend<Counting<Sgr16<std::io::Stdout>>>>;

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

/// Takes the terminal: a panic or any other way out restores it. `sixteen`:
/// colours as a 16-colour terminal knows them.
pub fn enter(sixteen: bool) -> Result<(Term, Guard, Arc<AtomicU64>), Failure> {
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A bug in one effect's work is logged and said on the status line
        // (Msg::Crashed); the console, and its terminal, go on.
        if super::in_effect() {
            tracing::error!("effect panicked: {info}");
            return;
        }
        restore();
        previous(info);
    }));
    enable_raw_mode()
        .map_err(|e| Failure::other(format!("无法进入终端原始模式：{e} (not a terminal?)")))?;
    let guard = Guard;
    let out = Counting::new(Sgr16::new(std::io::stdout(), sixteen));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_colours_are_written_as_standard_codes() {
        let mut w = Sgr16::new(Vec::new(), true);
        w.write_all(b"a\x1b[38;5;1;48;5;12mb\x1b[38;5;200mc\x1b[38;5")
            .unwrap();
        w.write_all(b";9md\x1b[2J\x1b[0m").unwrap();
        let s = String::from_utf8(w.inner).unwrap();
        assert_eq!(s, "a\x1b[31;104mb\x1b[38;5;200mc\x1b[91md\x1b[2J\x1b[0m");
        assert_eq!(sgr16("38;5;7;48;5;0;1"), "37;40;1");
    }
}
