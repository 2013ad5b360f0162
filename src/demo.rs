//! Realistic demo data: one province, its counties and officers, direct-connect
//! and user units with valid codes, applications in every state of every
//! kind, and the seed's sample unit with its invalid codes and address.
//! Deterministic for a given seed.

use crate::domain::checks::{self, CheckInput};
use crate::domain::validate::uscc_check_char;
use crate::domain::*;
use crate::store::*;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

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
/// county, so that separation of duties can be exercised, and a supervisor.
const COUNTY_STAFF: [(&str, &str, &[Role]); 3] = [
    ("zhao", "赵", &[Role::Accept, Role::Review]),
    ("qian", "钱", &[Role::Accept, Role::Review]),
    ("sun", "孙", &[Role::Supervise]),
];
const PROVINCE_STAFF: [(&str, &str, &[Role]); 3] = [
    ("sheng-zhou", "周敏", &[Role::Confirm]),
    ("sheng-wu", "吴强", &[Role::Confirm]),
    ("sheng-zheng", "郑丽", &[Role::Supervise, Role::Admin]),
];
const GIVEN: [&str; 8] = ["一", "伟", "芳", "静", "磊", "洋", "娟", "涛"];

const PLACES: [&str; 12] = [
    "东海", "青山", "临江", "白石", "南湖", "北岭", "金沙", "云台", "长河", "翠屏", "玉泉", "松涛",
];
const BRANDS: [&str; 16] = [
    "华信", "恒达", "中联", "宏远", "瑞丰", "鼎盛", "安泰", "博雅", "星河", "天成", "永顺", "嘉禾",
    "明远", "启航", "汇通", "同创",
];
const TRADES: [&str; 12] = [
    "科技", "电子", "能源", "物流", "医药", "建设", "食品", "纺织", "软件", "制造", "贸易", "热电",
];
const SURNAMES: [&str; 15] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
];
const ROADS: [&str; 8] = [
    "人民", "解放", "中山", "建设", "新华", "文化", "和平", "迎宾",
];
const CAPABILITIES: [&str; 4] = ["数电票开具", "发票查验", "发票勾选确认", "发票数据查询"];
/// Hostile names and texts: they prove nothing downstream trusts applicant text.
const HOSTILE_NAMES: [&str; 3] = [
    "恶意\x1b[2J\x1b[H清屏科技有限公司",
    "响铃\x07\x1b]0;owned\x07贸易有限公司",
    "隐藏\x1b[8m文字\x1b[0m\u{202E}物流有限公司",
];
const HOSTILE_TEXT: &str = "项目报告\n\x1b[31m红色文字\x1b[0m\n\x1b]52;c;ZWNobyBwd25lZA==\x07剪贴板注入\n\x1b[2J\x1b[1;1H清屏\x08\x08退格\r回车覆盖";

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

