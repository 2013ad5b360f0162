//! The audit trail's chains: sealing new events on SQLite (PostgreSQL
//! seals them itself), the heads of every chain for a checkpoint kept
//! outside the database, and verification: every chain recomputed, gaps
//! found, every application's events replayed through the transition
//! table and compared with the application, the heads compared with a
//! checkpoint.

use super::sql::{args, de, decode_objects, json_records};
use super::*;
use crate::domain::audit::{self, Event, Mismatch};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize)]
struct EventRow {
    id: i64,
    application_id: Option<i64>,
    binding_id: Option<i64>,
    unit_id: Option<i64>,
    measure_id: Option<i64>,
    warning_id: Option<i64>,
    action: String,
    from_state: Option<String>,
    to_state: Option<String>,
    officer: String,
    bureau_id: Option<String>,
    reason: Option<String>,
    #[serde(deserialize_with = "de::time")]
    at: DateTime<Utc>,
    batch_id: Option<String>,
    client: Option<String>,
    chain: Option<String>,
    chain_seq: Option<i64>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl EventRow {
    fn event(&self) -> Event {
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

const EVENT_FIELDS: &str = "'id', id, 'application_id', application_id, 'binding_id', binding_id,
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
#[derive(serde::Serialize)]
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
        // Serialized from a struct: no map per record.
        let recs: Vec<Rec> = recs.collect();
        let recs = serde_json::to_string(&recs).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "{} INSERT INTO audit_events (application_id, binding_id, unit_id, measure_id, warning_id, action,
                 from_state, to_state, officer, bureau_id, reason, at, batch_id, client, chain, chain_seq, prev_hash, hash)
             SELECT uapp, ubind, uunit, umeasure, uwarning, uact, ufrom, uto, $2, $3, ureason, $4, $5, $6, uchain, useq,
                    uprev, uhash FROM u",
            self.records(&[
                ("uapp", "bigint"),
                ("ubind", "bigint"),
                ("uunit", "bigint"),
                ("umeasure", "bigint"),
                ("uwarning", "bigint"),
                ("uact", "text"),
                ("ufrom", "text"),
                ("uto", "text"),
                ("ureason", "text"),
                ("uchain", "text"),
                ("useq", "bigint"),
                ("uprev", "text"),
                ("uhash", "text"),
            ])
        );
        tx.execute(
            &sql,
            args![
                recs,
                stamp.officer,
                stamp.bureau,
                stamp.at,
                stamp.batch,
                stamp.client
            ],
        )
        .await?;
        Ok(())
    }
}

/// The head of every chain at one moment, kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub taken_at: DateTime<Utc>,
    pub heads: Vec<(String, i64, String)>,
}

const CHECKPOINT_HEADER: &str = "leqi-console audit checkpoint v1";

impl Checkpoint {
    /// The digest over the heads, in order: tells an edited file.
    fn digest(heads: &[(String, i64, String)]) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (c, s, x) in heads {
            h.update(format!("{c} {s} {x}\n").as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{CHECKPOINT_HEADER}\ntaken {}\n",
            self.taken_at.to_rfc3339()
        );
        for (c, s, x) in &self.heads {
            out.push_str(&format!("{c} {s} {x}\n"));
        }
        out.push_str(&format!("digest {}\n", Self::digest(&self.heads)));
        out
    }

    /// Reads a checkpoint file; an edited or foreign one is refused.
    pub fn parse(text: &str) -> std::result::Result<Checkpoint, String> {
        let mut lines = text.lines();
        if lines.next() != Some(CHECKPOINT_HEADER) {
            return Err("不是 leqi-console 的审计检查点文件 (not an audit checkpoint file)".into());
        }
        let taken_at = lines
            .next()
            .and_then(|l| l.strip_prefix("taken "))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or("检查点文件缺少时间 (the checkpoint has no time)")?;
        let mut heads = vec![];
        let mut digest = None;
        for l in lines {
            if let Some(d) = l.strip_prefix("digest ") {
                digest = Some(d.to_string());
                break;
            }
            let mut parts = l.split(' ');
            let (Some(c), Some(s), Some(h), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(format!(
                    "检查点文件有一行无法识别 (bad line): {}",
                    crate::domain::text::inert(l)
                ));
            };
            let s: i64 = s
                .parse()
                .map_err(|_| "检查点文件的序号无效 (bad position)".to_string())?;
            heads.push((c.to_string(), s, h.to_string()));
        }
        match digest {
            Some(d) if d == Self::digest(&heads) => Ok(Checkpoint { taken_at, heads }),
            Some(_) => Err("检查点文件已被改动：摘要不符 (the checkpoint file was altered: its digest does not match)".into()),
            None => Err("检查点文件不完整：缺少摘要 (the checkpoint file is cut short)".into()),
        }
    }
}

/// Something in the trail that does not add up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The application, binding or `s` chain it concerns.
    pub chain: String,
    pub application_id: Option<i64>,
    pub event_id: Option<i64>,
    pub problem: String,
}

