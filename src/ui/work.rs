//! The officer's work: their batches, and today's decisions.

use super::table::{TableRow, fitted_table};
use super::{Theme, mark, safe};
use crate::app::list::centred;
use crate::app::{App, WorkScreen, WorkTab};
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the list of the tab shown; returns its rows in view.
pub fn draw(f: &mut Frame, app: &App, w: &WorkScreen, theme: &Theme, area: Rect) -> u16 {
    let tabs = [
        (WorkTab::Batches, L::TabBatches),
        (WorkTab::Today, L::TabToday),
    ]
    .iter()
    .map(|(t, l)| {
        if *t == w.tab {
            format!("[{}]", app.t(*l))
        } else {
            app.t(*l).to_string()
        }
    })
    .collect::<Vec<_>>()
    .join(" ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} · {tabs} ", app.t(L::WorkTitle)),
            theme.title,
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = inner.height.saturating_sub(1);
    let (empty, n) = match w.tab {
        WorkTab::Batches => (L::NoBatchesYet, w.batches.len()),
        WorkTab::Today => (L::NothingToday, w.today.len()),
    };
    if n == 0 {
        let msg = app.t(if w.loading { L::Loading } else { empty });
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), inner);
        return height;
    }
    let (top, end) = centred(n, w.cursor, height as usize);
    let table = match w.tab {
        WorkTab::Batches => batches(app, w, theme, top, end, inner),
        WorkTab::Today => today(app, w, theme, top, end, inner),
    };
    f.render_widget(table, inner);
    height
}

fn batches(
    app: &App,
    w: &WorkScreen,
    theme: &Theme,
    top: usize,
    end: usize,
    area: Rect,
) -> ratatui::widgets::Table<'static> {
    let rows = w.batches[top..end]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let here = top + i == w.cursor;
            let at = crate::fmt::beijing(b.created_at)
                .format("%m-%d %H:%M")
                .to_string();
            TableRow {
                cells: vec![
                    vec![Span::styled(mark(here, false), theme.marked)],
                    vec![Span::raw(safe(&b.id))],
                    vec![Span::raw(b.op.code())],
                    vec![Span::raw(at)],
                    vec![Span::raw(format!("{}/{}/{}", b.done, b.failed, b.pending))],
                ],
                style: if here { theme.selected } else { theme.base },
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColBatch),
        app.t(L::Action),
        app.t(L::ColTime),
        app.t(L::ColCounts),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(11),
        Constraint::Length(14),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}

fn today(
    app: &App,
    w: &WorkScreen,
    theme: &Theme,
    top: usize,
    end: usize,
    area: Rect,
) -> ratatui::widgets::Table<'static> {
    let zh = app.ctx.zh();
    let rows = w.today[top..end]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let here = top + i == w.cursor;
            let at = crate::fmt::beijing(d.at).format("%H:%M").to_string();
            TableRow {
                cells: vec![
                    vec![Span::styled(mark(here, false), theme.marked)],
                    vec![Span::raw(at)],
                    vec![Span::raw(format!("#{}", d.id))],
                    vec![Span::raw(d.kind.short(zh))],
                    vec![Span::raw(d.action.label(zh))],
                    vec![Span::raw(safe(&d.unit_name))],
                ],
                style: if here { theme.selected } else { theme.base },
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColTime),
        app.t(L::ColItem),
        app.t(L::ColKind),
        app.t(L::Action),
        app.t(L::ColName),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(if zh { 4 } else { 6 }),
        Constraint::Length(if zh { 10 } else { 14 }),
        Constraint::Fill(1),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}