fn sha(s: &str) -> String {
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

struct Gen {
    rng: Rng,
    now: DateTime<Utc>,
    next_unit: i64,
    next_app: i64,
    next_binding: i64,
    serial: u64,
    thresholds: Thresholds,
    workflow: crate::domain::workflow::Workflow,
}

/// Direct-connect units and the user units around them.
struct World {
    direct: Vec<NewUnit>,
    /// Indexes into `direct` of units with a pending exit.
    exiting: Vec<usize>,
    users: Vec<NewUnit>,
    candidates: Vec<NewUnit>,
}

impl Gen {
    fn unit(&mut self, name: String, county: usize, direct: bool) -> NewUnit {
        let r = &mut self.rng;
        let good = r.chance(88);
        let credit: String = (0..3)
            .map(|_| {
                *r.pick(if good {
                    &['A', 'B', 'A'][..]
                } else {
                    &['A', 'B', 'M', 'C'][..]
                })
            })
            .collect();
        let revenue = 20_000 + r.below(200_000) as i64;
        let facts = UnitFacts {
            uscc: make_uscc(county, self.serial),
            name,
            credit,
            pilot: !r.chance(4),
            violation: r.chance(3),
            livelihood: r.chance(8),
            revenue_wan: revenue,
            invoices_issued: 5_000 + r.below(60_000) as i64,
            invoices_received: 3_000 + r.below(40_000) as i64,
            invoice_amount_wan: revenue * (40 + r.below(60) as i64) / 100,
            can_supply_data: !r.chance(3),
            risk_warning: r.chance(5),
            direct_connect: direct,
            exiting: false,
            barred_from_adding: direct && r.chance(2),
            independent: !r.chance(15),
        };
        self.serial += 1;
        self.next_unit += 1;
        let address = format!(
            "某某省{}市{}路{}号",
            PLACES[county % PLACES.len()],
            r.pick(&ROADS),
            1 + r.below(300)
        );
        NewUnit {
            id: self.next_unit,
            bureau_id: COUNTIES[county].0.to_string(),
            address,
            facts,
        }
    }

    fn company(&mut self, suffix: &str) -> String {
        let (p, b, t) = (
            *self.rng.pick(&PLACES),
            *self.rng.pick(&BRANDS),
            *self.rng.pick(&TRADES),
        );
        format!("{p}{b}{t}{suffix}")
    }

    fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(&SURNAMES), self.rng.pick(&GIVEN))
    }

    fn world(&mut self, directs: usize, users: usize, candidates: usize) -> World {
        let mut w = World {
            direct: vec![],
            exiting: vec![],
            users: vec![],
            candidates: vec![],
        };
        for i in 0..directs {
            let county = i % COUNTIES.len();
            let name = if let Some(h) = HOSTILE_NAMES.get(i) {
                h.to_string()
            } else {
                self.company("集团有限公司")
            };
            let mut u = self.unit(name, county, true);
            u.facts.credit = "ABA".into();
            u.facts.violation = false;
            if i % 10 == 4 {
                u.facts.exiting = true;
                w.exiting.push(w.direct.len());
            }
            w.direct.push(u);
        }
        for i in 0..users {
            let county = self.rng.below(COUNTIES.len() as u64) as usize;
            let name = if self.rng.chance(50) {
                let parent = &w.direct[i % w.direct.len()].facts.name;
                let base = parent.trim_end_matches("集团有限公司");
                format!(
                    "{base}{}分公司",
                    PLACES[(i / w.direct.len()) % PLACES.len()]
                )
            } else {
                self.company("有限公司")
            };
            let u = self.unit(name, county, false);
            w.users.push(u);
        }
        for i in 0..candidates {
            let name = self.company(if i % 3 == 0 {
                "股份有限公司"
            } else {
                "有限公司"
            });
            let u = self.unit(name, i % COUNTIES.len(), false);
            w.candidates.push(u);
        }
        w
    }

    fn officer_of(&mut self, county: usize, level: Level, not: Option<&str>) -> String {
        let cands: Vec<String> = match level {
            Level::County => ["zhao", "qian"]
                .iter()
                .map(|s| format!("{}-{s}", COUNTIES[county].2))
                .collect(),
            Level::Province => vec!["sheng-zhou".into(), "sheng-wu".into()],
        };
        let c: Vec<&String> = cands.iter().filter(|c| Some(c.as_str()) != not).collect();
        c[self.rng.below(c.len() as u64) as usize].clone()
    }

    fn materials(
        &mut self,
        app: i64,
        kind: Kind,
        form: &Form,
        unit: &UnitFacts,
        hostile: bool,
    ) -> Vec<NewMaterial> {
        use MaterialKind::*;
        let mut kinds: Vec<MaterialKind> = match kind {
            Kind::Access => vec![InfoForm, Agreement, Copyright, ProjectReport, NetworkFiling],
            Kind::Invitation => vec![RelationProof],
            Kind::Exit => vec![ExitForm],
            Kind::Subscription => vec![Other],
            Kind::Extension => vec![Other],
        };
        if form.authorised_uscc.is_some() {
            kinds.push(PowerOfAttorney);
        }
        // Some applications lack a material, so that the check fails.
        if self.rng.chance(12) && kinds.len() > 1 {
            let i = 1 + self.rng.below(kinds.len() as u64 - 1) as usize;
            kinds.remove(i);
        } else if self.rng.chance(8) && kind == Kind::Invitation {
            kinds.clear();
        }
        kinds
            .into_iter()
            .map(|k| {
                let content = if hostile && k == ProjectReport {
                    HOSTILE_TEXT.to_string()
                } else {
                    material_text(k, unit, form)
                };
                NewMaterial {
                    application_id: app,
                    kind: k,
                    file_name: format!("{}.pdf", k.zh()),
                    size: 40_000 + (content.len() as i64) * 37,
                    sha256: sha(&content),
                    content,
                    paper_received: self.rng.chance(40),
                }
            })
            .collect()
    }
}

