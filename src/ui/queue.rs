//! The queue screen: navigator, table (a window of rows), detail.

use super::table::{TableRow, fitted_table};
use super::{Theme, detail, safe};
use crate::app::list::keep_in_view;
use crate::app::{App, Focus};
use crate::domain::Kind;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::store::QueueRow;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the screen; returns the table rows and the detail rows in view,
/// and how far the detail can scroll.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme, area: Rect) -> (u16, u16, u16) {
    if app.queue.nodes.is_empty() {
        no_queues(f, app, theme, area);
        return (0, 0, 0);
    }
    let nav_w = if area.width >= 110 { 22 } else { 17 };
    let [nav, right] =
        Layout::horizontal([Constraint::Length(nav_w), Constraint::Min(40)]).areas(area);
    let table_h = (right.height / 2).max(7);
    let [table, det] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(6)]).areas(right);
    navigator(f, app, theme, nav);
    let shown = rows(f, app, theme, table);
    let last = detail::draw(f, app, theme, det);
    // The detail's body: its box and tab bar taken off.
    (shown, det.height.saturating_sub(3), last)
}

/// An officer whose roles reach no queue is told so, and what they can do.
fn no_queues(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let o = &app.ctx.officer;
    let roles: Vec<&str> = o.roles.iter().map(|r| r.label(app.ctx.zh())).collect();
    let mut lines = vec![
        Line::from(Span::styled(app.t(L::NoQueues), theme.title)),
        Line::from(""),
        Line::from(L::NoQueuesWhy.fill(app.ctx.lang, &[&roles.join(app.t(L::ListSep))])),
        Line::from(""),
        Line::from(app.t(L::NoQueuesCan)),
    ];
    let keys: Vec<(String, &str)> = app
        .hints()
        .iter()
        .map(|a| {
            (
                app.ctx.keys(crate::app::Mode::Normal, *a),
                a.describe(app.ctx.lang),
            )
        })
        .filter(|(k, _)| !k.is_empty())
        .collect();
    let kw = keys
        .iter()
        .map(|(k, _)| crate::fmt::width(k))
        .max()
        .unwrap_or(0)
        + 2;
    for (k, what) in keys {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", fit(&k, kw)), theme.key),
            Span::raw(what.to_string()),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        area,
    );
}

