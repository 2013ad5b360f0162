//! The real binary in a real pseudo-terminal: what an officer over SSH sees.

mod common;
use leqi_console::domain::State;
use leqi_console::store::Store;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Pty {
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn spawn(args: &[&str], home: &std::path::Path) -> Pty {
        Pty::spawn_env(args, home, &[("TERM", "xterm-256color")])
    }

    /// With these environment variables (TERM among them).
    fn spawn_env(args: &[&str], home: &std::path::Path, env: &[(&str, &str)]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_leqi-console"));
        cmd.args(args);
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("COLORTERM");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let sink = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Pty {
            raw,
            writer,
            child,
            _master: pair.master,
        }
    }

    fn screen(&self) -> vt100::Parser {
        let mut p = vt100::Parser::new(24, 80, 0);
        p.process(&self.raw.lock().unwrap());
        p
    }

    fn wait_for(&self, text: &str) {
        let start = Instant::now();
        loop {
            if self.screen().screen().contents().contains(text) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never saw {text:?}; screen:\n{}",
                self.screen().screen().contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Let the reader drain the last bytes.
                std::thread::sleep(Duration::from_millis(200));
                return s.exit_code();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the console did not exit"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal is back as it was: the alternate screen left, the
    /// cursor shown, after the last time they were changed.
    fn assert_restored(&self) {
        let raw = self.raw.lock().unwrap().clone();
        let s = String::from_utf8_lossy(&raw);
        let enter = s
            .rfind("\x1b[?1049h")
            .expect("entered the alternate screen");
        let leave = s.rfind("\x1b[?1049l").expect("left the alternate screen");
        assert!(leave > enter);
        let hide = s.rfind("\x1b[?25l").unwrap_or(0);
        let show = s.rfind("\x1b[?25h").expect("cursor shown again");
        assert!(show > hide);
        let p = self.screen();
        assert!(!p.screen().alternate_screen() && !p.screen().hide_cursor());
    }
}

fn demo_db(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
        .args(["--database", &url, "demo", "--scale", "300"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

#[test]
fn an_officer_rejects_with_a_chinese_reason_and_quits() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let mut t = Pty::spawn(
        &["--database", &url, "--officer", "mouxian-zhao"],
        dir.path(),
    );
    t.wait_for("乐企直连审批台");
    t.wait_for("待受理");
    t.send("/某某技术".as_bytes());
    t.send(b"\r");
    t.wait_for("9161252LQ1136652JR");
    // Its overview has loaded: the seed unit's address.
    t.wait_for("某某县中心街8号");
    t.send(b"r");
    t.wait_for("申请人将看到此理由");
    t.send("材料不全，请补充授权委托书".as_bytes());
    t.send(b"\x13"); // Ctrl-S
    t.wait_for("不予受理");
    t.send(b"q");
    assert_eq!(t.wait_exit(), 0);
    t.assert_restored();
    // A clean exit closed every connection: SQLite checkpointed and removed
    // its -wal and -shm files.
    let db = dir.path().join("t.db");
    assert!(
        !db.with_file_name("t.db-wal").exists() && !db.with_file_name("t.db-shm").exists(),
        "the WAL files are gone"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = Store::open(&url).await.unwrap();
        let a = s.application(1).await.unwrap();
        assert_eq!(a.state, State::NotAccepted);
        let e = a.history.last().unwrap();
        assert_eq!(
            (e.action.as_str(), e.officer.as_str()),
            ("not_accept", "mouxian-zhao")
        );
        assert_eq!(e.reason.as_deref(), Some("材料不全，请补充授权委托书"));
    });
}

#[test]
fn a_dropped_session_keeps_the_draft_and_restores_the_terminal() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let url = demo_db(dir.path());
        let mut t = Pty::spawn(
            &[
                "--database",
                &url,
                "--officer",
                "mouxian-zhao",
                "--lang",
                "en",
            ],
            dir.path(),
        );
        t.wait_for("Leqi console");
        t.wait_for("To accept");
        // The application under the cursor has loaded: its overview shows.
        t.wait_for("Competent bureau");
        t.send(b"r");
        t.wait_for("The applicant sees this reason");
        t.send("未写完的理由".as_bytes());
        t.wait_for("未写完的理由");
        let pid = t.child.process_id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        t.wait_exit();
        t.assert_restored();
        let drafts: Vec<_> = std::fs::read_dir(dir.path().join("state/leqi-console/drafts"))
            .unwrap()
            .collect();
        assert_eq!(drafts.len(), 1, "{signal}");
        let text = std::fs::read_to_string(drafts[0].as_ref().unwrap().path()).unwrap();
        assert_eq!(text, "未写完的理由", "{signal}");
    }
}

#[test]
fn an_unknown_officer_is_told_before_the_screen_changes() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let mut t = Pty::spawn(&["--database", &url, "--officer", "nobody"], dir.path());
    assert_eq!(t.wait_exit(), 3);
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).to_string();
    assert!(!raw.contains("\x1b[?1049h"), "the screen was never taken");
    assert!(
        raw.contains("nobody") && raw.contains("leqi-console officers"),
        "{raw}"
    );
}

