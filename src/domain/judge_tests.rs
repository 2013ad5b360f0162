//! Tests of the judgements: who may act, what each item becomes.
use super::*;

fn officer(login: &str, level: Level, bureau: &str, roles: &[Role]) -> Officer {
    Officer {
        login: login.into(),
        name: "甲".into(),
        bureau_id: bureau.into(),
        bureau_name: "某某县税务局".into(),
        level,
        province_id: "P".into(),
        roles: roles.to_vec(),
        active: true,
    }
}

fn subject(kind: Kind, state: State) -> Subject {
    Subject {
        id: 7,
        kind,
        state,
        version: 3,
        county_id: "C".into(),
        province_id: "P".into(),
        unit_id: 70,
        direct_unit_id: Some(71),
        last_decider: None,
        last_officer: Some("qian".into()),
        updated_at: Utc::now(),
        relation: Some(Relation::Branch),
        capability: None,
        bound_user_units: 0,
        already_bound: false,
        already_subscribed: false,
        measures: vec![],
        period_end: None,
        claim: None,
    }
}

fn item(version: Option<i64>) -> Item {
    Item { id: 7, version }
}

#[test]
fn a_pass_plans_the_step_and_the_next_bureau() {
    let wf = Workflow::default();
    let zhao = officer("zhao", Level::County, "C", &[Role::Accept, Role::Review]);
    let s = subject(Kind::Access, State::PendingAcceptance);
    let p = decision(
        &wf,
        &zhao,
        &item(Some(3)),
        Some(&s),
        Asked::plain(Decision::Pass, false),
    )
    .unwrap();
    assert_eq!(p.step.to, State::PendingReview);
    assert_eq!(p.acting.as_deref(), Some("C"));
    let s = subject(Kind::Access, State::PendingReview);
    let p = decision(
        &wf,
        &zhao,
        &item(None),
        Some(&s),
        Asked::plain(Decision::Pass, false),
    )
    .unwrap();
    assert_eq!(p.acting.as_deref(), Some("P"), "confirmation is provincial");
    assert_eq!(p.consequence, None);
}

#[test]
fn refusals_name_their_reason() {
    let wf = Workflow::default();
    let zhao = officer("zhao", Level::County, "C", &[Role::Accept, Role::Review]);
    let s = subject(Kind::Access, State::PendingAcceptance);
    assert_eq!(
        decision(
            &wf,
            &zhao,
            &item(None),
            None,
            Asked::plain(Decision::Pass, false)
        ),
        Err(Refusal::NoApplication(7))
    );
    assert!(matches!(
        decision(&wf, &zhao, &item(Some(2)), Some(&s), Asked::plain(Decision::Pass, false)),
        Err(Refusal::Conflict(c)) if c.version == 3 && c.by.as_deref() == Some("qian")
    ));
    assert_eq!(
        decision(
            &wf,
            &zhao,
            &item(None),
            Some(&s),
            Asked::plain(Decision::Reject, false)
        ),
        Err(Refusal::ReasonRequired)
    );
    let done = subject(Kind::Access, State::Confirmed);
    assert!(matches!(
        decision(
            &wf,
            &zhao,
            &item(None),
            Some(&done),
            Asked::plain(Decision::Pass, false)
        ),
        Err(Refusal::Conflict(_))
    ));
    let other = officer("li", Level::County, "C2", &[Role::Accept]);
    assert!(matches!(
        decision(
            &wf,
            &other,
            &item(None),
            Some(&s),
            Asked::plain(Decision::Pass, false)
        ),
        Err(Refusal::Forbidden(Forbidden::WrongBureau { .. }))
    ));
    let mut exit = subject(Kind::Exit, State::PendingAcceptance);
    exit.bound_user_units = 2;
    assert_eq!(
        decision(
            &wf,
            &zhao,
            &item(None),
            Some(&exit),
            Asked::plain(Decision::Pass, false)
        ),
        Err(Refusal::Precondition(Precondition::StillBound(2)))
    );
    assert!(
        decision(
            &wf,
            &zhao,
            &item(None),
            Some(&exit),
            Asked::plain(Decision::Reject, true)
        )
        .is_ok(),
        "a bound exit may still be rejected"
    );
}

#[test]
fn final_steps_carry_their_consequences() {
    let wf = Workflow::default();
    let li = officer("li", Level::County, "C", &[Role::Confirm]);
    let zhou = officer("zhou", Level::Province, "P", &[Role::Confirm]);
    let inv = subject(Kind::Invitation, State::PendingConfirmation);
    let p = decision(
        &wf,
        &li,
        &item(None),
        Some(&inv),
        Asked::plain(Decision::Pass, false),
    )
    .unwrap();
    assert_eq!(
        p.consequence,
        Some(Consequence::Binds {
            invitation: 7,
            user: 70,
            direct: 71,
            relation: Relation::Branch
        })
    );
    assert_eq!(p.acting, None, "final: no one acts on it");
    let exit = subject(Kind::Exit, State::PendingConfirmation);
    let p = decision(
        &wf,
        &zhou,
        &item(None),
        Some(&exit),
        Asked::plain(Decision::Pass, false),
    )
    .unwrap();
    assert_eq!(
        p.consequence,
        Some(Consequence::Exits { unit: 70, exit: 7 })
    );
    let p = decision(
        &wf,
        &zhou,
        &item(None),
        Some(&exit),
        Asked::plain(Decision::Reject, true),
    )
    .unwrap();
    assert_eq!(p.consequence, Some(Consequence::KeepsAccess { unit: 70 }));
    let sub = subject(Kind::Subscription, State::PendingConfirmation);
    let p = decision(
        &wf,
        &li,
        &item(None),
        Some(&sub),
        Asked::plain(Decision::Pass, false),
    )
    .unwrap();
    assert!(matches!(
        p.consequence,
        Some(Consequence::Subscribes { capability, .. }) if capability == DEFAULT_CAPABILITY
    ));
}

