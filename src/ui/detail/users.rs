//! 使用单位: the user units an application names.

use super::super::{Theme, safe};
use super::code_mark;
use crate::app::App;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// For an exit: the user units still bound, which must be unbound first.
fn still_bound(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let n = d.bound_user_units;
    let mut lines = vec![Line::from(Span::styled(
        L::StillBoundCount.fill(app.ctx.lang, &[&n]),
        if n > 0 { theme.bad } else { theme.ok },
    ))];
    for b in &d.bound {
        lines.push(Line::from(vec![
            Span::raw(fit(&code_mark(&b.user_uscc, app), 22)),
            Span::raw(" "),
            Span::raw(fit(&safe(&b.user_name), 28)),
            Span::raw(" "),
            Span::styled(b.relation.map(|r| r.label(zh)).unwrap_or(""), theme.dim),
        ]));
    }
    let more = n - d.bound.len() as i64;
    if more > 0 {
        let keys = app
            .ctx
            .keys(crate::app::Mode::Normal, crate::keymap::KeyAction::Bindings);
        lines.push(Line::from(Span::styled(
            L::MoreBound.fill(app.ctx.lang, &[&more, &keys]),
            theme.dim,
        )));
    }
    lines
}

/// The user units, or the invitation's two parties; for an exit, those
/// still bound.
pub fn lines(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    if d.kind == crate::domain::Kind::Exit {
        return still_bound(app, d, theme);
    }
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    if d.form.user_units.is_empty() {
        let text = match (&d.direct_unit, d.kind) {
            (Some(u), crate::domain::Kind::Invitation) => {
                format!("{} → {}", safe(&d.unit.facts.name), safe(&u.facts.name))
            }
            _ => app.t(L::NoUserUnits).to_string(),
        };
        lines.push(Line::from(Span::styled(text, theme.dim)));
    }
    for u in &d.form.user_units {
        lines.push(Line::from(vec![
            Span::raw(fit(&code_mark(&u.uscc, app), 22)),
            Span::raw(" "),
            Span::raw(fit(&safe(&u.name), 28)),
            Span::raw(" "),
            Span::styled(u.relation.label(zh), theme.dim),
        ]));
    }
    lines
}
