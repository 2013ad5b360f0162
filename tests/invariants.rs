//! Property: random sequences of decisions, unbindings and supervision
//! measures (imposed, lifted, escalated; one at a time or as batches) by
//! random officers never break the workflow's invariants.

mod common;
use common::*;
use leqi_console::domain::workflow::{self, Jurisdiction};
use leqi_console::domain::*;
use leqi_console::store::*;
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Decide {
        item: usize,
        officer: usize,
        pass: bool,
        reason: Option<&'static str>,
        stale: bool,
    },
    Unbind {
        binding: usize,
        officer: usize,
        reason: &'static str,
    },
    /// A batch of decisions or unbindings whose list names some ids more
    /// than once.
    Batch {
        picks: Vec<usize>,
        officer: usize,
        pass: bool,
        unbind: bool,
    },
    /// A measure on direct-connect units (as a batch when several).
    Impose {
        units: Vec<usize>,
        officer: usize,
        kind: usize,
        reason: &'static str,
    },
    /// Measures in force lifted or escalated to termination.
    End {
        picks: Vec<usize>,
        officer: usize,
        escalate: bool,
    },
}

const REASONS: [&str; 3] = ["材料不全", "  ", "信用级别不符"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..200usize, 0..21usize, any::<bool>(), prop::option::of(0..3usize), prop::bool::weighted(0.1))
            .prop_map(|(item, officer, pass, r, stale)| Op::Decide { item, officer, pass, reason: r.map(|i| REASONS[i]), stale }),
        1 => (0..200usize, 0..21usize, 0..3usize).prop_map(|(binding, officer, r)| Op::Unbind { binding, officer, reason: REASONS[r] }),
        // Picks from a narrow range, doubled: repeats are the rule.
        1 => (prop::collection::vec(0..12usize, 1..10), 0..21usize, any::<bool>(), prop::bool::weighted(0.3))
            .prop_map(|(mut picks, officer, pass, unbind)| {
                let again = picks.clone();
                picks.extend(again);
                Op::Batch { picks, officer, pass, unbind }
            }),
        2 => (prop::collection::vec(0..40usize, 1..4), 0..21usize, 0..7usize, 0..3usize)
            .prop_map(|(units, officer, kind, r)| Op::Impose { units, officer, kind, reason: REASONS[r] }),
        1 => (prop::collection::vec(0..8usize, 1..3), 0..21usize, prop::bool::weighted(0.3))
            .prop_map(|(picks, officer, escalate)| Op::End { picks, officer, escalate }),
    ]
}

struct World {
    store: Store,
    /// Each officer's own connection (on PostgreSQL their login role).
    acting: HashMap<String, Store>,
    officers: Vec<Officer>,
    items: Vec<i64>,
    bindings: Vec<i64>,
    /// Direct-connect units at the start.
    units: Vec<i64>,
    /// Per application: (version, state-changing audit events) at the start.
    baseline: HashMap<i64, (i64, i64)>,
    audit_start: i64,
}

async fn snapshot(s: &Store) -> HashMap<i64, (i64, i64)> {
    let rows = pairs(
        s,
        "SELECT a.id, CAST(a.version AS TEXT) || ':' || CAST((SELECT count(*) FROM audit_events e WHERE e.application_id = a.id AND e.to_state IS NOT NULL AND e.action <> 'submit') AS TEXT) FROM applications a",
    )
    .await;
    rows.into_iter()
        .map(|(id, v)| {
            let (a, b) = v.split_once(':').unwrap();
            (id, (a.parse().unwrap(), b.parse().unwrap()))
        })
        .collect()
}

