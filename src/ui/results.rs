//! The results screen: a batch's progress, then every item's result.

use super::{Theme, safe};
use crate::app::list::centred;
use crate::app::{App, ResultsScreen};
use crate::domain::{FailureKind, ItemOutcome};
use crate::i18n::Msg as L;
use crate::store::BatchItem;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Gauge, Row, Table};

fn summary(app: &App, r: &ResultsScreen) -> String {
    match &r.info {
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
    }
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

fn row<'a>(app: &App, theme: &Theme, it: &BatchItem, here: bool) -> Row<'a> {
    let (word, style, mark) = match it.outcome {
        ItemOutcome::Done => (app.t(L::Succeeded), theme.ok, "✓"),
        ItemOutcome::Pending => (app.t(L::Pending), theme.dim, "·"),
        ItemOutcome::Failed(FailureKind::Duplicate) => (app.t(L::SkippedRepeat), theme.dim, "–"),
        ItemOutcome::Failed(_) => (app.t(L::Failed), theme.bad, "✗"),
    };
    Row::new(vec![
        Span::raw(if here { "▶" } else { " " }),
        Span::raw(format!("#{}", it.item_id)),
        Span::styled(format!("{mark} {word}"), style),
        Span::raw(safe(it.message.as_deref().unwrap_or(""))),
    ])
    .style(if here { theme.selected } else { theme.base })
}

/// Draws a batch's progress and results; returns the rows in view.
pub fn draw(f: &mut Frame, app: &App, r: &ResultsScreen, theme: &Theme, area: Rect) -> u16 {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(summary(app, r), theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [bar, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    f.render_widget(gauge(app, r, theme), bar);
    let vis = r.visible();
    let height = list.height.saturating_sub(1);
    let (top, end) = centred(vis.len(), r.cursor, height as usize);
    let rows: Vec<Row> = vis[top..end]
        .iter()
        .enumerate()
        .map(|(i, it)| row(app, theme, it, top + i == r.cursor))
        .collect();
    let header = Row::new(vec![
        "",
        app.t(L::ColItem),
        app.t(L::ColResult),
        app.t(L::ColDetail),
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
    height
}
