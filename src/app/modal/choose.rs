//! A choice among a few: the cursor moves, Enter takes one, Esc none.

use crate::app::Cmd;
use crate::app::list::{self, Move};
use crate::keymap::KeyAction;

/// One option: what it says, and what taking it does.
pub struct Choice {
    pub label: String,
    pub then: Vec<Cmd>,
}

pub fn on_action(options: &mut Vec<Choice>, cursor: &mut usize, a: KeyAction) -> Vec<Cmd> {
    match a {
        KeyAction::Open | KeyAction::Confirm | KeyAction::Submit => {
            let mut cmds = vec![Cmd::Close];
            if *cursor < options.len() {
                cmds.extend(options.swap_remove(*cursor).then);
            }
            cmds
        }
        KeyAction::Quit => vec![Cmd::Quit],
        a => match Move::of(a) {
            Some(m) => {
                *cursor = list::moved(*cursor, options.len(), m, 10);
                vec![]
            }
            None => vec![Cmd::Close],
        },
    }
}
