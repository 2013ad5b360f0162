//! The rows of a queue around the cursor: never the whole queue. Pages
//! are fetched as the cursor nears an edge; rows far from it are dropped.

use crate::app::effect::PageMode;
use crate::store::{Direction, Page, QueueRow, Sort};

/// Rows fetched per page, and the most rows kept around the cursor.
pub const PAGE: i64 = 100;
pub const WINDOW_MAX: usize = 400;
/// Fetch the next page when the cursor is this close to the window's edge.
pub const PREFETCH: i64 = 25;

#[derive(Debug, Clone, Default)]
pub struct Window {
    pub rows: Vec<QueueRow>,
    /// Absolute index of rows[0] in the queue.
    pub offset: i64,
    pub total: Option<i64>,
    /// Absolute index of the selected row.
    pub cursor: i64,
    pub more_before: bool,
    pub more_after: bool,
    pub loading: bool,
    /// The latest page asked for: an older answer is dropped.
    pub seq: u64,
    /// The first row in view (absolute): it moves only when the cursor
    /// leaves the view.
    pub view_top: i64,
    /// Rows in view at the last frame, reported by drawing.
    pub view_height: i64,
}

/// The page to fetch next, when the cursor nears an edge with more beyond.
pub struct Fetch {
    pub key: crate::store::Cursor,
    pub direction: Direction,
    pub mode: PageMode,
}

impl Window {
    pub fn selected(&self) -> Option<&QueueRow> {
        usize::try_from(self.cursor - self.offset)
            .ok()
            .and_then(|i| self.rows.get(i))
    }

    pub fn last_index(&self) -> i64 {
        self.offset + self.rows.len() as i64 - 1
    }

    /// Rows a page key moves by: the rows in view, or ten before the first
    /// frame.
    pub fn page_rows(&self) -> i64 {
        if self.view_height > 0 {
            self.view_height
        } else {
            10
        }
    }

    /// Moves the cursor within the window; returns the page to fetch when
    /// it came near an edge with more beyond.
    pub fn move_by(&mut self, delta: i64, sort: Sort) -> Option<Fetch> {
        if self.rows.is_empty() {
            return None;
        }
        self.cursor = self
            .cursor
            .saturating_add(delta)
            .clamp(self.offset, self.last_index());
        self.scroll();
        if self.loading {
            return None;
        }
        let fetch = if self.more_after && self.last_index() - self.cursor < PREFETCH {
            self.rows.last().map(|r| Fetch {
                key: r.cursor(sort),
                direction: Direction::Forward,
                mode: PageMode::Append,
            })
        } else if self.more_before && self.cursor - self.offset < PREFETCH {
            self.rows.first().map(|r| Fetch {
                key: r.cursor(sort),
                direction: Direction::Backward,
                mode: PageMode::Prepend,
            })
        } else {
            None
        };
        if fetch.is_some() {
            self.loading = true;
            self.seq += 1;
        }
        fetch
    }

    /// Keeps the cursor in view.
    pub fn scroll(&mut self) {
        self.view_top = crate::app::list::keep_in_view(
            self.view_top,
            self.cursor,
            self.page_rows(),
            self.offset,
            self.last_index(),
        );
    }

    /// A page arrived: place it, keep the window bounded, keep the cursor
    /// on a row.
    pub fn on_page(&mut self, mode: PageMode, page: Page) {
        self.loading = false;
        let n = page.rows.len() as i64;
        match mode {
            PageMode::Replace(offset) | PageMode::Refresh(offset) => {
                self.rows = page.rows;
                self.offset = offset;
                self.more_after = page.more;
                self.more_before = offset > 0;
            }
            PageMode::Last => {
                self.rows = page.rows;
                self.offset = self.total.map(|t| (t - n).max(0)).unwrap_or(0);
                self.more_before = page.more;
                self.more_after = false;
                self.cursor = self.last_index();
            }
            PageMode::Append => self.append(page),
            PageMode::Prepend => self.prepend(page),
        }
        if self.rows.is_empty() {
            self.cursor = 0;
        } else {
            self.cursor = self.cursor.clamp(self.offset, self.last_index());
        }
        self.scroll();
    }

    fn append(&mut self, page: Page) {
        self.rows.extend(page.rows);
        self.more_after = page.more;
        // Drop rows far above the cursor.
        let excess = self.rows.len().saturating_sub(WINDOW_MAX);
        let droppable = (self.cursor - self.offset - PREFETCH).max(0) as usize;
        let drop = excess.min(droppable);
        if drop > 0 {
            self.rows.drain(..drop);
            self.offset += drop as i64;
            self.more_before = true;
        }
    }