async fn setup(db: &TestDb) -> World {
    let store = demo_store(db, 400).await;
    let mut officers = store.officers().await.unwrap();
    officers.sort_by(|a, b| a.login.cmp(&b.login));
    let items: Vec<i64> = pairs(&store, "SELECT id, state FROM applications WHERE state IN ('pending_acceptance','pending_review','pending_confirmation') ORDER BY id")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    let bindings = pairs(&store, "SELECT id, relation FROM bindings ORDER BY id")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    let units = pairs(
        &store,
        "SELECT id, name FROM units WHERE direct_connect ORDER BY id",
    )
    .await
    .into_iter()
    .map(|r| r.0)
    .collect();
    let baseline = snapshot(&store).await;
    let audit_start = scalar(&store, "SELECT COALESCE(max(id), 0) FROM audit_events").await;
    let mut acting = HashMap::new();
    for o in officers.iter().filter(|o| o.active) {
        acting.insert(o.login.clone(), as_officer(db, &o.login).await.0);
    }
    World {
        store,
        acting,
        officers,
        items,
        bindings,
        units,
        baseline,
        audit_start,
    }
}

async fn apply(w: &World, op: &Op) {
    match op {
        Op::Decide {
            item,
            officer,
            pass,
            reason,
            stale,
        } => {
            let id = w.items[item % w.items.len()];
            let o = &w.officers[officer % w.officers.len()];
            let version = if *stale { Some(0) } else { None };
            let d = if *pass {
                Decision::Pass
            } else {
                Decision::Reject
            };
            let done = w.acting[&o.login].decide(o, id, d, *reason, version).await;
            note(w, done.is_ok());
        }
        Op::Unbind {
            binding,
            officer,
            reason,
        } => {
            if w.bindings.is_empty() {
                return;
            }
            let id = w.bindings[binding % w.bindings.len()];
            let o = &w.officers[officer % w.officers.len()];
            let done = w.acting[&o.login]
                .unbind(o, &[DecideItem { id, version: None }], reason)
                .await;
            note(w, done.is_ok_and(|r| r.iter().all(|r| r.ok())));
        }
        Op::Batch {
            picks,
            officer,
            pass,
            unbind,
        } => {
            let pool = if *unbind { &w.bindings } else { &w.items };
            if pool.is_empty() {
                return;
            }
            let items: Vec<DecideItem> = picks
                .iter()
                .map(|p| DecideItem {
                    id: pool[p % pool.len()],
                    version: None,
                })
                .collect();
            let o = &w.officers[officer % w.officers.len()];
            let op = match (unbind, pass) {
                (true, _) => BatchOp::Unbind,
                (false, true) => BatchOp::Decide(Decision::Pass),
                (false, false) => BatchOp::Decide(Decision::Reject),
            };
            let s = &w.acting[&o.login];
            if let Ok(id) = s.create_batch(o, op, Some("批量理由"), &items).await {
                // Small chunks: repeats fall in different transactions.
                s.run_batch(o, &id, 3, |_, _| true).await.unwrap();
                note(w, true);
            }
        }
        Op::Impose { .. } | Op::End { .. } => supervise(w, op).await,
    }
}

/// A measure imposed or ended, through the batch runner when it names
/// more than one.
async fn supervise(w: &World, op: &Op) {
    let (o, items, batch_op, params, text) = match op {
        Op::Impose {
            units,
            officer,
            kind,
            reason,
        } => {
            let kind = MeasureKind::ALL[*kind];
            let items: Vec<i64> = units.iter().map(|u| w.units[u % w.units.len()]).collect();
            let params = BatchParams {
                limit: (kind == MeasureKind::LimitConcurrency).then_some(10),
                ..BatchParams::default()
            };
            (officer, items, BatchOp::Impose(kind), params, *reason)
        }
        Op::End {
            picks,
            officer,
            escalate,
        } => {
            let in_force = pairs(
                &w.store,
                "SELECT id, kind FROM measures WHERE state = 'in_force' ORDER BY id",
            )
            .await;
            if in_force.is_empty() {
                return;
            }
            let items = picks
                .iter()
                .map(|p| in_force[p % in_force.len()].0)
                .collect();
            let how = if *escalate {
                BatchOp::Escalate
            } else {
                BatchOp::Lift
            };
            (officer, items, how, BatchParams::default(), "已整改")
        }
        _ => return,
    };
    let items: Vec<DecideItem> = items
        .into_iter()
        .map(|id| DecideItem { id, version: None })
        .collect::<Vec<_>>();
    let o = &w.officers[o % w.officers.len()];
    let s = &w.acting[&o.login];
    if items.len() > 1 {
        if let Ok(id) = s
            .create_batch_with(o, batch_op, Some(text), &params, &items)
            .await
        {
            let info = s.run_batch(o, &id, 2, |_, _| true).await.unwrap();
            note_measured(w, info.done > 0);
        }
        return;
    }
    let done = match batch_op {
        BatchOp::Impose(kind) => {
            let what = Imposition {
                kind,
                reason: text.into(),
                deadline: None,
                limit: params.limit,
                warning: None,
            };
            s.impose(o, &items, &what, None).await
        }
        BatchOp::Lift => {
            s.end_measures(o, &items, MeasureEnd::Lift, text, None)
                .await
        }
        _ => {
            s.end_measures(o, &items, MeasureEnd::Escalate, text, None)
                .await
        }
    };
    note_measured(w, done.is_ok_and(|r| r.iter().all(|r| r.ok())));
}

