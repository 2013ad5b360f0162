//! A unit whole: every application of it in every kind and state, its
//! bindings each way, with links back to any application and to the
//! bindings.

use super::bindings::BindingsScreen;
use super::list::{self, Move};
use super::{Cmd, Ctx, Effect, Failure, Modal, Screen};
use crate::keymap::KeyAction;
use crate::store::UnitView;

pub struct UnitScreen {
    pub unit: i64,
    pub view: Option<UnitView>,
    pub cursor: usize,
    pub page: usize,
}

impl UnitScreen {
    pub fn open(unit: i64) -> Vec<Cmd> {
        let s = UnitScreen {
            unit,
            view: None,
            cursor: 0,
            page: 10,
        };
        vec![
            Cmd::Push(Screen::Unit(s)),
            Cmd::Run(Effect::LoadUnit { unit }),
        ]
    }

    pub fn on_loaded(&mut self, ctx: &Ctx, r: Result<Box<UnitView>, Failure>) -> Vec<Cmd> {
        match r {
            Ok(v) => {
                self.cursor = self.cursor.min(v.applications.len().saturating_sub(1));
                self.view = Some(*v);
                vec![]
            }
            Err(e) => vec![Cmd::Status(ctx.said(&e))],
        }
    }

    pub fn on_action(&mut self, _ctx: &Ctx, a: KeyAction) -> Vec<Cmd> {
        use KeyAction as K;
        let n = self.view.as_ref().map_or(0, |v| v.applications.len());
        match a {
            K::Back => vec![Cmd::Back],
            K::Quit => vec![Cmd::Quit],
            K::Help => vec![Cmd::Open(Modal::Help { scroll: 0 })],
            K::Bindings => match &self.view {
                Some(v) => BindingsScreen::open(v.unit.id, v.unit.facts.name.clone(), Cmd::Push),
                None => vec![],
            },
            // An application opens in the queue screen, where it can be decided.
            K::Open => match self
                .view
                .as_ref()
                .and_then(|v| v.applications.get(self.cursor))
            {
                Some(app) => vec![Cmd::Back, Cmd::Jump(app.id)],
                None => vec![],
            },
            _ => {
                if let Some(m) = Move::of(a) {
                    self.cursor = list::moved(self.cursor, n, m, self.page);
                }
                vec![]
            }
        }
    }
}
