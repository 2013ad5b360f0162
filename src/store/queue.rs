//! Queues: keyset-paginated along an index, counted along the same index.

use super::*;
use sqlx::{AssertSqlSafe, FromRow};

const ROW_COLUMNS: &str = "a.id, a.kind, a.state, a.version, a.uscc, a.unit_name, a.name_key, a.submitted_at, a.updated_at,
    a.failed_checks, a.passed_checks, a.last_officer, a.last_decider, a.unit_id,
    CASE WHEN a.kind = 'exit' THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = a.unit_id AND b.active) ELSE 0 END AS bound,
    (SELECT u.direct_connect FROM units u WHERE u.id = a.unit_id) AS unit_direct,
    (SELECT count(*) FROM applications s WHERE s.unit_id = a.unit_id AND s.kind = a.kind AND s.id <> a.id
        AND s.acting_bureau IS NOT NULL) AS siblings,
    (SELECT c.officer FROM claims c WHERE c.application_id = a.id AND c.version = a.version) AS holder,
    (SELECT c.expires_at FROM claims c WHERE c.application_id = a.id AND c.version = a.version) AS holder_until";

fn sort_columns(sort: Sort) -> (&'static str, bool) {
    // (column, ascending)
    match sort {
        Sort::Age => ("a.submitted_at", true),
        Sort::Name => ("a.name_key", true),
        Sort::Failed => ("a.failed_checks", false),
    }
}

/// `%` and `_` typed by an officer are literal.
pub(crate) fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The SQL of one page: one index range per kind, merged.
fn queue_sql(kinds: &[Kind], q: &QueueQuery) -> String {
    let (col, asc) = sort_columns(q.sort);
    let forward = q.direction == Direction::Forward;
    let up = asc == forward;
    let (cmp, ord) = if up { (">", "ASC") } else { ("<", "DESC") };
    let mut parts = Vec::new();
    for k in kinds {
        let mut s = format!(
            "SELECT {ROW_COLUMNS} FROM applications a WHERE a.state = $1 AND a.kind = '{}' AND a.acting_bureau = $2",
            k.code()
        );
        // Every parameter is referenced whichever parts apply: both drivers
        // refuse a bound parameter that the statement does not use.
        if q.filter.is_empty() {
            s.push_str(" AND $3 IS NOT NULL AND $4 IS NOT NULL");
        } else {
            s.push_str(" AND (a.unit_name LIKE $3 ESCAPE '\\' OR a.uscc LIKE $4 ESCAPE '\\')");
        }
        if q.cursor.is_some() {
            s.push_str(&format!(" AND ({col}, a.id) {cmp} ($5, $6)"));
        } else {
            s.push_str(" AND $5 IS NOT NULL AND $6 IS NOT NULL");
        }
        s.push_str(" AND ($8 IS NULL OR a.submitted_at < $8)");
        s.push_str(&format!(" ORDER BY {col} {ord}, a.id {ord} LIMIT $7"));
        parts.push(format!("SELECT * FROM ({s}) k{}", parts.len()));
    }
    let plain = col.trim_start_matches("a.");
    format!(
        "SELECT * FROM ({}) u ORDER BY {plain} {ord}, id {ord} LIMIT $7",
        parts.join(" UNION ALL ")
    )
}

/// A queue row as stored.
#[derive(sqlx::FromRow)]
struct QueueDbRow {
    id: i64,
    kind: String,
    state: String,
    version: i64,
    uscc: String,
    unit_name: String,
    name_key: Option<String>,
    submitted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    failed_checks: i64,
    passed_checks: i64,
    last_officer: Option<String>,
    last_decider: Option<String>,
    unit_id: i64,
    bound: i64,
    unit_direct: bool,
    siblings: i64,
    holder: Option<String>,
    holder_until: Option<DateTime<Utc>>,
}

impl QueueDbRow {
    fn into_row(self) -> Result<QueueRow> {
        let kind = Kind::parse(&self.kind)
            .ok_or_else(|| Error::Invalid(format!("unknown kind {}", self.kind)))?;
        let state = State::parse(&self.state)
            .ok_or_else(|| Error::Invalid(format!("unknown state {}", self.state)))?;
        // Exits store their checks as if no unit were bound; the bound count is live.
        let live = i64::from(kind == Kind::Exit && self.bound > 0);
        Ok(QueueRow {
            id: self.id,
            kind,
            state,
            version: self.version,
            uscc: self.uscc,
            name_key: self.name_key.unwrap_or_default(),
            name: self.unit_name,
            submitted_at: self.submitted_at,
            updated_at: self.updated_at,
            passed_checks: self.passed_checks - live,
            failed_checks: self.failed_checks + live,
            last_officer: self.last_officer,
            last_decider: self.last_decider,
            bound_user_units: self.bound,
            unit_id: self.unit_id,
            siblings: self.siblings,
            obsolete: crate::domain::judge::obsolete(kind, state, self.unit_direct),
            holder: self.holder.zip(self.holder_until),
        })
    }
}