fn material_text(k: MaterialKind, u: &UnitFacts, f: &Form) -> String {
    match k {
        MaterialKind::InfoForm => format!(
            "乐企直连服务接入信息表\n申请接入方式：乐企自用\n直连单位统一社会信用代码：{}\n直连单位名称：{}\n接入自有信息系统名称：{}\n联系人：{}  联系电话：{}\n1.使用单位户数：{}\n2.纳税信用级别：{}\n3.开票{}张，受票{}张，开票金额{}万元\n4.上一年度合计营业收入：{}万元\n5.能否依法提供涉税数据：{}\n6.近三年重大风险警示：{}",
            u.uscc,
            u.name,
            f.system_name,
            f.contact,
            f.phone,
            f.user_units.len(),
            u.credit,
            u.invoices_issued,
            u.invoices_received,
            u.invoice_amount_wan,
            u.revenue_wan,
            if u.can_supply_data { "是" } else { "否" },
            if u.risk_warning { "是" } else { "否" }
        ),
        MaterialKind::Agreement => format!(
            "乐企直连服务协议书\n甲方：税务机关\n乙方：{}\n统一社会信用代码：{}\n第一条 总则 ……\n本协议自签订之日起生效，至乐企服务终止之日废止。",
            u.name, u.uscc
        ),
        MaterialKind::Copyright => format!(
            "计算机软件著作权登记证书\n软件名称：{} V3.0\n著作权人：{}",
            f.system_name, u.name
        ),
        MaterialKind::ProjectReport => format!(
            "项目报告\n一、业务部分\n（一）开发项目说明：自研改造，服务器部署于本单位机房。\n（二）项目规划：分两期接入。\n二、技术部分\n（一）网络环境：专线接入，固定IP。\n（二）安全方案：等保三级。\n三、管理部分\n运维值班7×24小时。\n{}",
            u.name
        ),
        MaterialKind::NetworkFiling => format!(
            "乐企直连服务网络地址备案表\n单位名称：{}\n测试环境IP地址：{}\n生产环境IP地址：{}\n服务协议：{}  端口号：{}",
            u.name,
            f.test_ips.join("、"),
            f.prod_ips.join("、"),
            f.protocol,
            f.port.map(|p| p.to_string()).unwrap_or_default()
        ),
        MaterialKind::PowerOfAttorney => format!(
            "乐企直连服务授权委托书\n授权单位：{}\n被授权单位：{}（{}）",
            u.name,
            f.authorised_name.clone().unwrap_or_default(),
            f.authorised_uscc.clone().unwrap_or_default()
        ),
        MaterialKind::RelationProof => format!(
            "关联关系证明\n{}与直连单位为{}。附股权结构图、营业执照复印件。",
            u.name,
            f.relation.map(|r| r.zh()).unwrap_or("关联")
        ),
        MaterialKind::ExitForm => format!(
            "直连单位退出申请表\n单位名称：{}\n统一社会信用代码：{}\n退出原因：业务调整，不再使用乐企自用直连服务。",
            u.name, u.uscc
        ),
        _ => format!("{}\n{}", k.zh(), u.name),
    }
}

