//! The results screen: a batch's progress, then every item's result.

use super::table::{TableRow, fitted_table};
use super::{Theme, safe};
use crate::app::list::centred;
use crate::app::{App, ResultsScreen};
use crate::domain::{FailureKind, ItemOutcome};
use crate::i18n::Msg as L;
use crate::store::{BatchItem, Target};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

/// The title: the batch and its counts (skipped only when some were),
/// cut with an ellipsis to the width it has.
fn summary(app: &App, r: &ResultsScreen, width: u16) -> String {
    let text = match &r.info {
        Some(i) => {
            let skipped = if i.skipped > 0 {
                format!(" · {} {}", app.t(L::SkippedHeldCount), i.skipped)
            } else {
                String::new()
            };
            format!(
                " {} · {} · {} {} · {} {}{skipped} · {} {} ",
                app.t(L::Results),
                safe(&i.id),
                app.t(L::Succeeded),
                i.done,
                app.t(L::Failed),
                i.failed,
                app.t(L::Pending),
                i.pending
            )
        }
        None => format!(" {} ", app.t(L::Results)),
    };
    crate::fmt::truncate(&text, width.saturating_sub(2) as usize)
}

fn gauge(app: &App, r: &ResultsScreen, theme: &Theme) -> Gauge<'static> {
    let (done, total) = r.progress;
    let ratio = if total > 0 {
        done as f64 / total as f64
    } else {
        0.0
    };
    let label = format!(
        "{} {done}/{total}{}{}",
        app.t(L::Progress),
        if r.failures_only {
            app.t(L::FailuresOnlyShown)
        } else {
            ""
        },
        if r.running {
            app.t(L::RunningEscCancels)
        } else {
            ""
        }
    );
    Gauge::default()
        .ratio(ratio.clamp(0.0, 1.0))
        .label(label)
        .gauge_style(theme.ok)
}

fn row(app: &App, theme: &Theme, it: &BatchItem, here: bool, target: Target) -> TableRow {
    let zh = app.ctx.zh();
    let (word, style, mark) = match it.outcome {
        ItemOutcome::Done => (app.t(L::Succeeded), theme.ok, "✓"),
        ItemOutcome::Pending => (app.t(L::Pending), theme.dim, "·"),
        ItemOutcome::Failed(k @ FailureKind::Duplicate) => (k.label(zh), theme.dim, "–"),
        ItemOutcome::Failed(k @ FailureKind::Held) => (k.label(zh), theme.warn, "–"),
        ItemOutcome::Failed(_) => (app.t(L::Failed), theme.bad, "✗"),
    };
    let kind = match (it.kind, target) {
        (Some(k), _) => k.short(zh),
        (None, Target::Unit) => app.t(L::KindUnit),
        (None, Target::Measure) => app.t(L::KindMeasure),
        (None, _) => app.t(L::KindUnbind),
    };
    let step = match (it.from, it.to) {
        (Some(f), Some(t)) => format!("{}→{}", f.label(zh), t.label(zh)),
        _ => String::new(),
    };
    TableRow {
        cells: vec![
            vec![Span::raw(if here { "▶" } else { " " })],
            vec![Span::raw(format!("#{}", it.item_id))],
            vec![Span::raw(kind)],
            vec![Span::raw(safe(it.unit.as_deref().unwrap_or("")))],
            vec![Span::raw(step)],
            vec![Span::styled(format!("{mark} {word}"), style)],
        ],
        style: if here { theme.selected } else { theme.base },
    }
}

/// Draws a batch's progress and results, and the selected item's detail;
/// returns the rows in view.
pub fn draw(f: &mut Frame, app: &App, r: &ResultsScreen, theme: &Theme, area: Rect) -> u16 {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(summary(app, r, area.width), theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [bar, list, note] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    f.render_widget(gauge(app, r, theme), bar);
    let vis = r.visible();
    let target = r
        .info
        .as_ref()
        .map_or(Target::Application, |i| i.op.target());
    let height = list.height.saturating_sub(1);
    let (top, end) = centred(vis.len(), r.cursor, height as usize);
    let rows: Vec<TableRow> = vis[top..end]
        .iter()
        .enumerate()
        .map(|(i, it)| row(app, theme, it, top + i == r.cursor, target))
        .collect();
    let header = vec![
        "",
        app.t(L::ColItem),
        app.t(L::ColKind),
        app.t(L::ColName),
        app.t(L::ColStep),
        app.t(L::ColResult),
    ];
    let zh = app.ctx.zh();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(8),
        Constraint::Length(if zh { 4 } else { 6 }),
        Constraint::Fill(1),
        Constraint::Length(if zh { 15 } else { 24 }),
        Constraint::Length(if zh { 14 } else { 18 }),
    ];
    f.render_widget(fitted_table(header, &widths, rows, list, theme.title), list);
    // The selected item's message in full, wrapped: never cut.
    if let Some(it) = vis.get(r.cursor).filter(|i| i.message.is_some()) {
        let message = it.message.as_deref().unwrap_or("");
        // A step done is named in the officer's language, whichever way
        // it was stored (its code, or its Chinese name).
        let text = match (it.outcome, crate::domain::Action::parse(message)) {
            (ItemOutcome::Done, Some(a)) => a.label(app.ctx.zh()).to_string(),
            _ => app.ctx.lang.half(message),
        };
        f.render_widget(
            Paragraph::new(Span::styled(safe(&text), theme.dim)).wrap(Wrap { trim: false }),
            note,
        );
    }
    height
}
