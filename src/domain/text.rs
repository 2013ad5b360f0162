//! Applicant text is untrusted: it may hold control characters and terminal
//! escape sequences. Everything drawn passes through [`inert`] first.

use std::borrow::Cow;

/// Characters that must never reach a terminal as they are: C0 and C1
/// controls, DEL, the bidirectional marks and overrides that reorder a
/// line (U+061C among them), and the line and paragraph separators that
/// break one.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Whether a text shows anything: blanks of any script and the
/// default-ignorable characters (zero-width, soft hyphen, fillers, variation
/// selectors, tags) draw nothing, so a name or reason of only these reads
/// as empty.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| {
        !(c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{034F}'
                    | '\u{115F}'
                    | '\u{1160}'
                    | '\u{17B4}'
                    | '\u{17B5}'
                    | '\u{180B}'..='\u{180F}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{206F}'
                    | '\u{3164}'
                    | '\u{FE00}'..='\u{FE0F}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
                    | '\u{1BCA0}'..='\u{1BCA3}'
                    | '\u{E0000}'..='\u{E0FFF}'
            ))
    })
}

/// A name as shown on every console and audit line: something visible,
/// nothing a terminal would obey.
pub fn is_plain_name(s: &str) -> bool {
    has_visible(s) && !s.chars().any(is_unsafe)
}

/// A visible stand-in: C0 controls become their Control Pictures (␛ for
/// ESC), everything else U+FFFD.
fn picture(c: char) -> char {
    match c as u32 {
        n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
        0x7f => '\u{2421}',
        _ => '\u{FFFD}',
    }
}

/// One line, inert: every unsafe character replaced by a visible picture,
/// line breaks and tabs by a space.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' | '\t' | '\r' => ' ',
                c if is_unsafe(c) => picture(c),
                c => c,
            })
            .collect(),
    )
}

/// The key names sort by, as officers expect Chinese names sorted: by
/// pinyin (the toneless syllables, lower case; other characters as they
/// are), then by the characters themselves, then oldest first.
pub fn name_key(name: &str, submitted: chrono::DateTime<chrono::Utc>) -> String {
    use pinyin::ToPinyin;
    let syllables: Vec<String> = name
        .chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_string(),
            None => c.to_lowercase().to_string(),
        })
        .collect();
    format!(
        "{}\u{1}{name}\u{1}{}",
        syllables.join(" "),
        submitted.format("%Y%m%d%H%M%S%6f")
    )
}

/// Text of many lines for a terminal, inert: line breaks kept, a tab
/// becomes four spaces, every other unsafe character its picture. The one
/// path everything printed takes.
pub fn inert_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(inert_lines(s).join("\n"))
}

/// Several lines, inert: like [`inert`] but keeps line breaks; a tab
/// becomes four spaces.
pub fn inert_lines(s: &str) -> Vec<String> {
    s.split('\n')
        .map(|l| {
            l.chars()
                .flat_map(|c| match c {
                    '\t' => vec![' '; 4],
                    '\r' => vec![],
                    c if is_unsafe(c) => vec![picture(c)],
                    c => vec![c],
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        let s = inert("恶意\x1b[2J\x1b]0;title\x07公司\u{9b}31m");
        assert!(!s.chars().any(is_unsafe));
        assert_eq!(s, "恶意␛[2J␛]0;title␇公司\u{FFFD}31m");
    }

    #[test]
    fn names_sort_by_pinyin_then_oldest_first() {
        use chrono::TimeZone;
        let t = |s| chrono::Utc.timestamp_opt(s, 0).unwrap();
        let mut names = [
            name_key("张三公司", t(5)),
            name_key("安泰科技", t(9)),
            name_key("北岭贸易", t(1)),
            name_key("安泰科技", t(3)),
            name_key("Zeta", t(1)),
        ];
        names.sort();
        let order: Vec<&str> = names
            .iter()
            .map(|k| k.split('\u{1}').nth(1).unwrap())
            .collect();
        // Latin names sort with the pinyin: "zeta" before "zhangsan".
        assert_eq!(
            order,
            vec!["安泰科技", "安泰科技", "北岭贸易", "Zeta", "张三公司"]
        );
        assert!(
            names[0] < names[1] && names[0].ends_with("000003000000"),
            "ties oldest first"
        );
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(inert("某某技术有限公司"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_keeps_its_lines_and_nothing_else() {
        let t = inert_text("表头\n\x1b]52;c;eA==\x07\u{9b}2J\u{202E}\r\n尾");
        assert_eq!(t, "表头\n␛]52;c;eA==␇\u{FFFD}2J\u{FFFD}\n尾");
        assert!(matches!(inert_text("干净\n的"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_keep_breaks_but_no_controls() {
        let l = inert_lines("一\t二\r\n\x1b[1m三\u{202E}");
        assert_eq!(
            l,
            vec!["一    二".to_string(), "␛[1m三\u{FFFD}".to_string()]
        );
    }
}