/// The seed's sample: 某某技术有限公司 and its 接入信息表, with its invalid
/// codes and network address, pending acceptance in 某某县.
fn seed_sample(g: &mut Gen, c: &mut Chunk) {
    g.next_unit += 1;
    let unit = NewUnit {
        id: g.next_unit,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某市某某县中心街8号".into(),
        facts: UnitFacts {
            uscc: "9161252LQ1136652JR".into(),
            name: "某某技术有限公司".into(),
            credit: "BAA".into(),
            pilot: true,
            revenue_wan: 86612,
            invoices_issued: 32510,
            invoices_received: 25068,
            invoice_amount_wan: 65230,
            can_supply_data: true,
            independent: true,
            ..Default::default()
        },
    };
    let form = Form {
        access_type: "乐企自用".into(),
        address: unit.address.clone(),
        legal_rep: "李一".into(),
        contact: "赵一".into(),
        phone: "10055221456".into(),
        email: "5625488@xx.com".into(),
        authorised_uscc: Some("916155ZL22511194LQ".into()),
        authorised_name: Some("乐一软件技术有限公司".into()),
        system_name: "发票管理系统".into(),
        request_type: Some(RequestType::Connect),
        long_term: true,
        period: "长期（一年以上）".into(),
        user_units: vec![],
        test_ips: vec!["10.90.661.910".into()],
        prod_ips: vec!["10.90.661.911".into()],
        protocol: "https".into(),
        port: Some(8888),
        qualifications: qualifications(&unit.facts, 2, "查账征收", "5%", "60000万元", "3616", "否", "无"),
        relation: None,
        capability: None,
        detail: "本公司是在中国某某省某某县成立的有限责任公司，总部位于某某省某某市。本公司主要业务包括：从事智能终端制造、软件开发，销售电子产品等等。".into(),
    };
    g.next_app += 1;
    let id = g.next_app;
    let mats = g.materials(id, Kind::Access, &form, &unit.facts, false);
    let kinds: Vec<MaterialKind> = mats.iter().map(|m| m.kind).collect();
    let checks = checks::run(&CheckInput {
        kind: Kind::Access,
        unit: &unit.facts,
        form: &form,
        materials: &kinds,
        inviter: None,
        bound_user_units: 0,
        thresholds: &g.thresholds,
    });
    let at = g.now - Duration::days(3);
    c.applications.push(NewApplication {
        id,
        kind: Kind::Access,
        state: State::PendingAcceptance,
        unit_id: unit.id,
        uscc: unit.facts.uscc.clone(),
        name: unit.facts.name.clone(),
        county_id: SEED_COUNTY.into(),
        province_id: PROVINCE.into(),
        acting_bureau: Some(SEED_COUNTY.into()),
        direct_unit_id: None,
        form: serde_json::to_string(&form).unwrap_or_default(),
        failed_checks: checks::failed(&checks) as i64,
        passed_checks: checks::passed(&checks) as i64,
        submitted_at: at,
        updated_at: at,
        last_officer: None,
        last_decider: None,
    });
    c.events.push(NewEvent {
        application_id: id,
        action: Action::Submit,
        from: None,
        to: Some(State::PendingAcceptance),
        officer: "申请人".into(),
        bureau_id: None,
        reason: None,
        at,
    });
    c.materials.extend(mats);
    c.units.push(unit);
}

