//! The prompt line at the foot of the screen: a filter that applies as it
//! is typed (queue or bindings), the search for a direct-connect unit, an
//! application's number, or a value a decision needs (an extension's end,
//! a measure's deadline or limit), offered filled in.

use super::{App, Cmd, Effect, Screen};
use crate::keymap::KeyAction;
use crossterm::event::{KeyCode, KeyEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Edits the filter of the screen below.
    Filter,
    /// Finds a direct-connect unit by code or name on Enter.
    FindUnit,
    /// Opens an application by its number on Enter.
    Jump,
    /// An extension's end (YYYY-MM-DD), for its confirmation.
    Until,
    /// A measure's rectification deadline (YYYY-MM-DD).
    Deadline,
    /// 限制并发量's new limit.
    Limit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    /// What is typed (the filter's own text lives with its screen).
    pub text: String,
    /// Why what was typed was refused, until the next key.
    pub error: Option<String>,
}

impl Prompt {
    pub fn new(kind: PromptKind) -> Prompt {
        Prompt::with(kind, String::new())
    }

    /// A line offered with `text` already typed (a proposed value).
    pub fn with(kind: PromptKind, text: String) -> Prompt {
        Prompt {
            kind,
            text,
            error: None,
        }
    }

    /// The line asked again, with why the value was refused.
    pub fn again(kind: PromptKind, text: String, why: String) -> Prompt {
        Prompt {
            error: Some(why),
            ..Prompt::with(kind, text)
        }
    }

    /// Whether it asks for a value (not a filter or a search).
    pub fn asks_value(&self) -> bool {
        matches!(
            self.kind,
            PromptKind::Until | PromptKind::Deadline | PromptKind::Limit
        )
    }
}

pub fn on_action(app: &mut App, a: KeyAction) -> Vec<Cmd> {
    let Some(p) = app.prompt.take() else {
        return vec![];
    };
    match (p.kind, a) {
        (_, KeyAction::Quit) => vec![Cmd::Quit],
        (PromptKind::FindUnit, KeyAction::Submit) if !p.text.trim().is_empty() => {
            vec![Cmd::Run(Effect::FindUnit { text: p.text })]
        }
        (PromptKind::FindUnit, _) => vec![],
        (PromptKind::Jump, KeyAction::Submit) => match p.text.trim().parse::<i64>() {
            Ok(id) if id > 0 => vec![Cmd::Jump(id)],
            _ => vec![Cmd::Status(app.ctx.t(crate::i18n::Msg::NotANumber).into())],
        },
        (PromptKind::Jump, _) => vec![],
        (PromptKind::Until, KeyAction::Submit) => app.queue.on_until(&app.ctx, p.text),
        (PromptKind::Deadline | PromptKind::Limit, KeyAction::Submit) => match &mut app.screen {
            Screen::Supervise(s) => s.on_prompt(&app.ctx, p.kind, p.text),
            _ => vec![],
        },
        (PromptKind::Deadline | PromptKind::Limit, KeyAction::Cancel) => match &mut app.screen {
            Screen::Supervise(s) => s.on_prompt_cancel(),
            _ => vec![],
        },
        (PromptKind::Until, KeyAction::Cancel) => vec![],
        // Other actions keep the line open.
        (PromptKind::Until | PromptKind::Deadline | PromptKind::Limit, _) => {
            app.prompt = Some(p);
            vec![]
        }
        (PromptKind::Filter, KeyAction::Cancel) => match &mut app.screen {
            Screen::Bindings(b) => b.set_filter(String::new()),
            _ => app.queue.set_filter(&app.ctx, String::new()),
        },
        (PromptKind::Filter, KeyAction::Submit) => vec![],
        // Other actions keep the line open.
        (PromptKind::Filter, _) => {
            app.prompt = Some(p);
            vec![]
        }
    }
}

/// Text typed into the line.
pub fn on_input(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let edit = |s: &mut String| match ev.code {
        KeyCode::Char(c) if !c.is_control() => {
            s.push(c);
            true
        }
        KeyCode::Backspace => s.pop().is_some(),
        _ => false,
    };
    let Some(p) = app.prompt.as_mut() else {
        return vec![];
    };
    p.error = None;
    match p.kind {
        PromptKind::FindUnit => {
            edit(&mut p.text);
            vec![]
        }
        PromptKind::Jump | PromptKind::Limit => {
            // Digits only: a number is all it takes.
            if !matches!(ev.code, KeyCode::Char(c) if !c.is_ascii_digit()) {
                edit(&mut p.text);
            }
            vec![]
        }
        PromptKind::Until | PromptKind::Deadline => {
            // A day: digits and dashes, ten at most.
            let fits = p.text.chars().count() < 10;
            if !matches!(ev.code, KeyCode::Char(c) if !(fits && (c.is_ascii_digit() || c == '-'))) {
                edit(&mut p.text);
            }
            vec![]
        }
        PromptKind::Filter => match &mut app.screen {
            Screen::Bindings(b) => {
                let mut f = b.filter.clone();
                if edit(&mut f) {
                    return b.set_filter(f);
                }
                vec![]
            }
            _ => {
                let mut f = app.queue.filter.clone();
                if edit(&mut f) {
                    return app.queue.set_filter(&app.ctx, f);
                }
                vec![]
            }
        },
    }
}