impl Store {
    /// The kinds of a stage that an officer at this level reaches.
    fn kinds_for(&self, stage: Stage, kinds: &[Kind]) -> Vec<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .filter(|k| {
                self.workflow.rule(*k, stage).is_some() && (kinds.is_empty() || kinds.contains(k))
            })
            .collect()
    }

    /// One page of a queue, along its index.
    pub async fn queue(&self, q: &QueueQuery) -> Result<Page> {
        let kinds = self.kinds_for(q.stage, &q.kinds);
        if kinds.is_empty() {
            return Ok(Page {
                rows: vec![],
                more: false,
            });
        }
        let sql = queue_sql(&kinds, q);
        let filter = like_pattern(&q.filter);
        let filter_upper = like_pattern(&q.filter.to_uppercase());
        let limit = q.limit.max(1) + 1;
        let (ctime, ctext, cint, cid) = match &q.cursor {
            Some(Cursor::Time(t, id)) => (Some(*t), None, None, *id),
            Some(Cursor::Text(s, id)) => (None, Some(s.clone()), None, *id),
            Some(Cursor::Int(n, id)) => (None, None, Some(*n), *id),
            None => (None, None, None, 0),
        };
        let mut rows: Vec<QueueRow> = on_pool!(self, |p| {
            let mut query = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(q.stage.state().code())
                .bind(&q.bureau);
            query = query.bind(&filter).bind(&filter_upper);
            query = match (&ctime, &ctext, &cint) {
                (Some(t), _, _) => query.bind(*t),
                (_, Some(s), _) => query.bind(s.clone()),
                (_, _, Some(n)) => query.bind(*n),
                _ => query.bind(0i64),
            };
            query = query.bind(cid).bind(limit).bind(q.older_than);
            query
                .fetch_all(p)
                .await?
                .into_iter()
                .map(|r| {
                    QueueDbRow::from_row(&r)
                        .map_err(Error::from)
                        .and_then(QueueDbRow::into_row)
                })
                .collect::<Result<Vec<_>>>()?
        });
        let more = rows.len() as i64 > q.limit.max(1);
        rows.truncate(q.limit.max(1) as usize);
        if q.direction == Direction::Backward {
            rows.reverse();
        }
        Ok(Page { rows, more })
    }

    /// How many items a queue holds; counted along its index.
    pub async fn queue_count(
        &self,
        stage: Stage,
        kinds: &[Kind],
        bureau: &str,
        filter: &str,
    ) -> Result<i64> {
        self.queue_count_where(stage, kinds, bureau, filter, None)
            .await
    }

    /// How many items a queue holds that match the filter and, given a
    /// time, were filed before it.
    pub async fn queue_count_where(
        &self,
        stage: Stage,
        kinds: &[Kind],
        bureau: &str,
        filter: &str,
        older_than: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let mut total = 0;
        for k in self.kinds_for(stage, kinds) {
            let sql = if filter.is_empty() {
                "SELECT count(*) FROM applications WHERE state = $1 AND kind = $2 AND acting_bureau = $3 AND $4 = $4 AND $5 = $5
                 AND ($6 IS NULL OR submitted_at < $6)"
            } else {
                "SELECT count(*) FROM applications WHERE state = $1 AND kind = $2 AND acting_bureau = $3
                 AND (unit_name LIKE $4 ESCAPE '\\' OR uscc LIKE $5 ESCAPE '\\') AND ($6 IS NULL OR submitted_at < $6)"
            };
            let n: i64 = on_pool!(self, |p| {
                sqlx::query_scalar(sql)
                    .bind(stage.state().code())
                    .bind(k.code())
                    .bind(bureau)
                    .bind(like_pattern(filter))
                    .bind(like_pattern(&filter.to_uppercase()))
                    .bind(older_than)
                    .fetch_one(p)
                    .await?
            });
            total += n;
        }
        Ok(total)
    }
}
