//! One demo application of a random kind and state, with its form,
//! materials, history and, once confirmed, its binding. The draws from
//! the generator happen in a fixed order: the same seed, the same data.

use super::world::{Gen, World, qualifications};
use super::*;
use crate::domain::checks::{self, CheckInput};
use crate::domain::judge::{self, BASIC_CAPABILITY};
use crate::domain::supervision::NON_PUBLIC_CAPABILITIES;
use crate::domain::workflow;
use chrono::Duration;

/// Where in the flow an application stands, and how many stages it passed.
fn kind_and_state(g: &mut Gen) -> (Kind, State, usize) {
    let kind = match g.rng.below(100) {
        0..20 => Kind::Access,
        20..65 => Kind::Invitation,
        65..75 => Kind::Exit,
        75..88 => Kind::Subscription,
        _ => Kind::Extension,
    };
    let seq = workflow::stages(kind);
    // One of the pending stages, or an end state.
    let roll = g.rng.below(100);
    let (state, passed) = if kind == Kind::Invitation && roll < 6 {
        let s = if roll < 3 {
            State::AwaitingUnit
        } else {
            State::Declined
        };
        (s, 0)
    } else if roll < 55 {
        let k = g.rng.below(seq.len() as u64) as usize;
        (seq[k].state(), k)
    } else if roll < 78 {
        (State::Confirmed, seq.len())
    } else if roll < 80 {
        // The rarer ends: an access application still a taxpayer's draft
        // (never in a queue), and invitations and subscriptions set
        // unsuccessful when their direct-connect unit's exit was confirmed.
        match kind {
            Kind::Access => (State::Draft, 0),
            Kind::Invitation | Kind::Subscription => (State::Unsuccessful, 0),
            _ => (State::Confirmed, seq.len()),
        }
    } else {
        let k = g.rng.below(seq.len() as u64) as usize;
        let st = match seq[k] {
            Stage::Acceptance => State::NotAccepted,
            Stage::Review => State::ReviewRejected,
            Stage::Confirmation => State::ConfirmRejected,
        };
        (st, k)
    };
    (kind, state, passed)
}

/// The applicant, and for an invitation the inviting unit. Exits in
/// flight belong to units that are exiting.
fn parties<'w>(
    g: &mut Gen,
    w: &'w World,
    kind: Kind,
    state: State,
) -> (&'w NewUnit, Option<&'w NewUnit>) {
    match kind {
        Kind::Access if state == State::Confirmed => (g.rng.pick(&w.direct), None),
        Kind::Access => (g.rng.pick(&w.candidates), None),
        Kind::Exit if state.in_flight() && !w.exiting.is_empty() => {
            (&w.direct[*g.rng.pick(&w.exiting)], None)
        }
        Kind::Exit if state == State::Confirmed => (g.rng.pick(&w.candidates), None),
        Kind::Exit | Kind::Subscription | Kind::Extension => (g.rng.pick(&w.direct), None),
        Kind::Invitation => {
            // Units with a clean pending exit get no new bindings.
            let d = loop {
                let i = g.rng.below(w.direct.len() as u64) as usize;
                if !(w.exiting.contains(&i) && i % 20 == 4) || state != State::Confirmed {
                    break &w.direct[i];
                }
            };
            (g.rng.pick(&w.users), Some(d))
        }
    }
}

/// The form every kind shares.
fn base_form(g: &mut Gen, unit: &NewUnit) -> Form {
    let mut form = Form {
        access_type: "乐企自用".into(),
        address: unit.address.clone(),
        legal_rep: g.person(),
        contact: g.person(),
        phone: format!("1{}", 3_000_000_000u64 + g.rng.below(999_999_999)),
        email: format!("contact{}@example.cn", unit.id),
        system_name: format!(
            "{}发票管理系统",
            unit.facts.name.chars().take(4).collect::<String>()
        ),
        request_type: Some(RequestType::Connect),
        long_term: g.rng.chance(70),
        protocol: "https".into(),
        port: Some(8443),
        ..Default::default()
    };
    form.period = if form.long_term {
        "长期（一年以上）".into()
    } else {
        "短期（一年及以内）".into()
    };
    form
}