/// Supervision's invariants: every measure's imposition and end audited
/// on its unit's chain; nothing confirmed that a measure in force then
/// blocked; a terminated unit holds nothing.
async fn check_supervision(w: &World) {
    let s = &w.store;
    let unaudited = scalar(
        s,
        "SELECT count(*) FROM measures m WHERE NOT EXISTS (SELECT 1 FROM audit_events e
             WHERE e.measure_id = m.id AND e.unit_id = m.unit_id AND e.action = 'measure_impose')
          OR (m.state IN ('lifted', 'escalated') AND NOT EXISTS (SELECT 1 FROM audit_events e
             WHERE e.measure_id = m.id AND e.action IN ('measure_lift', 'measure_escalate')))",
    )
    .await;
    assert_eq!(unaudited, 0, "a measure without its audit event");
    let confirmed_while_blocked = scalar(
        s,
        &format!(
            "SELECT count(*) FROM audit_events e JOIN applications a ON a.id = e.application_id
               JOIN measures m ON m.unit_id = CASE WHEN a.kind = 'invitation' THEN a.direct_unit_id ELSE a.unit_id END
               JOIN audit_events i ON i.measure_id = m.id AND i.action = 'measure_impose'
              WHERE e.id > {} AND e.action = 'confirm_pass' AND i.id < e.id
                AND NOT EXISTS (SELECT 1 FROM audit_events x WHERE x.measure_id = m.id
                                AND x.action IN ('measure_lift', 'measure_escalate') AND x.id < e.id)
                AND ((m.kind = 'suspend_invitations' AND a.kind = 'invitation')
                  OR (m.kind = 'suspend_capabilities' AND a.kind = 'subscription')
                  OR (m.kind IN ('suspend_access', 'terminate') AND a.kind <> 'exit'))",
            w.audit_start
        ),
    )
    .await;
    assert_eq!(
        confirmed_while_blocked, 0,
        "confirmed while a measure blocked it"
    );
    let terminated_left = scalar(
        s,
        "SELECT count(*) FROM measures m JOIN units u ON u.id = m.unit_id
          WHERE m.kind = 'terminate' AND m.state = 'in_force' AND (u.direct_connect
             OR EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = u.id AND b.active)
             OR EXISTS (SELECT 1 FROM capabilities c WHERE c.unit_id = u.id AND c.active))",
    )
    .await;
    assert_eq!(terminated_left, 0, "a terminated unit still connected");
    let two = scalar(
        s,
        "SELECT count(*) FROM (SELECT 1 FROM measures WHERE state = 'in_force'
            GROUP BY unit_id, kind HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(two, 0, "one measure of a kind in force per unit");
}

