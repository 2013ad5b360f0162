//! Claims (领取): who is working on which application, for how long, and
//! who else is in the same queue. A set of items is claimed in one
//! transaction; on PostgreSQL by `leqi_claim` (migrations/postgres/
//! 0012_claims.sql), which also stops others deciding a held item.

use super::audit::NewAudit;
use super::decide::Actor;
use super::sql::{Tx, args, de, id_records, json_records};
use super::*;
use crate::domain::claim::{self, Held, Step};
use crate::domain::judge::{self, Refusal};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;

/// A live claim as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub application_id: i64,
    pub officer: String,
    #[serde(deserialize_with = "de::time")]
    pub claimed_at: DateTime<Utc>,
    #[serde(deserialize_with = "de::time")]
    pub expires_at: DateTime<Utc>,
    /// Taken over from whom, and why.
    pub taken_from: Option<String>,
    pub take_over_reason: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub unit_name: Option<String>,
    /// Still on the application as it is (a decision since ended it).
    #[serde(default = "yes", deserialize_with = "de::flag")]
    pub current: bool,
}

fn yes() -> bool {
    true
}

/// A claim as both listings read it.
const CLAIM_FIELDS: &str = "'application_id', c.application_id, 'officer', c.officer,
    'claimed_at', c.claimed_at, 'expires_at', c.expires_at, 'taken_from', c.taken_from,
    'take_over_reason', c.take_over_reason, 'kind', c.kind, 'state', c.state,
    'unit_name', c.unit_name, 'current', c.current";

/// One item's claim: held by the caller until a time, or why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimResult {
    pub id: i64,
    /// The holder now: the caller when claimed, the other officer when held.
    pub holder: Option<String>,
    pub until: Option<DateTime<Utc>>,
    /// None when claimed.
    pub error: Option<ItemFailure>,
    /// The officer held it already (from another console, the command
    /// line): the lease was only extended, and is not this caller's to end.
    pub renewed: bool,
}

impl ClaimResult {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
    fn failed(id: i64, e: &Error) -> ClaimResult {
        let (holder, until) = match e {
            Error::Held(h) => (Some(h.officer.clone()), Some(h.until)),
            _ => (None, None),
        };
        ClaimResult {
            id,
            holder,
            until,
            error: Some(e.into()),
            renewed: false,
        }
    }
}

/// A row of `leqi_claim`.
#[derive(sqlx::FromRow)]
struct PgClaimRow {
    id: i64,
    code: String,
    detail: String,
    holder: Option<String>,
    until: Option<DateTime<Utc>>,
}

/// What a claim writes for one item (SQLite).
struct Plan {
    lapses: Vec<(i64, String)>,
    upserts: Vec<serde_json::Value>,
    renews: Vec<i64>,
    events: Vec<(i64, Action, Option<String>)>,
}

impl Plan {
    /// What claiming `s` writes, by the claim on it now; its result.
    fn add(
        &mut self,
        s: &judge::Subject,
        me: &str,
        now: DateTime<Utc>,
        ends: DateTime<Utc>,
        reason: Option<&str>,
    ) -> ClaimResult {
        let id = s.id;
        let current = s.claim.as_ref().map(|(w, u)| (w.as_str(), *u));
        let mut until = ends;
        let mut renewed = false;
        match claim::step(me, id, current, now, reason.is_some()) {
            Step::Held(h) => return ClaimResult::failed(id, &Error::Held(h)),
            Step::Renew => {
                until = current.map_or(ends, |c| c.1.max(ends));
                self.renews.push(id);
                renewed = true;
            }
            Step::New => {
                self.upserts.push(json!({"uid": id, "uver": s.version}));
                self.events.push((id, Action::Claim, None));
            }
            Step::Lapsed { officer, expired } => {
                self.lapses.push((id, claim::lapse_text(&officer, expired)));
                self.upserts.push(json!({"uid": id, "uver": s.version}));
                self.events.push((id, Action::Claim, None));
            }
            Step::TakeOver { from } => {
                let r = reason.unwrap_or_default();
                let text = claim::take_over_text(&from, r);
                self.events.push((id, Action::TakeOver, Some(text)));
                self.upserts
                    .push(json!({"uid": id, "uver": s.version, "ufrom": from, "ureason": r}));
            }
        }
        ClaimResult {
            id,
            holder: Some(me.to_string()),
            until: Some(until),
            error: None,
            renewed,
        }
    }
}

