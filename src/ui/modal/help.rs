//! The help: every key of the screen below, from the active keymap.

use super::super::Theme;
use super::centered;
use crate::app::App;
use crate::fmt::{fit, width};
use crate::i18n::Msg as L;
use crate::keymap::{KeyAction, show_sequence};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Help generated from the active keymap: every key of the screen below
/// the help, with its description.
pub fn draw(f: &mut Frame, app: &App, scroll: u16, theme: &Theme, area: Rect) -> Rect {
    let mode = app.screen_mode().section();
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut by_action: Vec<(KeyAction, Vec<String>)> = Vec::new();
    for (k, a) in app.ctx.keymap.bindings(mode) {
        match by_action.iter_mut().find(|(x, _)| *x == a) {
            Some((_, ks)) => ks.push(show_sequence(&k)),
            None => by_action.push((a, vec![show_sequence(&k)])),
        }
    }
    by_action.sort_by_key(|(a, _)| *a);
    for (a, ks) in by_action {
        rows.push((ks.join(" / "), a.describe(app.ctx.lang).to_string()));
    }
    let r = centered(area, 72, area.height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} · {} ", app.t(L::Help), app.t(L::HelpClose)),
            theme.title,
        ));
    let kw = rows
        .iter()
        .map(|(k, _)| width(k))
        .max()
        .unwrap_or(8)
        .min(26);
    let mut lines = vec![Line::from(vec![
        Span::styled(fit(app.t(L::Keys), kw), theme.dim),
        Span::raw("  "),
        Span::styled(app.t(L::Action), theme.dim),
    ])];
    for (k, d) in rows {
        lines.push(Line::from(vec![
            Span::styled(fit(&k, kw), theme.key),
            Span::raw("  "),
            Span::raw(d),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
    r
}
