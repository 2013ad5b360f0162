//! Everything the command line prints goes through here, and through one
//! rule: text is made inert (`domain::text::inert_text`) whatever its
//! source; JSON escapes control and bidirectional characters as `\u`
//! escapes. A closed pipe ends the command quietly.

use crate::domain::text::{inert_text, is_unsafe};
use crate::fmt::table;
use chrono::{DateTime, Utc};
use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};

/// The conventional exit code of a command whose reader went away.
pub const BROKEN_PIPE: i32 = 141;

fn write(mut out: impl Write, text: &str) {
    let inert = inert_text(text);
    let r = out
        .write_all(inert.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(BROKEN_PIPE),
        // Nowhere left to say it: the exit code does.
        Err(_) => std::process::exit(1),
        Ok(()) => {}
    }
}

/// Lines on standard output.
pub fn line(s: &str) {
    write(io::stdout().lock(), s);
}

/// The language of messages, once known (before it is, both halves).
static LANG: std::sync::OnceLock<crate::i18n::Lang> = std::sync::OnceLock::new();

/// Messages from here on are in `lang` only.
pub fn set_lang(lang: crate::i18n::Lang) {
    let _ = LANG.set(lang);
}

/// A message in the user's language, once known.
pub fn said(s: &str) -> String {
    match LANG.get() {
        Some(l) => s.lines().map(|x| l.half(x)).collect::<Vec<_>>().join("\n"),
        None => s.to_string(),
    }
}

/// A message on standard output, in the user's language.
pub fn message(s: &str) {
    line(&said(s));
}

/// Messages on standard error, in the user's language.
pub fn note(s: &str) {
    write(io::stderr().lock(), &said(s));
}

/// The user's language (Chinese until it is known).
pub fn lang() -> crate::i18n::Lang {
    LANG.get().copied().unwrap_or(crate::i18n::Lang::Zh)
}

/// Whether the user reads Chinese.
pub fn zh() -> bool {
    lang() == crate::i18n::Lang::Zh
}

/// A table aligned by display width. Each heading is `中文 (English)`:
/// the user's half is shown.
pub fn rows(header: &[&str], rows: &[Vec<String>]) {
    let header: Vec<String> = header.iter().map(|h| lang().half(h)).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let t = table(&header, rows);
    line(t.strip_suffix('\n').unwrap_or(&t));
}

/// Pretty JSON in which every control and bidirectional character, C1
/// controls and DEL included, is a `\u` escape.
pub fn json<T: serde::Serialize>(v: &T) {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, InertJson::default());
    if let Err(e) = v.serialize(&mut ser) {
        note(&format!("无法输出 JSON：{e} (cannot write JSON)"));
        std::process::exit(1);
    }
    // Valid UTF-8 (serde_json writes nothing else) with no unsafe character.
    line(&String::from_utf8_lossy(&buf));
}

/// A time as officers read it: Beijing time, to the minute.
pub fn local(t: DateTime<Utc>) -> String {
    crate::fmt::beijing(t).format("%Y-%m-%d %H:%M").to_string()
}

/// serde_json's pretty layout; strings escape what a terminal would obey.
#[derive(Default)]
struct InertJson(PrettyFormatter<'static>);

impl Formatter for InertJson {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, s: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in s.char_indices() {
            if is_unsafe(c) {
                w.write_all(&s.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&s.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// JSON as a string, for tests of the escaping.
#[cfg(test)]
fn json_string<T: serde::Serialize>(v: &T) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, InertJson::default());
    let _ = v.serialize(&mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_every_unsafe_character_and_stays_valid() {
        let v = serde_json::json!({"名称": "a\u{1b}]0;x\u{7}\u{9b}2J\u{202e}\u{2066}\u{7f}b\n"});
        let s = json_string(&v);
        assert!(!s.chars().any(|c| c != '\n' && is_unsafe(c)), "{s:?}");
        assert!(s.contains("\\u009b") && s.contains("\\u202e") && s.contains("\\u007f"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v, "the same value reads back");
    }
}