/// What an access application files beyond the shared form: addresses,
/// an authorised unit, user units, qualifications.
fn access_form(g: &mut Gen, w: &World, unit: &NewUnit, form: &mut Form) {
    let a = 10 + g.rng.below(200);
    form.test_ips = vec![format!(
        "10.{}.{}.{}",
        a,
        g.rng.below(255),
        1 + g.rng.below(250)
    )];
    form.prod_ips = vec![format!(
        "58.{}.{}.{}",
        a,
        g.rng.below(255),
        1 + g.rng.below(250)
    )];
    if g.rng.chance(5) {
        form.prod_ips
            .push(format!("58.{}.{}.{}", 256 + g.rng.below(500), 1, 1));
    }
    if g.rng.chance(30) {
        let u = g.rng.pick(&w.candidates);
        form.authorised_uscc = Some(u.facts.uscc.clone());
        form.authorised_name = Some(u.facts.name.clone());
    }
    for _ in 0..g.rng.below(4) {
        let u = g.rng.pick(&w.users);
        form.user_units.push(UserUnitEntry {
            uscc: u.facts.uscc.clone(),
            name: u.facts.name.clone(),
            relation: *g
                .rng
                .pick(&[Relation::Branch, Relation::Subsidiary, Relation::Control]),
        });
    }
    let f = &unit.facts;
    form.qualifications =
        qualifications(f, form.user_units.len(), "查账征收", "", "", "", "否", "无");
    form.detail = format!(
        "{}主营{}业务，申请以乐企自用方式接入。",
        f.name,
        TRADES[(unit.id as usize) % TRADES.len()]
    );
}

fn form(g: &mut Gen, w: &World, kind: Kind, unit: &NewUnit) -> Form {
    let mut form = base_form(g, unit);
    match kind {
        Kind::Access => access_form(g, w, unit, &mut form),
        Kind::Invitation => form.relation = Some(*g.rng.pick(Relation::ALL)),
        Kind::Subscription => {
            let cap = g.rng.pick(&CAPABILITIES).to_string();
            // Some ask for a non-public capability too (from the id: the
            // generator's sequence stays as it was).
            if unit.id % 6 == 0 {
                form.capabilities = vec![cap.clone(), NON_PUBLIC_CAPABILITIES[0].into()];
            }
            form.capability = Some(cap);
        }
        Kind::Extension => {
            let year = 2027 + g.rng.below(3);
            form.period = format!("延续至{year}年12月31日");
            form.period_end = Some(format!("{year}-12-31"));
        }
        Kind::Exit => form.detail = "业务调整，申请退出乐企自用直连。".into(),
    }
    form
}

/// The filing events: by the applicant, and for an invitation the user
/// unit's answer.
fn filing(id: i64, kind: Kind, state: State, at: DateTime<Utc>) -> Vec<NewEvent> {
    // A draft is not yet filed: nothing has happened an officer could see.
    if state == State::Draft {
        return vec![];
    }
    let event = |from, to, officer: &str| NewEvent {
        application_id: id,
        action: Action::Submit,
        from,
        to: Some(to),
        officer: officer.into(),
        bureau_id: None,
        reason: None,
        at,
    };
    let first = if kind == Kind::Invitation {
        State::AwaitingUnit
    } else {
        State::PendingAcceptance
    };
    let mut events = vec![event(None, first, "申请人")];
    if kind == Kind::Invitation && !matches!(state, State::AwaitingUnit | State::Declined) {
        events.push(event(
            Some(State::AwaitingUnit),
            State::PendingAcceptance,
            "使用单位",
        ));
    }
    if state == State::Declined {
        events.push(NewEvent {
            action: Action::Decline,
            ..event(Some(State::AwaitingUnit), State::Declined, "使用单位")
        });
    }
    events
}

/// What a history so far ends with: its last officer and time.
struct Trail {
    events: Vec<NewEvent>,
    last: Option<String>,
    at: DateTime<Utc>,
}

const REJECTIONS: [&str; 4] = [
    "材料不全，请补充关联关系证明后重新申请。",
    "纳税信用级别不符合接入条件。",
    "网络地址备案信息有误，请核对后重新提交。",
    "营业收入未达到本省规定标准。",
];

/// The officers' steps up to the state: passes, and a rejection where the
/// state is one.
fn decisions(
    g: &mut Gen,
    id: i64,
    kind: Kind,
    state: State,
    passed: usize,
    county: usize,
    t: &mut Trail,
) {
    let seq = workflow::stages(kind);
    let done = state.in_flight() || state == State::Confirmed;
    let steps: Vec<Stage> = if done {
        seq[..passed].to_vec()
    } else if matches!(
        state,
        State::AwaitingUnit | State::Declined | State::Draft | State::Unsuccessful
    ) {
        vec![]
    } else {
        seq[..=passed].to_vec()
    };
    let mut from = State::PendingAcceptance;
    for (i, st) in steps.iter().enumerate() {
        let (level, role) = g
            .workflow
            .rule(kind, *st)
            .map(|r| (r.level, r.role))
            .unwrap_or((Level::County, Role::Accept));
        let who = g.officer_of(county, level, role, t.last.as_deref());
        let rejecting = i == passed && !done;
        let decision = if rejecting {
            Decision::Reject
        } else {
            Decision::Pass
        };
        let Ok(step) = workflow::step(kind, from, decision) else {
            break;
        };
        t.at += Duration::hours(2 + g.rng.below(40) as i64);
        let bureau = match level {
            Level::County => COUNTIES[county].0,
            Level::Province => PROVINCE,
        };
        t.events.push(NewEvent {
            application_id: id,
            action: step.action,
            from: Some(step.from),
            to: Some(step.to),
            officer: who.clone(),
            bureau_id: Some(bureau.to_string()),
            reason: rejecting.then(|| g.rng.pick(&REJECTIONS).to_string()),
            at: t.at,
        });
        t.last = Some(who);
        from = step.to;
    }
}

