//! The bindings view and the batch results view.

use super::{Theme, safe};
use crate::app::{App, BindingsView, ResultsView};
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Row, Table};

/// The slice of `n` rows to show so that `cursor` is in view.
fn view(n: usize, cursor: usize, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let top = cursor
        .saturating_sub(height / 2)
        .min(n.saturating_sub(height));
    (top, (top + height).min(n))
}

pub fn bindings(f: &mut Frame, app: &App, b: &BindingsView, theme: &Theme, area: Rect) {
    let zh = app.lang.zh();
    let vis = b.visible();
    let title = format!(
        " {} · {} · {} {} · {} {} {}",
        app.t(L::Bindings),
        safe(&b.unit_name),
        vis.len(),
        if zh { "个" } else { "rows" },
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
    if b.loading {
        f.render_widget(
            Paragraph::new(Span::styled(app.t(L::Loading), theme.dim)),
            inner,
        );
        return;
    }
    if vis.is_empty() {
        let msg = if zh {
            "没有有效的绑定关系"
        } else {
            "No active bindings"
        };
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), inner);
        return;
    }
    let (top, end) = view(vis.len(), b.cursor, inner.height.saturating_sub(1) as usize);
    let rows: Vec<Row> = vis[top..end]
        .iter()
        .enumerate()
        .map(|(i, &ri)| {
            let r = &b.rows[ri];
            let here = top + i == b.cursor;
            let chosen = b.selected.contains(&r.id);
            let mark = match (here, chosen) {
                (true, true) => "▶✓",
                (true, false) => "▶ ",
                (false, true) => " ✓",
                _ => "  ",
            };
            Row::new(vec![
                Span::styled(mark, theme.marked),
                Span::raw(r.id.to_string()),
                Span::raw(safe(&r.user_uscc)),
                Span::raw(safe(&r.user_name)),
                Span::raw(r.relation.label(zh)),
                Span::raw(crate::fmt::beijing(r.since).format("%Y-%m-%d").to_string()),
                Span::raw(format!("#{}", r.invitation_id)),
            ])
            .style(if here { theme.selected } else { theme.base })
        })
        .collect();
    let header = Row::new(vec![
        "",
        if zh { "编号" } else { "Id" },
        app.t(L::ColUscc),
        app.t(L::ColName),
        app.t(L::Relation),
        if zh { "绑定日期" } else { "Since" },
        if zh { "邀请" } else { "Inv." },
    ])
    .style(theme.title);
    let widths = [
        Constraint::Length(2),
        Constraint::Length(7),
        Constraint::Length(18),
        Constraint::Min(12),
        Constraint::Length(if zh || inner.width < 100 { 12 } else { 20 }),
        Constraint::Length(10),
        Constraint::Length(8),
    ];
    f.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

pub fn results(f: &mut Frame, app: &App, r: &ResultsView, theme: &Theme, area: Rect) {
    let zh = app.lang.zh();
    let (done, total) = r.progress;
    let summary = match &r.info {
        Some(i) => format!(
            " {} · {} · {} {} · {} {} · {} {}",
            app.t(L::Results),
            safe(&i.id),
            app.t(L::Succeeded),
            i.done,
            app.t(L::Failed),
            i.failed,
            app.t(L::Pending),
            i.pending
        ),
        None => format!(" {} ", app.t(L::Results)),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(summary, theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [gauge, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let ratio = if total > 0 {
        done as f64 / total as f64
    } else {
        0.0
    };
    let label = format!(
        "{} {done}/{total}{}{}",
        app.t(L::Progress),
        match (r.failures_only, zh) {
            (true, true) => " · 仅显示失败项",
            (true, false) => " · failures only",
            _ => "",
        },
        if r.running {
            if zh {
                " · 处理中（Esc 取消）"
            } else {
                " · running (Esc cancels)"
            }
        } else {
            ""
        }
    );
    f.render_widget(
        Gauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label)
            .gauge_style(theme.ok),
        gauge,
    );
    let vis = r.visible();
    let (top, end) = view(vis.len(), r.cursor, list.height.saturating_sub(1) as usize);
    let rows: Vec<Row> = vis[top..end]
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let here = top + i == r.cursor;
            let (word, style) = if it.ok() {
                (app.t(L::Succeeded), theme.ok)
            } else if it.outcome == "pending" {
                (app.t(L::Pending), theme.dim)
            } else {
                (app.t(L::Failed), theme.bad)
            };
            let mark = if it.ok() {
                "✓"
            } else if it.outcome == "pending" {
                "·"
            } else {
                "✗"
            };
            Row::new(vec![
                Span::raw(if here { "▶" } else { " " }),
                Span::raw(format!("#{}", it.item_id)),
                Span::styled(format!("{mark} {word}"), style),
                Span::raw(safe(it.message.as_deref().unwrap_or(""))),
            ])
            .style(if here { theme.selected } else { theme.base })
        })
        .collect();
    let header = Row::new(vec![
        "",
        if zh { "编号" } else { "Item" },
        if zh { "结果" } else { "Result" },
        if zh { "说明" } else { "Detail" },
    ])
    .style(theme.title);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Min(20),
    ];
    f.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        list,
    );
}
