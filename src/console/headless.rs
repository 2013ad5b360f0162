//! The console without a terminal: effects run in order against a real
//! store and their messages go back to the app. For tests and benchmarks.

use super::executor::Executor;
use crate::app::{App, Effect};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Runs effects (and the effects they lead to) until none are left.
pub async fn settle(app: &mut App, exec: &Executor, fx: Vec<Effect>) {
    let mut queue: VecDeque<Effect> = fx.into();
    while let Some(e) = queue.pop_front() {
        if e.is_local() {
            if let Some(m) = exec.run_local(e) {
                app.live.busy += 1;
                queue.extend(app.on_msg(m));
            }
            continue;
        }
        app.live.busy += 1;
        let progress = Mutex::new(Vec::new());
        let push = |m| progress.lock().expect("progress lock").push(m);
        let msg = exec.run(e, &push).await;
        for p in progress.into_inner().expect("progress lock") {
            queue.extend(app.on_msg(p));
        }
        if let Some(m) = msg {
            queue.extend(app.on_msg(m));
        }
    }
}

/// Presses keys written in keymap syntax, separated by spaces ("j j / enter").
pub async fn press(app: &mut App, exec: &Executor, keys: &str) {
    for k in keys.split_whitespace() {
        let fx = app.on_key(key_event(k));
        settle(app, exec, fx).await;
    }
}

/// Types text, one key per character.
pub async fn type_text(app: &mut App, exec: &Executor, text: &str) {
    for c in text.chars() {
        let ev = if c == '\n' {
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
        } else {
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
        };
        let fx = app.on_key(ev);
        settle(app, exec, fx).await;
    }
}

/// One key in keymap syntax as a terminal event.
pub fn key_event(k: &str) -> KeyEvent {
    let lower = k.to_ascii_lowercase();
    let (mods, rest) = match lower.strip_prefix("ctrl-") {
        Some(r) => (KeyModifiers::CONTROL, r.to_string()),
        None => (KeyModifiers::NONE, k.to_string()),
    };
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        _ => KeyCode::Char(rest.chars().next().unwrap_or(' ')),
    };
    KeyEvent::new(code, mods)
}
