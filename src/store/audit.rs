//! The audit trail's chains: new events appended and sealed on SQLite
//! (PostgreSQL seals them itself). Checkpoints and verification are in
//! `verify.rs`.

use super::sql::{args, de, decode_objects, json_records};
use super::*;
use crate::domain::audit::{self, Event};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize)]
pub(super) struct EventRow {
    pub(super) id: i64,
    pub(super) application_id: Option<i64>,
    pub(super) binding_id: Option<i64>,
    pub(super) unit_id: Option<i64>,
    pub(super) measure_id: Option<i64>,
    pub(super) warning_id: Option<i64>,
    pub(super) action: String,
    pub(super) from_state: Option<String>,
    pub(super) to_state: Option<String>,
    pub(super) officer: String,
    pub(super) bureau_id: Option<String>,
    pub(super) reason: Option<String>,
    #[serde(deserialize_with = "de::time")]
    pub(super) at: DateTime<Utc>,
    pub(super) batch_id: Option<String>,
    pub(super) client: Option<String>,
    pub(super) chain: Option<String>,
    pub(super) chain_seq: Option<i64>,
    pub(super) prev_hash: Option<String>,
    pub(super) hash: Option<String>,
}

impl EventRow {
    pub(super) fn event(&self) -> Event {
        Event {
            id: self.id,
            application_id: self.application_id,
            binding_id: self.binding_id,
            unit_id: self.unit_id,
            measure_id: self.measure_id,
            warning_id: self.warning_id,
            action: self.action.clone(),
            from_state: self.from_state.clone(),
            to_state: self.to_state.clone(),
            officer: self.officer.clone(),
            bureau_id: self.bureau_id.clone(),
            reason: self.reason.clone(),
            at_micros: self.at.timestamp_micros(),
            batch_id: self.batch_id.clone(),
            client: self.client.clone(),
        }
    }
}

pub(super) const EVENT_FIELDS: &str =
    "'id', id, 'application_id', application_id, 'binding_id', binding_id,
    'unit_id', unit_id, 'measure_id', measure_id, 'warning_id', warning_id,
    'action', action, 'from_state', from_state, 'to_state', to_state, 'officer', officer,
    'bureau_id', bureau_id, 'reason', reason, 'at', at, 'batch_id', batch_id, 'client', client,
    'chain', chain, 'chain_seq', chain_seq, 'prev_hash', prev_hash, 'hash', hash";

/// Chains the events of this SQLite transaction that are not chained yet
/// (PostgreSQL chains its own): called before every commit.
pub(crate) async fn seal_sqlite(conn: &mut sqlx::SqliteConnection) -> Result<u64> {
    let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT json_group_array(json_object({EVENT_FIELDS})) FROM
           (SELECT * FROM audit_events WHERE hash IS NULL ORDER BY id LIMIT 20000)"
    )))
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<EventRow> = decode_objects(&text)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let chains: Vec<String> = rows
        .iter()
        .map(|r| audit::chain_of(r.application_id, r.binding_id, r.unit_id))
        .collect();
    let wanted = json_records(chains.iter().map(|c| json!(c)));
    let heads: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT chain, chain_seq, hash FROM audit_events WHERE (chain, chain_seq) IN
           (SELECT chain, max(chain_seq) FROM audit_events
             WHERE chain IN (SELECT value FROM json_each($1)) AND hash IS NOT NULL GROUP BY chain)",
    )
    .bind(wanted)
    .fetch_all(&mut *conn)
    .await?;
    let mut heads: HashMap<String, (i64, String)> =
        heads.into_iter().map(|(c, s, h)| (c, (s, h))).collect();
    let mut recs = Vec::with_capacity(rows.len());
    for (r, chain) in rows.iter().zip(chains) {
        let (seq, prev) = heads
            .get(&chain)
            .map(|(s, h)| (s + 1, h.clone()))
            .unwrap_or((1, String::new()));
        let hash = audit::hash(&r.event(), &chain, seq, &prev);
        recs.push(json!({"uid": r.id, "uchain": chain, "useq": seq, "uprev": prev, "uhash": hash}));
        heads.insert(chain, (seq, hash));
    }
    let n = recs.len() as u64;
    sqlx::query(
        "WITH u AS MATERIALIZED (SELECT json_extract(value, '$.uid') AS uid, json_extract(value, '$.uchain') AS uchain,
              json_extract(value, '$.useq') AS useq, json_extract(value, '$.uprev') AS uprev,
              json_extract(value, '$.uhash') AS uhash FROM json_each($1))
         UPDATE audit_events SET chain = u.uchain, chain_seq = u.useq, prev_hash = u.uprev, hash = u.uhash
           FROM u WHERE audit_events.id = u.uid",
    )
    .bind(json_records(recs))
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

