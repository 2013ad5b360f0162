//! The supervision screen: the tab's list, and under it what the row under
//! the cursor says in full (a measure's reason, a warning's finding and
//! feedback). Also the lines the unit view and an application's overview
//! show of a unit's measures and warnings.

use super::table::{TableRow, fitted_table};
use super::{Theme, mark, safe};
use crate::app::list::centred;
use crate::app::{App, SuperviseScreen, SuperviseTab};
use crate::domain::supervision::day;
use crate::i18n::Msg as L;
use crate::store::{Measure, Warning};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Table};

/// Rows of the pane that says the current row in full.
const ABOUT: u16 = 3;

/// Draws the screen; returns the rows of its list in view.
pub fn draw(f: &mut Frame, app: &App, s: &SuperviseScreen, theme: &Theme, area: Rect) -> u16 {
    let tabs = SuperviseTab::ALL
        .iter()
        .map(|t| {
            let label = app.t(t.label());
            let n = count(s, *t);
            if *t == s.tab {
                format!("[{label} {n}]")
            } else {
                format!("{label} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} · {tabs} ", app.t(L::SuperviseTitle)),
            theme.title,
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [list, about] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(ABOUT)]).areas(inner);
    let height = list.height.saturating_sub(1);
    if s.is_empty() {
        let msg = app.t(if s.loading { L::Loading } else { empty(s.tab) });
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), list);
        return height;
    }
    let (top, end) = centred(s.len(), s.cursor, height as usize);
    let table = match s.tab {
        SuperviseTab::Measures => measures(app, s, theme, (top, end), list),
        SuperviseTab::Warnings => warnings(app, s, theme, (top, end), list),
        SuperviseTab::Serious => serious(app, s, theme, (top, end), list),
        SuperviseTab::Lapsing => lapsing(app, s, theme, (top, end), list),
    };
    f.render_widget(table, list);
    let lines: Vec<Line> = about_lines(app, s, theme)
        .into_iter()
        .map(|l| Line::from(super::table::fit_spans(l.spans, about.width as usize)))
        .collect();
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border);
    f.render_widget(Paragraph::new(lines).block(block), about);
    height
}

fn count(s: &SuperviseScreen, t: SuperviseTab) -> usize {
    match t {
        SuperviseTab::Measures => s.data.measures.len(),
        SuperviseTab::Warnings => s.data.warnings.len(),
        SuperviseTab::Serious => s.data.serious.len(),
        SuperviseTab::Lapsing => s.data.lapsing.len(),
    }
}

fn empty(t: SuperviseTab) -> L {
    match t {
        SuperviseTab::Measures => L::NoMeasures,
        SuperviseTab::Warnings => L::NoWarnings,
        SuperviseTab::Serious => L::NoSerious,
        SuperviseTab::Lapsing => L::NoLapsing,
    }
}

/// A deadline, marked when passed (a word, not only a colour).
fn deadline(app: &App, d: Option<DateTime<Utc>>, theme: &Theme) -> Vec<Span<'static>> {
    match d {
        None => vec![Span::styled("—", theme.dim)],
        Some(d) if d < app.ctx.now() => vec![
            Span::raw(day(d)),
            Span::styled(format!(" {}", app.t(L::Overdue)), theme.bad),
        ],
        Some(d) => vec![Span::raw(day(d))],
    }
}

/// The mark and style of row `i`.
fn row_look(s: &SuperviseScreen, i: usize, theme: &Theme) -> (Span<'static>, Style) {
    let here = i == s.cursor;
    let chosen = s.row(i).is_some_and(|r| s.selected.contains(r.id));
    (
        Span::styled(mark(here, chosen), theme.marked),
        if here { theme.selected } else { theme.base },
    )
}

