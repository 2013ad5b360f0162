//! Telling a console that another connection changed the database.

use super::*;

/// How long a console goes without a notice before it reloads anyway.
const BACKSTOP: Duration = Duration::from_secs(30);

/// Tells a console when another connection changed the database.
pub enum Watch {
    /// LISTEN on a dedicated connection; a reconnect may have lost notices.
    Postgres(sqlx::postgres::PgListener),
    /// `PRAGMA data_version` on a dedicated connection changes when any
    /// other connection commits.
    Sqlite(sqlx::SqliteConnection, i64),
}

impl Store {
    pub async fn watch(&self) -> Result<Watch> {
        match &self.backend {
            Backend::Postgres(p) => {
                let mut l = sqlx::postgres::PgListener::connect_with(p).await?;
                l.listen("leqi_changes").await?;
                Ok(Watch::Postgres(l))
            }
            Backend::Sqlite(p) => {
                let mut c = p.acquire().await?.detach();
                let v: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut c)
                    .await?;
                Ok(Watch::Sqlite(c, v))
            }
        }
    }
}

impl Watch {
    /// Closes the watch's own connection (SQLite checkpoints when its last
    /// connection closes).
    pub async fn close(self) {
        match self {
            Watch::Postgres(l) => drop(l),
            Watch::Sqlite(c, _) => {
                let _ = sqlx::Connection::close(c).await;
            }
        }
    }

    /// Waits until something changed. Both a notice and a reconnect count:
    /// notices sent while the listener reconnected are lost, so a
    /// reconnect means reload.
    pub async fn changed(&mut self) -> Result<()> {
        match self {
            Watch::Postgres(l) => {
                // A slow poll as a backstop: a notice lost some other way
                // than a reconnect is caught within half a minute.
                let Ok(got) = tokio::time::timeout(BACKSTOP, l.try_recv()).await else {
                    return Ok(());
                };
                match got? {
                    // Several officers' commits arrive together: take them all.
                    Some(_) => {
                        while let Ok(Ok(Some(_))) =
                            tokio::time::timeout(Duration::from_millis(150), l.try_recv()).await
                        {
                        }
                    }
                    None => tracing::info!("change listener reconnected: reloading"),
                }
                Ok(())
            }
            Watch::Sqlite(c, last) => loop {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let v: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *c)
                    .await?;
                if v != *last {
                    *last = v;
                    return Ok(());
                }
            },
        }
    }
}
