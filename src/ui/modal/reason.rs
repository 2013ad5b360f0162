//! The reason dialog: hint, templates, the text area, its count or error,
//! and its keys.

use super::super::Theme;
use crate::app::{App, Mode, ReasonDialog, ReasonTarget};
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The dialog's title: its heading, else what its target names.
fn title(app: &App, d: &ReasonDialog) -> String {
    let zh = app.ctx.zh();
    match &d.target {
        _ if d.heading.is_some() => format!(" {} ", d.heading.as_deref().unwrap_or_default()),
        ReasonTarget::Warning { id, .. } => format!(" {} #{id} ", app.t(L::ColWarning)),
        ReasonTarget::TakeOver { id } => format!(" {} #{id} ", app.t(L::Held)),
        ReasonTarget::Raise { name, .. } => {
            format!(
                " {} · {} ",
                app.t(L::RaiseWarningTitle),
                super::super::safe(name)
            )
        }
        ReasonTarget::One {
            id, action, name, ..
        } => format!(" {} #{id} {} ", action.label(zh), name),
        ReasonTarget::Many { items, .. } => format!(
            " {} · {} {} ",
            app.t(L::ReasonTitle),
            items.len(),
            app.t(L::Items)
        ),
    }
}

pub fn draw(f: &mut Frame, app: &App, d: &ReasonDialog, theme: &Theme, area: Rect) -> Rect {
    let r = super::centered(area, 76, area.height.min(20));
    f.render_widget(Clear, r);
    let title = title(app, d);
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
    // A decision's reason is read by the applicant; supervision's texts by
    // the unit, and all are kept in the audit trail.
    let hint_text = match &d.target {
        ReasonTarget::Many {
            op: crate::store::BatchOp::Decide(_) | crate::store::BatchOp::Unbind,
            ..
        }
        | ReasonTarget::One { .. } => L::ReasonHint,
        ReasonTarget::TakeOver { .. } => L::TakeOverHint,
        _ => L::SupervisionHint,
    };
    let mut h = vec![Span::styled(app.t(hint_text), theme.dim)];
    if d.restored {
        h.push(Span::styled(
            format!(" · {}", app.t(L::DraftRestored)),
            theme.warn,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(h)), hint);
    let tl = template_lines(app, d, theme, tpl.width as usize);
    f.render_widget(Paragraph::new(tl), tpl);
    let tb = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border);
    let ti = tb.inner(text);
    f.render_widget(tb, text);
    f.render_widget(
        Paragraph::new(wrapped(d, ti.width as usize, ti.height as usize, theme)),
        ti,
    );
    if let Some(e) = &d.error {
        // The officer's half of a bilingual refusal, cut with an ellipsis.
        let e = format!("✗ {}", crate::ui::safe(&app.ctx.lang.half(e)));
        f.render_widget(
            Paragraph::new(Span::styled(
                crate::fmt::truncate(&e, err.width as usize),
                theme.bad,
            )),
            err,
        );
    } else {
        let n = d.text().trim().chars().count();
        f.render_widget(
            Paragraph::new(Span::styled(format!("{n}/2000"), theme.dim)),
            err,
        );
    }
    let line = keys_line(app, theme);
    f.render_widget(Paragraph::new(line), keys);
    r
}

/// The stage's templates, the chosen one marked.
fn template_lines(app: &App, d: &ReasonDialog, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut tl = vec![Line::from(Span::styled(
        L::TemplatesKeys.fill(
            app.ctx.lang,
            &[
                &app.t(L::Templates),
                &app.ctx.keys(Mode::Reason, KeyAction::NextTemplate),
            ],
        ),
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
            fit(&format!("{mark}{}. {t}", i + 1), width),
            style,
        )));
    }
    tl
}

/// The dialog's keys.
fn keys_line(app: &App, theme: &Theme) -> Line<'static> {
    let cancel = app.t(L::CancelKeepsDraft);
    let submit = app.ctx.keys(Mode::Reason, KeyAction::Submit);
    let esc = app.ctx.keys(Mode::Reason, KeyAction::Cancel);
    Line::from(vec![
        Span::styled(format!("{submit} "), theme.key),
        Span::raw(format!("{}   ", app.t(L::Submit))),
        Span::styled(format!("{esc} "), theme.key),
        Span::raw(format!("{cancel}   ")),
        Span::styled("Enter ", theme.key),
        Span::raw(app.t(L::NewLine)),
    ])
}

/// The text wrapped to the box by display width, scrolled so that the
/// cursor and the text around it are always in view, the cursor shown as
/// a reversed cell.
fn wrapped(d: &ReasonDialog, width: usize, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    use crate::domain::text::inert;
    let width = width.max(2);
    let (crow, ccol) = d.textarea.cursor();
    // Visual lines: (text, the cursor's character index in it, if here).
    let mut visual: Vec<(Vec<char>, Option<usize>)> = Vec::new();
    let mut cursor_line = 0;
    for (row, line) in d.textarea.lines().iter().enumerate() {
        let chars: Vec<char> = inert(line).chars().collect();
        let mut start = 0;
        loop {
            let mut used = 0;
            let mut end = start;
            while end < chars.len() {
                let w = crate::fmt::width(&chars[end].to_string());
                if used + w > width - 1 {
                    break;
                }
                used += w;
                end += 1;
            }
            let last = end >= chars.len();
            let here = row == crow && ccol >= start && (ccol < end || last);
            if here {
                cursor_line = visual.len();
            }
            visual.push((chars[start..end].to_vec(), here.then(|| ccol - start)));
            if last {
                break;
            }
            start = end;
        }
    }
    let top = (cursor_line + 1).saturating_sub(height);
    visual
        .into_iter()
        .skip(top)
        .take(height)
        .map(|(chars, at)| match at {
            None => Line::from(chars.iter().collect::<String>()),
            Some(i) => {
                let before: String = chars[..i.min(chars.len())].iter().collect();
                let under: String = chars.get(i).map(|c| c.to_string()).unwrap_or(" ".into());
                let after: String = chars
                    .get(i + 1..)
                    .map(|r| r.iter().collect())
                    .unwrap_or_default();
                Line::from(vec![
                    Span::raw(before),
                    Span::styled(under, theme.cursor),
                    Span::raw(after),
                ])
            }
        })
        .collect()
}
