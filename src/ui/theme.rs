//! Colours. Nothing is conveyed by colour alone: every state also has a
//! mark or a word, so the `none` theme (NO_COLOR) loses nothing.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Default,
    Sixteen,
    None,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: ThemeName,
    pub base: Style,
    pub title: Style,
    pub dim: Style,
    pub ok: Style,
    pub bad: Style,
    pub warn: Style,
    pub selected: Style,
    pub marked: Style,
    pub border: Style,
    pub border_focus: Style,
    pub header_bar: Style,
    pub key: Style,
    /// The text cursor of an editor.
    pub cursor: Style,
}

impl Theme {
    pub fn new(name: ThemeName) -> Theme {
        let s = Style::default();
        match name {
            ThemeName::Default => Theme {
                name,
                base: s,
                title: s.fg(Color::Indexed(75)).add_modifier(Modifier::BOLD),
                dim: s.fg(Color::Indexed(245)),
                ok: s.fg(Color::Indexed(71)),
                bad: s.fg(Color::Indexed(203)).add_modifier(Modifier::BOLD),
                warn: s.fg(Color::Indexed(214)),
                selected: s
                    .bg(Color::Indexed(24))
                    .fg(Color::Indexed(231))
                    .add_modifier(Modifier::BOLD),
                marked: s.fg(Color::Indexed(179)).add_modifier(Modifier::BOLD),
                border: s.fg(Color::Indexed(240)),
                border_focus: s.fg(Color::Indexed(75)),
                header_bar: s.bg(Color::Indexed(236)).fg(Color::Indexed(252)),
                key: s.fg(Color::Indexed(117)).add_modifier(Modifier::BOLD),
                cursor: s.add_modifier(Modifier::REVERSED),
            },
            ThemeName::Sixteen => Theme {
                name,
                base: s,
                title: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
                dim: s.fg(Color::DarkGray),
                ok: s.fg(Color::Green),
                bad: s.fg(Color::Red).add_modifier(Modifier::BOLD),
                warn: s.fg(Color::Yellow),
                selected: s
                    .bg(Color::Blue)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD),
                marked: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                border: s.fg(Color::DarkGray),
                border_focus: s.fg(Color::Cyan),
                header_bar: s.bg(Color::Blue).fg(Color::White),
                key: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
                cursor: s.add_modifier(Modifier::REVERSED),
            },
            ThemeName::None => Theme {
                name,
                base: s,
                title: s.add_modifier(Modifier::BOLD),
                dim: s,
                ok: s,
                bad: s.add_modifier(Modifier::BOLD),
                warn: s.add_modifier(Modifier::UNDERLINED),
                selected: s.add_modifier(Modifier::REVERSED),
                marked: s.add_modifier(Modifier::BOLD),
                border: s,
                border_focus: s.add_modifier(Modifier::BOLD),
                header_bar: s.add_modifier(Modifier::REVERSED),
                key: s.add_modifier(Modifier::BOLD),
                cursor: s.add_modifier(Modifier::REVERSED),
            },
        }
    }

    /// NO_COLOR wins; then the configured name; else 256 colours where the
    /// terminal says so and 16 elsewhere.
    pub fn detect(configured: Option<&str>) -> Theme {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Theme::new(ThemeName::None);
        }
        let name = match configured {
            Some("16") | Some("sixteen") => ThemeName::Sixteen,
            Some("none") | Some("mono") => ThemeName::None,
            Some("default") => ThemeName::Default,
            _ => {
                let term = std::env::var("TERM").unwrap_or_default();
                let colorterm = std::env::var("COLORTERM").unwrap_or_default();
                if term.contains("256") || !colorterm.is_empty() {
                    ThemeName::Default
                } else {
                    ThemeName::Sixteen
                }
            }
        };
        Theme::new(name)
    }
}
