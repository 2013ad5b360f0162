//! The bindings screen: a direct-connect unit's bound user units, filtered
//! as typed, unbound one, a selection, or all at once.

use super::list::{self, Move, Selection};
use super::modal::{Choice, ReasonDialog, ReasonTarget};
use super::prompt::{Prompt, PromptKind};
use super::{Cmd, Ctx, Effect, Failure, Modal, Screen};
use crate::domain::text::inert;
use crate::i18n::Msg as L;
use crate::keymap::KeyAction;
use crate::store::{BatchOp, Binding, DecideItem};

pub struct BindingsScreen {
    pub unit: i64,
    pub unit_name: String,
    pub rows: Vec<Binding>,
    /// Position in the visible (filtered) rows.
    pub cursor: usize,
    pub filter: String,
    /// Chosen bindings: id -> version seen.
    pub selected: Selection<i64>,
    pub loading: bool,
    /// Rows a page key moves by.
    pub page: usize,
}

impl BindingsScreen {
    /// Opens the unit's bindings, as `how` says (over the screen, or in
    /// its place), and asks for them.
    pub fn open(unit: i64, unit_name: String, how: fn(Screen) -> Cmd) -> Vec<Cmd> {
        let s = BindingsScreen {
            unit,
            unit_name,
            rows: vec![],
            cursor: 0,
            filter: String::new(),
            selected: Selection::default(),
            loading: true,
            page: 10,
        };
        vec![
            how(Screen::Bindings(s)),
            Cmd::Run(Effect::LoadBindings { unit }),
        ]
    }

    /// Rows matching the filter, as indexes into `rows`.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_uppercase();
        (0..self.rows.len())
            .filter(|&i| {
                f.is_empty()
                    || self.rows[i].user_name.contains(&self.filter)
                    || self.rows[i].user_uscc.contains(&f)
            })
            .collect()
    }

    /// Back on this screen: read again, nothing chosen.
    pub fn reload(&mut self) -> Vec<Cmd> {
        self.loading = true;
        self.selected.clear();
        vec![Cmd::Run(Effect::LoadBindings { unit: self.unit })]
    }

    pub fn set_filter(&mut self, f: String) -> Vec<Cmd> {
        self.filter = f;
        self.cursor = 0;
        vec![]
    }

    pub fn on_rows(&mut self, ctx: &Ctx, result: Result<Vec<Binding>, Failure>) -> Vec<Cmd> {
        match result {
            Ok(rows) => {
                self.rows = rows;
                self.loading = false;
                self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
                vec![]
            }
            Err(e) => vec![Cmd::Status(ctx.said(&e))],
        }
    }

    pub fn on_action(&mut self, ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        let vis = self.visible();
        match a {
            K::Back => return vec![Cmd::Back],
            K::Quit => return vec![Cmd::Quit],
            K::Help => return vec![Cmd::Open(Modal::Help { scroll: 0 })],
            K::Filter => return vec![Cmd::Prompt(Prompt::new(PromptKind::Filter))],
            K::ToggleSelect => {
                if let Some(&i) = vis.get(self.cursor) {
                    let r = &self.rows[i];
                    self.selected.toggle(self.cursor as i64, r.id, r.version);
                    self.cursor = list::moved(self.cursor, vis.len(), Move::Down, 1);
                }
            }
            K::SelectRange => {
                let rows = vis
                    .iter()
                    .enumerate()
                    .map(|(p, &i)| (p as i64, self.rows[i].id, self.rows[i].version));
                self.selected.range(self.cursor as i64, rows);
            }
            K::SelectAll => self
                .selected
                .extend(vis.iter().map(|&i| (self.rows[i].id, self.rows[i].version))),
            K::ClearSelection => self.selected.clear(),
            K::Reject | K::UnbindAll => return self.unbind(ctx, a == K::UnbindAll, &vis),
            _ => {
                if let Some(m) = Move::of(a) {
                    self.cursor = list::moved(self.cursor, vis.len(), m, self.page);
                }
            }
        }
        vec![]
    }

    /// The reason dialog for unbinding the selection (or the row under the
    /// cursor, or every binding).
    fn unbind(&mut self, ctx: &Ctx, all: bool, vis: &[usize]) -> Vec<Cmd> {
        if all {
            self.selected
                .extend(self.rows.iter().map(|r| (r.id, r.version)));
        }
        if self.selected.is_empty()
            && let Some(&i) = vis.get(self.cursor)
        {
            self.selected
                .extend([(self.rows[i].id, self.rows[i].version)]);
        }
        if self.selected.is_empty() {
            return vec![];
        }
        let items: Vec<DecideItem> = self
            .rows
            .iter()
            .filter(|r| self.selected.contains(r.id))
            .map(|r| DecideItem {
                id: r.id,
                version: Some(r.version),
            })
            .collect();
        let name = inert(&self.unit_name).into_owned();
        let summary = vec![
            L::UnbindUnit.fill(ctx.lang, &[&name]),
            L::UnbindWhat.fill(ctx.lang, &[&items.len()]),
        ];
        let target = ReasonTarget::Many {
            op: BatchOp::Unbind,
            items,
            summary,
            params: Default::default(),
        };
        ReasonDialog::open(target, format!("unbind-{}", self.unit), None, None, true)
    }
}

/// Direct-connect units found by code or name: the first one's bindings.
/// How many matching units the chooser lists.
pub const CHOICES: usize = 20;

pub fn on_units_found(ctx: &Ctx, result: Result<Vec<(i64, String, String)>, Failure>) -> Vec<Cmd> {
    let units = match result {
        Ok(u) => u,
        Err(e) => return vec![Cmd::Status(ctx.said(&e))],
    };
    match units.as_slice() {
        [] => vec![Cmd::Status(ctx.t(L::NoSuchUnit).into())],
        [(id, _, name)] => BindingsScreen::open(*id, name.clone(), Cmd::Push),
        // Several match: the officer chooses.
        many => {
            // One more than shown was asked for: its presence says "more".
            let more = many.len() > CHOICES;
            let options = many
                .iter()
                .take(CHOICES)
                .map(|(id, code, name)| Choice {
                    label: format!("{} {}", inert(code), inert(name)),
                    then: BindingsScreen::open(*id, name.clone(), Cmd::Push),
                })
                .collect();
            let title = if more {
                L::UnitsMatchMore.fill(ctx.lang, &[&CHOICES])
            } else {
                L::UnitsMatch.fill(ctx.lang, &[&many.len()])
            };
            vec![Cmd::Open(Modal::Choose {
                title,
                options,
                cursor: 0,
            })]
        }
    }
}
