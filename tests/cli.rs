//! The real binary: exit codes and one-line errors.

mod common;
use std::process::{Command, Output};

fn bin(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .arg("--database")
        .arg(common::acting_url(db, args))
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("leqi-cli-test-none"),
        )
        .output()
        .unwrap()
}

fn one_line_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

#[test]
fn the_command_line_contract() {
    let mut dbs = vec![common::fresh_sqlite()];
    let rt = tokio::runtime::Runtime::new().unwrap();
    dbs.extend(rt.block_on(common::fresh_pg()));
    for db in &dbs {
        let u = db.url.as_str();
        assert_eq!(
            bin(u, &["demo", "--scale", "300"]).status.code(),
            Some(0),
            "{}",
            db.label
        );
        let again = bin(u, &["demo"]);
        assert_eq!(again.status.code(), Some(5), "demo refuses to add to data");
        assert!(one_line_error(&again).contains("--force"));

        let officers: serde_json::Value =
            serde_json::from_slice(&bin(u, &["officers", "--json"]).stdout).unwrap();
        let zhao = officers
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["login"] == "mouxian-zhao")
            .unwrap();
        assert_eq!(zhao["level"], "county");
        assert_eq!(zhao["roles"], serde_json::json!(["accept", "review"]));

        let out = bin(
            u,
            &[
                "--officer",
                "mouxian-zhao",
                "queue",
                "--stage",
                "待受理",
                "--json",
                "--limit",
                "500",
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        let q: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = q["items"].as_array().unwrap();
        assert!(
            items.iter().any(|i| i["uscc"] == "9161252LQ1136652JR"),
            "{}: the seed unit is queued",
            db.label
        );
        for i in items {
            for k in [
                "id",
                "kind",
                "state",
                "version",
                "uscc",
                "name",
                "submitted_at",
            ] {
                assert!(i.get(k).is_some(), "{k}");
            }
            assert_eq!(i["state"], "pending_acceptance");
        }
        let english = bin(
            u,
            &[
                "--officer",
                "mouxian-zhao",
                "queue",
                "--stage",
                "pending-acceptance",
                "--json",
                "--limit",
                "500",
            ],
        );
        assert_eq!(english.stdout, out.stdout);

        let forbidden = bin(u, &["--officer", "qingshan-zhao", "decide", "pass", "1"]);
        assert_eq!(
            forbidden.status.code(),
            Some(4),
            "{}: another bureau",
            db.label
        );
        one_line_error(&forbidden);
        let no_reason = bin(u, &["--officer", "mouxian-zhao", "decide", "reject", "1"]);
        assert_eq!(no_reason.status.code(), Some(6));
        assert!(one_line_error(&no_reason).contains("理由"));
        assert_eq!(
            bin(
                u,
                &[
                    "--officer",
                    "mouxian-zhao",
                    "decide",
                    "pass",
                    "1",
                    "--version",
                    "1"
                ]
            )
            .status
            .code(),
            Some(0)
        );
        let stale = bin(
            u,
            &[
                "--officer",
                "mouxian-qian",
                "decide",
                "pass",
                "1",
                "--version",
                "1",
            ],
        );
        assert_eq!(
            stale.status.code(),
            Some(5),
            "{}: the second of two racing decisions",
            db.label
        );
        assert!(one_line_error(&stale).contains("mouxian-zhao"));
        // An unregistered officer: not found on an embedded database; on
        // PostgreSQL the flag cannot name anyone but the login (exit 4).
        let nobody = Command::new(env!("CARGO_BIN_EXE_leqi-console"))
            .args([
                "--database",
                u,
                "--officer",
                "nobody",
                "queue",
                "--stage",
                "待受理",
            ])
            .output()
            .unwrap();
        assert_eq!(
            nobody.status.code(),
            Some(if db.label == "postgres" { 4 } else { 3 }),
            "{}",
            String::from_utf8_lossy(&nobody.stderr)
        );
        assert_eq!(
            bin(u, &["--officer", "mouxian-zhao", "show", "999999"])
                .status
                .code(),
            Some(3)
        );
        assert_eq!(
            bin(
                u,
                &["--officer", "mouxian-zhao", "queue", "--stage", "nonsense"]
            )
            .status
            .code(),
            Some(2)
        );

        let h: serde_json::Value =
            serde_json::from_slice(&bin(u, &["history", "1", "--json"]).stdout).unwrap();
        assert_eq!(h.as_array().unwrap().last().unwrap()["action"], "accept");
    }
    let bad = bin("mysql://x", &["officers"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(one_line_error(&bad).contains("sqlite"));
    let down = bin("postgres://x@127.0.0.1:1/none", &["officers"]);
    assert_eq!(down.status.code(), Some(1));
    assert!(one_line_error(&down).contains("无法连接"));
}

/// A config file named on the command line must exist: a mistyped path is
/// one line and exit 2, not a run on the defaults.
#[test]
fn a_named_config_file_that_is_not_there_is_refused() {
    let db = common::fresh_sqlite();
    let o = bin(
        &db.url,
        &["--config", "/nonexistent/leqi/config.toml", "officers"],
    );
    assert_eq!(o.status.code(), Some(2));
    let line = one_line_error(&o);
    assert!(line.contains("--config"), "{line}");
    assert!(
        !std::path::Path::new(&db.url["sqlite://".len()..]).exists(),
        "nothing created"
    );
}