fn navigator(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let block = super::pane(
        theme,
        app.queue.focus == Focus::Nav,
        app.t(L::Queues).into(),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let zh = app.ctx.zh();
    let q = &app.queue;
    let mut lines = Vec::new();
    let mut last_stage = None;
    for (i, n) in q.nodes.iter().enumerate() {
        if last_stage != Some(n.stage) {
            lines.push(Line::from(Span::styled(n.stage.short(zh), theme.title)));
            last_stage = Some(n.stage);
        }
        let name = match n.kind {
            Some(k) => k.short(zh),
            None => app.t(L::All),
        };
        let count = n.count.map(|c| c.to_string()).unwrap_or_else(|| "…".into());
        let mark = if i == q.nav { "▶" } else { " " };
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
        let style = if i == q.nav {
            theme.selected
        } else {
            theme.base
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The table's title: the queue, where the cursor is, filter and sort.
fn title(app: &App) -> String {
    let zh = app.ctx.zh();
    let q = &app.queue;
    let w = &q.window;
    let Some(n) = q.node() else {
        return String::new();
    };
    let at = if w.rows.is_empty() { 0 } else { w.cursor + 1 };
    format!(
        "{} · {} {}{}{} · {}",
        n.stage.short(zh),
        n.kind.map(|k| k.short(zh)).unwrap_or(app.t(L::All)),
        w.total.map(|t| format!("{at}/{t}")).unwrap_or_default(),
        if q.overdue {
            format!(" · {}", app.t(L::Overdue))
        } else {
            String::new()
        },
        if q.filter.is_empty() {
            String::new()
        } else {
            format!(" · /{}", safe(&q.filter))
        },
        q.sort.label(zh),
    )
}

/// Which columns a table shows: the bound count in an exit queue, time
/// and last handler when wide.
#[derive(Clone, Copy)]
struct Columns {
    exit: bool,
    wide: bool,
}

fn header(app: &App, c: Columns) -> (Vec<&'static str>, Vec<Constraint>) {
    let mut header = vec![
        "",
        app.t(L::ColKind),
        app.t(L::ColName),
        app.t(L::ColUscc),
        app.t(L::ColAge),
        app.t(L::ColChecks),
    ];
    let kind_w = if app.ctx.zh() { 4 } else { 6 };
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(kind_w),
        // The name takes whatever room is left.
        Constraint::Fill(1),
        Constraint::Length(18),
        Constraint::Length(4),
        Constraint::Length(7),
    ];
    if c.exit {
        header.push(app.t(L::ColBound));
        widths.push(Constraint::Length(6));
    }
    if c.wide {
        header.extend([app.t(L::ColSubmitted), app.t(L::ColHandler)]);
        widths.extend([Constraint::Length(16), Constraint::Length(14)]);
    }
    (header, widths)
}

/// The name cell: what the row needs the officer to know first, then the
/// name (cut, if need be, at its end).
fn name_cell(app: &App, theme: &Theme, r: &QueueRow) -> Vec<Span<'static>> {
    let q = &app.queue;
    if let Some(note) = q.handled_note(&app.ctx, r.id) {
        // Decided elsewhere while the officer was on it: who, what, when.
        return vec![Span::styled(format!("⊘ {note}"), theme.warn)];
    }
    let mut spans = Vec::new();
    // Who works on it, first: another officer's claim stops a decision.
    // (The time left is in the detail: the name needs the room here.)
    if let Some((who, _)) = crate::app::claims::other_holder(&app.ctx, r) {
        let m = L::MarkHeld.fill(app.ctx.lang, &[&safe(app.ctx.name_of(who))]);
        spans.push(Span::styled(m, theme.warn));
    } else if crate::app::claims::own_claim(&app.ctx, r).is_some() {
        spans.push(Span::styled(app.t(L::MarkMine), theme.ok));
    }
    if r.obsolete.is_some() {
        spans.push(Span::styled(app.t(L::MarkObsolete), theme.bad));
    }
    if r.siblings > 0 {
        let m = L::MarkSiblings.fill(app.ctx.lang, &[&r.siblings]);
        spans.push(Span::styled(m, theme.warn));
    }
    if q.blocked_by_duties(&app.ctx, r) {
        spans.push(Span::styled(app.t(L::MarkDuties), theme.dim));
    }
    spans.push(Span::raw(safe(&r.name)));
    spans
}

/// One row's cells.
fn cells(
    app: &App,
    theme: &Theme,
    r: &QueueRow,
    here: bool,
    c: Columns,
) -> Vec<Vec<Span<'static>>> {
    let q = &app.queue;
    let now = app.ctx.now();
    let mark = super::mark(here, q.selection.contains(r.id));
    let overdue = q.is_overdue(&app.ctx, r, now);
    let days = Span::styled(
        format!("{}{}", r.age_days(now), if overdue { "!" } else { "" }),
        if overdue { theme.warn } else { theme.base },
    );
    let checks = if q.handled_elsewhere.contains(&r.id) {
        Span::styled("—", theme.dim)
    } else if r.failed_checks > 0 {
        let text = format!("{}✓ {}✗", r.passed_checks, r.failed_checks);
        Span::styled(text, theme.bad)
    } else {
        Span::styled(format!("{}✓", r.passed_checks), theme.ok)
    };
    let mut cells = vec![
        vec![Span::styled(mark, theme.marked)],
        vec![Span::raw(r.kind.short(app.ctx.zh()))],
        name_cell(app, theme, r),
        vec![Span::raw(safe(&r.uscc))],
        vec![days],
        vec![checks],
    ];
    if c.exit {
        let b = r.bound_user_units;
        cells.push(vec![if b > 0 {
            Span::styled(format!("{b}✗"), theme.bad)
        } else {
            Span::styled("0✓", theme.ok)
        }]);
    }
    if c.wide {
        let at = crate::fmt::beijing(r.submitted_at).format("%Y-%m-%d %H:%M");
        cells.push(vec![Span::raw(at.to_string())]);
        let who = r
            .last_officer
            .as_deref()
            .map(|l| app.ctx.name_of(l))
            .unwrap_or("—");
        cells.push(vec![Span::raw(safe(who))]);
    }
    cells
}

/// The table of the rows in view; returns how many rows it has room for.
fn rows(f: &mut Frame, app: &App, theme: &Theme, area: Rect) -> u16 {
    let w = &app.queue.window;
    let block = super::pane(theme, app.queue.focus == Focus::Table, title(app));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = inner.height.saturating_sub(1);
    if w.rows.is_empty() {
        let msg = app.t(if w.loading { L::Loading } else { L::Empty });
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), inner);
        return height;
    }
    let cols = Columns {
        exit: app.queue.node().is_some_and(|n| n.kinds == [Kind::Exit]),
        wide: inner.width >= 90,
    };
    // Only the rows in view go to the table: its cost grows with what it is given.
    let top = keep_in_view(
        w.view_top,
        w.cursor,
        i64::from(height),
        w.offset,
        w.last_index(),
    );
    let start = (top - w.offset).max(0) as usize;
    let end = (start + height as usize).min(w.rows.len());
    let out: Vec<TableRow> = w.rows[start..end]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let here = w.offset + (start + i) as i64 == w.cursor;
            TableRow {
                cells: cells(app, theme, r, here, cols),
                style: if here { theme.selected } else { theme.base },
            }
        })
        .collect();
    let (header, widths) = header(app, cols);
    f.render_widget(
        fitted_table(header, &widths, out, inner, theme.title),
        inner,
    );
    height
}
