//! Claims (领取): an officer working on an application holds it for a
//! lease. While the lease runs nobody else decides it, unless they take it
//! over with a reason; when it runs out it lapses by itself.

use super::text::inert;
use chrono::{DateTime, Utc};

/// A lease unless configured otherwise.
pub const DEFAULT_MINUTES: i64 = 15;
/// The longest lease: a working day.
pub const MAX_MINUTES: i64 = 480;
/// How often a console renews what it holds: well inside the shortest lease.
pub const RENEW_SECONDS: u64 = 60;
/// Presence older than this is gone (a console renews it every 30 s).
pub const PRESENCE_SECONDS: i64 = 90;

/// Someone else's live claim on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub id: i64,
    pub officer: String,
    pub until: DateTime<Utc>,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = inert(&self.officer);
        let at = crate::fmt::beijing(self.until).format("%H:%M");
        write!(
            f,
            "正在处理：申请 {} 已由 {who} 领取至 {at}，可接手并说明理由 (held: {who} has claimed application {} until {at}; take it over with a reason)",
            self.id, self.id
        )
    }
}

/// Whole minutes left of a lease, rounded up; 0 once it has run out.
pub fn minutes_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (until - now).num_seconds();
    if secs <= 0 { 0 } else { (secs + 59) / 60 }
}

/// A lease length as asked for: 1 to 480 minutes.
pub fn lease_minutes(n: i64) -> Result<i64, String> {
    if (1..=MAX_MINUTES).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "领取时长须为 1 至 {MAX_MINUTES} 分钟，而不是 {n} (a claim lasts 1 to {MAX_MINUTES} minutes)"
        ))
    }
}

/// What claiming does to an item, given the claim on it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nobody held it.
    New,
    /// The officer's own live claim: the lease is extended, nothing audited.
    Renew,
    /// A lease that ran out (anyone's): its lapse is recorded, then the claim.
    Lapsed {
        officer: String,
        expired: DateTime<Utc>,
    },
    /// Someone else's live claim, taken over with a reason.
    TakeOver { from: String },
    /// Someone else's live claim, not taken over: refused.
    Held(Held),
}

/// The step for `me` claiming item `id` at `now`, held as `current`
/// (holder, lease end); `take_over` when a reason was given.
pub fn step(
    me: &str,
    id: i64,
    current: Option<(&str, DateTime<Utc>)>,
    now: DateTime<Utc>,
    take_over: bool,
) -> Step {
    match current {
        None => Step::New,
        Some((who, until)) if until <= now => Step::Lapsed {
            officer: who.to_string(),
            expired: until,
        },
        Some((who, _)) if who == me => Step::Renew,
        Some((who, _)) if take_over => Step::TakeOver {
            from: who.to_string(),
        },
        Some((who, until)) => Step::Held(Held {
            id,
            officer: who.to_string(),
            until,
        }),
    }
}

/// A live claim by someone other than `me`, which stops `me` deciding.
pub fn held_by_other(
    me: &str,
    id: i64,
    current: Option<(&str, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Option<Held> {
    match current {
        Some((who, until)) if who != me && until > now => Some(Held {
            id,
            officer: who.to_string(),
            until,
        }),
        _ => None,
    }
}

/// What a lapse says on the audit trail (the same words as PostgreSQL's
/// `leqi_lapse_text`, so that both backends' chains read alike).
pub fn lapse_text(officer: &str, expired: DateTime<Utc>) -> String {
    format!(
        "{officer} 的领取已于 {} 到期 (claim lapsed)",
        crate::fmt::beijing(expired).format("%Y-%m-%d %H:%M")
    )
}

/// What a take-over says on the audit trail.
pub fn take_over_text(from: &str, reason: &str) -> String {
    format!("从 {from} 接手：{reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn steps_follow_the_holder_and_the_lease() {
        let now = t0();
        let live = now + Duration::minutes(5);
        let gone = now - Duration::seconds(1);
        assert_eq!(step("a", 1, None, now, false), Step::New);
        assert_eq!(step("a", 1, Some(("a", live)), now, false), Step::Renew);
        assert_eq!(
            step("a", 1, Some(("b", live)), now, false),
            Step::Held(Held {
                id: 1,
                officer: "b".into(),
                until: live
            })
        );
        assert_eq!(
            step("a", 1, Some(("b", live)), now, true),
            Step::TakeOver { from: "b".into() }
        );
        assert_eq!(
            step("a", 1, Some(("b", gone)), now, false),
            Step::Lapsed {
                officer: "b".into(),
                expired: gone
            }
        );
        // A lease ending exactly now has ended.
        assert!(matches!(
            step("a", 1, Some(("b", now)), now, false),
            Step::Lapsed { .. }
        ));
        assert_eq!(held_by_other("a", 1, Some(("a", live)), now), None);
        assert_eq!(held_by_other("a", 1, Some(("b", gone)), now), None);
        assert!(held_by_other("a", 1, Some(("b", live)), now).is_some());
    }

    #[test]
    fn minutes_round_up_and_stop_at_zero() {
        let now = t0();
        assert_eq!(minutes_left(now + Duration::seconds(61), now), 2);
        assert_eq!(minutes_left(now + Duration::minutes(15), now), 15);
        assert_eq!(minutes_left(now - Duration::minutes(1), now), 0);
        assert!(lease_minutes(0).is_err());
        assert!(lease_minutes(481).is_err());
        assert_eq!(lease_minutes(15), Ok(15));
    }

    #[test]
    fn a_hostile_holder_name_is_inert() {
        let h = Held {
            id: 3,
            officer: "x\u{1b}]0;pwn\u{7}".into(),
            until: t0(),
        };
        assert!(!h.to_string().contains('\u{1b}'));
        assert!(lapse_text("zhao", t0()).contains("2026-11-22 10:00"));
    }
}
