//! 资质: items 1-12 of the 接入信息表 as filed.

use super::super::{Theme, safe};
use crate::app::App;
use crate::fmt::fit;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The qualifications as filed.
pub fn lines(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    let none = app.t(crate::i18n::Msg::None_).to_string();
    if d.form.qualifications.is_empty() {
        lines.push(Line::from(Span::styled(none.clone(), theme.dim)));
    }
    let qw = if zh { 30 } else { 34 };
    for (k, v) in &d.form.qualifications {
        lines.push(Line::from(vec![
            Span::styled(fit(&safe(k), qw), theme.dim),
            Span::raw(" "),
            Span::raw(if v.is_empty() {
                "—".to_string()
            } else {
                safe(v)
            }),
        ]));
    }
    lines
}
