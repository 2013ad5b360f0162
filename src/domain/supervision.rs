//! Supervision (the service agreement's 第二条, DOMAIN.md §E): measures on a
//! direct-connect unit, their rectification deadlines, risk warnings, the
//! 1% rule, and what measures do to the unit's applications. Pure rules.

use super::model::*;
use super::workflow::Forbidden;
use chrono::{DateTime, Months, Utc};

/// A rectification period is one month unless the supervisor sets
/// another, and never more than three.
pub const DEFAULT_MONTHS: u32 = 1;
pub const MAX_MONTHS: u32 = 3;

/// A user unit share above which a direct-connect unit is listed for a
/// supervisor's decision (the agreement's 1%).
pub const SERIOUS_SHARE_PERCENT: i64 = 1;

/// Qualifications lapsing within this many days are listed.
pub const LAPSE_DAYS: i64 = 30;

impl MeasureKind {
    /// Suspensions and the limit run until rectified, by a deadline.
    pub fn has_deadline(self) -> bool {
        matches!(
            self,
            MeasureKind::SuspendInvitations
                | MeasureKind::SuspendCapabilities
                | MeasureKind::LimitConcurrency
                | MeasureKind::SuspendAccess
        )
    }

    /// A reminder or an interview is recorded, not in force.
    pub fn lasting(self) -> bool {
        !matches!(self, MeasureKind::Reminder | MeasureKind::Interview)
    }

    /// Whether this measure on a unit stops the confirmation of an
    /// application of `kind` that concerns it (for an invitation, as the
    /// inviting unit).
    pub fn blocks(self, kind: Kind) -> bool {
        match self {
            MeasureKind::SuspendInvitations => kind == Kind::Invitation,
            MeasureKind::SuspendCapabilities => kind == Kind::Subscription,
            // Access suspended or ended: nothing more of the unit goes
            // through, but it may still leave.
            MeasureKind::SuspendAccess | MeasureKind::Terminate => kind != Kind::Exit,
            MeasureKind::Reminder | MeasureKind::Interview | MeasureKind::LimitConcurrency => false,
        }
    }
}

/// Why a measure cannot be imposed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error(
        "整改期限不能超过 {MAX_MONTHS} 个月（最迟 {0}） (the rectification deadline may not be more than three months away)"
    )]
    TooFar(String),
    #[error("整改期限须在今天之后 (the deadline must be in the future)")]
    Past,
    #[error("“{0}”没有整改期限 (this measure has no deadline)")]
    NoDeadline(&'static str),
    #[error(
        "限制并发量须给出新的上限（正整数） (a concurrency limit needs the new limit, a positive number)"
    )]
    NoLimit,
}

/// The deadline of a measure imposed `now`: the one asked for, else a
/// month; refused beyond three months or in the past, and for a measure
/// that has none.
pub fn deadline(
    kind: MeasureKind,
    now: DateTime<Utc>,
    asked: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, MeasureError> {
    if !kind.has_deadline() {
        return match asked {
            Some(_) => Err(MeasureError::NoDeadline(kind.zh())),
            None => Ok(None),
        };
    }
    let latest = now + Months::new(MAX_MONTHS);
    match asked {
        None => Ok(Some(now + Months::new(DEFAULT_MONTHS))),
        Some(d) if d <= now => Err(MeasureError::Past),
        Some(d) if d > latest => Err(MeasureError::TooFar(
            crate::fmt::beijing(latest).format("%Y-%m-%d").to_string(),
        )),
        Some(d) => Ok(Some(d)),
    }
}

/// A concurrency limit is given exactly for 限制并发量.
pub fn limit(kind: MeasureKind, asked: Option<i64>) -> Result<Option<i64>, MeasureError> {
    match (kind, asked) {
        (MeasureKind::LimitConcurrency, Some(n)) if n > 0 => Ok(Some(n)),
        (MeasureKind::LimitConcurrency, _) => Err(MeasureError::NoLimit),
        _ => Ok(None),
    }
}

/// Who supervises a unit: an officer with the supervise role of its
/// county, or of its province.
pub fn may_supervise(officer: &Officer, county: &str, province: &str) -> Result<(), Forbidden> {
    let here = match officer.level {
        Level::County => officer.bureau_id == county,
        Level::Province => officer.bureau_id == province,
    };
    if !here {
        // Said without naming the unit's bureau: another county's units
        // are not this officer's to know about.
        return Err(Forbidden::NotInJurisdiction);
    }
    if !officer.active {
        return Err(Forbidden::Disabled(officer.login.clone()));
    }
    if officer.has(Role::Supervise) {
        Ok(())
    } else {
        Err(Forbidden::MissingRole(Role::Supervise))
    }
}

/// The 1% rule: more than 1% of the unit's user units flagged for serious
/// offences.
pub fn over_serious_share(flagged: i64, bound: i64) -> bool {
    bound > 0 && flagged * 100 > bound * SERIOUS_SHARE_PERCENT
}

/// The first measure in force that stops confirming an application of
/// `kind`, if any.
pub fn blocking(kind: Kind, in_force: &[MeasureKind]) -> Option<MeasureKind> {
    in_force.iter().copied().find(|m| m.blocks(kind))
}

/// A non-public capability (非公用基础能力) needs the unit's special-industry
/// qualification.
pub const NON_PUBLIC_CAPABILITIES: [&str; 3] =
    ["成品油发票开具", "农产品收购发票开具", "机动车发票开具"];

pub fn is_public(capability: &str) -> bool {
    !NON_PUBLIC_CAPABILITIES.contains(&capability)
}

/// The extension period a confirming officer is offered: the end the
/// request names (if ahead and within ten years), else a year from now.
pub fn proposed_until(requested: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    requested
        .filter(|d| *d > now && *d <= now + Months::new(120))
        .unwrap_or(now + Months::new(12))
}

/// A day typed as `YYYY-MM-DD`, as its last second in Beijing: a
/// deadline or an extension runs to the end of the day the officer names.
pub fn parse_day(s: &str) -> Option<DateTime<Utc>> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let end = d.and_hms_opt(23, 59, 59)?;
    Some((end - chrono::Duration::hours(8)).and_utc())
}

