//! Dialogs over the screen. The top one takes every key first and answers
//! with commands.

mod choose;
mod confirm;
mod help;
mod reason;

pub use choose::Choice;
pub use reason::{ReasonDialog, ReasonTarget};

use super::{Cmd, Ctx, Mode};
use crate::keymap::KeyAction;
use crossterm::event::KeyEvent;

pub enum Modal {
    Help {
        scroll: u16,
    },
    /// A text read full screen, such as a material.
    Reader {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
    /// A question; `then` is carried out on yes.
    Confirm {
        title: String,
        lines: Vec<String>,
        then: Vec<Cmd>,
    },
    Reason(Box<ReasonDialog>),
    /// A choice among a few.
    Choose {
        title: String,
        options: Vec<Choice>,
        cursor: usize,
    },
    /// A notice: any key closes it; the key it offers does what it says.
    Message {
        title: String,
        lines: Vec<String>,
        offer: Option<Offer>,
    },
}

/// What a notice offers: the screen's key for `action` carries out `then`.
pub struct Offer {
    pub action: KeyAction,
    pub then: Vec<Cmd>,
}

impl Modal {
    pub fn notice(title: &str, lines: Vec<String>) -> Modal {
        Modal::Message {
            title: title.to_string(),
            lines,
            offer: None,
        }
    }

    pub fn confirm(title: String, lines: Vec<String>, then: Vec<Cmd>) -> Modal {
        Modal::Confirm { title, lines, then }
    }

    pub fn mode(&self) -> Mode {
        match self {
            Modal::Help { .. } | Modal::Reader { .. } => Mode::Help,
            Modal::Confirm { .. } => Mode::Confirm,
            Modal::Choose { .. } => Mode::Choose,
            Modal::Message { .. } => Mode::Notice,
            Modal::Reason(_) => Mode::Reason,
        }
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        match self {
            Modal::Help { scroll } | Modal::Reader { scroll, .. } => help::on_action(scroll, a),
            Modal::Confirm { then, .. } => confirm::on_action(then, a),
            Modal::Choose {
                options, cursor, ..
            } => choose::on_action(options, cursor, a),
            Modal::Message { offer, .. } => confirm::on_notice(offer, a),
            Modal::Reason(d) => d.on_action(ctx, a),
        }
    }

    /// A key no binding claims.
    pub fn on_input(&mut self, ctx: &Ctx, ev: KeyEvent) -> Vec<Cmd> {
        match self {
            Modal::Reason(d) => d.on_input(ev),
            Modal::Message { offer, .. } => confirm::on_notice_key(ctx, offer, ev),
            _ => vec![],
        }
    }
}