impl Store {
    /// Claims `ids` for `minutes` as one step: an item held by another is
    /// refused naming the holder, unless `take_over` gives a reason.
    pub async fn claim(
        &self,
        officer: &Officer,
        ids: &[i64],
        minutes: i64,
        take_over: Option<&str>,
    ) -> Result<Vec<ClaimResult>> {
        let minutes = claim::lease_minutes(minutes).map_err(Error::Invalid)?;
        let reason = match take_over {
            Some(r) => validated_reason(Some(r), true)?,
            None => None,
        };
        if !self.is_embedded() {
            return self
                .pg_claim(officer, ids, minutes, reason.as_deref())
                .await;
        }
        let actor = Actor {
            officer,
            now: now(),
            client: client(),
            batch: None,
        };
        let ends = actor.now + chrono::Duration::minutes(minutes);
        let mut tx = self.begin().await?;
        let loaded = self.load_subjects(&mut tx, ids).await?;
        let mut plan = Plan {
            lapses: vec![],
            upserts: vec![],
            renews: vec![],
            events: vec![],
        };
        let mut seen = HashSet::new();
        let out: Vec<ClaimResult> = ids
            .iter()
            .map(|&id| {
                let subject = match loaded.get(&id) {
                    _ if !seen.insert(id) => Err(Error::Repeated(id)),
                    None => Err(Error::not_found_application(id)),
                    Some(Err(e)) => Err(Error::Invalid(e.clone())),
                    Some(Ok(s)) => claimable(self, officer, s).map(|_| s),
                };
                match subject {
                    Ok(s) => plan.add(s, &officer.login, actor.now, ends, reason.as_deref()),
                    Err(e) => ClaimResult::failed(id, &e),
                }
            })
            .collect();
        self.write_claims(&mut tx, &actor, ends, plan).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The writes of a claim (SQLite): lapses first, then the claims and
    /// their events, set-wise.
    async fn write_claims(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        ends: DateTime<Utc>,
        plan: Plan,
    ) -> Result<()> {
        let lapses: Vec<NewAudit> = plan
            .lapses
            .iter()
            .map(|(id, text)| NewAudit::on_application(*id, Action::ClaimLapse, Some(text)))
            .collect();
        self.append_events(tx, &actor.stamp(), &lapses).await?;
        if !plan.upserts.is_empty() {
            let sql = format!(
                "{} INSERT INTO claims (application_id, version, officer, bureau_id, claimed_at, expires_at, taken_from, take_over_reason)
                 SELECT uid, uver, $2, $3, $4, $5, ufrom, ureason FROM u WHERE true
                 ON CONFLICT (application_id) DO UPDATE SET version = excluded.version, officer = excluded.officer,
                     bureau_id = excluded.bureau_id,
                     claimed_at = excluded.claimed_at, expires_at = excluded.expires_at,
                     taken_from = excluded.taken_from, take_over_reason = excluded.take_over_reason",
                self.records(&[
                    ("uid", "bigint"),
                    ("uver", "bigint"),
                    ("ufrom", "text"),
                    ("ureason", "text"),
                ])
            );
            let o = actor.officer;
            tx.execute(
                &sql,
                args![
                    json_records(plan.upserts),
                    o.login.as_str(),
                    o.bureau_id.as_str(),
                    actor.now,
                    ends
                ],
            )
            .await?;
        }
        if !plan.renews.is_empty() {
            let sql = format!(
                "{} UPDATE claims SET expires_at = $2 WHERE application_id IN (SELECT uid FROM u) AND expires_at < $2",
                self.records(&[("uid", "bigint")])
            );
            tx.execute(&sql, args![id_records(&plan.renews), ends])
                .await?;
        }
        let events: Vec<NewAudit> = plan
            .events
            .iter()
            .map(|(id, a, r)| NewAudit::on_application(*id, *a, r.as_deref()))
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await
    }

    async fn pg_claim(
        &self,
        officer: &Officer,
        ids: &[i64],
        minutes: i64,
        reason: Option<&str>,
    ) -> Result<Vec<ClaimResult>> {
        let chunk = super::batch::BATCH_CHUNK;
        if ids.len() <= chunk || self.lanes <= 1 {
            return self.pg_claim_call(officer, ids, minutes, reason).await;
        }
        // A large selection is claimed a chunk per call, `lanes` calls at
        // once, as a batch runs. The database finds repeats within one
        // call only, so they are found here first and only first
        // occurrences are sent.
        let mut seen = HashSet::new();
        let firsts: Vec<i64> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
        let mut parts = firsts.chunks(chunk);
        let mut running = futures_util::stream::FuturesUnordered::new();
        let mut claimed = std::collections::HashMap::with_capacity(firsts.len());
        let mut failed = None;
        loop {
            while failed.is_none() && running.len() < self.lanes {
                let Some(part) = parts.next() else { break };
                running.push(self.pg_claim_call(officer, part, minutes, reason));
            }
            // Every call in flight is waited for, even after an error.
            match futures_util::StreamExt::next(&mut running).await {
                None => break,
                Some(Ok(rows)) => claimed.extend(rows.into_iter().map(|c| (c.id, c))),
                Some(Err(e)) => {
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            // All or nothing, as one call would be: what the other calls
            // claimed anew is let go again (a renewed claim stays).
            let fresh: Vec<i64> = claimed
                .values()
                .filter(|c| c.ok() && !c.renewed)
                .map(|c| c.id)
                .collect();
            self.release(officer, &fresh).await.ok();
            return Err(e);
        }
        // Each first occurrence takes its own result; a repeat is refused.
        let mut answered = HashSet::new();
        Ok(ids
            .iter()
            .map(|&id| match (answered.insert(id), claimed.remove(&id)) {
                (false, _) => ClaimResult::failed(id, &Error::Repeated(id)),
                (true, Some(c)) => c,
                (true, None) => ClaimResult::failed(id, &Error::not_found_application(id)),
            })
            .collect())
    }

    /// One call of `leqi_claim`: the results in the order of `ids`.
    async fn pg_claim_call(
        &self,
        officer: &Officer,
        ids: &[i64],
        minutes: i64,
        reason: Option<&str>,
    ) -> Result<Vec<ClaimResult>> {
        self.acting_as(officer)?;
        let Backend::Postgres(p) = &self.backend else {
            unreachable!("PostgreSQL only")
        };
        let rows: Vec<PgClaimRow> = sqlx::query_as("SELECT * FROM leqi_claim($1, $2, $3, $4)")
            .bind(ids)
            .bind(minutes as i32)
            .bind(reason)
            .bind(client())
            .fetch_all(p)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                if r.code == "00000" {
                    return ClaimResult {
                        id: r.id,
                        holder: r.holder,
                        until: r.until,
                        error: None,
                        renewed: r.detail == "renew",
                    };
                }
                let e = match r.code.as_str() {
                    "LQ007" => Error::Held(Held {
                        id: r.id,
                        officer: r.holder.unwrap_or_default(),
                        until: r.until.unwrap_or_else(now),
                    }),
                    _ => super::secure::verdict_error(r.id, &r.code, &r.detail),
                };
                ClaimResult::failed(r.id, &e)
            })
            .collect())
    }

