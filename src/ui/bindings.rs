//! The bindings screen: a direct-connect unit's bound user units.

use super::table::{TableRow, fitted_table};
use super::{Theme, mark, safe};
use crate::app::App;
use crate::app::BindingsScreen;
use crate::app::list::centred;
use crate::i18n::Msg as L;
use crate::store::Binding;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};

fn row(app: &App, theme: &Theme, b: &BindingsScreen, r: &Binding, here: bool) -> TableRow {
    let relation = crate::fmt::known_or(r.relation.map(|x| x.label(app.ctx.zh())), "");
    let since = crate::fmt::beijing(r.since).format("%Y-%m-%d").to_string();
    TableRow {
        cells: vec![
            vec![Span::styled(
                mark(here, b.selected.contains(r.id)),
                theme.marked,
            )],
            vec![Span::raw(r.id.to_string())],
            vec![Span::raw(safe(&r.user_uscc))],
            vec![Span::raw(safe(&r.user_name))],
            vec![Span::raw(relation)],
            vec![Span::raw(since)],
            vec![Span::raw(format!("#{}", r.invitation_id))],
        ],
        style: if here { theme.selected } else { theme.base },
    }
}

/// Draws the bindings; returns the rows in view.
pub fn draw(f: &mut Frame, app: &App, b: &BindingsScreen, theme: &Theme, area: Rect) -> u16 {
    let zh = app.ctx.zh();
    let vis = b.visible();
    let title = format!(
        " {} · {} · {} {} · {} {} {}",
        app.t(L::Bindings),
        safe(&b.unit_name),
        vis.len(),
        app.t(L::Rows),
        app.t(L::Selected),
        b.selected.len(),
        if b.filter.is_empty() {
            String::new()
        } else {
            format!("· /{}", safe(&b.filter))
        }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = inner.height.saturating_sub(1);
    if b.loading {
        f.render_widget(
            Paragraph::new(Span::styled(app.t(L::Loading), theme.dim)),
            inner,
        );
        return height;
    }
    if vis.is_empty() {
        let msg = app.t(L::NoBindings);
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), inner);
        return height;
    }
    let (top, end) = centred(vis.len(), b.cursor, height as usize);
    let rows: Vec<TableRow> = vis[top..end]
        .iter()
        .enumerate()
        .map(|(i, &ri)| row(app, theme, b, &b.rows[ri], top + i == b.cursor))
        .collect();
    let header = vec![
        "",
        app.t(L::ColId),
        app.t(L::ColUscc),
        app.t(L::ColName),
        app.t(L::Relation),
        app.t(L::ColSince),
        app.t(L::ColInvitation),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Length(7),
        Constraint::Length(18),
        // The name takes whatever room is left.
        Constraint::Fill(1),
        Constraint::Length(if zh || inner.width < 100 { 12 } else { 20 }),
        Constraint::Length(10),
        Constraint::Length(8),
    ];
    f.render_widget(
        fitted_table(header, &widths, rows, inner, theme.title),
        inner,
    );
    height
}