#[test]
fn a_chunk_is_a_set() {
    let wf = Workflow::default();
    let li = officer("li", Level::County, "C", &[Role::Confirm]);
    let mut a = subject(Kind::Invitation, State::PendingConfirmation);
    let mut b = a.clone();
    b.id = 8;
    a.id = 7;
    let items = [
        Item {
            id: 7,
            version: None,
        },
        Item {
            id: 7,
            version: None,
        },
        Item {
            id: 8,
            version: None,
        },
        Item {
            id: 7,
            version: None,
        },
    ];
    let find = |id| [&a, &b].into_iter().find(|s| s.id == id);
    let r = decisions(&wf, &li, &items, find, Asked::plain(Decision::Pass, false));
    assert!(r[0].is_ok());
    assert_eq!(r[1], Err(Refusal::Repeated(7)));
    assert_eq!(
        r[2],
        Err(Refusal::Precondition(Precondition::AlreadyBound)),
        "two invitations of one pair: one binding"
    );
    assert_eq!(r[3], Err(Refusal::Repeated(7)));
    let mut bound = subject(Kind::Invitation, State::PendingConfirmation);
    bound.already_bound = true;
    assert_eq!(
        decision(
            &wf,
            &li,
            &items[0],
            Some(&bound),
            Asked::plain(Decision::Pass, false)
        ),
        Err(Refusal::Precondition(Precondition::AlreadyBound))
    );
    assert!(
        decision(
            &wf,
            &li,
            &items[0],
            Some(&bound),
            Asked::plain(Decision::Reject, true)
        )
        .is_ok(),
        "it may still be rejected"
    );
}

#[test]
fn a_list_with_repeats_becomes_a_set() {
    let it = |id| Item { id, version: None };
    let (items, repeated) = distinct(&[it(3), it(1), it(3), it(2), it(3), it(1)]);
    assert_eq!(
        items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![3, 1, 2]
    );
    assert_eq!(repeated, vec![(3, 2), (1, 1)]);
}

#[test]
fn who_may_unbind() {
    let acc = officer("a", Level::County, "C", &[Role::Accept]);
    let rev = officer("r", Level::County, "C", &[Role::Review]);
    let sup = officer("s", Level::Province, "P", &[Role::Supervise]);
    let conf = officer("c", Level::Province, "P", &[Role::Confirm]);
    assert!(may_unbind(&acc, "C", "P").is_ok());
    assert!(may_unbind(&sup, "C", "P").is_ok());
    assert!(matches!(
        may_unbind(&acc, "C2", "P"),
        Err(Forbidden::WrongBureau { .. })
    ));
    assert_eq!(
        may_unbind(&rev, "C", "P"),
        Err(Forbidden::MissingRole(Role::Supervise))
    );
    assert_eq!(
        may_unbind(&conf, "C", "P"),
        Err(Forbidden::MissingRole(Role::Supervise))
    );
}

#[test]
fn unbinding_refusals() {
    let acc = officer("a", Level::County, "C", &[Role::Accept]);
    let b = BindingSubject {
        id: 5,
        active: true,
        version: 1,
        ended_by: None,
        ended_at: None,
        county_id: "C".into(),
        province_id: "P".into(),
    };
    let it = |v| Item { id: 5, version: v };
    assert!(unbinding(&acc, &it(Some(1)), Some(&b)).is_ok());
    assert!(matches!(
        unbinding(&acc, &it(Some(2)), Some(&b)),
        Err(Refusal::Precondition(Precondition::BindingChanged { .. }))
    ));
    let ended = BindingSubject {
        active: false,
        ..b.clone()
    };
    assert!(matches!(
        unbinding(&acc, &it(None), Some(&ended)),
        Err(Refusal::Precondition(Precondition::AlreadyUnbound { .. }))
    ));
    assert_eq!(unbinding(&acc, &it(None), None), Err(Refusal::NoBinding(5)));
}

#[test]
fn paper_receipt_is_the_accepting_county_officers() {
    let acc = officer("a", Level::County, "C", &[Role::Accept]);
    let rev = officer("r", Level::County, "C", &[Role::Review]);
    assert!(paper_receipt(&acc, "C").is_ok());
    assert!(paper_receipt(&acc, "C2").is_err());
    assert_eq!(
        paper_receipt(&rev, "C"),
        Err(Forbidden::MissingRole(Role::Accept))
    );
}

#[test]
fn the_acting_bureau_follows_the_workflow_table() {
    let wf = Workflow::default();
    let at = |k, s| acting_bureau(&wf, k, s, "C", "P");
    assert_eq!(at(Kind::Access, State::PendingReview).as_deref(), Some("C"));
    assert_eq!(
        at(Kind::Exit, State::PendingConfirmation).as_deref(),
        Some("P")
    );
    assert_eq!(at(Kind::Access, State::Confirmed), None);
    assert_eq!(at(Kind::Invitation, State::PendingReview), None);
    assert_eq!(
        in_flight_codes(),
        vec![
            "awaiting_unit",
            "pending_acceptance",
            "pending_review",
            "pending_confirmation"
        ]
    );
}