    /// Ends the officer's own claims on `ids`; the ids released.
    pub async fn release(&self, officer: &Officer, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        if let Backend::Postgres(p) = &self.backend {
            self.acting_as(officer)?;
            return Ok(sqlx::query_scalar("SELECT * FROM leqi_release($1, $2)")
                .bind(ids)
                .bind(client())
                .fetch_all(p)
                .await?);
        }
        let actor = Actor {
            officer,
            now: now(),
            client: client(),
            batch: None,
        };
        let mut tx = self.begin().await?;
        let gone = self.release_rows(&mut tx, &actor, ids).await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// Deletes the officer's own claims on `ids` (SQLite): a live one's
    /// release is recorded, a lapsed one's lapse, one a decision ended
    /// nothing. The ids whose live claim was released.
    async fn release_rows(&self, tx: &mut Tx, actor: &Actor<'_>, ids: &[i64]) -> Result<Vec<i64>> {
        #[derive(Deserialize)]
        struct Row {
            application_id: i64,
            #[serde(deserialize_with = "de::flag")]
            current: bool,
            #[serde(deserialize_with = "de::time")]
            expires_at: DateTime<Utc>,
        }
        let sel = format!(
            "{} SELECT {} FROM claims c JOIN applications a ON a.id = c.application_id
             WHERE c.application_id IN (SELECT uid FROM u) AND c.officer = $2",
            self.records(&[("uid", "bigint")]),
            self.objects(
                "'application_id', c.application_id, 'current', c.version = a.version, 'expires_at', c.expires_at"
            )
        );
        let login = actor.officer.login.as_str();
        let rows: Vec<Row> = tx.objects(&sel, args![id_records(ids), login]).await?;
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let found: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
        let del = format!(
            "{} DELETE FROM claims WHERE application_id IN (SELECT uid FROM u) AND officer = $2",
            self.records(&[("uid", "bigint")])
        );
        tx.execute(&del, args![id_records(&found), login]).await?;
        let lapsed: Vec<(i64, String)> = rows
            .iter()
            .filter(|r| r.current && r.expires_at <= actor.now)
            .map(|r| (r.application_id, claim::lapse_text(login, r.expires_at)))
            .collect();
        let released: Vec<i64> = rows
            .iter()
            .filter(|r| r.current && r.expires_at > actor.now)
            .map(|r| r.application_id)
            .collect();
        let mut events: Vec<NewAudit> = lapsed
            .iter()
            .map(|(id, t)| NewAudit::on_application(*id, Action::ClaimLapse, Some(t)))
            .collect();
        events.extend(
            released
                .iter()
                .map(|id| NewAudit::on_application(*id, Action::Release, None)),
        );
        self.append_events(tx, &actor.stamp(), &events).await?;
        Ok(released)
    }

    /// Decided items' lapsed claims (SQLite): each lapse recorded before
    /// the decision; the claims themselves end with the version.
    pub(super) async fn record_lapses(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        planned: &[judge::Planned],
    ) -> Result<()> {
        if planned.is_empty() {
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Row {
            application_id: i64,
            officer: String,
            #[serde(deserialize_with = "de::time")]
            expires_at: DateTime<Utc>,
        }
        let sql = format!(
            "{} SELECT {} FROM claims c JOIN u ON c.application_id = u.uid AND c.version = u.uver
             WHERE c.expires_at <= $2",
            self.records(&[("uid", "bigint"), ("uver", "bigint")]),
            self.objects(
                "'application_id', c.application_id, 'officer', c.officer, 'expires_at', c.expires_at"
            )
        );
        let recs = json_records(
            planned
                .iter()
                .map(|p| json!({"uid": p.id, "uver": p.version})),
        );
        let rows: Vec<Row> = tx.objects(&sql, args![recs, actor.now]).await?;
        let texts: Vec<(i64, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.application_id,
                    claim::lapse_text(&r.officer, r.expires_at),
                )
            })
            .collect();
        let events: Vec<NewAudit> = texts
            .iter()
            .map(|(id, t)| NewAudit::on_application(*id, Action::ClaimLapse, Some(t)))
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await
    }

