//! The parsers an officer or a file can reach, fed arbitrary text: the
//! keymap parser, the configuration loader, the reason validator, the
//! cursor decoder and the inert path. None panics; inert output never
//! holds an unsafe character.

use leqi_console::config::Config;
use leqi_console::domain::text::{inert, inert_text, is_unsafe};
use leqi_console::domain::validate;
use leqi_console::keymap::Keymap;
use leqi_console::store::Cursor;
use proptest::prelude::*;

/// Text rich in what breaks parsers and terminals: controls, C1, bidi,
/// TOML punctuation, CJK, line breaks.
fn hostile() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[\\x00-\\x1f\\x7f\u{80}-\u{9f}\u{200e}\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}a-z0-9 \\[\\]=\"'.,#\\-_\\n\\t一受理]{0,120}",
    )
    .unwrap()
}

/// A keymap-shaped file whose keys and actions are hostile.
fn keymap_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "normal", "reason", "global", "bindings", "nowhere", "",
        ]),
        prop::collection::vec((hostile(), hostile()), 0..6),
    )
        .prop_map(|(mode, binds)| {
            let mut s = format!("[{mode}]\n");
            for (k, a) in binds {
                s.push_str(&format!("{k:?} = {a:?}\n"));
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_inert_path_leaves_nothing_a_terminal_obeys(s in any::<String>(), h in hostile()) {
        for t in [&s, &h] {
            prop_assert!(!inert(t).chars().any(is_unsafe));
            prop_assert!(!inert_text(t).chars().any(|c| c != '\n' && is_unsafe(c)));
        }
    }

    #[test]
    fn the_keymap_parser_never_panics(raw in any::<String>(), shaped in keymap_text()) {
        for text in [&raw, &shaped] {
            if let Err(e) = Keymap::parse(text, "k.toml") {
                // The error is said inert wherever it goes.
                prop_assert!(e.line >= 1);
                prop_assert!(!inert(&e.to_string()).chars().any(is_unsafe));
            }
        }
    }

    #[test]
    fn the_config_loader_never_panics(text in hostile(), raw in any::<String>()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        for t in [&text, &raw] {
            std::fs::write(&f, t).unwrap();
            if let Ok(c) = Config::load(&f) {
                let _ = c.lang;
            }
        }
    }

    #[test]
    fn reasons_are_refused_or_clean(r in hostile(), raw in any::<String>()) {
        for t in [&r, &raw] {
            if let Ok(clean) = validate::reason(t) {
                prop_assert!(!clean.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c)));
                prop_assert!(!clean.trim().is_empty());
            }
        }
    }

    #[test]
    fn cursors_decode_or_not_but_never_panic(t in any::<String>(), h in hostile()) {
        let _ = Cursor::decode(&t);
        let _ = Cursor::decode(&h);
    }
}
