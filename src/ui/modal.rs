//! Dialogs drawn over the screen: confirmation, message, help, reason.

use super::{Theme, safe};
use crate::app::{App, Modal, ReasonTarget, Screen};
use crate::fmt::{fit, width};
use crate::i18n::Msg as L;
use crate::keymap::{KeyAction, show_sequence};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn key_hint(app: &App, mode: &str, pairs: &[(KeyAction, L)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (a, label) in pairs {
        let keys = app.keymap.keys_for(mode, *a);
        if keys.is_empty() {
            continue;
        }
        spans.push(Span::raw(format!(
            "{} {}   ",
            keys.join("/"),
            app.t(*label)
        )));
    }
    Line::from(spans)
}

/// Draws the dialog and returns where it went.
pub fn draw(f: &mut Frame, app: &App, modal: &Modal, theme: &Theme, area: Rect) -> Rect {
    match modal {
        Modal::Confirm { title, lines, .. } => {
            let w = lines
                .iter()
                .map(|l| width(l))
                .max()
                .unwrap_or(20)
                .max(width(title))
                .clamp(36, 76) as u16
                + 4;
            let r = centered(area, w, lines.len() as u16 + 5);
            f.render_widget(Clear, r);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focus)
                .title(Span::styled(format!(" {title} "), theme.title));
            let mut text: Vec<Line> = lines.iter().map(|l| Line::from(l.clone())).collect();
            text.push(Line::from(""));
            text.push(
                key_hint(
                    app,
                    "confirm",
                    &[
                        (KeyAction::Confirm, L::Confirm),
                        (KeyAction::Cancel, L::Cancel),
                    ],
                )
                .style(theme.key),
            );
            f.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
                r,
            );
            r
        }
        Modal::Message { title, lines } => {
            let w = lines
                .iter()
                .map(|l| width(l))
                .max()
                .unwrap_or(20)
                .clamp(36, 76) as u16
                + 4;
            let r = centered(area, w, (lines.len() as u16 + 4).max(5) + 2);
            f.render_widget(Clear, r);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.bad)
                .title(Span::styled(format!(" {title} "), theme.bad));
            let mut text: Vec<Line> = lines.iter().map(|l| Line::from(safe(l))).collect();
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(
                if app.lang.zh() {
                    "按任意键关闭"
                } else {
                    "Press any key"
                },
                theme.dim,
            )));
            f.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
                r,
            );
            r
        }
        Modal::Help { scroll } => help(f, app, *scroll, theme, area),
        Modal::Reason(d) => {
            let r = centered(area, 76, area.height.min(20));
            f.render_widget(Clear, r);
            let zh = app.lang.zh();
            let title = match &d.target {
                ReasonTarget::One {
                    id, action, name, ..
                } => format!(" {} #{id} {} ", action.label(zh), name),
                ReasonTarget::Many { items, .. } => format!(
                    " {} · {} {} ",
                    app.t(L::ReasonTitle),
                    items.len(),
                    if zh { "项" } else { "items" }
                ),
            };
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focus)
                .title(Span::styled(
                    crate::fmt::truncate(&title, r.width.saturating_sub(4) as usize),
                    theme.title,
                ));
            let inner = block.inner(r);
            f.render_widget(block, r);
            let tpl_h = d.templates.len().min(5) as u16 + 1;
            let [hint, tpl, text, err, keys] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(tpl_h),
                Constraint::Min(3),
                Constraint::Length(1),
                Constraint::Length(1),
            ])
            .areas(inner);
            let mut h = vec![Span::styled(app.t(L::ReasonHint), theme.dim)];
            if d.restored {
                h.push(Span::styled(
                    format!(" · {}", app.t(L::DraftRestored)),
                    theme.warn,
                ));
            }
            f.render_widget(Paragraph::new(Line::from(h)), hint);
            let mut tl = vec![Line::from(Span::styled(
                {
                    let keys = app
                        .keymap
                        .keys_for("reason", KeyAction::NextTemplate)
                        .join("/");
                    if zh {
                        format!("{}（{keys}）", app.t(L::Templates))
                    } else {
                        format!("{} ({keys})", app.t(L::Templates))
                    }
                },
                theme.dim,
            ))];
            for (i, t) in d.templates.iter().take(5).enumerate() {
                let mark = if d.template == Some(i) { "▶" } else { " " };
                let style = if d.template == Some(i) {
                    theme.selected
                } else {
                    theme.dim
                };
                tl.push(Line::from(Span::styled(
                    fit(&format!("{mark}{}. {t}", i + 1), tpl.width as usize),
                    style,
                )));
            }
            f.render_widget(Paragraph::new(tl), tpl);
            let tb = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border);
            let ti = tb.inner(text);
            f.render_widget(tb, text);
            f.render_widget(&d.textarea, ti);
            if let Some(e) = &d.error {
                f.render_widget(
                    Paragraph::new(Span::styled(format!("✗ {e}"), theme.bad)),
                    err,
                );
            } else {
                let n = d.text().trim().chars().count();
                f.render_widget(
                    Paragraph::new(Span::styled(format!("{n}/2000"), theme.dim)),
                    err,
                );
            }
            let cancel = if zh {
                "取消（保留草稿）"
            } else {
                "cancel (keeps the draft)"
            };
            let submit = app.keymap.keys_for("reason", KeyAction::Submit).join("/");
            let esc = app.keymap.keys_for("reason", KeyAction::Cancel).join("/");
            let line = Line::from(vec![
                Span::styled(format!("{submit} "), theme.key),
                Span::raw(format!("{}   ", if zh { "提交" } else { "submit" })),
                Span::styled(format!("{esc} "), theme.key),
                Span::raw(format!("{cancel}   ")),
                Span::styled("Enter ", theme.key),
                Span::raw(if zh { "换行" } else { "new line" }),
            ]);
            f.render_widget(Paragraph::new(line), keys);
            r
        }
    }
}

/// Help generated from the active keymap: every key of the screen below
/// the help, with its description.
fn help(f: &mut Frame, app: &App, scroll: u16, theme: &Theme, area: Rect) -> Rect {
    let mode = match app.screen {
        Screen::Queue => "normal",
        Screen::Bindings(_) => "bindings",
        Screen::Results(_) => "results",
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut by_action: Vec<(KeyAction, Vec<String>)> = Vec::new();
    for (k, a) in app.keymap.bindings(mode) {
        match by_action.iter_mut().find(|(x, _)| *x == a) {
            Some((_, ks)) => ks.push(show_sequence(&k)),
            None => by_action.push((a, vec![show_sequence(&k)])),
        }
    }
    by_action.sort_by_key(|(a, _)| *a);
    for (a, ks) in by_action {
        rows.push((ks.join(" / "), a.describe(app.lang).to_string()));
    }
    let r = centered(area, 72, area.height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} · {} ", app.t(L::Help), app.t(L::HelpClose)),
            theme.title,
        ));
    let kw = rows
        .iter()
        .map(|(k, _)| width(k))
        .max()
        .unwrap_or(8)
        .min(26);
    let mut lines = vec![Line::from(vec![
        Span::styled(fit(app.t(L::Keys), kw), theme.dim),
        Span::raw("  "),
        Span::styled(app.t(L::Action), theme.dim),
    ])];
    for (k, d) in rows {
        lines.push(Line::from(vec![
            Span::styled(fit(&k, kw), theme.key),
            Span::raw("  "),
            Span::raw(d),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
    r
}
