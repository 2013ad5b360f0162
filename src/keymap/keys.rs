//! Key syntax: `j`, `G`, `?`, `ctrl-s` (or `C-s`), `alt-x`, `shift-tab`,
//! `enter`, `esc`, `tab`, `backtab`, `space`, `up`, `down`, `left`,
//! `right`, `pageup`, `pagedown`, `home`, `end`, `delete`, `backspace`,
//! `f1`..`f12`; a sequence is keys separated by spaces: `g g`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// KeyCode with an order, for maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("delete", KeyCode::Delete),
    ("backspace", KeyCode::Backspace),
    ("insert", KeyCode::Insert),
];

impl From<KeyEvent> for KeyChord {
    fn from(ev: KeyEvent) -> Self {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(' ') => KeyCodeOrd::Named("space"),
            // Shift is in the character itself: `G`, `?`.
            KeyCode::Char(c) if ctrl || alt => KeyCodeOrd::Char(c.to_ascii_lowercase()),
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => {
                KeyCodeOrd::Named("backtab")
            }
            other => NAMED
                .iter()
                .find(|(_, k)| *k == other)
                .map(|(n, _)| KeyCodeOrd::Named(n))
                .unwrap_or(KeyCodeOrd::Named("?")),
        };
        KeyChord { code, ctrl, alt }
    }
}

fn parse_key(s: &str) -> Result<KeyChord, String> {
    let mut ctrl = false;
    let mut alt = false;
    let mut rest = s;
    loop {
        let lower = rest.to_ascii_lowercase();
        if rest.len() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
            ctrl = true;
            rest = &rest[rest.find('-').unwrap_or(0) + 1..];
        } else if rest.len() > 1
            && (lower.starts_with("alt-") || lower.starts_with("a-") || lower.starts_with("m-"))
        {
            alt = true;
            rest = &rest[rest.find('-').unwrap_or(0) + 1..];
        } else if lower == "shift-tab" || lower == "s-tab" {
            return Ok(KeyChord {
                code: KeyCodeOrd::Named("backtab"),
                ctrl,
                alt,
            });
        } else {
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCodeOrd::Char(if ctrl || alt {
            c.to_ascii_lowercase()
        } else {
            c
        }),
        _ if lower == "space" => KeyCodeOrd::Named("space"),
        _ if lower.starts_with('f')
            && lower[1..]
                .parse::<u8>()
                .is_ok_and(|n| (1..=12).contains(&n)) =>
        {
            KeyCodeOrd::F(lower[1..].parse().unwrap_or(1))
        }
        _ => match NAMED.iter().find(|(n, _)| *n == lower) {
            Some((n, _)) => KeyCodeOrd::Named(n),
            None => return Err(format!("无法识别的按键写法“{s}” (bad key syntax)")),
        },
    };
    Ok(KeyChord { code, ctrl, alt })
}

pub fn parse_sequence(s: &str) -> Result<Vec<KeyChord>, String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.is_empty() {
        // A lone space is written `space`; an empty key is an error.
        return Err(format!("空的按键“{s}” (empty key)"));
    }
    parts.into_iter().map(parse_key).collect()
}

fn show(k: &KeyChord) -> String {
    let mut s = String::new();
    if k.ctrl {
        s.push_str("Ctrl-");
    }
    if k.alt {
        s.push_str("Alt-");
    }
    match k.code {
        KeyCodeOrd::Char(c) if k.ctrl || k.alt => s.push(c.to_ascii_uppercase()),
        KeyCodeOrd::Char(c) => s.push(c),
        KeyCodeOrd::F(n) => s.push_str(&format!("F{n}")),
        KeyCodeOrd::Named(n) => {
            let shown = match n {
                "enter" => "Enter",
                "esc" => "Esc",
                "tab" => "Tab",
                "backtab" => "Shift-Tab",
                "up" => "↑",
                "down" => "↓",
                "left" => "←",
                "right" => "→",
                "pageup" => "PgUp",
                "pagedown" => "PgDn",
                "home" => "Home",
                "end" => "End",
                "space" => "Space",
                "delete" => "Del",
                "backspace" => "Backspace",
                other => other,
            };
            s.push_str(shown);
        }
    }
    s
}

pub fn show_sequence(seq: &[KeyChord]) -> String {
    seq.iter().map(show).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(
            parse_sequence("ctrl-s").unwrap(),
            parse_sequence("C-s").unwrap()
        );
        assert_eq!(
            parse_sequence("ctrl-S").unwrap(),
            parse_sequence("ctrl-s").unwrap()
        );
        assert_ne!(parse_sequence("G").unwrap(), parse_sequence("g").unwrap());
        assert_eq!(parse_sequence("g g").unwrap().len(), 2);
        assert!(parse_sequence("hyper-x").is_err());
        assert!(parse_sequence("f13").is_err());
        assert_eq!(show_sequence(&parse_sequence("ctrl-s").unwrap()), "Ctrl-S");
        let ev = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(vec![KeyChord::from(ev)], parse_sequence("ctrl-s").unwrap());
        let sp = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(vec![KeyChord::from(sp)], parse_sequence("space").unwrap());
    }
}