#[test]
fn a_small_terminal_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 20,
            cols: 60,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_leqi-console"));
    cmd.args(["--database", &url, "--officer", "mouxian-zhao"]);
    cmd.env("XDG_STATE_HOME", dir.path().join("state"));
    cmd.env("TERM", "xterm");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let raw = Arc::new(Mutex::new(Vec::new()));
    let sink = raw.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let start = Instant::now();
    loop {
        let mut p = vt100::Parser::new(20, 60, 0);
        p.process(&raw.lock().unwrap());
        if p.screen().contents().contains("终端太小") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            p.screen().contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every SGR sequence's parameters, in the order written.
fn sgr_params(raw: &[u8]) -> Vec<Vec<u16>> {
    let s = String::from_utf8_lossy(raw);
    let mut out = vec![];
    let mut rest = &s[..];
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            out.push(
                rest[..end]
                    .split(';')
                    .map(|p| p.parse().unwrap_or(0))
                    .collect(),
            );
        }
        rest = &rest[end..];
    }
    out
}

/// A colour parameter: foreground or background, normal or bright.
fn is_colour(p: u16) -> bool {
    matches!(p, 30..=39 | 40..=49 | 90..=97 | 100..=107)
}

#[test]
fn sixteen_colours_are_the_standard_sgr_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let mut t = Pty::spawn_env(
        &["--database", &url, "--officer", "mouxian-zhao"],
        dir.path(),
        &[("TERM", "xterm")],
    );
    t.wait_for("版本 1");
    t.send(b"?");
    t.wait_for("帮助");
    t.send(b"\x1b");
    t.send(b"q");
    assert_eq!(t.wait_exit(), 0);
    let sgr = sgr_params(&t.raw.lock().unwrap());
    assert!(
        sgr.iter().flatten().any(|p| is_colour(*p)),
        "coloured at all"
    );
    for s in &sgr {
        let indexed = s
            .windows(2)
            .any(|w| matches!(w, [38 | 48, 5] | [38 | 48, 2]));
        assert!(
            !indexed,
            "a 256-colour or RGB sequence in a 16-colour terminal: {s:?}"
        );
    }
}