/// What `audit verify` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub chains: u64,
    pub events: u64,
    pub applications: u64,
    pub findings: Vec<Finding>,
}

/// The state of one chain as it is read.
struct ChainWalk {
    chain: String,
    seq: i64,
    prev: String,
    replay: Vec<(String, Option<String>, Option<String>, i64)>,
}

impl Store {
    /// Chains every event not chained yet (SQLite: events of a file
    /// written before chains existed).
    pub(crate) async fn seal_all(&self) -> Result<u64> {
        let Backend::Sqlite(p) = &self.backend else {
            return Ok(0);
        };
        let mut total = 0;
        loop {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            let n = seal_sqlite(&mut tx).await?;
            tx.commit().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// The head of every chain now.
    pub async fn checkpoint(&self) -> Result<Checkpoint> {
        let heads: Vec<(String, i64, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT chain, chain_seq, hash FROM audit_events WHERE (chain, chain_seq) IN
                   (SELECT chain, max(chain_seq) FROM audit_events WHERE chain IS NOT NULL GROUP BY chain)
                 ORDER BY chain",
            )
            .fetch_all(p)
            .await?
        });
        Ok(Checkpoint {
            taken_at: now(),
            heads,
        })
    }

    /// Recomputes every chain, replays every application, and compares the
    /// heads with `checkpoint` when one is given.
    pub async fn verify(&self, checkpoint: Option<&Checkpoint>) -> Result<Report> {
        let mut report = Report::default();
        let apps: Vec<(i64, String, String, i64)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT id, kind, state, version FROM applications")
                .fetch_all(p)
                .await?
        });
        let mut apps: HashMap<i64, (String, String, i64, bool)> = apps
            .into_iter()
            .map(|(id, k, s, v)| (id, (k, s, v, false)))
            .collect();
        report.applications = apps.len() as u64;
        let mut heads: HashMap<String, (i64, String)> = HashMap::new();
        let mut hashes_at: HashMap<(String, i64), String> = HashMap::new();
        let wanted: HashMap<String, i64> = checkpoint
            .map(|c| c.heads.iter().map(|(ch, s, _)| (ch.clone(), *s)).collect())
            .unwrap_or_default();
        let mut walk: Option<ChainWalk> = None;
        let mut after: Option<(String, i64)> = None;
        loop {
            let page = self.event_page(after.as_ref()).await?;
            let Some(last) = page.last() else { break };
            after = Some((
                last.chain.clone().unwrap_or_default(),
                last.chain_seq.unwrap_or(0),
            ));
            for r in &page {
                report.events += 1;
                let chain = r.chain.clone().unwrap_or_default();
                if walk.as_ref().is_none_or(|w| w.chain != chain) {
                    if let Some(w) = walk.take() {
                        self.close_chain(w, &mut apps, &mut heads, &mut report);
                    }
                    report.chains += 1;
                    walk = Some(ChainWalk {
                        chain: chain.clone(),
                        seq: 0,
                        prev: String::new(),
                        replay: vec![],
                    });
                }
                let w = walk.as_mut().expect("a chain is being walked");
                check_event(r, w, &mut report.findings);
                if wanted
                    .get(&chain)
                    .is_some_and(|s| *s == r.chain_seq.unwrap_or(0))
                {
                    hashes_at.insert(
                        (chain.clone(), r.chain_seq.unwrap_or(0)),
                        r.hash.clone().unwrap_or_default(),
                    );
                }
            }
        }
        if let Some(w) = walk.take() {
            self.close_chain(w, &mut apps, &mut heads, &mut report);
        }
        self.unsealed(&mut report).await?;
        // Applications no event speaks of.
        let mut silent: Vec<_> = apps.iter().filter(|(_, a)| !a.3).collect();
        silent.sort_by_key(|(id, _)| **id);
        for (id, (kind, state, version, _)) in silent {
            if let Some(kind) = Kind::parse(kind) {
                for m in audit::replay(kind, &[], state, *version) {
                    report.findings.push(Finding {
                        chain: format!("a{id}"),
                        application_id: Some(*id),
                        event_id: None,
                        problem: m.to_string(),
                    });
                }
            }
        }
        if let Some(c) = checkpoint {
            compare_checkpoint(c, &heads, &hashes_at, &mut report.findings);
        }
        Ok(report)
    }

    /// Events in chain order after `after` (chain, position), a page.
    async fn event_page(&self, after: Option<&(String, i64)>) -> Result<Vec<EventRow>> {
        let (c, s) = after.cloned().unwrap_or_default();
        let first = after.is_none();
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM audit_events
               WHERE chain IS NOT NULL AND ($3 OR chain > $1 OR (chain = $1 AND chain_seq > $2))
               ORDER BY chain, chain_seq LIMIT 20000) e",
            self.objects(EVENT_FIELDS)
        );
        self.read_objects(&sql, args![c, s, first]).await
    }

    /// Events never chained (an SQLite write that bypassed the store).
    async fn unsealed(&self, report: &mut Report) -> Result<()> {
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM audit_events WHERE chain IS NULL OR hash IS NULL ORDER BY id LIMIT 1000) e",
            self.objects(EVENT_FIELDS)
        );
        let rows: Vec<EventRow> = self.read_objects(&sql, args![]).await?;
        for r in rows {
            report.findings.push(Finding {
                chain: audit::chain_of(r.application_id, r.binding_id, r.unit_id),
                application_id: r.application_id,
                event_id: Some(r.id),
                problem: "事件未入链 (the event is in no chain)".into(),
            });
        }
        Ok(())
    }

    /// A chain read to its end: its head kept, an application's events
    /// replayed against it.
    fn close_chain(
        &self,
        w: ChainWalk,
        apps: &mut HashMap<i64, (String, String, i64, bool)>,
        heads: &mut HashMap<String, (i64, String)>,
        report: &mut Report,
    ) {
        heads.insert(w.chain.clone(), (w.seq, w.prev.clone()));
        let Some(id) = w
            .chain
            .strip_prefix('a')
            .and_then(|s| s.parse::<i64>().ok())
        else {
            return;
        };
        let Some(app) = apps.get_mut(&id) else {
            report.findings.push(Finding {
                chain: w.chain.clone(),
                application_id: Some(id),
                event_id: None,
                problem: "事件所属的申请不存在 (the events' application does not exist)".into(),
            });
            return;
        };
        app.3 = true;
        let Some(kind) = Kind::parse(&app.0) else {
            return;
        };
        for m in audit::replay(kind, &w.replay, &app.1, app.2) {
            let event_id = match &m {
                Mismatch::Broken { event, .. } | Mismatch::Illegal { event, .. } => Some(*event),
                _ => None,
            };
            report.findings.push(Finding {
                chain: w.chain.clone(),
                application_id: Some(id),
                event_id,
                problem: m.to_string(),
            });
        }
    }
}

