//! 校验: each automatic check with its outcome and detail.

use super::super::{Theme, safe};
use crate::app::App;
use crate::domain::checks::Outcome;
use crate::fmt::fit;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The checks beside the decision.
pub fn lines(app: &App, _d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    for c in &app.queue.checks {
        let (mark, style) = match c.outcome {
            Outcome::Pass => ("✓", theme.ok),
            Outcome::Fail => ("✗", theme.bad),
            Outcome::NotApplicable => ("–", theme.dim),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {} ", fit(c.outcome.label(zh), 6)), style),
            Span::styled(fit(c.id.label(zh), if zh { 18 } else { 22 }), theme.base),
            Span::raw(" "),
            Span::styled(safe(c.detail(zh)), theme.dim),
        ]));
    }
    lines
}
