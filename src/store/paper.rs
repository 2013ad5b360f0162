//! A paper copy of a material noted as received at the counter.

use super::audit::{NewAudit, Stamp};
use super::sql::{args, de};
use super::*;
use crate::domain::judge;
use serde::Deserialize;

impl Store {
    /// Notes that the paper copy of a material was received at the counter.
    pub async fn mark_paper_received(&self, officer: &Officer, material: i64) -> Result<()> {
        if !self.is_embedded() {
            return self.pg_mark_paper(officer, material).await;
        }
        let now = now();
        let mut tx = self.begin().await?;
        #[derive(Deserialize)]
        struct Paper {
            application_id: i64,
            kind: String,
            file_name: String,
            county_id: String,
            #[serde(deserialize_with = "de::flag")]
            paper_received: bool,
        }
        let sql = format!(
            "SELECT {} FROM materials m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
            self.objects(
                "'application_id', m.application_id, 'kind', m.kind, 'file_name', m.file_name,
                 'county_id', a.county_id, 'paper_received', m.paper_received"
            )
        );
        let found: Vec<Paper> = tx.objects(&sql, args![material]).await?;
        let p = found
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("未找到材料 {material} (no such material)")))?;
        judge::paper_receipt(officer, &p.county_id).map_err(Error::from)?;
        if !p.paper_received {
            tx.execute(
                "UPDATE materials SET paper_received = TRUE WHERE id = $1",
                args![material],
            )
            .await?;
            // Named as the officer knows it, not by its number.
            let what = format!(
                "{}：{}",
                MaterialKind::parse(&p.kind).map_or("材料", |k| k.zh()),
                p.file_name
            );
            let client = client();
            let stamp = Stamp {
                officer: &officer.login,
                bureau: Some(&officer.bureau_id),
                at: now,
                batch: None,
                client: client.as_deref(),
            };
            let event = NewAudit {
                application_id: Some(p.application_id),
                binding_id: None,
                unit_id: None,
                measure_id: None,
                warning_id: None,
                action: Action::PaperReceived.code(),
                from: None,
                to: None,
                reason: Some(&what),
            };
            self.append_events(&mut tx, &stamp, &[event]).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
