//! 资质: items 1-12 of the 接入信息表 as filed.

use super::super::Theme;
use crate::app::App;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The qualifications as filed.
pub fn lines(app: &App, d: &Application, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    let none = app.t(crate::i18n::Msg::None_).to_string();
    if d.form.qualifications.is_empty() {
        lines.push(Line::from(Span::styled(none.clone(), theme.dim)));
    }
    let qw = if zh { 30 } else { 34 };
    // A value wider than the pane continues under itself: an amount at
    // the end of a line is never lost.
    for (k, v) in &d.form.qualifications {
        let v = if v.is_empty() { "—" } else { v.as_str() };
        lines.extend(super::labelled(theme, k, v, qw, width));
    }
    lines
}
