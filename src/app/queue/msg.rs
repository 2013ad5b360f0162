//! The queue screen's answers from the executor: counts, pages, the
//! application read, a decision's outcome; a stale answer is dropped.

use super::*;

impl QueueScreen {
    pub fn on_counts(&mut self, counts: Vec<i64>) {
        for (n, c) in self
            .nodes
            .iter_mut()
            .filter(|n| n.kind.is_some())
            .zip(counts)
        {
            n.count = Some(c);
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].kind.is_none() {
                let stage = self.nodes[i].stage;
                let sum = self
                    .nodes
                    .iter()
                    .filter(|n| n.stage == stage && n.kind.is_some())
                    .map(|n| n.count.unwrap_or(0))
                    .sum();
                self.nodes[i].count = Some(sum);
            }
        }
    }

    /// Messages for this screen; a stale answer is dropped.
    pub fn on_msg(&mut self, ctx: &Ctx, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Count { seq, result: Ok(n) } if seq == self.count_seq => {
                self.window.total = Some(n);
                vec![]
            }
            Msg::Page {
                seq,
                mode,
                result: Ok(page),
            } if seq == self.window.seq => {
                let held = self.window.selected().cloned();
                self.window.on_page(mode, page);
                match (mode, held) {
                    (PageMode::Refresh(_), Some(row)) => {
                        match self.window.rows.iter().position(|r| r.id == row.id) {
                            // The officer stays on the item they were on,
                            // wherever rows above it went.
                            Some(i) => {
                                self.window.cursor = self.window.offset + i as i64;
                                self.window.scroll();
                            }
                            None => {
                                self.handled_elsewhere.insert(row.id);
                                self.window.hold(row);
                            }
                        }
                    }
                    (PageMode::Refresh(_), _) => {}
                    _ => self.handled_elsewhere.clear(),
                }
                let mut cmds = self.detail_cmds();
                // The cursor has landed: a pass asked for meanwhile waits for
                // this row's detail, or begins now if it is here already.
                if let Some((0, a)) = self.after_load {
                    self.after_load = self.window.selected().map(|r| (r.id, a));
                }
                cmds.extend(self.begin_after_load(ctx));
                cmds
            }
            Msg::Detail {
                seq,
                result: Ok(app),
            } if seq == self.detail_seq => {
                self.checks = app.checks(&ctx.thresholds);
                self.material = self.material.min(app.materials.len().saturating_sub(1));
                self.detail = Some(app);
                // A pass or rejection asked for while it loaded.
                self.begin_after_load(ctx)
            }
            Msg::Decided {
                id,
                decision,
                result,
            } => self.on_decided(ctx, id, decision, result),
            Msg::PaperMarked(Ok(())) => {
                // Read again where the officer is: the same material chosen.
                let mut cmds = vec![Cmd::Status(ctx.t(L::PaperReceived).into())];
                if let Some(id) = self.detail.as_ref().map(|d| d.id) {
                    cmds.push(self.load_detail(id));
                }
                cmds
            }
            Msg::Selected(Ok(items)) => {
                self.selection
                    .extend(items.into_iter().map(|(id, v, k)| (id, (v, k))));
                vec![]
            }
            Msg::Count { result: Err(e), .. }
            | Msg::Page { result: Err(e), .. }
            | Msg::Detail { result: Err(e), .. }
            | Msg::PaperMarked(Err(e))
            | Msg::Selected(Err(e)) => self.on_failed(ctx, e),
            _ => vec![],
        }
    }

    /// A pass or rejection asked for while the row or its detail loaded,
    /// begun once the row under the cursor is the one asked for and its
    /// detail is here.
    fn begin_after_load(&mut self, ctx: &Ctx) -> Vec<Cmd> {
        let Some((row, a)) = self.after_load else {
            return vec![];
        };
        let here = self.window.selected().map(|r| r.id);
        if here != Some(row) {
            // The cursor moved on (0: still landing): not for this row.
            if row != 0 {
                self.after_load = None;
            }
            return vec![];
        }
        if self.window.loading || self.detail.as_ref().is_none_or(|d| d.id != row) {
            return vec![];
        }
        self.after_load = None;
        let mut cmds = vec![Cmd::Status(String::new())];
        cmds.extend(match a {
            KeyAction::Reject => self.begin_reject(ctx),
            _ => self.begin_pass(ctx),
        });
        cmds
    }

    /// A load failed: one line in the status bar.
    fn on_failed(&mut self, ctx: &Ctx, e: Failure) -> Vec<Cmd> {
        self.window.loading = false;
        vec![Cmd::Status(ctx.said(&e))]
    }
}
