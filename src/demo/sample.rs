//! The seed's sample application, exactly as its 接入信息表 has it.

use super::world::{Gen, qualifications};
use super::*;
use crate::domain::checks::{self, CheckInput};
use chrono::Duration;

/// The seed's sample: 某某技术有限公司 and its 接入信息表, with its invalid
/// codes and network address, pending acceptance in 某某县.
/// The unit and its form as filed.
fn sample(g: &mut Gen) -> (NewUnit, Form) {
    g.next_unit += 1;
    let unit = NewUnit {
        id: g.next_unit,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某市某某县中心街8号".into(),
        facts: UnitFacts {
            uscc: "9161252LQ1136652JR".into(),
            name: "某某技术有限公司".into(),
            credit: "BAA".into(),
            pilot: true,
            revenue_wan: 86612,
            invoices_issued: 32510,
            invoices_received: 25068,
            invoice_amount_wan: 65230,
            can_supply_data: true,
            independent: true,
            ..Default::default()
        },
        qualified_until: None,
    };
    let form = Form {
        access_type: "乐企自用".into(),
        address: unit.address.clone(),
        legal_rep: "李一".into(),
        contact: "赵一".into(),
        phone: "10055221456".into(),
        email: "5625488@xx.com".into(),
        authorised_uscc: Some("916155ZL22511194LQ".into()),
        authorised_name: Some("乐一软件技术有限公司".into()),
        system_name: "发票管理系统".into(),
        request_type: Some(RequestType::Connect),
        long_term: true,
        period: "长期（一年以上）".into(),
        user_units: vec![],
        test_ips: vec!["10.90.661.910".into()],
        prod_ips: vec!["10.90.661.911".into()],
        protocol: "https".into(),
        port: Some(8888),
        qualifications: qualifications(&unit.facts, 2, "查账征收", "5%", "60000万元", "3616", "否", "无"),
        relation: None,
        capability: None,
        detail: "本公司是在中国某某省某某县成立的有限责任公司，总部位于某某省某某市。本公司主要业务包括：从事智能终端制造、软件开发，销售电子产品等等。".into(),
        ..Default::default()
    };
    (unit, form)
}

pub(super) fn seed_sample(g: &mut Gen, c: &mut Chunk) {
    let (unit, form) = sample(g);
    g.next_app += 1;
    let id = g.next_app;
    let mats = g.materials(id, Kind::Access, &form, &unit.facts, false);
    let kinds: Vec<MaterialKind> = mats.iter().map(|m| m.kind).collect();
    let checks = checks::run(&CheckInput {
        kind: Kind::Access,
        unit: &unit.facts,
        form: &form,
        materials: &kinds,
        inviter: None,
        bound_user_units: 0,
        thresholds: &g.thresholds,
        measures: &[],
    });
    let at = g.now - Duration::days(3);
    c.applications.push(NewApplication {
        id,
        kind: Kind::Access,
        state: State::PendingAcceptance,
        unit_id: unit.id,
        uscc: unit.facts.uscc.clone(),
        name: unit.facts.name.clone(),
        county_id: SEED_COUNTY.into(),
        province_id: PROVINCE.into(),
        acting_bureau: Some(SEED_COUNTY.into()),
        direct_unit_id: None,
        form: serde_json::to_string(&form).unwrap_or_default(),
        failed_checks: checks::failed(&checks) as i64,
        passed_checks: checks::passed(&checks) as i64,
        submitted_at: at,
        updated_at: at,
        last_officer: None,
        last_decider: None,
    });
    c.events.push(NewEvent {
        application_id: id,
        action: Action::Submit,
        from: None,
        to: Some(State::PendingAcceptance),
        officer: "申请人".into(),
        bureau_id: None,
        reason: None,
        at,
    });
    c.materials.extend(mats);
    c.units.push(unit);
}
