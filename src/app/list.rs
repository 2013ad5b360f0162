//! What every list shares: moving a cursor by row, page, or to an end;
//! keeping it in view; and a selection of rows by id with a range anchor.

use crate::keymap::KeyAction;
use std::collections::BTreeMap;

/// A movement along a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

impl Move {
    pub fn of(a: KeyAction) -> Option<Move> {
        Some(match a {
            KeyAction::MoveUp => Move::Up,
            KeyAction::MoveDown => Move::Down,
            KeyAction::PageUp => Move::PageUp,
            KeyAction::PageDown => Move::PageDown,
            KeyAction::Top => Move::Top,
            KeyAction::Bottom => Move::Bottom,
            _ => return None,
        })
    }

    /// Rows the cursor moves by, with `page` rows to a page; the ends are
    /// as far as the list goes.
    pub fn delta(self, page: i64) -> i64 {
        match self {
            Move::Up => -1,
            Move::Down => 1,
            Move::PageUp => -page,
            Move::PageDown => page,
            Move::Top => i64::MIN / 2,
            Move::Bottom => i64::MAX / 2,
        }
    }
}

/// The cursor after a move in a list of `len` rows.
pub fn moved(cursor: usize, len: usize, m: Move, page: usize) -> usize {
    let last = len.saturating_sub(1) as i64;
    (cursor as i64)
        .saturating_add(m.delta(page.max(1) as i64))
        .clamp(0, last) as usize
}

/// The first row in view: it moves only when the cursor leaves the view.
pub fn keep_in_view(top: i64, cursor: i64, height: i64, first: i64, last: i64) -> i64 {
    let height = height.max(1);
    let top = top.clamp(first, last.max(first));
    if cursor < top {
        cursor
    } else if cursor >= top + height {
        cursor - height + 1
    } else {
        top
    }
}

/// The slice of `n` rows to show with the cursor mid-view.
pub fn centred(n: usize, cursor: usize, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let top = cursor
        .saturating_sub(height / 2)
        .min(n.saturating_sub(height));
    (top, (top + height).min(n))
}

/// Rows chosen by id, with what a batch needs of each, and the position
/// a range starts from.
#[derive(Debug, Clone)]
pub struct Selection<V> {
    pub items: BTreeMap<i64, V>,
    pub anchor: Option<i64>,
}

impl<V> Default for Selection<V> {
    fn default() -> Self {
        Selection {
            items: BTreeMap::new(),
            anchor: None,
        }
    }
}

impl<V: Clone> Selection<V> {
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn contains(&self, id: i64) -> bool {
        self.items.contains_key(&id)
    }
    pub fn clear(&mut self) {
        *self = Selection::default();
    }

    /// Chooses or unchooses the row at `pos`; it becomes the anchor.
    pub fn toggle(&mut self, pos: i64, id: i64, v: V) {
        if self.items.remove(&id).is_none() {
            self.items.insert(id, v);
        }
        self.anchor = Some(pos);
    }

    /// Chooses every row from the anchor to `here` (rows given as
    /// position, id, value); `here` becomes the anchor.
    pub fn range(&mut self, here: i64, rows: impl IntoIterator<Item = (i64, i64, V)>) {
        let from = self.anchor.unwrap_or(here);
        let (lo, hi) = (from.min(here), from.max(here));
        for (pos, id, v) in rows {
            if (lo..=hi).contains(&pos) {
                self.items.insert(id, v);
            }
        }
        self.anchor = Some(here);
    }

    pub fn extend(&mut self, rows: impl IntoIterator<Item = (i64, V)>) {
        self.items.extend(rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stop_at_the_ends() {
        assert_eq!(moved(0, 5, Move::Up, 10), 0);
        assert_eq!(moved(0, 5, Move::PageDown, 10), 4);
        assert_eq!(moved(3, 5, Move::Top, 10), 0);
        assert_eq!(moved(1, 5, Move::Bottom, 10), 4);
        assert_eq!(moved(0, 0, Move::Down, 10), 0, "an empty list");
    }

    #[test]
    fn the_view_scrolls_only_when_the_cursor_leaves_it() {
        assert_eq!(keep_in_view(0, 5, 10, 0, 99), 0);
        assert_eq!(keep_in_view(0, 12, 10, 0, 99), 3);
        assert_eq!(keep_in_view(20, 15, 10, 0, 99), 15);
        assert_eq!(centred(100, 50, 10), (45, 55));
        assert_eq!(centred(5, 4, 10), (0, 5));
    }

    #[test]
    fn a_selection_toggles_and_ranges_from_its_anchor() {
        let mut s: Selection<()> = Selection::default();
        s.toggle(2, 20, ());
        s.toggle(3, 30, ());
        s.toggle(3, 30, ());
        assert_eq!(s.len(), 1);
        let rows = (0..10).map(|p| (p, p * 10, ()));
        s.range(6, rows);
        assert_eq!(
            s.items.keys().copied().collect::<Vec<_>>(),
            vec![20, 30, 40, 50, 60]
        );
        assert_eq!(s.anchor, Some(6));
        s.clear();
        assert!(s.is_empty() && s.anchor.is_none());
    }
}
