//! Drawing: pure functions from the app's state to a frame, one file per
//! screen, tab and dialog. No queries, no I/O, no state written; what the
//! app needs of the layout comes back as a [`Layout`].

mod bindings;
mod detail;
mod modal;
mod queue;
mod results;
pub mod supervise;
pub mod table;
pub mod theme;
mod unit;
mod work;

use crate::app::{App, Layout, Mode, Screen};
use crate::domain::supervision;
use crate::domain::text::inert;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
pub use theme::Theme;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// Applicant or database text, safe to draw on one line.
pub fn safe(s: &str) -> String {
    inert(s).into_owned()
}

/// A pane of the queue screen. The focused one is marked so that it shows
/// without colour too: a heavy border and ◆ before its title.
pub fn pane(theme: &Theme, focused: bool, title: String) -> ratatui::widgets::Block<'static> {
    use ratatui::widgets::{Block, BorderType, Borders};
    let block = Block::default().borders(Borders::ALL);
    if focused {
        block
            .border_type(BorderType::Thick)
            .border_style(theme.border_focus)
            .title(Span::styled(format!("◆{title}"), theme.title))
    } else {
        block
            .border_style(theme.border)
            .title(Span::styled(title, theme.title))
    }
}

/// A list row's mark: ▶ for the cursor, ✓ for chosen.
pub fn mark(here: bool, chosen: bool) -> &'static str {
    match (here, chosen) {
        (true, true) => "▶✓",
        (true, false) => "▶ ",
        (false, true) => " ✓",
        _ => "  ",
    }
}

/// Draws the frame; returns the rows each list shows.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) -> Layout {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, app, theme, area);
        inert_frame(f.buffer_mut());
        return Layout::default();
    }
    let [header, body, footer] = ratatui::layout::Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, theme, header);
    let mut layout = Layout::default();
    match &app.screen {
        Screen::Queue => {
            (layout.queue_rows, layout.detail_rows, layout.detail_last) =
                queue::draw(f, app, theme, body)
        }
        Screen::Bindings(b) => layout.list_rows = bindings::draw(f, app, b, theme, body),
        Screen::Results(r) => layout.list_rows = results::draw(f, app, r, theme, body),
        Screen::Unit(u) => layout.list_rows = unit::draw(f, app, u, theme, body),
        Screen::Work(w) => layout.list_rows = work::draw(f, app, w, theme, body),
        Screen::Supervise(s) => layout.list_rows = supervise::draw(f, app, s, theme, body),
    }
    draw_footer(f, app, theme, footer);
    if let Some(m) = &app.modal {
        let r = modal::draw(f, app, m, theme, body);
        mend_left_edge(f.buffer_mut(), r);
    }
    inert_frame(f.buffer_mut());
    layout
}

/// The one rule for the screen: whatever a cell holds, from any source
/// (applicant, officer, configuration, database, a widget's own text),
/// reaches the terminal inert.
fn inert_frame(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(crate::domain::text::is_unsafe) {
            let s = inert(cell.symbol()).into_owned();
            cell.set_symbol(&s);
        }
    }
}

fn too_small(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let msg = format!("{} {}×{}", app.t(L::TooSmall), area.width, area.height);
    let line = Rect {
        x: area.x,
        y: area.y + area.height / 2,
        width: area.width,
        height: 1.min(area.height),
    };
    f.render_widget(
        Paragraph::new(msg)
            .alignment(Alignment::Center)
            .style(theme.bad),
        line,
    );
}