/// An event to append: what it is about and what happened.
pub(crate) struct NewAudit<'a> {
    pub application_id: Option<i64>,
    pub binding_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub measure_id: Option<i64>,
    pub warning_id: Option<i64>,
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl<'a> NewAudit<'a> {
    /// An event on an application that does not move it (a claim).
    pub fn on_application(id: i64, action: Action, reason: Option<&'a str>) -> NewAudit<'a> {
        NewAudit {
            application_id: Some(id),
            binding_id: None,
            unit_id: None,
            measure_id: None,
            warning_id: None,
            action: action.code(),
            from: None,
            to: None,
            reason,
        }
    }
}

/// An event as `append_events` passes it to the insert.
struct Rec<'a> {
    uapp: Option<i64>,
    ubind: Option<i64>,
    uunit: Option<i64>,
    umeasure: Option<i64>,
    uwarning: Option<i64>,
    uact: &'a str,
    ufrom: Option<&'a str>,
    uto: Option<&'a str>,
    ureason: Option<&'a str>,
    uchain: String,
    useq: i64,
    uprev: String,
    uhash: String,
}

/// Who wrote a set of events, when and from where.
pub(crate) struct Stamp<'a> {
    pub officer: &'a str,
    pub bureau: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub batch: Option<&'a str>,
    pub client: Option<&'a str>,
}

