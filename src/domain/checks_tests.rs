//! The checks against the seed's sample and the rules of each kind.
use super::*;

/// 某某技术有限公司 exactly as its 接入信息表 has it.
fn seed_unit() -> (UnitFacts, Form) {
    let unit = UnitFacts {
        uscc: "9161252LQ1136652JR".into(),
        name: "某某技术有限公司".into(),
        credit: "BAA".into(),
        pilot: true,
        revenue_wan: 86612,
        invoices_issued: 32510,
        invoices_received: 25068,
        invoice_amount_wan: 65230,
        can_supply_data: true,
        direct_connect: false,
        independent: true,
        ..Default::default()
    };
    let form = Form {
        authorised_uscc: Some("916155ZL22511194LQ".into()),
        authorised_name: Some("乐一软件技术有限公司".into()),
        test_ips: vec!["10.90.661.910".into()],
        prod_ips: vec!["10.90.661.911".into()],
        protocol: "https".into(),
        port: Some(8888),
        ..Default::default()
    };
    (unit, form)
}

fn get(cs: &[Check], id: CheckId) -> &Check {
    cs.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn the_seed_application_fails_codes_addresses_and_materials() {
    let (unit, form) = seed_unit();
    let t = Thresholds::default();
    let mats = [
        MaterialKind::InfoForm,
        MaterialKind::Agreement,
        MaterialKind::ProjectReport,
        MaterialKind::NetworkFiling,
        MaterialKind::Copyright,
    ];
    let cs = run(&CheckInput {
        kind: Kind::Access,
        unit: &unit,
        form: &form,
        materials: &mats,
        inviter: None,
        bound_user_units: 0,
        thresholds: &t,
        measures: &[],
    });
    assert_eq!(get(&cs, CheckId::Uscc).outcome, Outcome::Fail);
    assert!(
        get(&cs, CheckId::Uscc)
            .detail_zh
            .contains("916155ZL22511194LQ")
    );
    assert_eq!(get(&cs, CheckId::Network).outcome, Outcome::Fail);
    assert!(
        !get(&cs, CheckId::Network).detail_zh.contains("is not"),
        "{}",
        get(&cs, CheckId::Network).detail_zh
    );
    // An authorised unit makes the 授权委托书 required.
    let m = get(&cs, CheckId::Materials);
    assert_eq!(m.outcome, Outcome::Fail);
    assert!(m.detail_zh.contains("授权委托书"));
    assert_eq!(get(&cs, CheckId::Credit).outcome, Outcome::Pass);
    assert_eq!(get(&cs, CheckId::Thresholds).outcome, Outcome::Pass);
    assert_eq!(
        get(&cs, CheckId::BoundUnits).outcome,
        Outcome::NotApplicable
    );
}

#[test]
fn power_of_attorney_is_required_exactly_with_an_authorised_unit() {
    let (_, mut form) = seed_unit();
    assert!(required_materials(Kind::Access, &form).contains(&MaterialKind::PowerOfAttorney));
    form.authorised_uscc = None;
    assert!(!required_materials(Kind::Access, &form).contains(&MaterialKind::PowerOfAttorney));
}

#[test]
fn no_copyright_needs_use_right_proof() {
    let form = Form::default();
    let have = [MaterialKind::NoCopyright];
    assert!(missing_materials(Kind::Access, &form, &have).contains(&MaterialKind::Copyright));
    let have = [MaterialKind::NoCopyright, MaterialKind::UseRight];
    assert!(!missing_materials(Kind::Access, &form, &have).contains(&MaterialKind::Copyright));
}

#[test]
fn credit_rating_m_is_enough_only_for_user_units() {
    let (mut unit, form) = seed_unit();
    unit.credit = "AAM".into();
    let t = Thresholds::default();
    let access = run(&CheckInput {
        kind: Kind::Access,
        unit: &unit,
        form: &form,
        materials: &[],
        inviter: None,
        bound_user_units: 0,
        thresholds: &t,
        measures: &[],
    });
    assert_eq!(get(&access, CheckId::Credit).outcome, Outcome::Fail);
    let inv_form = Form {
        relation: Some(Relation::Branch),
        ..Default::default()
    };
    let inv = run(&CheckInput {
        kind: Kind::Invitation,
        unit: &unit,
        form: &inv_form,
        materials: &[],
        inviter: None,
        bound_user_units: 0,
        thresholds: &t,
        measures: &[],
    });
    assert_eq!(get(&inv, CheckId::Credit).outcome, Outcome::Pass);
    assert_eq!(get(&inv, CheckId::Inviter).outcome, Outcome::Fail);
    assert_eq!(
        get(&inv, CheckId::Materials).outcome,
        Outcome::Fail,
        "relation proof missing"
    );
}

#[test]
fn same_regulator_needs_no_relation_proof() {
    let f = Form {
        relation: Some(Relation::SameRegulator),
        ..Default::default()
    };
    assert!(required_materials(Kind::Invitation, &f).is_empty());
}

#[test]
fn livelihood_units_meet_lowered_thresholds() {
    let (mut unit, form) = seed_unit();
    unit.revenue_wan = 30_000;
    let t = Thresholds::default();
    let input = |u: &UnitFacts| {
        get(
            &run(&CheckInput {
                kind: Kind::Access,
                unit: u,
                form: &form,
                materials: &[],
                inviter: None,
                bound_user_units: 0,
                thresholds: &t,
                measures: &[],
            }),
            CheckId::Thresholds,
        )
        .outcome
    };
    assert_eq!(input(&unit), Outcome::Fail);
    unit.livelihood = true;
    assert_eq!(input(&unit), Outcome::Pass);
}

#[test]
fn exit_counts_bound_user_units() {
    let (unit, form) = seed_unit();
    let t = Thresholds::default();
    let cs = run(&CheckInput {
        kind: Kind::Exit,
        unit: &unit,
        form: &form,
        materials: &[MaterialKind::ExitForm],
        inviter: None,
        bound_user_units: 3,
        thresholds: &t,
        measures: &[],
    });
    let b = get(&cs, CheckId::BoundUnits);
    assert_eq!(b.outcome, Outcome::Fail);
    assert!(b.detail_zh.contains('3'));
    assert_eq!(get(&cs, CheckId::Materials).outcome, Outcome::Pass);
}