    fn prepend(&mut self, page: Page) {
        let n = page.rows.len() as i64;
        let mut rows = page.rows;
        rows.append(&mut self.rows);
        self.rows = rows;
        self.offset -= n;
        self.more_before = page.more && self.offset > 0;
        self.offset = self.offset.max(0);
        // Drop rows far below the cursor.
        let excess = self.rows.len().saturating_sub(WINDOW_MAX);
        let keep = (self.cursor - self.offset + PREFETCH + 1).max(0) as usize;
        let drop = excess.min(self.rows.len().saturating_sub(keep));
        if drop > 0 {
            self.rows.truncate(self.rows.len() - drop);
            self.more_after = true;
        }
    }

    /// Keeps a row that left the queue at the cursor, where the officer
    /// was reading it.
    pub fn hold(&mut self, row: QueueRow) {
        let at = usize::try_from(self.cursor - self.offset)
            .unwrap_or(0)
            .min(self.rows.len());
        self.rows.insert(at, row);
        self.cursor = self.offset + at as i64;
        self.total = self.total.map(|t| t + 1);
    }

    /// An item left the queue here (decided by this officer).
    pub fn remove(&mut self, id: i64) {
        if let Some(i) = self.rows.iter().position(|r| r.id == id) {
            self.rows.remove(i);
            self.total = self.total.map(|t| (t - 1).max(0));
            if !self.rows.is_empty() {
                self.cursor = self.cursor.clamp(self.offset, self.last_index());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, State};
    use chrono::{TimeZone, Utc};

    fn row(id: i64) -> QueueRow {
        let t = Utc.timestamp_opt(1_700_000_000 + id, 0).unwrap();
        QueueRow {
            id,
            kind: Kind::Access,
            state: State::PendingAcceptance,
            version: 1,
            uscc: String::new(),
            name: format!("u{id}"),
            name_key: format!("u{id}"),
            submitted_at: t,
            updated_at: t,
            passed_checks: 0,
            failed_checks: 0,
            last_officer: None,
            last_decider: None,
            bound_user_units: 0,
            unit_id: id,
            siblings: 0,
            obsolete: None,
            holder: None,
        }
    }

    fn page(ids: std::ops::Range<i64>, more: bool) -> Page {
        Page {
            rows: ids.map(row).collect(),
            more,
        }
    }

    #[test]
    fn the_cursor_near_the_end_asks_for_the_next_page_once() {
        let mut w = Window::default();
        w.on_page(PageMode::Replace(0), page(0..100, true));
        assert!(w.move_by(50, Sort::Age).is_none(), "far from the edge");
        let f = w.move_by(30, Sort::Age).expect("near the end");
        assert_eq!(f.mode, PageMode::Append);
        assert_eq!(f.key, row(99).cursor(Sort::Age));
        assert!(w.loading);
        assert!(w.move_by(1, Sort::Age).is_none(), "one request at a time");
    }

    #[test]
    fn appending_drops_rows_far_above_the_cursor() {
        let mut w = Window::default();
        w.on_page(PageMode::Replace(0), page(0..100, true));
        for start in (100..500).step_by(100) {
            w.cursor = w.last_index();
            w.on_page(PageMode::Append, page(start..start + 100, true));
        }
        assert!(w.rows.len() <= WINDOW_MAX, "{}", w.rows.len());
        assert_eq!(w.offset + w.rows.len() as i64, 500);
        assert!(w.more_before);
        assert_eq!(w.rows[0].id, w.offset, "rows stay at their positions");
        assert!(w.cursor - w.offset >= PREFETCH, "rows near the cursor kept");
    }

    #[test]
    fn prepending_drops_rows_far_below_and_keeps_positions() {
        let mut w = Window {
            total: Some(1000),
            ..Window::default()
        };
        w.on_page(PageMode::Last, page(900..1000, true));
        assert_eq!((w.offset, w.cursor), (900, 999));
        for start in [800, 700, 600, 500] {
            w.cursor = w.offset;
            w.on_page(PageMode::Prepend, page(start..start + 100, true));
        }
        assert_eq!(w.offset, 500);
        assert_eq!(w.rows[0].id, 500);
        assert!(w.rows.len() <= WINDOW_MAX);
        assert!(w.more_after, "rows below were dropped");
    }

    #[test]
    fn a_removed_row_keeps_the_cursor_on_a_row() {
        let mut w = Window::default();
        w.on_page(PageMode::Replace(0), page(0..3, false));
        w.cursor = 2;
        w.total = Some(3);
        w.remove(2);
        assert_eq!((w.cursor, w.total), (1, Some(2)));
        assert_eq!(w.selected().unwrap().id, 1);
    }

    #[test]
    fn the_view_follows_the_cursor() {
        let mut w = Window {
            view_height: 10,
            ..Window::default()
        };
        w.on_page(PageMode::Replace(0), page(0..100, false));
        w.move_by(15, Sort::Age);
        assert_eq!(w.view_top, 6);
        w.move_by(-3, Sort::Age);
        assert_eq!(w.view_top, 6, "moving inside the view does not scroll");
        w.move_by(-12, Sort::Age);
        assert_eq!(w.view_top, 0);
    }
}
