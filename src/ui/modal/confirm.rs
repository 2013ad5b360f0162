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
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

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
    // The box is as wide as its widest line, footer included.
    let text_w = d
        .lines
        .iter()
        .map(|l| l.width())
        .chain([d.footer.width()])
        .max()
        .unwrap_or(20);
    let w = if d.title_width {
        text_w.max(width(d.title))
    } else {
        text_w
    };
    // The box as it will be placed: the text is broken to that, or a wide
    // character at the edge would be lost.
    let w = (w.clamp(36, 76) as u16 + 4).min(area.width.saturating_sub(2));
    // Lines broken to the box by display width (CJK has no spaces to
    // break at); the footer always shows, a cut is marked.
    let inner_w = w.saturating_sub(4).max(1) as usize;
    let mut body: Vec<Line> = Vec::new();
    for l in d.lines {
        let style = l.style;
        for piece in crate::fmt::wrap(&l.to_string(), inner_w) {
            body.push(Line::from(piece).style(style));
        }
    }
    let h = (body.len() as u16 + 4).max(d.height).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(d.style)
        .title(Span::styled(format!(" {} ", d.title), theme_title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [text, _, foot] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(1),
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(inner);
    let room = text.height as usize;
    if body.len() > room && room > 0 {
        body.truncate(room - 1);
        body.push(Line::from("…"));
    }
    let text_area = Rect {
        x: text.x + 1,
        width: text.width.saturating_sub(1),
        ..text
    };
    f.render_widget(Paragraph::new(body), text_area);
    let foot_area = Rect {
        x: foot.x + 1,
        width: foot.width.saturating_sub(1),
        ..foot
    };
    let owned = d
        .footer
        .spans
        .into_iter()
        .map(|s| Span::styled(s.content.into_owned(), s.style))
        .collect();
    let footer = crate::ui::table::fit_spans(owned, foot_area.width as usize);
    f.render_widget(Paragraph::new(Line::from(footer)), foot_area);
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
    offer: Option<&crate::app::modal::Offer>,
    theme: &Theme,
    area: Rect,
) -> Rect {
    // The key the notice offers, then what any other key does.
    let mut footer = Vec::new();
    if let Some(o) = offer {
        let keys = app.ctx.keys(crate::app::Mode::Normal, o.action);
        footer.push(Span::styled(format!("{keys} "), theme.key));
        footer.push(Span::raw(format!("{}   ", o.action.describe(app.ctx.lang))));
    }
    footer.push(Span::styled(
        app.t(if offer.is_some() {
            L::OtherKeysClose
        } else {
            L::PressAnyKey
        }),
        theme.dim,
    ));
    let d = Dialog {
        title,
        lines: lines.iter().map(|l| Line::from(safe(l))).collect(),
        footer: Line::from(footer),
        title_width: false,
        height: (lines.len() as u16 + 4).max(5) + 2,
        style: theme.bad,
    };
    draw(f, d, theme.bad, area)
}
