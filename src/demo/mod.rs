//! Realistic demo data: one province, its counties and officers, direct-connect
//! and user units with valid codes, applications in every state of every
//! kind, and the seed's sample unit with its invalid codes and address.
//! Deterministic for a given seed.

mod application;
mod sample;
mod supervision;
mod world;

use crate::domain::validate::uscc_check_char;
use crate::domain::*;
use crate::store::*;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use world::Gen;

pub const PROVINCE: &str = "13300000000";
/// The county of the seed's sample unit; `--demo` opens as its accepting officer.
pub const SEED_COUNTY: &str = "13301010000";
pub const DEMO_OFFICER: &str = "mouxian-zhao";

/// (id, name, login prefix)
pub const COUNTIES: [(&str, &str, &str); 6] = [
    ("13301010000", "国家税务总局某某县税务局", "mouxian"),
    ("13301020000", "国家税务总局青山县税务局", "qingshan"),
    ("13301030000", "国家税务总局临江区税务局", "linjiang"),
    ("13301040000", "国家税务总局白石县税务局", "baishi"),
    ("13301050000", "国家税务总局南湖区税务局", "nanhu"),
    ("13301060000", "国家税务总局北岭县税务局", "beiling"),
];

/// (login suffix, name, roles): two officers who accept and review in every
/// county, so that separation of duties can be exercised, one who confirms
/// what the county confirms (invitations, subscriptions, extensions), and a
/// supervisor: every stage the demo fills is staffed.
pub(crate) const COUNTY_STAFF: [(&str, &str, &[Role]); 4] = [
    ("zhao", "赵", &[Role::Accept, Role::Review]),
    ("qian", "钱", &[Role::Accept, Role::Review]),
    ("li", "李", &[Role::Confirm]),
    ("sun", "孙", &[Role::Supervise]),
];
pub(crate) const PROVINCE_STAFF: [(&str, &str, &[Role]); 3] = [
    ("sheng-zhou", "周敏", &[Role::Confirm]),
    ("sheng-wu", "吴强", &[Role::Confirm]),
    ("sheng-zheng", "郑丽", &[Role::Supervise, Role::Admin]),
];
pub(crate) const GIVEN: [&str; 8] = ["一", "伟", "芳", "静", "磊", "洋", "娟", "涛"];

pub(crate) const PLACES: [&str; 12] = [
    "东海", "青山", "临江", "白石", "南湖", "北岭", "金沙", "云台", "长河", "翠屏", "玉泉", "松涛",
];
pub(crate) const BRANDS: [&str; 16] = [
    "华信", "恒达", "中联", "宏远", "瑞丰", "鼎盛", "安泰", "博雅", "星河", "天成", "永顺", "嘉禾",
    "明远", "启航", "汇通", "同创",
];
pub(crate) const TRADES: [&str; 12] = [
    "科技", "电子", "能源", "物流", "医药", "建设", "食品", "纺织", "软件", "制造", "贸易", "热电",
];
pub(crate) const SURNAMES: [&str; 15] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
];
pub(crate) const ROADS: [&str; 8] = [
    "人民", "解放", "中山", "建设", "新华", "文化", "和平", "迎宾",
];
pub(crate) const CAPABILITIES: [&str; 4] =
    ["数电票开具", "发票查验", "发票勾选确认", "发票数据查询"];
/// Hostile names and texts: they prove nothing downstream trusts applicant text.
pub(crate) const HOSTILE_NAMES: [&str; 3] = [
    "恶意\x1b[2J\x1b[H清屏科技有限公司",
    "响铃\x07\x1b]0;owned\x07贸易有限公司",
    "隐藏\x1b[8m文字\x1b[0m\u{202E}物流有限公司",
];
pub(crate) const HOSTILE_TEXT: &str = "项目报告\n\x1b[31m红色文字\x1b[0m\n\x1b]52;c;ZWNobyBwd25lZA==\x07剪贴板注入\n\x1b[2J\x1b[1;1H清屏\x08\x08退格\r回车覆盖";

/// A small deterministic generator (SplitMix64): demo data must be the same
/// for a given seed on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A valid code, unique for each serial number.
pub fn make_uscc(county: usize, serial: u64) -> String {
    const ALPHA: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut org = [b'0'; 9];
    let mut n = serial;
    for i in (0..9).rev() {
        org[i] = ALPHA[(n % 31) as usize];
        n /= 31;
    }
    let first = format!(
        "91{:06}{}",
        330101 + county,
        std::str::from_utf8(&org).unwrap_or("000000000")
    );
    let check = uscc_check_char(&first).unwrap_or('0');
    format!("{first}{check}")
}

