//! A console without a terminal, for the tests that drive it by keys and
//! read what it draws: demo data at a fixed clock, the app and its
//! executor, and the screen as text.

use super::{TestDb, fresh_sqlite};
use leqi_console::app::App;
use leqi_console::console::executor::Executor;
use leqi_console::demo;
use leqi_console::i18n::Lang;
use leqi_console::store::Store;
use leqi_console::ui::{self, Theme, theme::ThemeName};
use ratatui::{Terminal, backend::TestBackend};

pub fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    "2026-03-02T02:00:00Z".parse().unwrap()
}

pub struct Console {
    pub _db: TestDb,
    pub drafts: tempfile::TempDir,
    pub store: Store,
    pub app: App,
    pub exec: Executor,
}

/// A console of `login` on a fresh embedded database of `n` demo items.
pub async fn console(lang: Lang, login: &str, n: u64) -> Console {
    let db = fresh_sqlite();
    let store = Store::open(&db.url).await.unwrap();
    demo::generate_at(&store, n, 1, fixed_now(), |_| {})
        .await
        .unwrap();
    let drafts = tempfile::tempdir().unwrap();
    let (app, exec) = super::console_app(
        &store,
        login,
        lang,
        drafts.path(),
        &db.url,
        Some(fixed_now()),
    )
    .await;
    Console {
        _db: db,
        drafts,
        store,
        app,
        exec,
    }
}

/// Another officer's console on the same database, through its own
/// connections, as a second process would be.
pub struct Second {
    pub drafts: tempfile::TempDir,
    pub store: Store,
    pub app: App,
    pub exec: Executor,
}

pub async fn second(url: &str, lang: Lang, login: &str) -> Second {
    let store = Store::open(url).await.unwrap();
    let drafts = tempfile::tempdir().unwrap();
    let (app, exec) =
        super::console_app(&store, login, lang, drafts.path(), url, Some(fixed_now())).await;
    Second {
        drafts,
        store,
        app,
        exec,
    }
}

/// The screen drawn at `w`×`h` in monochrome (NO_COLOR): what is marked
/// must be marked without colour.
pub fn render(app: &App, w: u16, h: u16) -> TestBackend {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::draw(f, app, &Theme::new(ThemeName::None));
    })
    .unwrap();
    t.backend().clone()
}

/// Draws as the console does, the drawn layout told to the app after.
pub fn draw_and_lay(app: &mut App, w: u16, h: u16) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut layout = None;
    t.draw(|f| layout = Some(ui::draw(f, app, &Theme::new(ThemeName::None))))
        .unwrap();
    app.on_layout(layout.unwrap());
}

pub fn screen_text(app: &App, w: u16, h: u16) -> String {
    render(app, w, h).to_string()
}
