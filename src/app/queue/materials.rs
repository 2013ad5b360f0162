//! The 材料 tab's actions: a material read full screen, a paper copy noted.

use super::*;

impl QueueScreen {
    /// The chosen material full screen.
    pub(super) fn read_material(&self, ctx: &Ctx) -> Vec<Cmd> {
        let Some(m) = self
            .detail
            .as_ref()
            .and_then(|d| d.materials.get(self.material))
        else {
            return vec![];
        };
        let title = format!("{} · {}", m.kind.label(ctx.zh()), m.file_name);
        vec![Cmd::Open(Modal::Reader {
            title,
            lines: crate::domain::text::inert_lines(&m.content),
            scroll: 0,
        })]
    }

    /// Keeps the chosen material's line in view of the detail pane.
    pub(super) fn show_material(&mut self) {
        let missing = self
            .detail
            .as_ref()
            .map_or(0, |d| d.missing_materials().len());
        let line = (missing + self.material) as u16;
        let height = self.detail_height.max(1);
        if line < self.detail_scroll {
            self.detail_scroll = line;
        } else if line >= self.detail_scroll + height {
            self.detail_scroll = line + 1 - height;
        }
    }

    pub(super) fn mark_paper(&mut self) -> Vec<Cmd> {
        let Some(d) = &self.detail else {
            return vec![];
        };
        if self.tab != Tab::Materials {
            self.tab = Tab::Materials;
            return vec![];
        }
        match d.materials.get(self.material) {
            Some(m) if !m.paper_received => vec![Cmd::Run(Effect::MarkPaper { material: m.id })],
            _ => vec![],
        }
    }
}