async fn check(w: &World) {
    check_supervision(w).await;
    let s = &w.store;
    // No state change without its audit event.
    for (id, (v, n)) in snapshot(s).await {
        let (v0, n0) = w.baseline[&id];
        assert_eq!(
            v - v0,
            n - n0,
            "application {id}: versions moved {} times, audited {}",
            v - v0,
            n - n0
        );
    }
    // Every rejection and unbinding has a reason.
    let bare = scalar(s, "SELECT count(*) FROM audit_events WHERE action IN ('not_accept','review_reject','confirm_reject','unbind') AND (reason IS NULL OR trim(reason) = '')").await;
    assert_eq!(bare, 0);
    // No binding without a confirmed invitation.
    let orphan = scalar(s, "SELECT count(*) FROM bindings b JOIN applications a ON a.id = b.invitation_id WHERE a.kind <> 'invitation' OR a.state <> 'confirmed'").await;
    assert_eq!(orphan, 0);
    // A confirmed exit leaves nothing of the unit behind.
    let leftovers = scalar(
        s,
        "SELECT count(*) FROM applications x JOIN units u ON u.id = x.unit_id
         WHERE x.kind = 'exit' AND x.state = 'confirmed' AND NOT u.direct_connect AND (
            EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = u.id AND b.active)
         OR EXISTS (SELECT 1 FROM authorisations a WHERE a.direct_unit_id = u.id AND a.active)
         OR EXISTS (SELECT 1 FROM capabilities c WHERE c.unit_id = u.id AND c.active)
         OR EXISTS (SELECT 1 FROM applications f WHERE ((f.kind = 'invitation' AND f.direct_unit_id = u.id) OR (f.kind = 'subscription' AND f.unit_id = u.id))
                    AND f.state IN ('awaiting_unit','pending_acceptance','pending_review','pending_confirmation')))",
    )
    .await;
    assert_eq!(leftovers, 0);
    // The database holds no duplicate: one active binding per pair, one
    // active capability per unit and capability, one active authorisation
    // per user unit, direct-connect unit and capability.
    for (what, sql) in [
        (
            "bindings",
            "SELECT count(*) FROM (SELECT 1 FROM bindings WHERE active GROUP BY direct_unit_id, user_unit_id HAVING count(*) > 1) d",
        ),
        (
            "capabilities",
            "SELECT count(*) FROM (SELECT 1 FROM capabilities WHERE active GROUP BY unit_id, capability HAVING count(*) > 1) d",
        ),
        (
            "authorisations",
            "SELECT count(*) FROM (SELECT 1 FROM authorisations WHERE active GROUP BY unit_id, direct_unit_id, capability HAVING count(*) > 1) d",
        ),
    ] {
        assert_eq!(scalar(s, sql).await, 0, "duplicate active {what}");
    }
    // A batch's audit events are exactly the changes it made: one per item
    // done, none for a repeat.
    let batches = pairs(s, "SELECT CAST(0 AS BIGINT), id || '|' || op FROM batches").await;
    for (_, row) in batches {
        let (b, op) = row.rsplit_once('|').unwrap();
        // What the batch's own events are: by what its items are.
        let own = match op {
            "unbind" => "e.action = 'unbind' AND e.binding_id IN (SELECT item_id FROM batch_items i WHERE i.batch_id = '{b}')",
            "lift" | "escalate" => "e.action IN ('measure_lift', 'measure_escalate') AND e.measure_id IN (SELECT item_id FROM batch_items i WHERE i.batch_id = '{b}')",
            o if o.starts_with("impose:") => "e.action = 'measure_impose' AND e.unit_id IN (SELECT item_id FROM batch_items i WHERE i.batch_id = '{b}')",
            _ => "e.application_id IN (SELECT item_id FROM batch_items i WHERE i.batch_id = '{b}')
                  AND e.action IN ('accept','not_accept','review_pass','review_reject','confirm_pass','confirm_reject')",
        }
        .replace("{b}", b);
        let done = scalar(
            s,
            &format!(
                "SELECT count(*) FROM batch_items WHERE batch_id = '{b}' AND outcome = 'done'"
            ),
        )
        .await;
        let events = scalar(
            s,
            &format!("SELECT count(*) FROM audit_events e WHERE e.batch_id = '{b}' AND {own}"),
        )
        .await;
        assert_eq!(events, done, "batch {b}: audit events against items done");
    }
    // No officer acted outside their bureau or role, or twice in a row.
    let events = pairs(
        s,
        &format!(
            "SELECT e.application_id, e.officer || '|' || e.action || '|' || a.kind || '|' || a.county_id || '|' || a.province_id || '|' || COALESCE(e.bureau_id, '')
             FROM audit_events e JOIN applications a ON a.id = e.application_id
             WHERE e.id > {} AND e.action IN ('accept','not_accept','review_pass','review_reject','confirm_pass','confirm_reject') ORDER BY e.id",
            w.audit_start
        ),
    )
    .await;
    let by_login: HashMap<&str, &Officer> =
        w.officers.iter().map(|o| (o.login.as_str(), o)).collect();
    for (app, row) in events {
        let f: Vec<&str> = row.split('|').collect();
        let o = by_login[f[0]];
        let action = Action::parse(f[1]).unwrap();
        let stage = match action {
            Action::Accept | Action::NotAccept => Stage::Acceptance,
            Action::ReviewPass | Action::ReviewReject => Stage::Review,
            _ => Stage::Confirmation,
        };
        let kind = Kind::parse(f[2]).unwrap();
        // The decider before this one on the same application.
        let prev = pairs(
            s,
            &format!(
                "SELECT id, officer FROM audit_events WHERE application_id = {app} AND action IN ('accept','not_accept','review_pass','review_reject','confirm_pass','confirm_reject')
                 AND id < (SELECT max(id) FROM audit_events WHERE application_id = {app} AND officer = '{}' AND action = '{}') ORDER BY id DESC LIMIT 1",
                f[0], f[1]
            ),
        )
        .await;
        let ok = workflow::authorize(
            &s.workflow,
            o,
            kind,
            stage,
            Jurisdiction {
                county: f[3],
                province: f[4],
            },
            prev.first().map(|p| p.1.as_str()),
        );
        assert_eq!(ok, Ok(()), "application {app}: {} {} ", f[0], f[1]);
        assert_eq!(f[5], o.bureau_id);
    }
}

