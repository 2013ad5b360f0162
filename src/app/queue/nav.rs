//! Moving about the queue screen: the focused pane's cursor, the
//! navigator, and the selection.

use super::*;

impl QueueScreen {
    /// Movement keys move whatever pane has the focus.
    pub(super) fn on_move(&mut self, ctx: &Ctx, m: Move) -> Vec<Cmd> {
        match (self.focus, m) {
            (Focus::Nav, Move::Top) => self.move_nav(ctx, -(self.nav as i64)),
            (Focus::Nav, Move::Bottom) => self.move_nav(ctx, self.nodes.len() as i64),
            (Focus::Nav, _) => self.move_nav(ctx, m.delta(1).signum()),
            // Home and End in the detail pane scroll it, not the queue: the
            // application shown stays the one the officer is reading.
            (Focus::Detail, Move::Top) => {
                self.detail_scroll = 0;
                vec![]
            }
            (Focus::Detail, Move::Bottom) => {
                self.detail_scroll = self.detail_last;
                vec![]
            }
            (_, Move::Top) => {
                self.detail = None;
                self.reload(ctx, 0)
            }
            (_, Move::Bottom) => {
                self.window.seq += 1;
                self.window.loading = true;
                let seq = self.window.seq;
                match self.query(ctx, None, Direction::Backward) {
                    Some(query) => vec![Cmd::Run(Effect::LoadPage {
                        seq,
                        mode: PageMode::Last,
                        query,
                    })],
                    None => vec![],
                }
            }
            (Focus::Table, m) => {
                let d = m.delta(self.window.page_rows());
                self.move_cursor(ctx, d)
            }
            (Focus::Detail, m) => {
                let step = m.delta(self.window.page_rows());
                if self.tab == Tab::Materials && step.abs() == 1 {
                    let n = self.detail.as_ref().map_or(0, |d| d.materials.len());
                    self.material =
                        (self.material as i64 + step).clamp(0, n.saturating_sub(1) as i64) as usize;
                    self.show_material();
                } else {
                    self.detail_scroll = (i64::from(self.detail_scroll) + step)
                        .clamp(0, i64::from(self.detail_last))
                        as u16;
                }
                vec![]
            }
        }
    }

    pub(super) fn move_nav(&mut self, ctx: &Ctx, d: i64) -> Vec<Cmd> {
        if self.nodes.is_empty() {
            return vec![];
        }
        let next = (self.nav as i64 + d).clamp(0, self.nodes.len() as i64 - 1) as usize;
        if next == self.nav {
            return vec![];
        }
        self.nav = next;
        self.selection.clear();
        self.detail = None;
        self.reload(ctx, 0)
    }

    pub(super) fn select(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        let w = &self.window;
        match a {
            KeyAction::ToggleSelect => {
                if let Some(r) = w.selected() {
                    self.selection.toggle(w.cursor, r.id, (r.version, r.kind));
                }
                return self.move_cursor(ctx, 1);
            }
            KeyAction::SelectRange => {
                let rows = w
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (w.offset + i as i64, r.id, (r.version, r.kind)));
                self.selection.range(w.cursor, rows);
            }
            KeyAction::SelectAll => {
                if let Some(query) = self.query(ctx, None, Direction::Forward) {
                    return vec![Cmd::Run(Effect::SelectAll { query })];
                }
            }
            _ => self.selection.clear(),
        }
        vec![]
    }
}
