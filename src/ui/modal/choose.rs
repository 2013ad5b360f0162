//! A choice among a few.

use super::super::{Theme, mark};
use super::centered;
use crate::app::modal::Choice;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(
    f: &mut Frame,
    title: &str,
    options: &[Choice],
    cursor: usize,
    theme: &Theme,
    area: Rect,
) -> Rect {
    let h = (options.len() as u16 + 2).min(area.height);
    let r = centered(area, 72, h);
    f.render_widget(Clear, r);
    let inner_w = r.width.saturating_sub(4) as usize;
    let height = r.height.saturating_sub(2) as usize;
    let (top, end) = crate::app::list::centred(options.len(), cursor, height);
    let lines: Vec<Line> = options[top..end]
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let here = top + i == cursor;
            let text = crate::fmt::truncate(&format!("{}{}", mark(here, false), o.label), inner_w);
            Line::from(Span::styled(
                text,
                if here { theme.selected } else { theme.base },
            ))
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} ", crate::ui::safe(title)),
            theme.title,
        ));
    f.render_widget(Paragraph::new(lines).block(block), r);
    r
}