impl Store {
    /// The head (position, hash) of each chain named, in one query.
    async fn chain_heads(
        &self,
        tx: &mut super::sql::Tx,
        chains: &[String],
    ) -> Result<HashMap<String, (i64, String)>> {
        let wanted = json_records(chains.iter().map(|c| json!(c)));
        #[derive(Deserialize)]
        struct Head {
            chain: String,
            seq: Option<i64>,
            hash: Option<String>,
        }
        let found: Vec<Head> = tx
            .objects(
                &format!(
                    "SELECT {} FROM (SELECT j.value AS chain,
                        (SELECT chain_seq FROM audit_events a WHERE a.chain = j.value ORDER BY chain_seq DESC LIMIT 1) AS seq,
                        (SELECT hash FROM audit_events a WHERE a.chain = j.value ORDER BY chain_seq DESC LIMIT 1) AS hash
                       FROM (SELECT DISTINCT value FROM json_each($1)) j) h",
                    self.objects("'chain', h.chain, 'seq', h.seq, 'hash', h.hash")
                ),
                args![wanted],
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|h| (h.chain, (h.seq.unwrap_or(0), h.hash.unwrap_or_default())))
            .collect())
    }

    /// Appends events chained (SQLite: PostgreSQL's functions chain their
    /// own): the heads of their chains in one query, the hashes here, one
    /// insert. The subjects' rows are locked by the transaction already
    /// (SQLite's write lock), so no other writer takes a position.
    pub(crate) async fn append_events(
        &self,
        tx: &mut super::sql::Tx,
        stamp: &Stamp<'_>,
        events: &[NewAudit<'_>],
    ) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let chains: Vec<String> = events
            .iter()
            .map(|e| audit::chain_of(e.application_id, e.binding_id, e.unit_id))
            .collect();
        let mut heads = self.chain_heads(tx, &chains).await?;
        let at_micros = stamp.at.timestamp_micros();
        let recs = events.iter().zip(chains).map(|(e, chain)| {
            let (seq, prev) = heads
                .get(&chain)
                .map(|(s, h)| (s + 1, h.clone()))
                .unwrap_or((1, String::new()));
            let ev = Event {
                id: 0,
                application_id: e.application_id,
                binding_id: e.binding_id,
                unit_id: e.unit_id,
                measure_id: e.measure_id,
                warning_id: e.warning_id,
                action: e.action.to_string(),
                from_state: e.from.map(String::from),
                to_state: e.to.map(String::from),
                officer: stamp.officer.to_string(),
                bureau_id: stamp.bureau.map(String::from),
                reason: e.reason.map(String::from),
                at_micros,
                batch_id: stamp.batch.map(String::from),
                client: stamp.client.map(String::from),
            };
            let hash = audit::hash(&ev, &chain, seq, &prev);
            heads.insert(chain.clone(), (seq, hash.clone()));
            Rec {
                uapp: e.application_id,
                ubind: e.binding_id,
                uunit: e.unit_id,
                umeasure: e.measure_id,
                uwarning: e.warning_id,
                uact: e.action,
                ufrom: e.from,
                uto: e.to,
                ureason: e.reason,
                uchain: chain,
                useq: seq,
                uprev: prev,
                uhash: hash,
            }
        });
        self.insert_events(tx, stamp, recs.collect()).await
    }

    /// Sealed events inserted with bound parameters, up to a thousand rows
    /// a statement: SQLite reads a JSON record's fields one
    /// `json_extract` at a time, which cost twice the insert itself.
    /// Placeholders are positional (`?`): SQLite looks each numbered one
    /// up by a linear scan, quadratic over thousands of them.
    async fn insert_events(
        &self,
        tx: &mut super::sql::Tx,
        stamp: &Stamp<'_>,
        recs: Vec<Rec<'_>>,
    ) -> Result<()> {
        use super::sql::Arg;
        // 18 parameters a row: a thousand rows stay well inside SQLite's
        // 32,766 and PostgreSQL's 65,535.
        const ROWS: usize = 1000;
        const COLS: usize = 18;
        let embedded = self.is_embedded();
        for part in recs.chunks(ROWS) {
            let mut args: Vec<Arg> = Vec::with_capacity(part.len() * COLS);
            let mut values = String::with_capacity(part.len() * COLS * 4);
            for (i, r) in part.iter().enumerate() {
                values.push_str(if i == 0 { "(" } else { ",(" });
                for k in 1..=COLS {
                    if k > 1 {
                        values.push(',');
                    }
                    if embedded {
                        values.push('?');
                    } else {
                        values.push_str(&format!("${}", i * COLS + k));
                    }
                }
                values.push(')');
                // In the insert's column order.
                args.extend([
                    Arg::from(r.uapp),
                    Arg::from(r.ubind),
                    Arg::from(r.uunit),
                    Arg::from(r.umeasure),
                    Arg::from(r.uwarning),
                    Arg::from(r.uact),
                    Arg::from(r.ufrom),
                    Arg::from(r.uto),
                    Arg::from(stamp.officer),
                    Arg::from(stamp.bureau),
                    Arg::from(r.ureason),
                    Arg::from(stamp.at),
                    Arg::from(stamp.batch),
                    Arg::from(stamp.client),
                    Arg::from(r.uchain.as_str()),
                    Arg::from(r.useq),
                    Arg::from(r.uprev.as_str()),
                    Arg::from(r.uhash.as_str()),
                ]);
            }
            let sql = format!(
                "INSERT INTO audit_events (application_id, binding_id, unit_id, measure_id, warning_id, action,
                     from_state, to_state, officer, bureau_id, reason, at, batch_id, client, chain, chain_seq,
                     prev_hash, hash) VALUES {values}"
            );
            tx.execute(&sql, &args).await?;
        }
        Ok(())
    }
}