#[test]
fn no_color_has_no_colour_and_focus_still_shows() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_db(dir.path());
    let mut t = Pty::spawn_env(
        &["--database", &url, "--officer", "mouxian-zhao"],
        dir.path(),
        &[("TERM", "xterm-256color"), ("NO_COLOR", "1")],
    );
    t.wait_for("版本 1");
    let focused = |t: &Pty| {
        let p = t.screen();
        let rows: Vec<String> = p.screen().contents().lines().map(String::from).collect();
        rows.iter().position(|l| l.contains('◆'))
    };
    let table = focused(&t).expect("the focused pane is marked");
    t.send(b"\t");
    std::thread::sleep(Duration::from_millis(300));
    let detail = focused(&t).expect("still marked");
    assert!(detail > table, "the marker moved with the focus");
    t.send(b"q");
    assert_eq!(t.wait_exit(), 0);
    let sgr = sgr_params(&t.raw.lock().unwrap());
    for s in &sgr {
        assert!(
            !s.iter().any(|p| is_colour(*p) && *p != 39 && *p != 49),
            "colour under NO_COLOR: {s:?}"
        );
    }
}

/// The id in the detail pane's title: "#123 ...".
fn detail_id(t: &Pty) -> i64 {
    let p = t.screen();
    let text = p.screen().contents();
    let line = text
        .lines()
        .find(|l| l.contains("版本"))
        .expect("a detail title");
    let at = line.find('#').unwrap();
    line[at + 1..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Two officers of one bureau in two terminals on one database: what one
/// passes stays under the other's cursor, marked, and cannot be passed
/// again; both views stay current.
#[test]
fn two_officers_in_two_terminals_on_one_queue() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::fresh_pg());
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![demo_db(dir.path())];
    if let Some(db) = &pg {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
            .args(["--database", &db.url, "demo", "--scale", "300"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        urls.push(db.url.clone());
    }
    for url in urls {
        let (ha, hb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // Each connects as themselves (on PostgreSQL their own login).
        let za = common::login_url(&url, "mouxian-zhao");
        let qb = common::login_url(&url, "mouxian-qian");
        let mut a = Pty::spawn(&["--database", &za, "--officer", "mouxian-zhao"], ha.path());
        let mut b = Pty::spawn(&["--database", &qb, "--officer", "mouxian-qian"], hb.path());
        a.wait_for("版本 1");
        b.wait_for("版本 1");
        let id = detail_id(&a);
        assert_eq!(detail_id(&b), id);
        b.send(b"a");
        b.wait_for("y 确认");
        b.send(b"y");
        b.wait_for(&format!("#{id} 受理"));
        // zhao's console hears of it within the watch's interval.
        a.wait_for("已由 钱");
        assert_eq!(detail_id(&a), id, "the row stays under the cursor");
        a.send(b"a");
        a.wait_for("他人已先处理");
        a.send(b"\x1b");
        a.wait_for("● 最新");
        a.send(b"j");
        std::thread::sleep(Duration::from_millis(500));
        assert_ne!(detail_id(&a), id, "moving on lets it go");
        a.send(b"q");
        b.send(b"q");
        assert_eq!(a.wait_exit(), 0);
        assert_eq!(b.wait_exit(), 0);
        rt.block_on(async {
            let s = Store::open(&url).await.unwrap();
            let app = s.application(id).await.unwrap();
            assert_ne!(app.state, State::PendingAcceptance, "{url}");
            assert_eq!(app.version, 2, "{url}");
            let by: Vec<&str> = app
                .history
                .iter()
                .filter(|e| e.action == "accept")
                .map(|e| e.officer.as_str())
                .collect();
            assert_eq!(by, vec!["mouxian-qian"], "passed once, by qian");
        });
    }
}

/// Claims between two consoles on one database, on both backends: A
/// claims, B sees A's name and the time left, B's decision is refused
/// naming A, B takes over with a reason and A is told; B's console dies,
/// its lease lapses (the test ages it in the database: its clock) and A
/// decides.
#[test]
fn claims_between_two_terminals() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::fresh_pg());
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![demo_db(dir.path())];
    if let Some(db) = &pg {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
            .args(["--database", &db.url, "demo", "--scale", "300"])
            .output()
            .unwrap();
        assert!(out.status.success());
        urls.push(db.url.clone());
    }
    for url in urls {
        let (ha, hb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let za = common::login_url(&url, "mouxian-zhao");
        let qb = common::login_url(&url, "mouxian-qian");
        let mut a = Pty::spawn(&["--database", &za, "--officer", "mouxian-zhao"], ha.path());
        let mut b = Pty::spawn(&["--database", &qb, "--officer", "mouxian-qian"], hb.path());
        a.wait_for("版本 1");
        b.wait_for("版本 1");
        let id = detail_id(&a);
        assert_eq!(detail_id(&b), id);
        a.send(b"c");
        a.wait_for(&format!("已领取 #{id}"));
        // B's table and detail name the holder and the time left.
        let seen = Instant::now();
        b.wait_for("〔赵一〕");
        b.wait_for("正在处理：赵一 · 还剩 15 分");
        eprintln!("{url}: B saw A's claim after {:?}", seen.elapsed());
        // B cannot start a decision on it, nor decide it from a script.
        b.send(b"a");
        b.wait_for("按 T 接手");
        b.send(b"\x1b");
        let cli = std::process::Command::new(env!("CARGO_BIN_EXE_leqi-console"))
            .args([
                "--database",
                &qb,
                "--officer",
                "mouxian-qian",
                "decide",
                "pass",
            ])
            .arg(id.to_string())
            .env("HOME", hb.path())
            .output()
            .unwrap();
        assert_eq!(cli.status.code(), Some(5), "{url}: held is a conflict");
        assert!(String::from_utf8_lossy(&cli.stderr).contains("mouxian-zhao"));
        // B takes it over with a reason; A is told who and why.
        b.send(b"T");
        b.wait_for(&format!("接手 #{id}"));
        b.send("赵一请假，由我接手".as_bytes());
        b.send(b"\x13");
        b.wait_for(&format!("已接手 #{id}"));
        a.wait_for(&format!("钱一 接手了申请 #{id}：赵一请假，由我接手"));
        a.send(b"\x1b");
        a.wait_for("〔钱一〕");
        // B's console dies holding it (kill -9): nothing releases the claim.
        let pid = b.child.process_id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        assert!(killed.unwrap().success());
        b.wait_exit();
        rt.block_on(async {
            let s = Store::open(&url).await.unwrap();
            let held = common::pairs(&s, "SELECT application_id, officer FROM claims").await;
            assert_eq!(held, vec![(id, "mouxian-qian".to_string())], "{url}");
            // The clock moves past the lease's end.
            common::exec(
                &s,
                "UPDATE claims SET claimed_at = '2020-01-01T00:00:00+00:00', expires_at = '2020-01-01T00:15:00+00:00'",
            )
            .await;
        });
        a.send(b"R");
        a.wait_for("● 最新");
        a.send(b"a");
        a.wait_for("y 确认");
        a.send(b"y");
        a.wait_for(&format!("#{id} 受理"));
        a.send(b"q");
        assert_eq!(a.wait_exit(), 0);
        rt.block_on(async {
            let s = Store::open(&url).await.unwrap();
            let trail = common::pairs(
                &s,
                &format!(
                    "SELECT id, action || ':' || officer FROM audit_events WHERE application_id = {id} AND action <> 'submit' ORDER BY id"
                ),
            )
            .await;
            let trail: Vec<String> = trail.into_iter().map(|(_, a)| a).collect();
            assert_eq!(
                trail,
                [
                    "claim:mouxian-zhao",
                    "take_over:mouxian-qian",
                    // Starting the pass claims it: the lapse is recorded first.
                    "claim_lapse:mouxian-zhao",
                    "claim:mouxian-zhao",
                    "accept:mouxian-zhao"
                ],
                "{url}"
            );
            // The decision ended the claim: none is in force at its version.
            let live = "SELECT count(*) FROM claims c JOIN applications a ON a.id = c.application_id AND a.version = c.version";
            assert_eq!(common::scalar(&s, live).await, 0);
        });
    }
}
