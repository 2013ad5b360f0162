//! The audit trail as hash chains: each application's events (each
//! binding's, and the shared settings') form a chain in which every event
//! holds its position, the hash of its fields and the previous event's
//! hash. PostgreSQL computes the same hash (`leqi_event_hash` in
//! migrations/postgres/0009_security.sql); `audit verify` recomputes both.
//! Also: what an application's events say its state and version must be.

use super::model::*;
use super::workflow;
use sha2::{Digest, Sha256};

/// One stored event, as the chain covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub application_id: Option<i64>,
    pub binding_id: Option<i64>,
    /// A unit's own events (supervision): the unit, and the measure or
    /// warning.
    pub unit_id: Option<i64>,
    pub measure_id: Option<i64>,
    pub warning_id: Option<i64>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub officer: String,
    pub bureau_id: Option<String>,
    pub reason: Option<String>,
    /// Microseconds since the epoch.
    pub at_micros: i64,
    pub batch_id: Option<String>,
    pub client: Option<String>,
}

/// The chain an event belongs to: `a<id>` for an application's, `b<id>`
/// for a binding's, `u<id>` for a unit's own (supervision), `s` for shared
/// settings.
pub fn chain_of(
    application_id: Option<i64>,
    binding_id: Option<i64>,
    unit_id: Option<i64>,
) -> String {
    match (application_id, binding_id, unit_id) {
        (Some(a), _, _) => format!("a{a}"),
        (None, Some(b), _) => format!("b{b}"),
        (None, None, Some(u)) => format!("u{u}"),
        (None, None, None) => "s".into(),
    }
}

/// One field, length-prefixed in characters (`~` for none).
fn field(h: &mut Sha256, v: Option<&str>) {
    match v {
        None => h.update(b"~"),
        Some(s) => {
            h.update(s.chars().count().to_string().as_bytes());
            h.update(b":");
            h.update(s.as_bytes());
        }
    }
}

/// The hash of an event at position `seq` of `chain` after `prev`: sha256,
/// in hex, over every field length-prefixed (`~` for none), joined by `|`.
pub fn hash(e: &Event, chain: &str, seq: i64, prev: &str) -> String {
    let mut h = Sha256::new();
    let (seq, at) = (seq.to_string(), e.at_micros.to_string());
    let num = |v: Option<i64>| v.map(|n| n.to_string());
    let (app, binding, unit, measure, warning) = (
        num(e.application_id),
        num(e.binding_id),
        num(e.unit_id),
        num(e.measure_id),
        num(e.warning_id),
    );
    let parts: [Option<&str>; 17] = [
        Some(chain),
        Some(&seq),
        app.as_deref(),
        binding.as_deref(),
        unit.as_deref(),
        measure.as_deref(),
        warning.as_deref(),
        Some(&e.action),
        e.from_state.as_deref(),
        e.to_state.as_deref(),
        Some(&e.officer),
        e.bureau_id.as_deref(),
        e.reason.as_deref(),
        Some(&at),
        e.batch_id.as_deref(),
        e.client.as_deref(),
        Some(prev),
    ];
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"|");
        }
        field(&mut h, *p);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// The actions that move an application and count in its version.
pub fn bumps_version(action: &str) -> bool {
    Action::parse(action).is_some_and(|a| {
        matches!(
            a,
            Action::Accept
                | Action::NotAccept
                | Action::ReviewPass
                | Action::ReviewReject
                | Action::ConfirmPass
                | Action::ConfirmReject
                | Action::SetUnsuccessful
        )
    })
}

/// Why an application's events do not add up to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// An event starts from another state than the one before it left.
    Broken {
        event: i64,
        from: Option<String>,
        expected: Option<String>,
    },
    /// An event's step is not in the transition table.
    Illegal { event: i64, action: String },
    /// The events end in another state than the application's.
    State {
        replayed: Option<String>,
        stored: String,
    },
    /// The events count another version than the application's.
    Version { replayed: i64, stored: i64 },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
        match self {
            Mismatch::Broken {
                event,
                from,
                expected,
            } => write!(
                f,
                "事件 {event} 自“{}”起，而上一事件止于“{}” (event {event} starts from another state than the last one left)",
                s(from),
                s(expected)
            ),
            Mismatch::Illegal { event, action } => write!(
                f,
                "事件 {event} 的“{action}”不是流转表中的一步 (event {event}: not a step of the transition table)"
            ),
            Mismatch::State { replayed, stored } => write!(
                f,
                "按事件应为“{}”，实为“{stored}” (the events end in another state than the stored one)",
                s(replayed)
            ),
            Mismatch::Version { replayed, stored } => write!(
                f,
                "按事件版本应为 {replayed}，实为 {stored} (the events count another version than the stored one)"
            ),
        }
    }
}

