//! The SQL shared by every write: a transaction on either backend with a
//! small set of argument types, records passed as one JSON parameter,
//! rows gathered into one JSON value, and the per-item result rows of a
//! batch.

use super::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

/// An argument of a statement: the few types the store binds.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Arg {
        Arg::Time(v)
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Arg {
        Arg::OptTime(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

/// `args![a, b, c]`: the arguments of a statement, in order.
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::store::sql::Arg::from($a)),*][..] };
}
pub(crate) use args;

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Time(v) => q.bind(*v),
                Arg::OptTime(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A write transaction on either backend: `BEGIN IMMEDIATE` on SQLite (a
/// deferred one fails at once under contention), a plain one on
/// PostgreSQL. Dropped without `commit`, it rolls back.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(mut t) => {
                // Events are chained as they are written (`append_events`);
                // any written otherwise are chained here, before the commit.
                while super::audit::seal_sqlite(&mut t).await? > 0 {}
                t.commit().await?
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match self {
            Tx::Sqlite(t) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    /// One text value: an aggregate of rows (see `Store::agg`).
    pub async fn text(&mut self, sql: &str, args: &[Arg]) -> Result<String> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match self {
            Tx::Sqlite(t) => {
                bind_all!(sqlx::query_scalar(sql), args)
                    .fetch_one(&mut **t)
                    .await?
            }
            Tx::Postgres(t) => {
                bind_all!(sqlx::query_scalar(sql), args)
                    .fetch_one(&mut **t)
                    .await?
            }
        })
    }

    /// Rows gathered as JSON objects (see `Store::objects`), decoded.
    pub async fn objects<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<T>> {
        let text = self.text(sql, args).await?;
        decode_objects(&text)
    }

    /// The ids a statement returns (`RETURNING id`).
    pub async fn ids(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<i64>> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match self {
            Tx::Sqlite(t) => {
                bind_all!(sqlx::query_scalar(sql), args)
                    .fetch_all(&mut **t)
                    .await?
            }
            Tx::Postgres(t) => {
                bind_all!(sqlx::query_scalar(sql), args)
                    .fetch_all(&mut **t)
                    .await?
            }
        })
    }
}

/// Rows a query gathered as JSON objects, decoded into a named row type.
pub(crate) fn decode_objects<T: DeserializeOwned>(text: &str) -> Result<Vec<T>> {
    serde_json::from_str(text).map_err(|e| Error::Invalid(format!("malformed row: {e}")))
}

/// Decoders for columns as either dialect renders them in JSON: SQLite
/// gives booleans as 0 and 1 and times as text in its own layout.
pub(crate) mod de {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn flag<'d, D: Deserializer<'d>>(d: D) -> Result<bool, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(v.as_bool()
            .or_else(|| v.as_i64().map(|n| n != 0))
            .unwrap_or(false))
    }

    fn parse(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    pub fn time<'d, D: Deserializer<'d>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad time {s:?}")))
    }

    pub fn opt_time<'d, D: Deserializer<'d>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        Ok(s.as_deref().and_then(parse))
    }
}

/// A JSON array of records, as the `$1` of a set-wise statement.
pub(crate) fn json_records(recs: impl IntoIterator<Item = Value>) -> String {
    Value::Array(recs.into_iter().collect()).to_string()
}

/// `{"uid": id}` for each id.
pub(crate) fn id_records<'a>(ids: impl IntoIterator<Item = &'a i64>) -> String {
    json_records(ids.into_iter().map(|id| json!({ "uid": id })))
}

impl Store {
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Rows gathered as JSON objects (see `objects`), read outside any
    /// write transaction, decoded.
    pub(crate) async fn read_objects<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<T>> {
        let sql = AssertSqlSafe(sql.to_string());
        let text: String = on_pool!(self, |p| bind_all!(sqlx::query_scalar(sql), args)
            .fetch_one(p)
            .await?);
        decode_objects(&text)
    }

