//! The generator and the world it fills: direct-connect units, their user
//! units and candidates, officers to act, materials with their text.

use super::*;
use crate::store::{NewMaterial, NewUnit};

pub(crate) struct Gen {
    pub rng: Rng,
    pub now: DateTime<Utc>,
    pub next_unit: i64,
    pub next_app: i64,
    pub next_binding: i64,
    pub serial: u64,
    pub thresholds: Thresholds,
    pub workflow: crate::domain::workflow::Workflow,
    /// (direct-connect unit, user unit) pairs bound so far: one binding each.
    pub bound: std::collections::HashSet<(i64, i64)>,
}

/// Direct-connect units and the user units around them.
pub(crate) struct World {
    pub direct: Vec<NewUnit>,
    /// Indexes into `direct` of units with a pending exit.
    pub exiting: Vec<usize>,
    pub users: Vec<NewUnit>,
    pub candidates: Vec<NewUnit>,
}

impl Gen {
    pub fn unit(&mut self, name: String, county: usize, direct: bool) -> NewUnit {
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
            // From the serial, not the generator: the rest of the demo
            // stays as it was.
            special_industry: self.serial % 10 == 3,
            serious_offence: !direct && self.serial % 40 == 7,
        };
        self.serial += 1;
        self.next_unit += 1;
        let address = format!(
            "某某省{}市{}路{}号",
            PLACES[county % PLACES.len()],
            r.pick(&ROADS),
            1 + r.below(300)
        );
        // A direct-connect unit's qualification runs from weeks ago to two
        // years ahead (from its id, not the generator): some lapsing.
        let qualified_until =
            direct.then(|| self.now + chrono::Duration::days(((self.next_unit * 37) % 740) - 20));
        NewUnit {
            id: self.next_unit,
            bureau_id: COUNTIES[county].0.to_string(),
            address,
            facts,
            qualified_until,
        }
    }

    pub fn company(&mut self, suffix: &str) -> String {
        let (p, b, t) = (
            *self.rng.pick(&PLACES),
            *self.rng.pick(&BRANDS),
            *self.rng.pick(&TRADES),
        );
        format!("{p}{b}{t}{suffix}")
    }

    pub fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(&SURNAMES), self.rng.pick(&GIVEN))
    }

    pub fn world(&mut self, directs: usize, users: usize, candidates: usize) -> World {
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

    /// An officer of the county (or the province) with the role, not the
    /// one who took the previous step.
    pub fn officer_of(
        &mut self,
        county: usize,
        level: Level,
        role: Role,
        not: Option<&str>,
    ) -> String {
        let cands: Vec<String> = match level {
            Level::County => COUNTY_STAFF
                .iter()
                .filter(|(_, _, roles)| roles.contains(&role))
                .map(|(s, _, _)| format!("{}-{s}", COUNTIES[county].2))
                .collect(),
            Level::Province => PROVINCE_STAFF
                .iter()
                .filter(|(_, _, roles)| roles.contains(&role))
                .map(|(login, _, _)| login.to_string())
                .collect(),
        };
        let c: Vec<&String> = cands.iter().filter(|c| Some(c.as_str()) != not).collect();
        match c.len() {
            0 => cands.first().cloned().unwrap_or_default(),
            n => c[self.rng.below(n as u64) as usize].clone(),
        }
    }

    pub fn materials(
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

#[allow(clippy::too_many_arguments)]
pub(crate) fn qualifications(
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
