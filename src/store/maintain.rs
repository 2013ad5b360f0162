//! Keeping derived columns whole: what an older version left unfilled is
//! filled when the store opens, set-wise, a chunk at a time.

use super::sql::{args, json_records};
use super::*;
use serde_json::json;

#[derive(sqlx::FromRow)]
struct Unkeyed {
    id: i64,
    unit_name: String,
    submitted_at: DateTime<Utc>,
}

impl Store {
    /// Every application's name key (pinyin sort), for rows written before
    /// it existed.
    pub(crate) async fn fill_name_keys(&self) -> Result<u64> {
        let mut filled = 0;
        loop {
            let rows: Vec<Unkeyed> = on_pool!(self, |p| {
                sqlx::query_as(
                    "SELECT id, unit_name, submitted_at FROM applications WHERE name_key IS NULL LIMIT 5000",
                )
                .fetch_all(p)
                .await?
            });
            if rows.is_empty() {
                return Ok(filled);
            }
            let recs = json_records(rows.iter().map(|r| {
                json!({"uid": r.id, "ukey": crate::domain::text::name_key(&r.unit_name, r.submitted_at)})
            }));
            let sql = format!(
                "{} UPDATE applications SET name_key = u.ukey FROM u WHERE applications.id = u.uid",
                self.records(&[("uid", "bigint"), ("ukey", "text")])
            );
            let mut tx = self.begin().await?;
            filled += tx.execute(&sql, args![recs]).await?;
            tx.commit().await?;
        }
    }

    /// Links each application filed after an officer rejected the same
    /// unit's application of the same kind to that rejection (the demo's
    /// refilings; the platform sets the link when the unit files again).
    pub async fn link_refiled(&self) -> Result<u64> {
        let sql = "WITH r AS (
                SELECT a.id AS aid,
                       (SELECT e.id FROM applications e
                         WHERE e.unit_id = a.unit_id AND e.kind = a.kind AND e.id <> a.id
                           AND e.state IN ('not_accepted', 'review_rejected', 'confirm_rejected')
                           AND e.updated_at <= a.submitted_at
                         ORDER BY e.updated_at DESC, e.id DESC LIMIT 1) AS pid
                  FROM applications a WHERE a.previous_id IS NULL)
            UPDATE applications SET previous_id = r.pid FROM r
             WHERE applications.id = r.aid AND r.pid IS NOT NULL";
        let mut tx = self.begin().await?;
        let n = tx.execute(sql, args![]).await?;
        tx.commit().await?;
        Ok(n)
    }
}
