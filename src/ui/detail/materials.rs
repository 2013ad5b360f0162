//! 材料: what is missing, each material with its digest and paper copy,
//! and a preview of the one chosen.

use super::super::{Theme, safe};
use crate::app::App;
use crate::domain::text::inert_lines;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The materials with the chosen one's preview.
pub fn lines(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let zh = app.ctx.zh();
    let mut lines: Vec<Line<'static>> = Vec::new();
    for m in d.missing_materials() {
        lines.push(Line::from(Span::styled(
            format!("✗ {}：{}", app.t(L::Missing), m.label(zh)),
            theme.bad,
        )));
    }
    for (i, m) in d.materials.iter().enumerate() {
        let mark = if i == app.queue.material { "▶" } else { " " };
        let paper = if m.paper_received {
            format!("✓{}", app.t(L::PaperReceived))
        } else {
            format!("·{}", app.t(L::PaperNotReceived))
        };
        let style = if i == app.queue.material {
            theme.selected
        } else {
            theme.base
        };
        lines.push(Line::from(Span::styled(
            format!(
                "{mark}{} {} {}{}{} {}… {paper}",
                fit(m.kind.label(zh), 14),
                fit(&safe(&m.file_name), 16),
                m.size,
                // 44921字节, 44921 bytes.
                if zh { "" } else { " " },
                app.t(L::Bytes),
                safe(&crate::fmt::head(&m.sha256, 12))
            ),
            style,
        )));
    }
    if let Some(m) = d.materials.get(app.queue.material) {
        lines.push(Line::from(Span::styled(
            format!(
                "── {} · {} · sha256 {}",
                app.t(L::Preview),
                m.kind.label(zh),
                safe(&m.sha256)
            ),
            theme.dim,
        )));
        for l in inert_lines(&m.content) {
            lines.push(Line::from(l));
        }
    }
    lines
}
