//! A bureau's database across a network: TLS with the server's certificate
//! verified (`sslmode=verify-full`, `sslrootcert`). The test makes a CA and
//! a server certificate, turns TLS on in the test server (as its
//! superuser), connects, and turns it off again. Its own test binary: it
//! reconfigures the shared test server while it runs.

mod common;
use common::*;
use leqi_console::store::Store;
use sqlx::{Connection, PgConnection};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// Turns TLS off again however the test ends.
struct SslOn {
    admin: String,
}

impl Drop for SslOn {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let mut c = PgConnection::connect(&admin).await.unwrap();
                // One at a time: ALTER SYSTEM refuses a transaction block.
                for sql in [
                    "ALTER SYSTEM RESET ssl",
                    "ALTER SYSTEM RESET ssl_cert_file",
                    "ALTER SYSTEM RESET ssl_key_file",
                    "SELECT pg_reload_conf()",
                ] {
                    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                }
            })
        })
        .join()
        .unwrap();
    }
}

fn certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "leqi test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

/// Whether this connection runs over TLS, as the server sees it.
async fn over_tls(s: &Store) -> bool {
    scalar(
        s,
        "SELECT CAST(CASE WHEN ssl THEN 1 ELSE 0 END AS BIGINT) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .await
        == 1
}

#[tokio::test]
async fn a_remote_database_is_reached_over_verified_tls() {
    let Some(admin) = pg_admin_url() else { return };
    let db = fresh_pg().await.unwrap();
    let mut su = PgConnection::connect(&admin).await.unwrap();
    let data: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(&mut su)
        .await
        .unwrap();
    // The key must be the server's own user's (or root's) and private.
    let server_uid = std::fs::metadata(&data).map(|m| m.uid());
    let dir = tempfile::Builder::new()
        .prefix("leqi-tls")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ca, cert, key) = certificates();
    let (ca_file, cert_file, key_file) = (
        dir.path().join("ca.pem"),
        dir.path().join("server.crt"),
        dir.path().join("server.key"),
    );
    std::fs::write(&ca_file, &ca).unwrap();
    std::fs::write(&cert_file, &cert).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    std::fs::set_permissions(&cert_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let owned = server_uid.map_err(|e| e.to_string()).and_then(|uid| {
        std::os::unix::fs::chown(&key_file, Some(uid), None).map_err(|e| e.to_string())
    });
    if let Err(e) = owned {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must be able to give the test server a key: {e}"
        );
        eprintln!("SKIPPED: cannot hand the test server a key ({e})");
        return;
    }
    for sql in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", cert_file.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", key_file.display()),
        "ALTER SYSTEM SET ssl = on".into(),
        "SELECT pg_reload_conf()".into(),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut su)
            .await
            .unwrap();
    }
    let _off = SslOn {
        admin: admin.clone(),
    };
    // The reload reaches new connections shortly.
    let verified = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        db.url,
        ca_file.display()
    );
    let mut store = None;
    for _ in 0..50 {
        match Store::open(&verified).await {
            Ok(s) => {
                store = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let s = store.expect("a verified TLS connection");
    assert!(over_tls(&s).await, "the session runs over TLS");
    // A server whose certificate another CA signed is refused.
    let (other_ca, _, _) = certificates();
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, other_ca).unwrap();
    let refused = Store::open(&format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        db.url,
        other.display()
    ))
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("无法连接") || refused.to_string().contains("拒绝"),
        "{refused}"
    );
    // require: encrypted, not verified.
    let s = Store::open(&format!("{}?sslmode=require", db.url))
        .await
        .unwrap();
    assert!(over_tls(&s).await);
}
