//! A confirmation (yes carries out what it holds; anything else cancels)
//! and a notice (any key closes it).

use crate::app::Cmd;
use crate::keymap::KeyAction;

pub fn on_action(then: &mut Vec<Cmd>, a: KeyAction) -> Vec<Cmd> {
    let mut cmds = vec![Cmd::Close];
    if a == KeyAction::Confirm {
        cmds.append(then);
    }
    cmds
}

pub fn on_notice(a: KeyAction) -> Vec<Cmd> {
    match a {
        KeyAction::Quit => vec![Cmd::Quit],
        _ => vec![Cmd::Close],
    }
}
