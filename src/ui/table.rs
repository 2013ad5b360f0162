//! Tables whose every cell fits its column: columns are solved once for
//! the area, and a cell too wide is cut with an ellipsis, never silently.

use crate::fmt::truncate;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

/// The width of each column in `width` columns, one column of space
/// between them; `Fill` columns take what is left.
pub fn solve(constraints: &[Constraint], width: u16) -> Vec<u16> {
    Layout::horizontal(constraints.iter().copied())
        .spacing(1)
        .flex(Flex::Start)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| r.width)
        .collect()
}

/// Spans cut to `w` columns with an ellipsis when too wide; their styles
/// kept.
pub fn fit_spans(spans: Vec<Span<'static>>, w: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| s.width()).sum();
    if total <= w {
        return spans;
    }
    let mut used = 0;
    let mut out = Vec::new();
    for s in spans {
        let sw = s.width();
        if used + sw < w {
            used += sw;
            out.push(s);
            continue;
        }
        out.push(Span::styled(truncate(&s.content, w - used), s.style));
        break;
    }
    out
}

fn fitted(spans: Vec<Span<'static>>, w: u16) -> Cell<'static> {
    Cell::from(Line::from(fit_spans(spans, w as usize)))
}

/// One row: its cells (each one or more spans) and its style.
pub struct TableRow {
    pub cells: Vec<Vec<Span<'static>>>,
    pub style: Style,
}

/// A table fitted to `area`: each column its solved width, each cell cut
/// with an ellipsis when it does not fit.
pub fn fitted_table(
    header: Vec<&'static str>,
    constraints: &[Constraint],
    rows: Vec<TableRow>,
    area: Rect,
    header_style: Style,
) -> Table<'static> {
    let widths = solve(constraints, area.width);
    let head: Vec<Cell> = header
        .into_iter()
        .zip(&widths)
        .map(|(h, w)| fitted(vec![Span::raw(h)], *w))
        .collect();
    let body: Vec<Row> = rows
        .into_iter()
        .map(|r| {
            let cells: Vec<Cell> = r
                .cells
                .into_iter()
                .zip(&widths)
                .map(|(c, w)| fitted(c, *w))
                .collect();
            Row::new(cells).style(r.style)
        })
        .collect();
    Table::new(body, widths.iter().map(|w| Constraint::Length(*w)))
        .header(Row::new(head).style(header_style))
        .column_spacing(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_takes_the_room_and_cells_are_cut_with_an_ellipsis() {
        let w = solve(
            &[
                Constraint::Length(2),
                Constraint::Fill(1),
                Constraint::Length(4),
            ],
            40,
        );
        assert_eq!(w, vec![2, 32, 4]);
        let cut = Line::from(fit_spans(
            vec![Span::raw("◆"), Span::raw("某某技术有限公司分公司")],
            10,
        ));
        assert_eq!(cut.to_string(), "◆某某技术…");
        assert!(cut.width() <= 10);
        let whole = Line::from(fit_spans(vec![Span::raw("短名")], 10));
        assert_eq!(whole.to_string(), "短名", "what fits is not cut");
    }
}
