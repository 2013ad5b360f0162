//! The help: every key of the screen below, scrolled with the movement keys.

use crate::app::Cmd;
use crate::keymap::KeyAction;

pub fn on_action(scroll: &mut u16, a: KeyAction) -> Vec<Cmd> {
    match a {
        KeyAction::MoveDown => *scroll = scroll.saturating_add(1),
        KeyAction::MoveUp => *scroll = scroll.saturating_sub(1),
        KeyAction::Quit => return vec![Cmd::Quit],
        _ => return vec![Cmd::Close],
    }
    vec![]
}