#[allow(clippy::too_many_arguments)]
fn qualifications(
    u: &UnitFacts,
    users: usize,
    method: &str,
    tech: &str,
    capital: &str,
    staff: &str,
    gov: &str,
    other: &str,
) -> Vec<(String, String)> {
    vec![
        ("1.使用单位户数".into(), users.to_string()),
        ("2.连续三年纳税信用级别".into(), u.credit.clone()),
        (
            "3.前12个月开受票数量及开票金额".into(),
            format!(
                "开票{}张，受票{}张，开票金额{}万元",
                u.invoices_issued, u.invoices_received, u.invoice_amount_wan
            ),
        ),
        (
            "4.上一年度合计营业收入".into(),
            format!("{}万元", u.revenue_wan),
        ),
        (
            "5.能否依法提供涉税数据".into(),
            if u.can_supply_data { "是" } else { "否" }.into(),
        ),
        (
            "6.近三年重大舆情或税收风险警示".into(),
            if u.risk_warning { "是" } else { "否" }.into(),
        ),
        ("7.征收方式".into(), method.into()),
        ("8.技术人员占比".into(), tech.into()),
        ("9.注册资本".into(), capital.into()),
        ("10.稳定缴纳社保满两年人数".into(), staff.into()),
        ("11.是否政府服务机构或行业协会".into(), gov.into()),
        ("12.税务机关确定的其他条件".into(), other.into()),
    ]
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
    };
    let directs = (n / 10).clamp(300, 20_000) as usize;
    let users = (n / 3).clamp(3_000, 200_000) as usize;
    let candidates = (n / 20).clamp(200, 50_000) as usize;
    let world = g.world(directs, users, candidates);
    // Units, subscriptions in force, and the bindings of the direct units
    // (through confirmed invitations, generated with the applications).
    let mut first = Chunk::default();
    if apps0 == 0 {
        seed_sample(&mut g, &mut first);
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
            application(&mut g, &world, &mut c);
        }
        store.insert_chunk(&c).await?;
        written += todo;
        progress(written);
    }
    store.finish_bulk().await?;
    Ok(written + u64::from(apps0 == 0))
}

