//! Verification of the audit trail: every chain recomputed, gaps found,
//! every application's events replayed through the transition table and
//! compared with the application, the heads compared with a checkpoint
//! kept outside the database.

use super::audit::{EVENT_FIELDS, EventRow, seal_sqlite};
use super::sql::args;
use super::*;
use crate::domain::audit::{self, Mismatch};
use std::collections::HashMap;

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
