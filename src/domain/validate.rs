//! Exact validation of what applicants type: USCC, IPv4, ports, and the
//! rejection reasons officers type.

const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("长度应为18位，实为{0}位 (must be 18 characters, found {0})")]
    Length(usize),
    #[error("第{pos}位含非法字符“{ch}” (character {pos} '{ch}' is not allowed)")]
    BadChar { pos: usize, ch: char },
    #[error(
        "校验码应为“{expected}”，实为“{found}” (check character should be {expected}, is {found})"
    )]
    CheckChar { expected: char, found: char },
}

/// The check character for the first 17 characters of a code (GB 32100-2015).
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in first17.chars().enumerate() {
        let v = USCC_CHARS.find(c)? as u32;
        sum += v * *USCC_WEIGHTS.get(i)?;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARS.chars().nth(check as usize)
}

pub fn uscc(code: &str) -> Result<(), UsccError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::Length(chars.len()));
    }
    if let Some((i, &ch)) = chars
        .iter()
        .enumerate()
        .find(|(_, c)| !USCC_CHARS.contains(**c))
    {
        return Err(UsccError::BadChar { pos: i + 1, ch });
    }
    let first: String = chars[..17].iter().collect();
    let expected = uscc_check_char(&first).expect("characters were checked");
    if expected != chars[17] {
        return Err(UsccError::CheckChar {
            expected,
            found: chars[17],
        });
    }
    Ok(())
}

/// A dotted-quad IPv4 address: four decimal numbers 0-255, no leading zeros.
pub fn ipv4(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return Err(format!("“{s}”不是四段式地址 (not four dotted numbers)"));
    }
    for p in parts {
        let ok = !p.is_empty()
            && p.len() <= 3
            && p.bytes().all(|b| b.is_ascii_digit())
            && !(p.len() > 1 && p.starts_with('0'))
            && p.parse::<u16>().is_ok_and(|n| n <= 255);
        if !ok {
            return Err(format!("“{s}”中的“{p}”不在0-255之间 ({p} is not 0-255)"));
        }
    }
    Ok(())
}

pub fn port(p: i64) -> Result<(), String> {
    if (1..=65535).contains(&p) {
        Ok(())
    } else {
        Err(format!("端口{p}不在1-65535之间 (port {p} is not 1-65535)"))
    }
}

pub const REASON_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error("请填写理由 (a reason is required)")]
    Empty,
    #[error(
        "理由不能超过2000字，现为{0}字 (a reason is at most 2,000 characters, this one has {0})"
    )]
    TooLong(usize),
    #[error("理由含控制字符 U+{0:04X} (the reason holds a control character)")]
    Control(u32),
}

/// A rejection or unbinding reason: trimmed, non-empty, at most 2,000
/// characters, no control characters but line breaks and tabs.
pub fn reason(raw: &str) -> Result<String, ReasonError> {
    let r = raw.trim();
    // Nothing the applicant could read (the database says the same).
    if !super::text::has_visible(r) {
        return Err(ReasonError::Empty);
    }
    let n = r.chars().count();
    if n > REASON_MAX_CHARS {
        return Err(ReasonError::TooLong(n));
    }
    if let Some(c) = r
        .chars()
        .find(|c| super::text::is_unsafe(*c) && *c != '\n' && *c != '\t')
    {
        return Err(ReasonError::Control(c as u32));
    }
    Ok(r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_sample_codes_are_invalid() {
        // 某某技术有限公司: the check character is wrong.
        assert!(matches!(
            uscc("9161252LQ1136652JR"),
            Err(UsccError::CheckChar { .. })
        ));
        // 乐一软件技术有限公司: Z is not in the code alphabet.
        assert_eq!(
            uscc("916155ZL22511194LQ"),
            Err(UsccError::BadChar { pos: 7, ch: 'Z' })
        );
    }

    #[test]
    fn known_valid_codes_pass() {
        // Published codes of real enterprises.
        assert_eq!(uscc("91350100M000100Y43"), Ok(()));
        assert!(uscc("911100001000024216").is_err());
        let first = "91330100MA2KX1234";
        let full = format!("{first}{}", uscc_check_char(first).unwrap());
        assert_eq!(uscc(&full), Ok(()));
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(uscc("123"), Err(UsccError::Length(3)));
        assert_eq!(
            uscc("９1350100M000100Y43").unwrap_err(),
            UsccError::BadChar { pos: 1, ch: '９' }
        );
        assert!(matches!(
            uscc("91350100M000100Y44"),
            Err(UsccError::CheckChar {
                expected: '3',
                found: '4'
            })
        ));
    }

    #[test]
    fn seed_sample_address_is_invalid() {
        assert!(ipv4("10.90.661.910").is_err());
        assert!(ipv4("10.90.661.911").is_err());
        assert!(ipv4("10.90.66.91").is_ok());
        assert!(ipv4("255.255.255.255").is_ok());
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..3.4",
            "a.b.c.d",
            "256.1.1.1",
            " 1.2.3.4",
        ] {
            assert!(ipv4(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert!(port(8888).is_ok());
        assert!(port(0).is_err());
        assert!(port(65536).is_err());
    }

    #[test]
    fn reasons() {
        assert_eq!(reason("  材料不全 \n"), Ok("材料不全".into()));
        assert_eq!(reason("   "), Err(ReasonError::Empty));
        assert_eq!(reason("\u{3000}\u{200b} \u{feff}"), Err(ReasonError::Empty));
        assert_eq!(
            reason("\u{ad}\u{34f}\u{3164}\u{e0020}"),
            Err(ReasonError::Empty)
        );
        assert_eq!(reason("a\rb"), Err(ReasonError::Control(0x0d)));
        assert_eq!(reason(&"字".repeat(2001)), Err(ReasonError::TooLong(2001)));
        assert!(reason(&"字".repeat(2000)).is_ok());
        assert_eq!(reason("bad\x1b[31m"), Err(ReasonError::Control(0x1b)));
        assert!(reason("第一行\n第二行").is_ok());
    }
}