/// One application of a random kind and state, with its history.
fn application(g: &mut Gen, w: &World, c: &mut Chunk) {
    let r = g.rng.below(100);
    let kind = match r {
        0..20 => Kind::Access,
        20..65 => Kind::Invitation,
        65..75 => Kind::Exit,
        75..88 => Kind::Subscription,
        _ => Kind::Extension,
    };
    let seq = crate::domain::workflow::stages(kind);
    // Where in the flow: one of the pending stages, or an end state.
    let roll = g.rng.below(100);
    let (state, stages_passed) = if kind == Kind::Invitation && roll < 6 {
        (
            if roll < 3 {
                State::AwaitingUnit
            } else {
                State::Declined
            },
            0,
        )
    } else if roll < 55 {
        let k = g.rng.below(seq.len() as u64) as usize;
        (seq[k].state(), k)
    } else if roll < 78 {
        (State::Confirmed, seq.len())
    } else if roll < 80 {
        // The rarer ends: an access application still a taxpayer's draft
        // (never in a queue), and invitations and subscriptions set
        // unsuccessful when their direct-connect unit's exit was confirmed.
        match kind {
            Kind::Access => (State::Draft, 0),
            Kind::Invitation | Kind::Subscription => (State::Unsuccessful, 0),
            _ => (State::Confirmed, seq.len()),
        }
    } else {
        let k = g.rng.below(seq.len() as u64) as usize;
        let st = match seq[k] {
            Stage::Acceptance => State::NotAccepted,
            Stage::Review => State::ReviewRejected,
            Stage::Confirmation => State::ConfirmRejected,
        };
        (st, k)
    };
    // Exits in flight belong to units that are exiting.
    let (unit, direct): (&NewUnit, Option<&NewUnit>) = match kind {
        Kind::Access if state == State::Confirmed => (g.rng.pick(&w.direct), None),
        Kind::Access => (g.rng.pick(&w.candidates), None),
        Kind::Exit if state.in_flight() && !w.exiting.is_empty() => {
            (&w.direct[*g.rng.pick(&w.exiting)], None)
        }
        Kind::Exit if state == State::Confirmed => (g.rng.pick(&w.candidates), None),
        Kind::Exit | Kind::Subscription | Kind::Extension => (g.rng.pick(&w.direct), None),
        Kind::Invitation => {
            // Units with a clean pending exit get no new bindings.
            let d = loop {
                let i = g.rng.below(w.direct.len() as u64) as usize;
                if !(w.exiting.contains(&i) && i % 20 == 4) || state != State::Confirmed {
                    break &w.direct[i];
                }
            };
            (g.rng.pick(&w.users), Some(d))
        }
    };
    let county = COUNTIES
        .iter()
        .position(|c| c.0 == unit.bureau_id)
        .unwrap_or(0);
    g.next_app += 1;
    let id = g.next_app;
    let hostile = g.rng.chance(1) && g.rng.chance(20);
    let mut form = Form {
        access_type: "乐企自用".into(),
        address: unit.address.clone(),
        legal_rep: g.person(),
        contact: g.person(),
        phone: format!("1{}", 3_000_000_000u64 + g.rng.below(999_999_999)),
        email: format!("contact{}@example.cn", unit.id),
        system_name: format!(
            "{}发票管理系统",
            unit.facts.name.chars().take(4).collect::<String>()
        ),
        request_type: Some(RequestType::Connect),
        long_term: g.rng.chance(70),
        protocol: "https".into(),
        port: Some(8443),
        ..Default::default()
    };
    form.period = if form.long_term {
        "长期（一年以上）".into()
    } else {
        "短期（一年及以内）".into()
    };
    match kind {
        Kind::Access => {
            let a = 10 + g.rng.below(200);
            form.test_ips = vec![format!(
                "10.{}.{}.{}",
                a,
                g.rng.below(255),
                1 + g.rng.below(250)
            )];
            form.prod_ips = vec![format!(
                "58.{}.{}.{}",
                a,
                g.rng.below(255),
                1 + g.rng.below(250)
            )];
            if g.rng.chance(5) {
                form.prod_ips
                    .push(format!("58.{}.{}.{}", 256 + g.rng.below(500), 1, 1));
            }
            if g.rng.chance(30) {
                let u = g.rng.pick(&w.candidates);
                form.authorised_uscc = Some(u.facts.uscc.clone());
                form.authorised_name = Some(u.facts.name.clone());
            }
            for _ in 0..g.rng.below(4) {
                let u = g.rng.pick(&w.users);
                form.user_units.push(UserUnitEntry {
                    uscc: u.facts.uscc.clone(),
                    name: u.facts.name.clone(),
                    relation: *g.rng.pick(&[
                        Relation::Branch,
                        Relation::Subsidiary,
                        Relation::Control,
                    ]),
                });
            }
            let f = &unit.facts;
            form.qualifications =
                qualifications(f, form.user_units.len(), "查账征收", "", "", "", "否", "无");
            form.detail = format!(
                "{}主营{}业务，申请以乐企自用方式接入。",
                f.name,
                TRADES[(unit.id as usize) % TRADES.len()]
            );
        }
        Kind::Invitation => form.relation = Some(*g.rng.pick(Relation::ALL)),
        Kind::Subscription => form.capability = Some(g.rng.pick(&CAPABILITIES).to_string()),
        Kind::Extension => form.period = format!("延续至{}年12月31日", 2027 + g.rng.below(3)),
        Kind::Exit => form.detail = "业务调整，申请退出乐企自用直连。".into(),
    }
    let mats = g.materials(id, kind, &form, &unit.facts, hostile);
    let kinds: Vec<MaterialKind> = mats.iter().map(|m| m.kind).collect();
    let checks = checks::run(&CheckInput {
        kind,
        unit: &unit.facts,
        form: &form,
        materials: &kinds,
        inviter: direct.map(|d| &d.facts),
        bound_user_units: 0,
        thresholds: &g.thresholds,
    });
    // In-flight items are recent, finished ones older.
    let age_days = if state.in_flight() {
        g.rng.below(20) as i64
    } else {
        20 + g.rng.below(700) as i64
    };
    let submitted =
        g.now - Duration::days(age_days) - Duration::seconds(g.rng.below(86_400) as i64);
    let mut events = Vec::new();
    events.push(NewEvent {
        application_id: id,
        action: Action::Submit,
        from: None,
        to: Some(if kind == Kind::Invitation {
            State::AwaitingUnit
        } else {
            State::PendingAcceptance
        }),
        officer: "申请人".into(),
        bureau_id: None,
        reason: None,
        at: submitted,
    });
    if state == State::Draft {
        // Not yet filed: nothing has happened an officer could see.
        events.clear();
    }
    if kind == Kind::Invitation
        && !matches!(state, State::AwaitingUnit | State::Declined | State::Draft)
    {
        events.push(NewEvent {
            application_id: id,
            action: Action::Submit,
            from: Some(State::AwaitingUnit),
            to: Some(State::PendingAcceptance),
            officer: "使用单位".into(),
            bureau_id: None,
            reason: None,
            at: submitted,
        });
    }
    let mut last: Option<String> = None;
    let mut t = submitted;
    let mut from = State::PendingAcceptance;
    let steps: Vec<Stage> = if state.in_flight() || state == State::Confirmed {
        seq[..stages_passed].to_vec()
    } else if matches!(
        state,
        State::AwaitingUnit | State::Declined | State::Draft | State::Unsuccessful
    ) {
        vec![]
    } else {
        seq[..=stages_passed].to_vec()
    };
    for (i, st) in steps.iter().enumerate() {
        let level = g
            .workflow
            .rule(kind, *st)
            .map(|r| r.level)
            .unwrap_or(Level::County);
        let who = g.officer_of(county, level, last.as_deref());
        let rejecting = i == stages_passed && !(state.in_flight() || state == State::Confirmed);
        let step = crate::domain::workflow::step(
            kind,
            from,
            if rejecting {
                Decision::Reject
            } else {
                Decision::Pass
            },
        );
        let Ok(step) = step else { break };
        t += Duration::hours(2 + g.rng.below(40) as i64);
        let bureau = if level == Level::County {
            COUNTIES[county].0.to_string()
        } else {
            PROVINCE.to_string()
        };
        events.push(NewEvent {
            application_id: id,
            action: step.action,
            from: Some(step.from),
            to: Some(step.to),
            officer: who.clone(),
            bureau_id: Some(bureau),
            reason: rejecting.then(|| {
                g.rng
                    .pick(&[
                        "材料不全，请补充关联关系证明后重新申请。",
                        "纳税信用级别不符合接入条件。",
                        "网络地址备案信息有误，请核对后重新提交。",
                        "营业收入未达到本省规定标准。",
                    ])
                    .to_string()
            }),
            at: t,
        });
        last = Some(who);
        from = step.to;
    }
    if state == State::Unsuccessful {
        t += Duration::hours(6);
        let who = g.officer_of(county, Level::Province, None);
        events.push(NewEvent {
            application_id: id,
            action: Action::SetUnsuccessful,
            from: Some(State::PendingAcceptance),
            to: Some(State::Unsuccessful),
            officer: who.clone(),
            bureau_id: Some(PROVINCE.to_string()),
            reason: Some("直连单位退出申请确认通过，审批中的申请置为不成功".into()),
            at: t,
        });
        last = Some(who);
    }
    let acting = Stage::of_state(state)
        .and_then(|st| g.workflow.rule(kind, st))
        .map(|r| match r.level {
            Level::County => COUNTIES[county].0.to_string(),
            Level::Province => PROVINCE.to_string(),
        });
    if kind == Kind::Invitation
        && state == State::Confirmed
        && let Some(d) = direct
    {
        g.next_binding += 1;
        c.bindings.push(NewBinding {
            id: g.next_binding,
            direct_unit_id: d.id,
            user_unit_id: unit.id,
            relation: form.relation.unwrap_or(Relation::Control),
            since: t,
            invitation_id: id,
        });
        c.authorisations
            .push((d.id, unit.id, "基础开票能力".into()));
    }
    let name = if hostile {
        HOSTILE_NAMES[(id as usize) % HOSTILE_NAMES.len()].to_string()
    } else {
        unit.facts.name.clone()
    };
    c.applications.push(NewApplication {
        id,
        kind,
        state,
        unit_id: unit.id,
        uscc: unit.facts.uscc.clone(),
        name,
        county_id: COUNTIES[county].0.into(),
        province_id: PROVINCE.into(),
        acting_bureau: acting,
        direct_unit_id: direct.map(|d| d.id),
        form: serde_json::to_string(&form).unwrap_or_default(),
        failed_checks: checks::failed(&checks) as i64,
        passed_checks: checks::passed(&checks) as i64,
        submitted_at: submitted,
        updated_at: t,
        last_officer: last.clone(),
        last_decider: last,
    });
    c.materials.extend(mats);
    c.events.extend(events);
}