/// An extension's end as an officer sets it: not before today, not more
/// than ten years on (the database refuses the same).
pub fn extension_end(until: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if until < now - chrono::Duration::days(1) || until > now + Months::new(120) {
        return Err(format!(
            "延续截止日 {} 须在今天到十年之内 (an extension ends between today and ten years on)",
            day(until)
        ));
    }
    Ok(until)
}

/// A time as the day it falls on in Beijing, as typed back.
pub fn day(t: DateTime<Utc>) -> String {
    crate::fmt::beijing(t).format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn an_extension_ends_between_today_and_ten_years_on() {
        let now = parse_day("2026-11-22").unwrap();
        assert!(extension_end(parse_day("2027-06-30").unwrap(), now).is_ok());
        assert!(extension_end(parse_day("1900-01-01").unwrap(), now).is_err());
        assert!(extension_end(parse_day("2999-01-01").unwrap(), now).is_err());
    }

    #[test]
    fn a_typed_day_ends_at_midnight_in_beijing() {
        let t = parse_day(" 2026-12-21 ").unwrap();
        assert_eq!(t, "2026-12-21T15:59:59Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(day(t), "2026-12-21");
        for bad in ["", "2026-13-01", "21/12/2026", "2026-12-21x", "\x1b[2J"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-02T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn deadlines_default_to_a_month_and_stop_at_three() {
        let k = MeasureKind::SuspendInvitations;
        assert_eq!(
            deadline(k, now(), None).unwrap(),
            Some("2026-04-02T02:00:00Z".parse().unwrap())
        );
        let ok = now() + Duration::days(80);
        assert_eq!(deadline(k, now(), Some(ok)).unwrap(), Some(ok));
        assert!(matches!(
            deadline(k, now(), Some(now() + Duration::days(95))),
            Err(MeasureError::TooFar(_))
        ));
        assert_eq!(
            deadline(k, now(), Some(now() - Duration::days(1))),
            Err(MeasureError::Past)
        );
        assert_eq!(deadline(MeasureKind::Terminate, now(), None).unwrap(), None);
        assert!(deadline(MeasureKind::Reminder, now(), Some(ok)).is_err());
    }

    #[test]
    fn measures_block_what_the_agreement_says() {
        use MeasureKind as M;
        assert!(M::SuspendInvitations.blocks(Kind::Invitation));
        assert!(!M::SuspendInvitations.blocks(Kind::Subscription));
        assert!(M::SuspendCapabilities.blocks(Kind::Subscription));
        assert!(M::SuspendAccess.blocks(Kind::Extension));
        assert!(!M::Terminate.blocks(Kind::Exit), "a unit may still leave");
        assert!(!M::LimitConcurrency.blocks(Kind::Invitation));
        assert_eq!(
            blocking(Kind::Invitation, &[M::Reminder, M::SuspendAccess]),
            Some(M::SuspendAccess)
        );
    }

    #[test]
    fn the_one_percent_rule() {
        assert!(!over_serious_share(1, 100));
        assert!(over_serious_share(2, 100));
        assert!(over_serious_share(1, 50));
        assert!(!over_serious_share(0, 0));
    }
}