/// A step of the taxpayer side or of the officers, by the transition table:
/// filing, the user unit's answer, a decision, an exit's cascade.
fn legal(kind: Kind, action: &str, from: Option<State>, to: State) -> bool {
    use State as S;
    match (Action::parse(action), from) {
        (Some(Action::Submit), None) => {
            to == S::PendingAcceptance || (kind == Kind::Invitation && to == S::AwaitingUnit)
        }
        (Some(Action::Submit), Some(S::AwaitingUnit)) => {
            kind == Kind::Invitation && to == S::PendingAcceptance
        }
        (Some(Action::Decline), Some(S::AwaitingUnit)) => to == S::Declined,
        (Some(Action::SetUnsuccessful), Some(f)) => f.in_flight() && to == S::Unsuccessful,
        (Some(a), Some(f)) => [Decision::Pass, Decision::Reject]
            .iter()
            .any(|d| workflow::step(kind, f, *d).is_ok_and(|s| s.action == a && s.to == to)),
        _ => false,
    }
}

/// Replays an application's events (in chain order: action, from, to,
/// event id) through the transition table and compares the end with the
/// stored state and version.
pub fn replay(
    kind: Kind,
    events: &[(String, Option<String>, Option<String>, i64)],
    stored_state: &str,
    stored_version: i64,
) -> Vec<Mismatch> {
    let mut out = vec![];
    let mut state: Option<String> = None;
    let mut version = 1;
    for (action, from, to, id) in events {
        let Some(to) = to else { continue };
        if *from != state {
            out.push(Mismatch::Broken {
                event: *id,
                from: from.clone(),
                expected: state.clone(),
            });
        }
        let ok = match (from.as_deref().map(State::parse), State::parse(to)) {
            (Some(None), _) | (_, None) => false,
            (f, Some(t)) => legal(kind, action, f.flatten(), t),
        };
        if !ok {
            out.push(Mismatch::Illegal {
                event: *id,
                action: action.clone(),
            });
        }
        if bumps_version(action) {
            version += 1;
        }
        state = Some(to.clone());
    }
    // A draft has no events yet.
    let ends = state.clone().unwrap_or_else(|| State::Draft.code().into());
    if ends != stored_state {
        out.push(Mismatch::State {
            replayed: state,
            stored: stored_state.to_string(),
        });
    }
    if version != stored_version {
        out.push(Mismatch::Version {
            replayed: version,
            stored: stored_version,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(reason: Option<&str>) -> Event {
        Event {
            id: 1,
            application_id: Some(7),
            binding_id: None,
            unit_id: None,
            measure_id: None,
            warning_id: None,
            action: "accept".into(),
            from_state: Some("pending_acceptance".into()),
            to_state: Some("pending_review".into()),
            officer: "mouxian-zhao".into(),
            bureau_id: Some("13301010000".into()),
            reason: reason.map(String::from),
            at_micros: 1_772_416_800_123_456,
            batch_id: None,
            client: None,
        }
    }

    #[test]
    fn every_field_counts_and_none_is_not_empty() {
        let a = hash(&ev(None), "a7", 2, "00");
        assert_eq!(a.len(), 64);
        assert_ne!(a, hash(&ev(Some("")), "a7", 2, "00"));
        assert_ne!(a, hash(&ev(None), "a7", 3, "00"));
        assert_ne!(a, hash(&ev(None), "a7", 2, "01"));
        // Length prefixes: moving a separator between fields changes it.
        let mut x = ev(Some("a|b"));
        x.bureau_id = Some("c".into());
        let mut y = ev(Some("b"));
        y.bureau_id = Some("c|a".into());
        assert_ne!(hash(&x, "a7", 2, ""), hash(&y, "a7", 2, ""));
    }

    #[test]
    fn a_history_replays_to_its_state_and_version() {
        let e = |a: &str, f: Option<&str>, t: &str, id| {
            (a.to_string(), f.map(String::from), Some(t.to_string()), id)
        };
        let h = vec![
            e("submit", None, "pending_acceptance", 1),
            e("accept", Some("pending_acceptance"), "pending_review", 2),
            e(
                "review_pass",
                Some("pending_review"),
                "pending_confirmation",
                3,
            ),
        ];
        assert!(replay(Kind::Access, &h, "pending_confirmation", 3).is_empty());
        assert_eq!(
            replay(Kind::Access, &h, "confirmed", 3),
            vec![Mismatch::State {
                replayed: Some("pending_confirmation".into()),
                stored: "confirmed".into()
            }]
        );
        // An event missing from the middle breaks the sequence.
        let gap = vec![h[0].clone(), h[2].clone()];
        let found = replay(Kind::Access, &gap, "pending_confirmation", 2);
        assert!(
            matches!(found[0], Mismatch::Broken { event: 3, .. }),
            "{found:?}"
        );
        // A step the table does not have.
        let forged = vec![
            h[0].clone(),
            e("confirm_pass", Some("pending_acceptance"), "confirmed", 9),
        ];
        let found = replay(Kind::Access, &forged, "confirmed", 2);
        assert!(found.contains(&Mismatch::Illegal {
            event: 9,
            action: "confirm_pass".into()
        }));
    }
}