    /// A transaction that only reads: no write lock on SQLite.
    pub(crate) async fn begin_read(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Records passed as one JSON parameter `$1`, as a materialized CTE
    /// named `u`: the only part of the set-wise statements that differs
    /// between the dialects. Materialized, so that SQLite reads the JSON
    /// once and indexes it for the join, instead of scanning it per row.
    pub(crate) fn records(&self, cols: &[(&str, &str)]) -> String {
        match self.backend {
            Backend::Sqlite(_) => {
                let sel: Vec<String> = cols
                    .iter()
                    .map(|(c, _)| format!("json_extract(value, '$.{c}') AS {c}"))
                    .collect();
                format!(
                    "WITH u AS MATERIALIZED (SELECT {} FROM json_each($1))",
                    sel.join(", ")
                )
            }
            Backend::Postgres(_) => {
                let defs: Vec<String> = cols.iter().map(|(c, t)| format!("{c} {t}")).collect();
                format!(
                    "WITH u AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS r({}))",
                    defs.join(", ")
                )
            }
        }
    }

    /// A text field of a JSON column, as SQL.
    pub(crate) fn json_text(&self, column: &str, field: &str) -> String {
        match self.backend {
            Backend::Sqlite(_) => format!("json_extract({column}, '$.{field}')"),
            Backend::Postgres(_) => format!("({column}::json->>'{field}')"),
        }
    }

    /// Rows gathered into one JSON array of objects (`'key', value, ...`).
    /// sqlx hands SQLite's rows across threads one message each; a
    /// thousand rows as one value cost one.
    pub(crate) fn objects(&self, pairs: &str) -> String {
        match self.backend {
            Backend::Sqlite(_) => format!("json_group_array(json_object({pairs}))"),
            Backend::Postgres(_) => {
                format!("COALESCE(json_agg(json_build_object({pairs})), '[]'::json)::text")
            }
        }
    }

    /// Writes the results of a chunk's items into their batch, in the
    /// chunk's transaction. A result already there (two consoles resuming
    /// one batch) stays as it was. Results are grouped by (outcome, shared
    /// message): successes share their action's name, a failure carries
    /// its own message; what a group shares is passed once.
    pub(crate) async fn write_results(
        &self,
        tx: &mut Tx,
        batch: Option<(&str, &[i64])>,
        items: &[Item],
        results: &[ItemResult],
    ) -> Result<()> {
        let Some((batch_id, seqs)) = batch else {
            return Ok(());
        };
        // On PostgreSQL the database's functions write them.
        debug_assert!(self.is_embedded());
        let sql = format!(
            "{} INSERT INTO batch_items (batch_id, seq, item_id, version, outcome, message, from_state, to_state)
             SELECT $2, useq, uid, uver, $3, COALESCE(umsg, $4), ufrom, uto FROM u WHERE TRUE ON CONFLICT (batch_id, seq) DO NOTHING",
            self.records(&[
                ("useq", "bigint"),
                ("uid", "bigint"),
                ("uver", "bigint"),
                ("umsg", "text"),
                ("ufrom", "text"),
                ("uto", "text")
            ])
        );
        let mut groups: BTreeMap<(ItemOutcome, Option<&'static str>), Vec<Value>> = BTreeMap::new();
        for ((r, seq), it) in results.iter().zip(seqs).zip(items) {
            let (key, msg) = match &r.error {
                None => ((ItemOutcome::Done, r.action.map(|a| a.zh())), None),
                Some(f) => ((ItemOutcome::Failed(f.kind), None), Some(f.message.clone())),
            };
            groups.entry(key).or_default().push(
                json!({"useq": seq, "uid": it.id, "uver": it.version, "umsg": msg,
                    "ufrom": r.from.map(|s| s.code()), "uto": r.to.map(|s| s.code())}),
            );
        }
        for ((outcome, message), recs) in groups {
            tx.execute(
                &sql,
                args![json_records(recs), batch_id, outcome.code(), message],
            )
            .await?;
        }
        Ok(())
    }
}
