//! A confirmation (yes carries out what it holds; anything else cancels)
//! and a notice (any key closes it; the key it offers does what it says).

use super::Offer;
use crate::app::{Cmd, Ctx, Mode};
use crate::keymap::{KeyAction, KeyChord};
use crossterm::event::KeyEvent;

pub fn on_action(then: &mut Vec<Cmd>, a: KeyAction) -> Vec<Cmd> {
    let mut cmds = vec![Cmd::Close];
    if a == KeyAction::Confirm {
        cmds.append(then);
    }
    cmds
}

fn take(offer: &mut Option<Offer>) -> Vec<Cmd> {
    let mut cmds = vec![Cmd::Close];
    cmds.extend(offer.take().map(|o| o.then).unwrap_or_default());
    cmds
}

pub fn on_notice(offer: &mut Option<Offer>, a: KeyAction) -> Vec<Cmd> {
    match a {
        KeyAction::Quit => vec![Cmd::Quit],
        a if offer.as_ref().is_some_and(|o| o.action == a) => take(offer),
        _ => vec![Cmd::Close],
    }
}

/// A key the notice's own map leaves free: the offered action's key on the
/// screen below does what the notice says; any other closes it.
pub fn on_notice_key(ctx: &Ctx, offer: &mut Option<Offer>, ev: KeyEvent) -> Vec<Cmd> {
    let chord = vec![KeyChord::from(ev)];
    let pressed = ctx
        .keymap
        .bindings(Mode::Normal.section())
        .into_iter()
        .find(|(k, _)| *k == chord)
        .map(|(_, a)| a);
    match pressed {
        Some(a) if offer.as_ref().is_some_and(|o| o.action == a) => take(offer),
        _ => vec![Cmd::Close],
    }
}
