//! A confirmation (yes or no) and a notice (any key closes it).

use super::super::{Theme, safe};
use super::{centered, key_hint};
use crate::app::App;
use crate::fmt::width;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// A box of lines with a title and a footer line, sized to its text.
struct Dialog<'a> {
    title: &'a str,
    lines: Vec<Line<'a>>,
    footer: Line<'a>,
    /// The title counts towards the width.
    title_width: bool,
    height: u16,
    style: ratatui::style::Style,
}

fn draw(f: &mut Frame, d: Dialog, theme_title: ratatui::style::Style, area: Rect) -> Rect {
    let text_w = d.lines.iter().map(|l| l.width()).max().unwrap_or(20);
    let w = if d.title_width {
        text_w.max(width(d.title))
    } else {
        text_w
    };
    let r = centered(area, w.clamp(36, 76) as u16 + 4, d.height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(d.style)
        .title(Span::styled(format!(" {} ", d.title), theme_title));
    let mut text = d.lines;
    text.push(Line::from(""));
    text.push(d.footer);
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        r,
    );
    r
}

pub fn confirm(
    f: &mut Frame,
    app: &App,
    title: &str,
    lines: &[String],
    theme: &Theme,
    area: Rect,
) -> Rect {
    let keys = [
        (KeyAction::Confirm, L::Confirm),
        (KeyAction::Cancel, L::Cancel),
    ];
    let d = Dialog {
        title,
        lines: lines.iter().map(|l| Line::from(l.clone())).collect(),
        footer: key_hint(app, "confirm", &keys).style(theme.key),
        title_width: true,
        height: lines.len() as u16 + 5,
        style: theme.border_focus,
    };
    draw(f, d, theme.title, area)
}

pub fn notice(
    f: &mut Frame,
    app: &App,
    title: &str,
    lines: &[String],
    theme: &Theme,
    area: Rect,
) -> Rect {
    let d = Dialog {
        title,
        lines: lines.iter().map(|l| Line::from(safe(l))).collect(),
        footer: Line::from(Span::styled(app.t(L::PressAnyKey), theme.dim)),
        title_width: false,
        height: (lines.len() as u16 + 4).max(5) + 2,
        style: theme.bad,
    };
    draw(f, d, theme.bad, area)
}
