//! Dialogs drawn over the screen, a file each.

mod choose;
mod confirm;
mod help;
mod reason;

use super::Theme;
use crate::app::{App, Modal};
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub(super) fn key_hint(app: &App, mode: &str, pairs: &[(KeyAction, L)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (a, label) in pairs {
        let keys = app.ctx.keymap.keys_for(mode, *a);
        if keys.is_empty() {
            continue;
        }
        spans.push(Span::raw(format!(
            "{} {}   ",
            keys.join("/"),
            app.t(*label)
        )));
    }
    Line::from(spans)
}

/// Draws the dialog and returns where it went.
pub fn draw(f: &mut Frame, app: &App, modal: &Modal, theme: &Theme, area: Rect) -> Rect {
    match modal {
        Modal::Confirm { title, lines, .. } => confirm::confirm(f, app, title, lines, theme, area),
        Modal::Message {
            title,
            lines,
            offer,
        } => confirm::notice(f, app, title, lines, offer.as_ref(), theme, area),
        Modal::Help { scroll } => help::draw(f, app, *scroll, theme, area),
        Modal::Choose {
            title,
            options,
            cursor,
        } => choose::draw(f, title, options, *cursor, theme, area),
        Modal::Reader {
            title,
            lines,
            scroll,
        } => help::reader(f, title, lines, *scroll, theme, area),
        Modal::Reason(d) => reason::draw(f, app, d, theme, area),
    }
}
