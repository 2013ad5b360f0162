//! Drawing: pure functions from the app's state to a frame. No queries,
//! no I/O. Applicant text passes through `inert` before it is drawn.

mod detail;
mod modal;
mod queue;
mod side;
pub mod theme;

use crate::app::{App, Screen};
use crate::domain::text::inert;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
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

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("{} {}×{}", app.t(L::TooSmall), area.width, area.height);
        let y = area.height / 2;
        let line = Rect {
            x: area.x,
            y: area.y + y,
            width: area.width,
            height: 1.min(area.height),
        };
        f.render_widget(
            Paragraph::new(msg)
                .alignment(Alignment::Center)
                .style(theme.bad),
            line,
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, theme, header);
    match &app.screen {
        Screen::Queue => queue::draw(f, app, theme, body),
        Screen::Bindings(b) => side::bindings(f, app, b, theme, body),
        Screen::Results(r) => side::results(f, app, r, theme, body),
    }
    draw_footer(f, app, theme, footer);
    if let Some(m) = &app.modal {
        let r = modal::draw(f, app, m, theme, body);
        mend_left_edge(f.buffer_mut(), r);
    }
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

fn draw_header(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let o = &app.officer;
    let zh = app.lang.zh();
    let roles: Vec<&str> = o.roles.iter().map(|r| r.label(zh)).collect();
    // A narrow terminal drops the common prefix of bureau names.
    let bureau = if area.width < 110 {
        o.bureau_name.trim_start_matches("国家税务总局").to_string()
    } else {
        o.bureau_name.clone()
    };
    let db = app.t(if app.embedded { L::Embedded } else { L::Server });
    // Work shorter than a spinner tick is not announced: no flicker.
    let fresh = match (app.busy > 0 && app.spinner > 0, app.stale) {
        (true, _) => format!(
            "{} {}",
            SPINNER[app.spinner % SPINNER.len()],
            app.t(L::Loading)
        ),
        (false, true) => format!("△ {}", app.t(L::Stale)),
        (false, false) => format!(
            "● {} {}",
            app.t(L::Current),
            app.refreshed_at
                .map(|t| crate::fmt::beijing(t).format("%H:%M:%S").to_string())
                .unwrap_or_default()
        ),
    };
    let left = format!(
        " {} │ {} {} · {} · {} · {} │ {}",
        app.t(L::Title),
        safe(&o.name),
        safe(&o.login),
        safe(&bureau),
        o.level.label(zh),
        roles.join(if zh { "、" } else { ", " }),
        db
    );
    let right = format!("{fresh} ");
    let rw = crate::fmt::width(&right);
    let lw = (area.width as usize).saturating_sub(rw);
    let line = Line::from(vec![Span::raw(fit(&left, lw)), Span::raw(right)]);
    f.render_widget(Paragraph::new(line).style(theme.header_bar), area);
}

/// Key hints for the current mode, from the keymap.
fn hints(app: &App) -> Vec<(String, &'static str)> {
    use KeyAction as K;
    let actions: &[K] = match app.mode() {
        "reason" => &[K::Submit, K::Cancel, K::NextTemplate],
        "confirm" => &[K::Confirm, K::Cancel],
        "help" => &[K::Cancel],
        "filter" => &[K::Submit, K::Cancel],
        "bindings" => &[
            K::ToggleSelect,
            K::SelectAll,
            K::Reject,
            K::UnbindAll,
            K::Filter,
            K::Back,
            K::Help,
        ],
        "results" => &[K::FailuresOnly, K::Export, K::Resume, K::Back, K::Help],
        _ => &[
            K::Pass,
            K::Reject,
            K::Filter,
            K::ToggleSelect,
            K::NextTab,
            K::Help,
            K::Quit,
        ],
    };
    let mode = app.mode();
    actions
        .iter()
        .filter_map(|a| {
            let keys = app.keymap.keys_for(mode, *a);
            let k = keys.first()?.clone();
            let label = match a {
                K::Pass => {
                    if app.lang.zh() {
                        "通过"
                    } else {
                        "pass"
                    }
                }
                K::Reject if mode == "bindings" => {
                    if app.lang.zh() {
                        "解除选中"
                    } else {
                        "unbind selected"
                    }
                }
                K::Reject => {
                    if app.lang.zh() {
                        "不通过"
                    } else {
                        "reject"
                    }
                }
                K::NextTab => {
                    if app.lang.zh() {
                        "标签"
                    } else {
                        "tab"
                    }
                }
                K::ToggleSelect => {
                    if app.lang.zh() {
                        "选中"
                    } else {
                        "select"
                    }
                }
                other => other.describe(app.lang),
            };
            Some((k, label))
        })
        .collect()
}

fn draw_footer(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    let sel = match &app.screen {
        Screen::Bindings(b) => b.selected.len(),
        _ => app.selection.items.len(),
    };
    if sel > 0 {
        spans.push(Span::styled(
            format!(" ✓ {} {sel} ", app.t(L::Selected)),
            theme.marked,
        ));
    }
    if app.filter_editing {
        let (label, filter) = match (&app.unit_search, &app.screen) {
            (Some(s), _) => (
                if app.lang.zh() {
                    "查找直连单位（代码或名称）"
                } else {
                    "Find direct-connect unit (code or name)"
                },
                s.clone(),
            ),
            (None, Screen::Bindings(b)) => (app.t(L::Filter), b.filter.clone()),
            _ => (app.t(L::Filter), app.filter.clone()),
        };
        spans.push(Span::styled(format!(" /{label}："), theme.key));
        spans.push(Span::raw(format!("{}▏", safe(&filter))));
    } else if let Some(s) = &app.status {
        spans.push(Span::styled(format!(" {}", safe(s)), theme.warn));
    } else {
        let pending = app.pending_keys();
        if !pending.is_empty() {
            spans.push(Span::styled(format!(" {pending}… "), theme.key));
        }
        for (k, label) in hints(app) {
            spans.push(Span::styled(format!(" {k}"), theme.key));
            spans.push(Span::styled(format!(" {label} "), theme.dim));
        }
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::default()),
        area,
    );
}
