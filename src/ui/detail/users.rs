//! 使用单位: the user units an application names.

use super::super::{Theme, safe};
use super::code_mark;
use crate::app::App;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The user units, or the invitation's two parties.
pub fn lines(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
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
