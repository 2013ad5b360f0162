//! 历史: the application's audit events, oldest first.

use super::super::{Theme, safe};
use crate::app::App;
use crate::fmt::fit;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The audit trail.
pub fn lines(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    for e in &d.history {
        let action = crate::fmt::known_or(
            crate::domain::Action::parse(&e.action).map(|a| a.label(zh)),
            &e.action,
        );
        let mut spans = vec![
            Span::styled(
                crate::fmt::beijing(e.at).format("%m-%d %H:%M ").to_string(),
                theme.dim,
            ),
            Span::raw(fit(&safe(&e.officer), 14)),
            Span::raw(" "),
            Span::styled(fit(&action, 10), theme.title),
        ];
        if let Some(r) = &e.reason {
            spans.push(Span::raw(format!(" {}", safe(&material_named(d, r)))));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// An older paper-receipt event names its material by number ("材料 1838"):
/// shown by the material's kind and file name.
fn material_named(d: &Application, reason: &str) -> String {
    let named = reason
        .strip_prefix("材料 ")
        .and_then(|n| n.parse::<i64>().ok())
        .and_then(|id| d.materials.iter().find(|m| m.id == id));
    match named {
        Some(m) => format!("{}：{}", m.kind.zh(), m.file_name),
        None => reason.to_string(),
    }
}