pub(crate) fn sha(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct DemoOfficer {
    pub login: String,
    pub name: String,
    pub bureau: String,
    pub roles: Vec<Role>,
}

pub fn officers() -> Vec<DemoOfficer> {
    let mut out = Vec::new();
    for (ci, (bureau, _, prefix)) in COUNTIES.iter().enumerate() {
        for (suffix, surname, roles) in COUNTY_STAFF {
            out.push(DemoOfficer {
                login: format!("{prefix}-{suffix}"),
                name: format!("{surname}{}", GIVEN[ci % GIVEN.len()]),
                bureau: bureau.to_string(),
                roles: roles.to_vec(),
            });
        }
    }
    for (login, name, roles) in PROVINCE_STAFF {
        out.push(DemoOfficer {
            login: login.into(),
            name: name.into(),
            bureau: PROVINCE.into(),
            roles: roles.to_vec(),
        });
    }
    out
}

/// Bureaus and officers; the workflow table is written by the caller.
pub async fn seed_people(store: &Store) -> Result<()> {
    store
        .upsert_bureau(&Bureau {
            id: PROVINCE.into(),
            name: "国家税务总局某某省税务局".into(),
            level: Level::Province,
            province_id: PROVINCE.into(),
        })
        .await?;
    for (id, name, _) in COUNTIES {
        store
            .upsert_bureau(&Bureau {
                id: id.into(),
                name: name.into(),
                level: Level::County,
                province_id: PROVINCE.into(),
            })
            .await?;
    }
    for o in officers() {
        store
            .upsert_officer(&o.login, &o.name, &o.bureau, &o.roles)
            .await?;
    }
    Ok(())
}

/// Fills the store with `n` applications (plus the seed's sample), in
/// chunks. Calls `progress` with the number written so far.
pub async fn generate(store: &Store, n: u64, seed: u64, progress: impl FnMut(u64)) -> Result<u64> {
    generate_at(store, n, seed, now(), progress).await
}

/// As [`generate`], with every time relative to `at` (for reproducible tests).
pub async fn generate_at(
    store: &Store,
    n: u64,
    seed: u64,
    at: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    seed_people(store).await?;
    let (units0, apps0, bind0) = store.max_ids().await?;
    let mut g = Gen {
        rng: Rng::new(seed),
        now: at,
        next_unit: units0,
        next_app: apps0,
        next_binding: bind0,
        serial: (units0 as u64) * 7 + seed * 1_000_003,
        thresholds: store.thresholds.for_province(PROVINCE).clone(),
        workflow: store.workflow.clone(),
        bound: Default::default(),
    };
    let directs = (n / 10).clamp(300, 20_000) as usize;
    let users = (n / 3).clamp(3_000, 200_000) as usize;
    let candidates = (n / 20).clamp(200, 50_000) as usize;
    let world = g.world(directs, users, candidates);
    // Units, subscriptions in force, and the bindings of the direct units
    // (through confirmed invitations, generated with the applications).
    let mut first = Chunk::default();
    if apps0 == 0 {
        sample::seed_sample(&mut g, &mut first);
    }
    first.units.extend(world.direct.iter().cloned());
    first.units.extend(world.users.iter().cloned());
    first.units.extend(world.candidates.iter().cloned());
    for d in &world.direct {
        for cap in CAPABILITIES.iter().take(2) {
            first.capabilities.push((d.id, cap.to_string()));
        }
    }
    store.insert_chunk(&first).await?;
    let mut written = 0u64;
    const CHUNK: u64 = 5_000;
    while written < n {
        let mut c = Chunk::default();
        let todo = CHUNK.min(n - written);
        for _ in 0..todo {
            application::application(&mut g, &world, &mut c);
        }
        store.insert_chunk(&c).await?;
        written += todo;
        progress(written);
    }
    supervision::seed(store, &world, g.now).await?;
    store.link_refiled().await?;
    store.finish_bulk().await?;
    Ok(written + u64::from(apps0 == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for s in 0..5000 {
            let c = make_uscc(s as usize % 6, s);
            assert_eq!(crate::domain::validate::uscc(&c), Ok(()), "{c}");
            assert!(seen.insert(c));
        }
    }

    #[test]
    fn the_generator_is_deterministic() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
    }
}