/// An application of the seed county with an empty form and no history.
fn bare_application(
    id: i64,
    kind: Kind,
    state: State,
    unit_id: i64,
    name: String,
    at: DateTime<Utc>,
) -> NewApplication {
    NewApplication {
        id,
        kind,
        state,
        unit_id,
        uscc: String::new(),
        name,
        county_id: SEED_COUNTY.into(),
        province_id: PROVINCE.into(),
        acting_bureau: None,
        direct_unit_id: None,
        form: "{}".into(),
        failed_checks: 0,
        passed_checks: 0,
        submitted_at: at,
        updated_at: at,
        last_officer: None,
        last_decider: None,
    }
}

/// `n` bare applications of one kind and state in the seed county, for
/// races and benchmarks; returns their ids.
pub async fn synthetic_items(
    store: &Store,
    kind: Kind,
    state: State,
    n: usize,
) -> Result<Vec<i64>> {
    let (units0, apps0, _) = store.max_ids().await?;
    let unit = units0 + 1;
    let mut c = Chunk::default();
    c.units.push(NewUnit {
        id: unit,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某县".into(),
        facts: UnitFacts {
            uscc: make_uscc(0, 900_000_000 + units0 as u64),
            name: "批量测试有限公司".into(),
            pilot: true,
            ..Default::default()
        },
    });
    let wf = &store.workflow;
    let acting = Stage::of_state(state)
        .and_then(|s| wf.rule(kind, s))
        .map(|r| match r.level {
            Level::County => SEED_COUNTY.to_string(),
            Level::Province => PROVINCE.to_string(),
        });
    let at = now();
    for i in 0..n as i64 {
        let mut a = bare_application(
            apps0 + 1 + i,
            kind,
            state,
            unit,
            format!("批量测试{i:05}"),
            at,
        );
        a.uscc = c.units[0].facts.uscc.clone();
        a.acting_bureau = acting.clone();
        c.applications.push(a);
    }
    store.insert_chunk(&c).await?;
    store.move_sequences().await?;
    Ok((apps0 + 1..=apps0 + n as i64).collect())
}

