//! The help, and any text read full screen (a material): scrolled by line,
//! by page, or to either end; the drawing shows where one is in it.

use crate::app::Cmd;
use crate::keymap::KeyAction;

/// Rows a page key scrolls by.
const PAGE: u16 = 10;

pub fn on_action(scroll: &mut u16, a: KeyAction) -> Vec<Cmd> {
    match a {
        KeyAction::MoveDown => *scroll = scroll.saturating_add(1),
        KeyAction::MoveUp => *scroll = scroll.saturating_sub(1),
        KeyAction::PageDown => *scroll = scroll.saturating_add(PAGE),
        KeyAction::PageUp => *scroll = scroll.saturating_sub(PAGE),
        KeyAction::Top => *scroll = 0,
        // Drawing stops it at the last page.
        KeyAction::Bottom => *scroll = u16::MAX,
        KeyAction::Quit => return vec![Cmd::Quit],
        _ => return vec![Cmd::Close],
    }
    vec![]
}