/// A wide glyph whose right half lies under an overlay would hide the
/// overlay's first column (the terminal draws it two columns wide): blank it.
fn mend_left_edge(buf: &mut ratatui::buffer::Buffer, r: Rect) {
    if r.x == 0 {
        return;
    }
    for y in r.top()..r.bottom() {
        let cell = &mut buf[(r.x - 1, y)];
        if crate::fmt::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

/// How fresh the view is: working, may be stale, or current as of when.
fn freshness(app: &App) -> String {
    let live = &app.live;
    // Work shorter than a spinner tick is not announced: no flicker.
    match (live.busy > 0 && live.spinner > 0, live.stale) {
        (true, _) => format!(
            "{} {}",
            SPINNER[live.spinner % SPINNER.len()],
            app.t(L::Loading)
        ),
        (false, true) => format!("△ {}", app.t(L::Stale)),
        (false, false) => format!(
            "● {} {}",
            app.t(L::Current),
            live.refreshed_at
                .map(|t| crate::fmt::beijing(t).format("%H:%M:%S").to_string())
                .unwrap_or_default()
        ),
    }
}

/// The officer's part of the header, as long as the room allows: whole
/// parts are dropped, least needed first (login, level, database, roles),
/// before anything is cut.
fn who(app: &App, room: usize) -> String {
    let o = &app.ctx.officer;
    let zh = app.ctx.zh();
    let roles: Vec<&str> = o.roles.iter().map(|r| r.label(zh)).collect();
    let roles = roles.join(app.t(L::ListSep));
    let bureau = o.bureau_name.trim_start_matches("国家税务总局");
    let full_bureau = if room >= 110 {
        o.bureau_name.as_str()
    } else {
        bureau
    };
    let db = app.t(if app.ctx.embedded {
        L::Embedded
    } else {
        L::Server
    });
    let title = app.t(L::Title);
    let (name, login, level) = (safe(&o.name), safe(&o.login), o.level.label(zh));
    let b = safe(full_bureau);
    let candidates = [
        format!(" {title} │ {name} {login} · {b} · {level} · {roles} │ {db}"),
        format!(" {title} │ {name} · {b} · {level} · {roles} │ {db}"),
        format!(" {title} │ {name} · {b} · {roles} │ {db}"),
        format!(" {title} │ {name} · {b} · {roles}"),
        format!(" {title} │ {name} · {b}"),
    ];
    candidates
        .into_iter()
        .find(|c| crate::fmt::width(c) <= room)
        .unwrap_or_else(|| crate::fmt::truncate(&format!(" {title} │ {name} · {b}"), room))
}

/// Who else works in the same queue now, in at most a third of the
/// header: names while they fit, else how many.
fn presence(app: &App, width: usize) -> String {
    let others = &app.claims.others;
    if others.is_empty() {
        return String::new();
    }
    let names: Vec<String> = others
        .iter()
        .map(|l| crate::fmt::truncate(&safe(app.ctx.name_of(l)), 8))
        .collect();
    let named = format!(
        "{} │ ",
        L::AlsoHere.fill(app.ctx.lang, &[&names.join(app.t(L::ListSep))])
    );
    if others.len() <= 2 && crate::fmt::width(&named) <= width / 3 {
        return named;
    }
    format!(
        "{} │ ",
        L::AlsoHereMany.fill(app.ctx.lang, &[&others.len()])
    )
}

fn draw_header(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let right = format!("{}{} ", presence(app, area.width as usize), freshness(app));
    let room = (area.width as usize).saturating_sub(crate::fmt::width(&right) + 1);
    let left = who(app, room);
    let line = Line::from(vec![Span::raw(fit(&left, room + 1)), Span::raw(right)]);
    f.render_widget(Paragraph::new(line).style(theme.header_bar), area);
}

/// Key hints for the current mode, from the keymap.
fn hints(app: &App) -> Vec<(String, &'static str)> {
    let mode = app.mode();
    app.hints()
        .iter()
        .filter_map(|a| {
            let keys = app.ctx.keymap.keys_for(mode.section(), *a);
            let k = keys.first()?.clone();
            let label = match (a, mode) {
                (KeyAction::Pass, _) => app.t(L::HintPass),
                // A notice closes on any key; the footer names one.
                (KeyAction::Cancel, Mode::Notice | Mode::Help) => app.t(L::HintClose),
                (KeyAction::Reject, Mode::Bindings) => app.t(L::HintUnbindSelected),
                (KeyAction::Reject, _) => app.t(L::HintReject),
                (KeyAction::NextTab, _) => app.t(L::HintTab),
                (KeyAction::ToggleSelect, _) => app.t(L::HintSelect),
                (KeyAction::Jump, _) => app.t(L::HintJump),
                (KeyAction::FindUnit, _) => app.t(L::HintFind),
                (KeyAction::Unit, _) => app.t(L::HintUnit),
                (KeyAction::Batches, _) => app.t(L::HintBatches),
                (KeyAction::Supervise, _) => app.t(L::HintSupervise),
                (KeyAction::Impose, _) => app.t(L::HintImpose),
                (KeyAction::Lift, _) => app.t(L::HintLift),
                (KeyAction::Escalate, _) => app.t(L::HintEscalate),
                (KeyAction::Feedback, _) => app.t(L::HintFeedback),
                (KeyAction::CloseWarning, _) => app.t(L::HintCloseWarning),
                (KeyAction::Terminate, _) => app.t(L::HintTerminate),
                (other, _) => other.describe(app.ctx.lang),
            };
            Some((k, label))
        })
        .collect()
}

/// What the prompt line asks, and what is typed (a filter's text lives
/// with its screen).
fn prompt_line(app: &App, p: &crate::app::Prompt) -> (String, String) {
    use crate::app::PromptKind as P;
    let label = match p.kind {
        P::FindUnit => app.t(L::FindUnitPrompt).to_string(),
        P::Jump => app.t(L::JumpPrompt).to_string(),
        P::Until => app.t(L::UntilPrompt).to_string(),
        P::Limit => app.t(L::LimitPrompt).to_string(),
        // Refused, the line says why instead (the latest day included).
        P::Deadline if p.error.is_some() => app.t(L::ColDeadline).to_string(),
        P::Deadline => {
            let latest = app.ctx.now() + chrono::Months::new(supervision::MAX_MONTHS);
            L::DeadlinePrompt.fill(app.ctx.lang, &[&supervision::day(latest)])
        }
        P::Filter => app.t(L::Filter).to_string(),
    };
    let text = match (p.kind, &app.screen) {
        (P::Filter, Screen::Bindings(b)) => b.filter.clone(),
        (P::Filter, _) => app.queue.filter.clone(),
        _ => p.text.clone(),
    };
    (label, text)
}

fn draw_footer(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    let sel = match &app.screen {
        Screen::Bindings(b) => b.selected.len(),
        Screen::Supervise(s) => s.selected.len(),
        _ => app.queue.selection.len(),
    };
    if sel > 0 {
        spans.push(Span::styled(
            format!(" ✓ {} {sel} ", app.t(L::Selected)),
            theme.marked,
        ));
    }
    if let Some(p) = &app.prompt {
        let (label, text) = prompt_line(app, p);
        // A filter or search reads as `/`; a value asked for, as itself.
        // The filter is typed after `/`, as in less and vim; other prompts ask.
        let slash = if p.kind == crate::app::PromptKind::Filter {
            "/"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!(" {slash}{label}{}", app.t(L::Colon)),
            theme.key,
        ));
        spans.push(Span::raw(format!("{}▏", safe(&text))));
        if let Some(e) = &p.error {
            let used: usize = spans.iter().map(|s| s.width()).sum();
            let room = (area.width as usize).saturating_sub(used);
            let text = crate::fmt::truncate(&format!("  ✗ {}", safe(e)), room);
            spans.push(Span::styled(text, theme.bad));
        }
    } else if let Some(s) = &app.status {
        // A status longer than the line is cut with an ellipsis.
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = (area.width as usize).saturating_sub(used + 1);
        let text = crate::fmt::truncate(&safe(s), room);
        spans.push(Span::styled(format!(" {text}"), theme.warn));
    } else {
        let pending = app.pending_keys();
        if !pending.is_empty() {
            spans.push(Span::styled(format!(" {pending}… "), theme.key));
        }
        // Whole hints, as many as fit: never half a label. The last hint
        // (help, or the way out) keeps its place whatever else is dropped.
        let mut all = hints(app);
        let last = all.pop();
        let piece = |(k, label): &(String, &str)| (format!(" {k}"), format!(" {label} "));
        let width = |(a, b): &(String, String)| crate::fmt::width(a) + crate::fmt::width(b);
        let reserve = last.as_ref().map(|h| width(&piece(h))).unwrap_or(0);
        let mut used: usize = spans.iter().map(|s| s.width()).sum::<usize>() + reserve;
        let mut shown = Vec::new();
        for h in &all {
            let p = piece(h);
            if used + width(&p) > area.width as usize {
                break;
            }
            used += width(&p);
            shown.push(p);
        }
        shown.extend(last.as_ref().map(piece));
        for (key, text) in shown {
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::styled(text, theme.dim));
        }
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::default()),
        area,
    );
}