/// A direct-connect unit in the seed county with `n` bound user units;
/// returns the unit's id and the bindings' ids.
pub async fn synthetic_bindings(store: &Store, n: usize) -> Result<(i64, Vec<i64>)> {
    let (units0, apps0, bind0) = store.max_ids().await?;
    let direct = units0 + 1;
    let mut c = Chunk::default();
    let at = now();
    let unit = |id: i64, name: String, direct_connect: bool| NewUnit {
        id,
        bureau_id: SEED_COUNTY.into(),
        address: "某某省某某县".into(),
        facts: UnitFacts {
            uscc: make_uscc(0, 800_000_000 + id as u64),
            name,
            pilot: true,
            direct_connect,
            ..Default::default()
        },
    };
    c.units
        .push(unit(direct, "批量解绑集团有限公司".into(), true));
    for i in 0..n as i64 {
        let user = direct + 1 + i;
        let inv = apps0 + 1 + i;
        c.units.push(unit(
            user,
            format!("批量解绑集团有限公司第{i}分公司"),
            false,
        ));
        let mut a = bare_application(
            inv,
            Kind::Invitation,
            State::Confirmed,
            user,
            format!("批量解绑集团有限公司第{i}分公司"),
            at,
        );
        a.direct_unit_id = Some(direct);
        c.applications.push(a);
        c.bindings.push(NewBinding {
            id: bind0 + 1 + i,
            direct_unit_id: direct,
            user_unit_id: user,
            relation: Relation::Branch,
            since: at,
            invitation_id: inv,
        });
        c.authorisations.push((direct, user, "基础开票能力".into()));
    }
    store.insert_chunk(&c).await?;
    store.move_sequences().await?;
    Ok((direct, (bind0 + 1..=bind0 + n as i64).collect()))
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