/// Operations that did something, over all cases: the property must not
/// hold only because nothing was ever allowed.
/// (Per backend: the two tests run at once.)
static DONE: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// Supervision operations that did something: measures must be exercised,
/// not only refused.
static MEASURED: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

fn note_measured(w: &World, done: bool) {
    note(w, done);
    if done {
        MEASURED[usize::from(!w.store.is_embedded())]
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn note(w: &World, done: bool) {
    if done {
        DONE[usize::from(!w.store.is_embedded())].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn run(pg: bool, cases: u32) {
    if pg && pg_admin_url().is_none() {
        return;
    }
    let before = DONE[usize::from(pg)].load(std::sync::atomic::Ordering::SeqCst);
    let measured = MEASURED[usize::from(pg)].load(std::sync::atomic::Ordering::SeqCst);
    let rt = tokio::runtime::Runtime::new().unwrap();
    proptest!(ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }, |(ops in prop::collection::vec(op(), 1..60))| {
        rt.block_on(async {
            let db = if pg { fresh_pg().await.unwrap() } else { fresh_sqlite() };
            let w = setup(&db).await;
            for op in &ops {
                apply(&w, op).await;
                check(&w).await;
            }
            w.store.close().await;
            for s in w.acting.values() {
                s.close().await;
            }
        });
    });
    assert!(
        DONE[usize::from(pg)].load(std::sync::atomic::Ordering::SeqCst) > before,
        "some operation succeeded ({})",
        if pg { "postgres" } else { "sqlite" }
    );
    assert!(
        MEASURED[usize::from(pg)].load(std::sync::atomic::Ordering::SeqCst) > measured,
        "some measure was imposed or ended"
    );
}

#[test]
fn invariants_hold_on_sqlite() {
    run(false, 24);
}

#[test]
fn invariants_hold_on_postgres() {
    run(true, 8);
}
