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
    let title = format!("{} · {}", app.t(L::Help), app.t(L::HelpClose));
    scrolled(f, r, title, lines, scroll, theme);
    r
}

/// Lines in a box, scrolled (never past the last page), with where one
/// is in them in the title: "12–30/48".
pub fn scrolled(
    f: &mut Frame,
    r: Rect,
    title: String,
    lines: Vec<Line<'static>>,
    scroll: u16,
    theme: &Theme,
) {
    f.render_widget(Clear, r);
    let height = r.height.saturating_sub(2) as usize;
    let total = lines.len();
    let top = (scroll as usize).min(total.saturating_sub(height));
    let last = (top + height).min(total);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {title} · {}–{last}/{total} ", top + 1),
            theme.title,
        ));
    f.render_widget(
        Paragraph::new(lines).block(block).scroll((top as u16, 0)),
        r,
    );
}

/// A text read full screen, wrapped to the width.
pub fn reader(
    f: &mut Frame,
    title: &str,
    text: &[String],
    scroll: u16,
    theme: &Theme,
    area: Rect,
) -> Rect {
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for l in text {
        for piece in crate::fmt::wrap(l, width.max(1)) {
            lines.push(Line::from(piece));
        }
    }
    scrolled(f, area, crate::ui::safe(title), lines, scroll, theme);
    area
}
