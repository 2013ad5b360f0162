//! The detail pane: one application in tabs, a file per tab.

mod checks;
mod history;
mod materials;
mod overview;
mod qualify;
mod users;

use super::{Theme, safe};
use crate::app::{App, Focus, Tab};
use crate::domain::validate;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};

/// A labelled value; a value wider than the pane continues under itself,
/// not under the label.
pub(super) fn kv<'a>(
    app: &App,
    theme: &Theme,
    label: L,
    value: &str,
    w: usize,
    pane: usize,
) -> Vec<Line<'a>> {
    labelled(theme, app.t(label), value, w, pane)
}

/// As `kv`, for a label of the applicant's (shown inert).
pub(super) fn labelled<'a>(
    theme: &Theme,
    label: &str,
    value: &str,
    w: usize,
    pane: usize,
) -> Vec<Line<'a>> {
    let room = pane.saturating_sub(w + 1).max(8);
    crate::fmt::wrap_words(value, room)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let head = if i == 0 {
                fit(&safe(label), w)
            } else {
                " ".repeat(w)
            };
            Line::from(vec![
                Span::styled(head, theme.dim),
                Span::raw(" "),
                Span::raw(piece),
            ])
        })
        .collect()
}

/// A code with its mark. The two are joined by a no-break space: a line
/// wrapped there would leave the mark alone on the next line.
pub(super) fn code_mark(code: &str, app: &App) -> String {
    match validate::uscc(code) {
        Ok(()) => format!("{}\u{a0}✓", safe(code)),
        Err(e) => format!(
            "{}\u{a0}✗ {}",
            safe(code),
            safe(&app.ctx.lang.half(&e.to_string()))
        ),
    }
}

/// Who holds the application shown, and how long for.
fn holder_note(app: &App) -> String {
    let Some(r) = app.queue.window.selected() else {
        return String::new();
    };
    // A row decided elsewhere shows what happened, not a claim it had.
    if app.queue.detail.as_ref().is_none_or(|d| d.id != r.id)
        || app.queue.handled_elsewhere.contains(&r.id)
    {
        return String::new();
    }
    let ctx = &app.ctx;
    if let Some((who, left)) = crate::app::claims::other_holder(ctx, r) {
        let who = super::safe(ctx.name_of(who));
        return format!(" {} ·", L::HeldBy.fill(ctx.lang, &[&who, &left]));
    }
    match crate::app::claims::own_claim(ctx, r) {
        Some(left) => format!(" {} ·", L::HeldMine.fill(ctx.lang, &[&left])),
        None => String::new(),
    }
}

/// Draws the pane; returns how far its body can scroll (its last line at
/// the pane's foot).
pub fn draw(f: &mut Frame, app: &App, theme: &Theme, area: Rect) -> u16 {
    let zh = app.ctx.zh();
    let title = match &app.queue.detail {
        Some(d) => format!(
            "{}#{}{} {} · {} · {} {}",
            // Opened by number, not the row under the cursor: said first.
            match app.queue.pinned {
                Some(p) if p == d.id => format!("{} · ", app.t(L::Pinned)),
                _ => String::new(),
            },
            d.id,
            // Who holds it, before what a narrow pane may cut.
            holder_note(app),
            d.kind.label(zh),
            d.state.label(zh),
            app.t(L::Version),
            d.version
        ),
        None => app.t(L::NoSelection).to_string(),
    };
    // The title is cut with an ellipsis, never by the border.
    let title = crate::fmt::truncate(&title, area.width.saturating_sub(5) as usize);
    let block = super::pane(theme, app.queue.focus == Focus::Detail, title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let titles: Vec<String> = Tab::ALL
        .iter()
        .map(|t| app.t(t.label()).to_string())
        .collect();
    let idx = Tab::ALL
        .iter()
        .position(|t| *t == app.queue.tab)
        .unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(idx)
            .highlight_style(theme.selected)
            .divider("│")
            .padding(" ", " "),
        tabs,
    );
    let Some(d) = &app.queue.detail else {
        let msg = if app.queue.window.selected().is_some() {
            app.t(L::Loading)
        } else {
            app.t(L::NoSelection)
        };
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), body);
        return 0;
    };
    let lines = match app.queue.tab {
        Tab::Overview => overview::lines(app, d, theme, body.width as usize),
        Tab::Qualify => qualify::lines(app, d, theme, body.width as usize),
        Tab::Users => users::lines(app, d, theme),
        Tab::Materials => materials::lines(app, d, theme),
        Tab::Checks => checks::lines(app, d, theme),
        Tab::History => history::lines(app, d, theme),
    };
    let wrap = matches!(
        app.queue.tab,
        Tab::Checks | Tab::Materials | Tab::History | Tab::Overview
    );
    let mut p = Paragraph::new(lines);
    if wrap {
        p = p.wrap(Wrap { trim: false });
    }
    // Scrolled no further than the last line at the pane's foot: the pane
    // is never scrolled empty.
    let last = (p.line_count(body.width) as u16).saturating_sub(body.height);
    f.render_widget(p.scroll((app.queue.detail_scroll.min(last), 0)), body);
    last
}
