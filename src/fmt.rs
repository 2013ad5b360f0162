//! Text laid out by display width: a CJK character takes two columns.

use chrono::{DateTime, FixedOffset, Utc};
use unicode_width::UnicodeWidthStr;

/// Times are shown in Beijing time, the officers' zone, whatever zone the
/// jump host is set to.
pub fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("a valid offset"))
}

/// A stored code's label, or a visible placeholder with the code, inert,
/// when this version does not know it.
pub fn known_or(label: Option<&str>, raw: &str) -> String {
    match label {
        Some(l) => l.to_string(),
        None => format!("？{}", crate::domain::text::inert(raw)),
    }
}

/// The first `n` characters (never a byte cut inside one).
pub fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts to at most `w` columns, marking a cut with "…".
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// Breaks a line into pieces of at most `w` columns (a wide character is
/// never split), inert.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in crate::domain::text::inert(s).chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w && used > 0 {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
        used += cw;
    }
    out
}

/// Breaks a line into pieces of at most `w` columns at spaces where it
/// can (a no-break space holds), by character where a word is wider than
/// `w`; inert. Spaces at a break are dropped.
pub fn wrap_words(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out: Vec<String> = vec![];
    let mut line = String::new();
    for word in crate::domain::text::inert(s).split(' ') {
        let sep = usize::from(!line.is_empty());
        if width(&line) + sep + width(word) <= w {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut pieces = wrap(word, w);
        line = pieces.pop().unwrap_or_default();
        out.extend(pieces);
    }
    out.push(line);
    out
}

/// Cuts or pads with spaces to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let mut t = truncate(s, w);
    let pad = w.saturating_sub(width(&t));
    t.extend(std::iter::repeat_n(' ', pad));
    t
}

/// A plain-text table for the command line, aligned by display width.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(c)).min(48);
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| fit(c, widths[i]))
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_spaces_and_long_words_by_character() {
        assert_eq!(
            wrap_words(
                "pending acceptance · 2026-11-04 10:35 qualification extension",
                40
            ),
            vec![
                "pending acceptance · 2026-11-04 10:35",
                "qualification extension"
            ]
        );
        // A no-break space holds a code to its mark; CJK breaks anywhere.
        assert_eq!(
            wrap_words("玉泉中联物流集团有限公司  91330101000012HTFP\u{a0}✓", 30),
            vec!["玉泉中联物流集团有限公司 ", "91330101000012HTFP\u{a0}✓"]
        );
        assert_eq!(
            wrap_words("某某省东海市人民路71号", 8),
            vec!["某某省东", "海市人民", "路71号"]
        );
        assert!(
            wrap_words("a\u{1b}[2Jb", 80)
                .iter()
                .all(|l| !l.contains('\u{1b}'))
        );
        assert_eq!(wrap_words("", 10), vec![""]);
    }

    #[test]
    fn cjk_counts_two_columns() {
        assert_eq!(width("某某技术"), 8);
        assert_eq!(fit("某某技术有限公司", 9), "某某技术…");
        assert_eq!(width(&fit("某某技术有限公司", 9)), 9);
        assert_eq!(fit("ab", 4), "ab  ");
    }

    #[test]
    fn table_columns_align_by_width() {
        let t = table(
            &["名称", "id"],
            &[
                vec!["某某公司".into(), "1".into()],
                vec!["abc".into(), "22".into()],
            ],
        );
        let cols: Vec<usize> = t
            .lines()
            .map(|l| {
                l.find(|c: char| c.is_ascii_digit() || c == 'i')
                    .map(|b| width(&l[..b]))
                    .unwrap_or(0)
            })
            .collect();
        assert!(cols.windows(2).all(|w| w[0] == w[1]), "{t}");
    }
}