/// One event against its chain: its position follows the last, it names
/// the last's hash, and its own hash is its fields'.
fn check_event(r: &EventRow, w: &mut ChainWalk, out: &mut Vec<Finding>) {
    let seq = r.chain_seq.unwrap_or(0);
    let finding = |problem: String| Finding {
        chain: w.chain.clone(),
        application_id: r.application_id,
        event_id: Some(r.id),
        problem,
    };
    if seq != w.seq + 1 {
        out.push(finding(format!(
            "链上第 {} 至 {} 位的事件缺失 (events missing from the chain before position {seq})",
            w.seq + 1,
            seq - 1
        )));
    }
    let prev = r.prev_hash.clone().unwrap_or_default();
    if prev != w.prev && seq == w.seq + 1 {
        out.push(finding(
            "事件所记前一哈希与链不符 (the event names another previous hash than the chain's)"
                .into(),
        ));
    }
    let expected = audit::hash(&r.event(), &w.chain, seq, &prev);
    if r.hash.as_deref() != Some(expected.as_str()) {
        out.push(finding(
            "事件内容与其哈希不符：记录被改动 (the event's fields do not match its hash: it was altered)".into(),
        ));
    }
    if r.application_id.is_some()
        && audit::chain_of(r.application_id, r.binding_id, r.unit_id) != w.chain
    {
        out.push(finding(
            "事件不在其申请的链上 (the event is on another chain than its application's)".into(),
        ));
    }
    w.seq = seq;
    w.prev = r.hash.clone().unwrap_or_default();
    w.replay.push((
        r.action.clone(),
        r.from_state.clone(),
        r.to_state.clone(),
        r.id,
    ));
}

/// Every chain of the checkpoint still holds the event it ended with.
fn compare_checkpoint(
    c: &Checkpoint,
    heads: &HashMap<String, (i64, String)>,
    hashes_at: &HashMap<(String, i64), String>,
    out: &mut Vec<Finding>,
) {
    for (chain, seq, hash) in &c.heads {
        let application_id = chain.strip_prefix('a').and_then(|s| s.parse().ok());
        let mut finding = |problem: String| {
            out.push(Finding {
                chain: chain.clone(),
                application_id,
                event_id: None,
                problem,
            })
        };
        match heads.get(chain) {
            None => finding(format!(
                "检查点时有 {seq} 个事件，现在整条链都不在了 (the whole chain is gone since the checkpoint)"
            )),
            Some((now_seq, _)) if now_seq < seq => finding(format!(
                "检查点时链长 {seq}，现在只有 {now_seq}：最新的事件被删除 (events after position {now_seq} were removed since the checkpoint)"
            )),
            Some(_) => match hashes_at.get(&(chain.clone(), *seq)) {
                Some(h) if h == hash => {}
                _ => finding(format!(
                    "链上第 {seq} 位的事件与检查点不符：历史被改写 (the event at position {seq} differs from the checkpoint: history was rewritten)"
                )),
            },
        }
    }
}
