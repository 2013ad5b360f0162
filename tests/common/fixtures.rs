//! Test and benchmark fixtures: many bare items in one state, a unit with
//! many bindings. Shared by tests/ and benches/ (included by path).
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use leqi_console::demo::{PROVINCE, SEED_COUNTY, make_uscc};
use leqi_console::domain::*;
use leqi_console::store::*;

/// An application of the seed county with an empty form and no history.
fn bare_application(
    id: i64,
    kind: Kind,
    state: State,
    unit_id: i64,
    name: String,
    at: DateTime<Utc>,
) -> NewApplication {
    NewApplication {
        id,
        kind,
        state,
        unit_id,
        uscc: String::new(),
        name,
        county_id: SEED_COUNTY.into(),
        province_id: PROVINCE.into(),
        acting_bureau: None,
        direct_unit_id: None,
        form: "{}".into(),
        failed_checks: 0,
        passed_checks: 0,
        submitted_at: at,
        updated_at: at,
        last_officer: None,
        last_decider: None,
    }
}

/// `n` bare applications of one kind and state in the seed county, for
/// races and benchmarks; returns their ids.
pub async fn synthetic_items(
    store: &Store,
    kind: Kind,
    state: State,
    n: usize,
) -> Result<Vec<i64>> {
    let (units0, apps0, _) = store.max_ids().await?;
    let unit = units0 + 1;
    let mut c = Chunk::default();
    c.units.push(NewUnit {
        id: unit,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某县".into(),
        facts: UnitFacts {
            uscc: make_uscc(0, 900_000_000 + units0 as u64),
            name: "批量测试有限公司".into(),
            pilot: true,
            ..Default::default()
        },
        qualified_until: None,
    });
    let acting = leqi_console::domain::judge::acting_bureau(
        &store.workflow,
        kind,
        state,
        SEED_COUNTY,
        PROVINCE,
    );
    let at = leqi_console::store::now();
    for i in 0..n as i64 {
        let mut a = bare_application(
            apps0 + 1 + i,
            kind,
            state,
            unit,
            format!("批量测试{i:05}"),
            at,
        );
        a.uscc = c.units[0].facts.uscc.clone();
        a.acting_bureau = acting.clone();
        c.applications.push(a);
    }
    store.insert_chunk(&c).await?;
    store.move_sequences().await?;
    Ok((apps0 + 1..=apps0 + n as i64).collect())
}

/// A direct-connect unit in the seed county with `n` bound user units;
/// returns the unit's id and the bindings' ids.
pub async fn synthetic_bindings(store: &Store, n: usize) -> Result<(i64, Vec<i64>)> {
    let (units0, apps0, bind0) = store.max_ids().await?;
    let direct = units0 + 1;
    let mut c = Chunk::default();
    let at = leqi_console::store::now();
    let unit = |id: i64, name: String, direct_connect: bool| NewUnit {
        id,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某县".into(),
        facts: UnitFacts {
            uscc: make_uscc(0, 800_000_000 + id as u64),
            name,
            pilot: true,
            direct_connect,
            ..Default::default()
        },
        qualified_until: None,
    };
    c.units
        .push(unit(direct, "批量解绑集团有限公司".into(), true));
    for i in 0..n as i64 {
        let user = direct + 1 + i;
        let inv = apps0 + 1 + i;
        c.units.push(unit(
            user,
            format!("批量解绑集团有限公司第{i}分公司"),
            false,
        ));
        let mut a = bare_application(
            inv,
            Kind::Invitation,
            State::Confirmed,
            user,
            format!("批量解绑集团有限公司第{i}分公司"),
            at,
        );
        a.direct_unit_id = Some(direct);
        c.applications.push(a);
        c.bindings.push(NewBinding {
            id: bind0 + 1 + i,
            direct_unit_id: direct,
            user_unit_id: user,
            relation: Relation::Branch,
            since: at,
            invitation_id: inv,
        });
        c.authorisations.push((direct, user, "基础开票能力".into()));
    }
    store.insert_chunk(&c).await?;
    store.move_sequences().await?;
    Ok((direct, (bind0 + 1..=bind0 + n as i64).collect()))
}