fn measures(
    app: &App,
    s: &SuperviseScreen,
    theme: &Theme,
    (top, end): (usize, usize),
    area: Rect,
) -> Table<'static> {
    let zh = app.ctx.zh();
    let rows = (top..end)
        .map(|i| {
            let m = &s.data.measures[i];
            let (mark, style) = row_look(s, i, theme);
            TableRow {
                cells: vec![
                    vec![mark],
                    vec![Span::raw(format!("#{}", m.id))],
                    vec![Span::raw(safe(&m.unit_name))],
                    vec![Span::raw(m.kind.label(zh))],
                    deadline(app, m.deadline, theme),
                ],
                style,
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColItem),
        app.t(L::ColName),
        app.t(L::MeasureLabel),
        app.t(L::ColDeadline),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Length(6),
        Constraint::Fill(1),
        Constraint::Length(if zh { 16 } else { 22 }),
        Constraint::Length(if zh { 15 } else { 18 }),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}

fn warnings(
    app: &App,
    s: &SuperviseScreen,
    theme: &Theme,
    (top, end): (usize, usize),
    area: Rect,
) -> Table<'static> {
    let zh = app.ctx.zh();
    let now = app.ctx.now();
    let rows = (top..end)
        .map(|i| {
            let w = &s.data.warnings[i];
            let (mark, style) = row_look(s, i, theme);
            let age = (now - w.raised_at).num_days().max(0);
            TableRow {
                cells: vec![
                    vec![mark],
                    vec![Span::raw(format!("#{}", w.id))],
                    vec![Span::raw(safe(&w.unit_name))],
                    vec![Span::raw(w.state.label(zh))],
                    vec![Span::raw(L::Days.fill(app.ctx.lang, &[&age]))],
                    deadline(app, Some(w.deadline), theme),
                ],
                style,
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColItem),
        app.t(L::ColName),
        app.t(L::State),
        app.t(L::ColAge),
        app.t(L::ColDeadline),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Length(6),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(if zh { 15 } else { 18 }),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}

fn serious(
    app: &App,
    s: &SuperviseScreen,
    theme: &Theme,
    (top, end): (usize, usize),
    area: Rect,
) -> Table<'static> {
    let rows = (top..end)
        .map(|i| {
            let x = &s.data.serious[i];
            let (mark, style) = row_look(s, i, theme);
            let share = x.flagged as f64 * 100.0 / x.bound.max(1) as f64;
            TableRow {
                cells: vec![
                    vec![mark],
                    vec![Span::raw(safe(&x.name))],
                    vec![Span::raw(safe(&x.uscc))],
                    vec![Span::raw(format!("{}/{}", x.flagged, x.bound))],
                    vec![Span::styled(format!("{share:.1}%"), theme.bad)],
                ],
                style,
            }
        })
        .collect();
    let header = vec![
        "",
        app.t(L::ColName),
        app.t(L::ColCode),
        app.t(L::ColFlagged),
        app.t(L::ColShare),
    ];
    let widths = [
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(18),
        Constraint::Length(9),
        Constraint::Length(6),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}

fn lapsing(
    app: &App,
    s: &SuperviseScreen,
    theme: &Theme,
    (top, end): (usize, usize),
    area: Rect,
) -> Table<'static> {
    let rows = (top..end)
        .map(|i| {
            let l = &s.data.lapsing[i];
            let (mark, style) = row_look(s, i, theme);
            TableRow {
                cells: vec![
                    vec![mark],
                    vec![Span::raw(safe(&l.name))],
                    vec![Span::raw(safe(&l.uscc))],
                    deadline(app, Some(l.until), theme),
                ],
                style,
            }
        })
        .collect();
    let header = vec!["", app.t(L::ColName), app.t(L::ColCode), app.t(L::ColUntil)];
    let widths = [
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(18),
        Constraint::Length(15),
    ];
    fitted_table(header, &widths, rows, area, theme.title)
}

/// The row under the cursor in full, below the list.
fn about_lines(app: &App, s: &SuperviseScreen, theme: &Theme) -> Vec<Line<'static>> {
    let (lang, i) = (app.ctx.lang, s.cursor);
    let who = |login: &str| safe(app.ctx.name_of(login));
    match s.tab {
        SuperviseTab::Measures => s.data.measures.get(i).map_or(vec![], |m| {
            let mut by = L::ImposedBy.fill(lang, &[&who(&m.imposed_by), &day(m.imposed_at)]);
            if let Some(n) = m.limit {
                by.push_str(&format!(" · {}", L::LimitLine.fill(lang, &[&n])));
            }
            if let Some(w) = m.warning_id {
                by.push_str(&format!(" · {} #{w}", app.t(L::ColWarning)));
            }
            vec![
                Line::from(safe(&m.reason)),
                Line::from(Span::styled(by, theme.dim)),
            ]
        }),
        SuperviseTab::Warnings => s.data.warnings.get(i).map_or(vec![], |w| {
            let feedback = match (&w.feedback, w.feedback_at) {
                (Some(t), Some(at)) => L::FeedbackLine.fill(lang, &[&day(at), &safe(t)]),
                _ => app.t(L::NoFeedback).to_string(),
            };
            vec![
                Line::from(safe(&w.finding)),
                Line::from(Span::styled(feedback, theme.dim)),
                Line::from(Span::styled(
                    L::RaisedBy.fill(lang, &[&who(&w.raised_by), &day(w.raised_at)]),
                    theme.dim,
                )),
            ]
        }),
        SuperviseTab::Serious => s.data.serious.get(i).map_or(vec![], |x| {
            vec![Line::from(
                L::SeriousLine.fill(lang, &[&x.bound, &x.flagged]),
            )]
        }),
        SuperviseTab::Lapsing => s.data.lapsing.get(i).map_or(vec![], |l| {
            // Two lines: an 80-column pane holds neither language's whole.
            vec![
                Line::from(L::LapsingLine.fill(lang, &[&day(l.until)])),
                Line::from(Span::styled(app.t(L::LapsingProposal), theme.dim)),
            ]
        }),
    }
}

/// A unit's measures in force and open warnings, a line each (the unit
/// view, an application's overview): what stops its applications.
pub fn unit_lines(
    app: &App,
    measures: &[Measure],
    warnings: &[Warning],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let now = app.ctx.now();
    let mut out = Vec::new();
    for m in measures {
        let mut spans = vec![Span::styled(
            format!(
                "⚠ {} #{} {}",
                app.t(L::MeasureLabel),
                m.id,
                m.kind.label(zh)
            ),
            theme.bad,
        )];
        if let Some(d) = m.deadline {
            let text = L::DeadlineLine.fill(app.ctx.lang, &[&day(d)]);
            spans.push(Span::raw(format!(" · {text}")));
            if d < now {
                spans.push(Span::styled(format!(" {}", app.t(L::Overdue)), theme.bad));
            }
        }
        spans.push(Span::styled(format!(" · {}", safe(&m.reason)), theme.dim));
        out.push(Line::from(spans));
    }
    for w in warnings {
        let mut spans = vec![Span::styled(
            format!("! {} #{} {}", app.t(L::ColWarning), w.id, w.state.label(zh)),
            theme.warn,
        )];
        let text = L::DeadlineLine.fill(app.ctx.lang, &[&day(w.deadline)]);
        spans.push(Span::raw(format!(" · {text}")));
        if w.deadline < now {
            spans.push(Span::styled(format!(" {}", app.t(L::Overdue)), theme.bad));
        }
        spans.push(Span::styled(format!(" · {}", safe(&w.finding)), theme.dim));
        out.push(Line::from(spans));
    }
    out
}