/// An invitation or subscription stopped by its unit's exit.
fn set_unsuccessful(g: &mut Gen, id: i64, county: usize, t: &mut Trail) {
    t.at += Duration::hours(6);
    let who = g.officer_of(county, Level::Province, Role::Confirm, None);
    t.events.push(NewEvent {
        application_id: id,
        action: Action::SetUnsuccessful,
        from: Some(State::PendingAcceptance),
        to: Some(State::Unsuccessful),
        officer: who.clone(),
        bureau_id: Some(PROVINCE.to_string()),
        reason: Some("直连单位退出申请确认通过，审批中的申请置为不成功".into()),
        at: t.at,
    });
    t.last = Some(who);
}

/// A confirmed invitation's binding, with its basic authorisation.
fn bind(
    g: &mut Gen,
    c: &mut Chunk,
    d: &NewUnit,
    user: &NewUnit,
    form: &Form,
    invitation: i64,
    at: DateTime<Utc>,
) {
    // A pair bound already keeps its one binding.
    if !g.bound.insert((d.id, user.id)) {
        return;
    }
    g.next_binding += 1;
    c.bindings.push(NewBinding {
        id: g.next_binding,
        direct_unit_id: d.id,
        user_unit_id: user.id,
        relation: form.relation.unwrap_or(Relation::Control),
        since: at,
        invitation_id: invitation,
    });
    c.authorisations
        .push((d.id, user.id, BASIC_CAPABILITY.into()));
}

/// One application of a random kind and state, with its history.
pub(super) fn application(g: &mut Gen, w: &World, c: &mut Chunk) {
    let (kind, state, passed) = kind_and_state(g);
    let (unit, direct) = parties(g, w, kind, state);
    let county = COUNTIES
        .iter()
        .position(|c| c.0 == unit.bureau_id)
        .unwrap_or(0);
    g.next_app += 1;
    let id = g.next_app;
    let hostile = g.rng.chance(1) && g.rng.chance(20);
    let form = form(g, w, kind, unit);
    let mats = g.materials(id, kind, &form, &unit.facts, hostile);
    let kinds: Vec<MaterialKind> = mats.iter().map(|m| m.kind).collect();
    let checks = checks::run(&CheckInput {
        kind,
        unit: &unit.facts,
        form: &form,
        materials: &kinds,
        inviter: direct.map(|d| &d.facts),
        bound_user_units: 0,
        thresholds: &g.thresholds,
        measures: &[],
    });
    // In-flight items are recent, finished ones older.
    let age_days = if state.in_flight() {
        g.rng.below(20) as i64
    } else {
        20 + g.rng.below(700) as i64
    };
    let submitted =
        g.now - Duration::days(age_days) - Duration::seconds(g.rng.below(86_400) as i64);
    let mut t = Trail {
        events: filing(id, kind, state, submitted),
        last: None,
        at: submitted,
    };
    decisions(g, id, kind, state, passed, county, &mut t);
    if state == State::Unsuccessful {
        set_unsuccessful(g, id, county, &mut t);
    }
    let county_id = COUNTIES[county].0;
    if kind == Kind::Invitation
        && state == State::Confirmed
        && let Some(d) = direct
    {
        bind(g, c, d, unit, &form, id, t.at);
    }
    let name = if hostile {
        HOSTILE_NAMES[(id as usize) % HOSTILE_NAMES.len()].to_string()
    } else {
        unit.facts.name.clone()
    };
    c.applications.push(NewApplication {
        id,
        kind,
        state,
        unit_id: unit.id,
        uscc: unit.facts.uscc.clone(),
        name,
        county_id: county_id.into(),
        province_id: PROVINCE.into(),
        acting_bureau: judge::acting_bureau(&g.workflow, kind, state, county_id, PROVINCE),
        direct_unit_id: direct.map(|d| d.id),
        form: serde_json::to_string(&form).unwrap_or_default(),
        failed_checks: checks::failed(&checks) as i64,
        passed_checks: checks::passed(&checks) as i64,
        submitted_at: submitted,
        updated_at: t.at,
        last_officer: t.last.clone(),
        last_decider: t.last,
    });
    c.materials.extend(mats);
    c.events.extend(t.events);
}
