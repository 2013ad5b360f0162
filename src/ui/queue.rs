//! The queue screen: navigator, table (a window of rows), detail.

use super::{Theme, detail, safe};
use crate::app::{App, Focus};
use crate::domain::Kind;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let nav_w = if area.width >= 110 { 22 } else { 17 };
    let [nav, right] =
        Layout::horizontal([Constraint::Length(nav_w), Constraint::Min(40)]).areas(area);
    let table_h = (right.height / 2).max(7);
    let [table, det] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(6)]).areas(right);
    navigator(f, app, theme, nav);
    rows(f, app, theme, table);
    detail::draw(f, app, theme, det);
}

fn border(app: &App, theme: &Theme, focus: Focus) -> ratatui::style::Style {
    if app.focus == focus {
        theme.border_focus
    } else {
        theme.border
    }
}

fn navigator(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(app, theme, Focus::Nav))
        .title(Span::styled(app.t(L::Queues), theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let zh = app.lang.zh();
    let mut lines = Vec::new();
    let mut last_stage = None;
    for (i, n) in app.nodes.iter().enumerate() {
        if last_stage != Some(n.stage) {
            lines.push(Line::from(Span::styled(n.stage.label(zh), theme.title)));
            last_stage = Some(n.stage);
        }
        let name = match n.kind {
            Some(k) => k.label(zh),
            None => app.t(L::All),
        };
        let count = n.count.map(|c| c.to_string()).unwrap_or_else(|| "…".into());
        let mark = if i == app.nav { "▶" } else { " " };
        let label = format!(
            "{mark}{}",
            if n.kind.is_some() {
                format!(" {name}")
            } else {
                name.to_string()
            }
        );
        let cw = crate::fmt::width(&count);
        let text = format!("{}{count}", fit(&label, w.saturating_sub(cw)));
        let style = if i == app.nav {
            theme.selected
        } else {
            theme.base
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn rows(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let zh = app.lang.zh();
    let w = &app.window;
    let node = app.node();
    let title = match node {
        Some(n) => format!(
            "{} · {} {}{} · {}",
            n.stage.label(zh),
            n.kind.map(|k| k.label(zh)).unwrap_or(app.t(L::All)),
            w.total
                .map(|t| format!("{}/{t}", if w.rows.is_empty() { 0 } else { w.cursor + 1 }))
                .unwrap_or_default(),
            if app.filter.is_empty() {
                String::new()
            } else {
                format!(" · /{}", safe(&app.filter))
            },
            app.sort.label(zh),
        ),
        None => String::new(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(app, theme, Focus::Table))
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if w.rows.is_empty() {
        let msg = if w.loading {
            app.t(L::Loading)
        } else {
            app.t(L::Empty)
        };
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), inner);
        return;
    }
    let wide = inner.width >= 90;
    let exit = node.is_some_and(|n| n.kinds == [Kind::Exit]);
    // Only the rows in view go to the table: its cost grows with what it is given.
    let height = inner.height.saturating_sub(1) as i64;
    let mut top = w
        .view_top
        .get()
        .clamp(w.offset, (w.offset + w.rows.len() as i64 - 1).max(w.offset));
    if w.cursor < top {
        top = w.cursor;
    } else if w.cursor >= top + height {
        top = w.cursor - height + 1;
    }
    w.view_top.set(top);
    w.view_height.set(height.max(1));
    let now = app.now();
    let start = (top - w.offset).max(0) as usize;
    let end = (start + height.max(0) as usize).min(w.rows.len());
    let mut out = Vec::with_capacity(end - start);
    for (i, r) in w.rows[start..end].iter().enumerate() {
        let abs = w.offset + (start + i) as i64;
        let chosen = app.selection.items.contains_key(&r.id);
        let mark = match (abs == w.cursor, chosen) {
            (true, true) => "▶✓",
            (true, false) => "▶ ",
            (false, true) => " ✓",
            _ => "  ",
        };
        let days = r.age_days(now);
        let overdue = app.is_overdue(r, now);
        let days_cell = Span::styled(
            format!("{days}{}", if overdue { "!" } else { "" }),
            if overdue { theme.warn } else { theme.base },
        );
        let checks = if app.handled_elsewhere.contains(&r.id) {
            Span::styled(if zh { "已被处理" } else { "handled" }, theme.dim)
        } else if r.failed_checks > 0 {
            Span::styled(
                format!("{}✓ {}✗", r.passed_checks, r.failed_checks),
                theme.bad,
            )
        } else {
            Span::styled(format!("{}✓", r.passed_checks), theme.ok)
        };
        let mut cells = vec![
            Span::styled(mark, theme.marked),
            Span::raw(r.kind.label(zh)),
            Span::raw(safe(&r.name)),
            Span::raw(safe(&r.uscc)),
            days_cell,
            checks,
        ];
        if exit {
            let b = r.bound_user_units;
            cells.push(if b > 0 {
                Span::styled(format!("{b}✗"), theme.bad)
            } else {
                Span::styled("0✓", theme.ok)
            });
        }
        if wide {
            cells.push(Span::raw(
                crate::fmt::beijing(r.submitted_at)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ));
            cells.push(Span::raw(safe(r.last_officer.as_deref().unwrap_or("—"))));
        }
        let style = if abs == w.cursor {
            theme.selected
        } else {
            theme.base
        };
        out.push(Row::new(cells).style(style));
    }
    let mut header = vec![
        "",
        app.t(L::ColKind),
        app.t(L::ColName),
        app.t(L::ColUscc),
        app.t(L::ColAge),
        app.t(L::ColChecks),
    ];
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(4),
        Constraint::Min(12),
        Constraint::Length(18),
        Constraint::Length(4),
        Constraint::Length(7),
    ];
    if exit {
        header.push(app.t(L::ColBound));
        widths.push(Constraint::Length(6));
    }
    if wide {
        header.extend([app.t(L::ColSubmitted), app.t(L::ColHandler)]);
        widths.extend([Constraint::Length(16), Constraint::Length(14)]);
    }
    let table = Table::new(out, widths)
        .header(Row::new(header).style(theme.title))
        .column_spacing(1);
    f.render_widget(table, inner);
}