    /// Live claims the officer can see (with `mine`, only theirs), soonest
    /// to end first.
    pub async fn claims(&self, officer: &Officer, mine: bool) -> Result<Vec<Claim>> {
        let sql = format!(
            "SELECT {} FROM (SELECT c.*, a.kind, a.state, a.unit_name, TRUE AS current
                 FROM claims c JOIN applications a ON a.id = c.application_id AND a.version = c.version
                 WHERE c.expires_at > $1 AND ($2 = '' OR c.officer = $2)
                 ORDER BY c.expires_at, c.application_id LIMIT 10000) c",
            self.objects(CLAIM_FIELDS)
        );
        let who = if mine { officer.login.as_str() } else { "" };
        self.read_objects(&sql, args![now(), who]).await
    }

    /// The claims on `ids`, live or lapsed, current or ended by a decision
    /// (a console holding one learns who took it over, even if they then
    /// decided it).
    pub async fn claims_on(&self, ids: &[i64]) -> Result<Vec<Claim>> {
        let sql = format!(
            "{} SELECT {} FROM (SELECT c.*, a.kind, a.state, a.unit_name, a.version = c.version AS current
                 FROM claims c JOIN applications a ON a.id = c.application_id
                 WHERE c.application_id IN (SELECT uid FROM u)) c",
            self.records(&[("uid", "bigint")]),
            self.objects(CLAIM_FIELDS)
        );
        self.read_objects(&sql, args![id_records(ids)]).await
    }

    /// Which of `ids` the officer holds now by a live claim on the item as
    /// it is.
    pub async fn held_by(&self, officer: &Officer, ids: &[i64]) -> Result<Vec<i64>> {
        if let Backend::Postgres(p) = &self.backend {
            // An array, not JSON records: a batch asks about 10,000 ids.
            return Ok(sqlx::query_scalar(
                "SELECT c.application_id FROM claims c
                   JOIN applications a ON a.id = c.application_id AND a.version = c.version
                  WHERE c.application_id = ANY ($1) AND c.officer = $2 AND c.expires_at > now()",
            )
            .bind(ids)
            .bind(officer.login.as_str())
            .fetch_all(p)
            .await?);
        }
        #[derive(Deserialize)]
        struct Id {
            id: i64,
        }
        let sql = format!(
            "{} SELECT {} FROM (SELECT c.application_id AS id
                 FROM claims c JOIN applications a ON a.id = c.application_id AND a.version = c.version
                 WHERE c.officer = $2 AND c.expires_at > $3 AND c.application_id IN (SELECT uid FROM u)) c",
            self.records(&[("uid", "bigint")]),
            self.objects("'id', id")
        );
        let rows: Vec<Id> = self
            .read_objects(&sql, args![id_records(ids), officer.login.as_str(), now()])
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Says the officer works in `queue` (None: no longer) and returns the
    /// other officers seen in the same queue of their bureau lately.
    pub async fn presence(&self, officer: &Officer, queue: Option<&str>) -> Result<Vec<String>> {
        let queue = queue.map(|q| q.chars().take(64).collect::<String>());
        if let Backend::Postgres(p) = &self.backend {
            self.acting_as(officer)?;
            return Ok(sqlx::query_scalar("SELECT * FROM leqi_presence($1)")
                .bind(queue)
                .fetch_all(p)
                .await?);
        }
        let now = now();
        let mut tx = self.begin().await?;
        let login = officer.login.as_str();
        let Some(q) = queue else {
            tx.execute("DELETE FROM presence WHERE officer = $1", args![login])
                .await?;
            tx.commit().await?;
            return Ok(vec![]);
        };
        tx.execute(
            "INSERT INTO presence (officer, bureau_id, queue, seen_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (officer) DO UPDATE SET bureau_id = excluded.bureau_id, queue = excluded.queue,
                 seen_at = excluded.seen_at",
            args![login, officer.bureau_id.as_str(), q.as_str(), now],
        )
        .await?;
        tx.commit().await?;
        #[derive(Deserialize)]
        struct Row {
            officer: String,
        }
        let since = now - chrono::Duration::seconds(claim::PRESENCE_SECONDS);
        let sql = format!(
            "SELECT {} FROM presence p WHERE p.bureau_id = $1 AND p.queue = $2 AND p.officer <> $3
             AND p.seen_at > $4 ORDER BY p.officer",
            self.objects("'officer', p.officer")
        );
        let rows: Vec<Row> = self
            .read_objects(
                &sql,
                args![officer.bureau_id.as_str(), q.as_str(), login, since],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.officer).collect())
    }
}

/// Whether the officer may claim the item: they could decide it now
/// (pass or reject; a precondition such as units still bound does not
/// stop a claim).
fn claimable(store: &Store, officer: &Officer, s: &judge::Subject) -> Result<()> {
    let mut free = s.clone();
    free.claim = None;
    let item = judge::Item {
        id: s.id,
        version: None,
    };
    let asked = judge::Asked::plain(Decision::Pass, false);
    match judge::decision(&store.workflow, officer, &item, Some(&free), asked) {
        Ok(_) | Err(Refusal::Precondition(_)) => Ok(()),
        Err(r) => Err(r.into()),
    }
}
