//! The unit view: the unit's facts, its bindings each way, and every
//! application of it.

use super::table::{TableRow, fitted_table};
use super::{Theme, mark, safe};
use crate::app::list::centred;
use crate::app::{App, UnitScreen};
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the unit; returns the rows of its application list in view.
pub fn draw(f: &mut Frame, app: &App, u: &UnitScreen, theme: &Theme, area: Rect) -> u16 {
    let Some(v) = &u.view else {
        let block = Block::default().borders(Borders::ALL);
        f.render_widget(
            Paragraph::new(Span::styled(app.t(L::Loading), theme.dim)).block(block),
            area,
        );
        return 0;
    };
    let facts = &v.unit.facts;
    let title = format!(" {} {} ", safe(&facts.name), safe(&facts.uscc));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let watch: Vec<Line> = super::supervise::unit_lines(app, &v.measures, &v.warnings, theme)
        .into_iter()
        .map(|l| Line::from(super::table::fit_spans(l.spans, inner.width as usize)))
        .collect();
    // What supervises the unit shows first, however little room is left.
    let head_h = 2 + (watch.len() as u16).min(inner.height.saturating_sub(6));
    let [head, list] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(inner);
    let state = if facts.direct_connect {
        app.t(L::IsDirect)
    } else {
        app.t(L::NotDirect)
    };
    let mut head_lines = vec![
        Line::from(format!("{state} · {}", safe(&v.unit.address))),
        Line::from(Span::styled(
            L::BoundCounts.fill(app.ctx.lang, &[&v.bound, &v.bound_to]),
            theme.dim,
        )),
    ];
    head_lines.extend(watch);
    f.render_widget(Paragraph::new(head_lines), head);
    applications(f, app, u, &v.applications, theme, list)
}

/// The unit's applications, the rows in view; returns how many fit.
fn applications(
    f: &mut Frame,
    app: &App,
    u: &UnitScreen,
    apps: &[crate::store::UnitApp],
    theme: &Theme,
    list: Rect,
) -> u16 {
    let zh = app.ctx.zh();
    let height = list.height.saturating_sub(1);
    let (top, end) = centred(apps.len(), u.cursor, height as usize);
    let rows: Vec<TableRow> = apps[top..end]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let here = top + i == u.cursor;
            let when = crate::fmt::beijing(a.submitted_at)
                .format("%Y-%m-%d")
                .to_string();
            let who = a
                .last_officer
                .as_deref()
                .map(|l| app.ctx.name_of(l))
                .unwrap_or("—");
            let again = a.previous_id.map(|p| format!("← #{p}")).unwrap_or_default();
            TableRow {
                cells: vec![
                    vec![Span::styled(mark(here, false), theme.marked)],
                    vec![Span::raw(format!("#{}", a.id))],
                    vec![Span::raw(a.kind.short(zh))],
                    vec![Span::raw(a.state.label(zh))],
                    vec![Span::raw(when)],
                    vec![Span::raw(safe(who))],
                    vec![Span::styled(again, theme.dim)],
                ],
                style: if here { theme.selected } else { theme.base },
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColItem),
        app.t(L::ColKind),
        app.t(L::State),
        app.t(L::ColSubmitted),
        app.t(L::ColHandler),
        "",
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Length(8),
        Constraint::Length(if zh { 4 } else { 6 }),
        Constraint::Fill(1),
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Length(9),
    ];
    f.render_widget(fitted_table(header, &widths, rows, list, theme.title), list);
    height
}
