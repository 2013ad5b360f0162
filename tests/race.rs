//! 16 tasks decide the same 500 items at once: every item changes exactly
//! once, every other attempt is a conflict, audit rows equal changes.

mod common;
use common::*;
use leqi_console::domain::*;
use leqi_console::store::*;

async fn race(db: &TestDb) {
    let setup = demo_store(db, 50).await;
    let ids = pending_items(&setup, Kind::Access, State::PendingAcceptance, 500).await;
    let audit_before = scalar(&setup, "SELECT count(*) FROM audit_events").await;
    // Four stores stand for four officers' consoles, each connected as its
    // officer; two officers hold the role.
    let logins = ["mouxian-zhao", "mouxian-qian"];
    let mut stores = Vec::new();
    for i in 0..4 {
        stores.push(as_officer(db, logins[i % 2]).await);
    }
    let mut tasks = Vec::new();
    for t in 0..16usize {
        let (store, officer) = stores[t % 4].clone();
        // Each task walks the items in its own order.
        let mut order = ids.clone();
        order.rotate_left(t * 31 % ids.len());
        if t % 3 == 0 {
            order.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let (mut won, mut conflicts) = (Vec::new(), 0);
            for id in order {
                match store
                    .decide(&officer, id, Decision::Pass, None, Some(1))
                    .await
                {
                    Ok(_) => won.push(id),
                    Err(Error::Conflict(_)) => conflicts += 1,
                    Err(e) => panic!("unexpected: {e}"),
                }
            }
            (won, conflicts)
        }));
    }
    let mut won = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (w, c) = t.await.unwrap();
        won.extend(w);
        conflicts += c;
    }
    won.sort();
    assert_eq!(
        won, ids,
        "{}: each item changed by exactly one task",
        db.label
    );
    assert_eq!(
        conflicts,
        16 * 500 - 500,
        "{}: every other attempt a conflict",
        db.label
    );
    let first = ids[0];
    let last = ids[ids.len() - 1];
    let moved = scalar(&setup, &format!("SELECT count(*) FROM applications WHERE id BETWEEN {first} AND {last} AND state = 'pending_review' AND version = 2")).await;
    assert_eq!(moved, 500, "{}", db.label);
    let audits = scalar(&setup, &format!("SELECT count(*) FROM audit_events WHERE application_id BETWEEN {first} AND {last} AND action = 'accept'")).await;
    assert_eq!(audits, 500, "{}: one audit row per change", db.label);
    assert_eq!(
        scalar(&setup, "SELECT count(*) FROM audit_events").await,
        audit_before + 500
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_tasks_race_on_sqlite() {
    race(&fresh_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_tasks_race_on_postgres() {
    if let Some(db) = fresh_pg().await {
        race(&db).await;
    }
}
