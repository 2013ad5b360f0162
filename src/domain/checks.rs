//! Eligibility checks: a pure function from an application to a list of
//! results. The officer decides; the checks inform.

use super::model::*;
use super::validate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
}

impl Outcome {
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Outcome::Pass, true) => "通过",
            (Outcome::Fail, true) => "不通过",
            (Outcome::NotApplicable, true) => "不适用",
            (Outcome::Pass, false) => "pass",
            (Outcome::Fail, false) => "FAIL",
            (Outcome::NotApplicable, false) => "n/a",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    Uscc,
    Network,
    Materials,
    Credit,
    Pilot,
    Violation,
    Thresholds,
    TaxData,
    Relation,
    Inviter,
    BoundUnits,
}

impl CheckId {
    pub fn label(self, zh: bool) -> &'static str {
        let (z, e) = match self {
            CheckId::Uscc => ("统一社会信用代码", "credit codes"),
            CheckId::Network => ("网络地址备案", "network filing"),
            CheckId::Materials => ("必备材料", "required materials"),
            CheckId::Credit => ("纳税信用级别", "credit rating"),
            CheckId::Pilot => ("数电票试点", "e-invoice pilot"),
            CheckId::Violation => ("重大税收违法", "major violations"),
            CheckId::Thresholds => ("营业收入与开票量", "revenue and invoices"),
            CheckId::TaxData => ("提供涉税数据", "supplies tax data"),
            CheckId::Relation => ("关联关系", "relation"),
            CheckId::Inviter => ("邀请方状态", "inviting unit"),
            CheckId::BoundUnits => ("未解绑使用单位", "bound user units"),
        };
        if zh { z } else { e }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    pub outcome: Outcome,
    /// Chinese detail, then English.
    pub detail_zh: String,
    pub detail_en: String,
}

impl Check {
    pub fn detail(&self, zh: bool) -> &str {
        if zh { &self.detail_zh } else { &self.detail_en }
    }
}

/// Everything the checks read about one application.
#[derive(Debug, Clone)]
pub struct CheckInput<'a> {
    pub kind: Kind,
    pub unit: &'a UnitFacts,
    pub form: &'a Form,
    pub materials: &'a [MaterialKind],
    /// For invitations: the inviting direct-connect unit.
    pub inviter: Option<&'a UnitFacts>,
    /// For exits: user units still bound to the unit.
    pub bound_user_units: i64,
    pub thresholds: &'a Thresholds,
}

fn check(id: CheckId, outcome: Outcome, zh: impl Into<String>, en: impl Into<String>) -> Check {
    Check {
        id,
        outcome,
        detail_zh: zh.into(),
        detail_en: en.into(),
    }
}

/// Splits a bilingual message "中文 (English)" into its halves.
fn halves(s: &str) -> (String, String) {
    match s.rfind(" (") {
        Some(i) if s.ends_with(')') => (s[..i].to_string(), s[i + 2..s.len() - 1].to_string()),
        _ => (s.to_string(), s.to_string()),
    }
}

fn joined(parts: &[String], zh: bool) -> String {
    let v: Vec<String> = parts
        .iter()
        .map(|p| if zh { halves(p).0 } else { halves(p).1 })
        .collect();
    v.join(if zh { "；" } else { "; " })
}

fn pass_if(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

/// The materials a kind of application requires.
pub fn required_materials(kind: Kind, form: &Form) -> Vec<MaterialKind> {
    use MaterialKind::*;
    match kind {
        Kind::Access => {
            let mut v = vec![InfoForm, Agreement, ProjectReport, NetworkFiling];
            if form.authorised_uscc.is_some() {
                v.push(PowerOfAttorney);
            }
            v
        }
        Kind::Invitation if form.relation != Some(Relation::SameRegulator) => vec![RelationProof],
        Kind::Exit => vec![ExitForm],
        _ => vec![],
    }
}

/// The materials an application lacks. Copyright is satisfied by the
/// certificate, or by the no-copyright statement with a use-right proof.
pub fn missing_materials(kind: Kind, form: &Form, have: &[MaterialKind]) -> Vec<MaterialKind> {
    let mut missing: Vec<MaterialKind> = required_materials(kind, form)
        .into_iter()
        .filter(|m| !have.contains(m))
        .collect();
    if kind == Kind::Access {
        let copyright = have.contains(&MaterialKind::Copyright)
            || (have.contains(&MaterialKind::NoCopyright)
                && have.contains(&MaterialKind::UseRight));
        if !copyright {
            missing.push(MaterialKind::Copyright);
        }
    }
    missing
}

fn latest_rating(credit: &str) -> Option<char> {
    credit.chars().rev().find(|c| c.is_ascii_alphabetic())
}

pub fn run(input: &CheckInput<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let na = |id| check(id, Outcome::NotApplicable, "不适用", "not applicable");
    let (u, f) = (input.unit, input.form);

    // Every code in the application.
    let mut codes: Vec<(&str, &str)> = vec![(&u.uscc, &u.name)];
    if let (Some(c), n) = (&f.authorised_uscc, &f.authorised_name) {
        codes.push((c, n.as_deref().unwrap_or("")));
    }
    codes.extend(
        f.user_units
            .iter()
            .map(|x| (x.uscc.as_str(), x.name.as_str())),
    );
    let bad: Vec<String> = codes
        .iter()
        .filter_map(|(c, _)| {
            validate::uscc(c).err().map(|e| {
                let (zh, en) = halves(&e.to_string());
                format!("{c}：{zh} ({c}: {en})")
            })
        })
        .collect();
    out.push(if bad.is_empty() {
        check(
            CheckId::Uscc,
            Outcome::Pass,
            format!("{}个代码均有效", codes.len()),
            format!("all {} codes valid", codes.len()),
        )
    } else {
        check(
            CheckId::Uscc,
            Outcome::Fail,
            joined(&bad, true),
            joined(&bad, false),
        )
    });

    // Network filing: access applications only.
    if input.kind == Kind::Access {
        let mut bad: Vec<String> = f
            .test_ips
            .iter()
            .chain(&f.prod_ips)
            .filter_map(|ip| validate::ipv4(ip).err())
            .collect();
        if f.test_ips.is_empty() && f.prod_ips.is_empty() {
            bad.push("未填写IP地址 (no address filed)".into());
        }
        match f.port {
            Some(p) => bad.extend(validate::port(p).err()),
            None => bad.push("未填写端口 (no port filed)".into()),
        }
        if !f.protocol.eq_ignore_ascii_case("https") {
            bad.push(format!(
                "协议应为https，实为“{}” (protocol must be https)",
                f.protocol
            ));
        }
        out.push(if bad.is_empty() {
            check(
                CheckId::Network,
                Outcome::Pass,
                "地址、端口、协议有效",
                "addresses, port and protocol valid",
            )
        } else {
            check(
                CheckId::Network,
                Outcome::Fail,
                joined(&bad, true),
                joined(&bad, false),
            )
        });
    } else {
        out.push(na(CheckId::Network));
    }

    let missing = missing_materials(input.kind, f, input.materials);
    out.push(
        if required_materials(input.kind, f).is_empty() && input.kind != Kind::Access {
            na(CheckId::Materials)
        } else if missing.is_empty() {
            check(CheckId::Materials, Outcome::Pass, "齐全", "complete")
        } else {
            let zh: Vec<&str> = missing.iter().map(|m| m.zh()).collect();
            let en: Vec<&str> = missing.iter().map(|m| m.en()).collect();
            check(
                CheckId::Materials,
                Outcome::Fail,
                format!("缺少：{}", zh.join("、")),
                format!("missing: {}", en.join(", ")),
            )
        },
    );

    let applies_to_unit = matches!(input.kind, Kind::Access | Kind::Invitation);
    if applies_to_unit {
        let allowed: &[char] = if input.kind == Kind::Invitation {
            &['A', 'B', 'M']
        } else {
            &['A', 'B']
        };
        let shown = allowed
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("/");
        out.push(if input.kind == Kind::Invitation && !u.independent {
            check(
                CheckId::Credit,
                Outcome::NotApplicable,
                "非独立核算分支机构免评",
                "non-independent branch: exempt",
            )
        } else {
            match latest_rating(&u.credit) {
                Some(r) if allowed.contains(&r) => check(
                    CheckId::Credit,
                    Outcome::Pass,
                    format!("近三年{}，最新{r}级", u.credit),
                    format!("last years {}, latest {r}", u.credit),
                ),
                Some(r) => check(
                    CheckId::Credit,
                    Outcome::Fail,
                    format!("最新{r}级，须为{shown}级",),
                    format!("latest {r}, must be {shown}"),
                ),
                None => check(
                    CheckId::Credit,
                    Outcome::Fail,
                    "无信用级别",
                    "no rating on file",
                ),
            }
        });
        out.push(check(
            CheckId::Pilot,
            pass_if(u.pilot),
            if u.pilot {
                "已纳入试点"
            } else {
                "未纳入数电票试点"
            },
            if u.pilot {
                "in the pilot"
            } else {
                "not in the e-invoice pilot"
            },
        ));
        out.push(check(
            CheckId::Violation,
            pass_if(!u.violation),
            if u.violation {
                "近三年存在重大税收违法行为"
            } else {
                "近三年无"
            },
            if u.violation {
                "major violation in the last three years"
            } else {
                "none in three years"
            },
        ));
    } else {
        out.extend([
            na(CheckId::Credit),
            na(CheckId::Pilot),
            na(CheckId::Violation),
        ]);
    }

    if input.kind == Kind::Access {
        let t = input.thresholds;
        let factor = if u.livelihood {
            t.livelihood_factor
        } else {
            1.0
        };
        let need = |v: i64| (v as f64 * factor).round() as i64;
        let count = u.invoices_issued + u.invoices_received;
        let ok = u.revenue_wan >= need(t.revenue_wan)
            && (count >= need(t.invoice_count)
                || u.invoice_amount_wan >= need(t.invoice_amount_wan));
        let lowered = if u.livelihood {
            "（民生保障，标准降低）"
        } else {
            ""
        };
        out.push(check(
            CheckId::Thresholds,
            pass_if(ok),
            format!(
                "营业收入{}万元（标准{}）；开受票{}张（标准{}）或开票金额{}万元（标准{}）{lowered}",
                u.revenue_wan,
                need(t.revenue_wan),
                count,
                need(t.invoice_count),
                u.invoice_amount_wan,
                need(t.invoice_amount_wan)
            ),
            format!(
                "revenue {} (min {}); invoices {} (min {}) or amount {} (min {}), in 10k CNY{}",
                u.revenue_wan,
                need(t.revenue_wan),
                count,
                need(t.invoice_count),
                u.invoice_amount_wan,
                need(t.invoice_amount_wan),
                if u.livelihood {
                    "; livelihood unit, lowered"
                } else {
                    ""
                }
            ),
        ));
        out.push(check(
            CheckId::TaxData,
            pass_if(u.can_supply_data),
            if u.can_supply_data {
                "能"
            } else {
                "不能按要求提供涉税数据"
            },
            if u.can_supply_data {
                "yes"
            } else {
                "cannot supply tax data as required"
            },
        ));
    } else {
        out.extend([na(CheckId::Thresholds), na(CheckId::TaxData)]);
    }

    if input.kind == Kind::Invitation {
        out.push(match f.relation {
            Some(r) => check(CheckId::Relation, Outcome::Pass, r.zh(), r.en()),
            None => check(
                CheckId::Relation,
                Outcome::Fail,
                "未声明关联关系",
                "no relation declared",
            ),
        });
        out.push(match input.inviter {
            Some(d) if d.direct_connect && !d.exiting && !d.barred_from_adding => check(
                CheckId::Inviter,
                Outcome::Pass,
                "直连单位状态正常",
                "inviting unit active",
            ),
            Some(d) => {
                let (zh, en) = if !d.direct_connect {
                    ("邀请方不是直连单位", "inviting unit is not direct-connect")
                } else if d.exiting {
                    ("邀请方正在退出", "inviting unit is exiting")
                } else {
                    (
                        "邀请方被暂停新增使用单位",
                        "inviting unit is barred from adding user units",
                    )
                };
                check(CheckId::Inviter, Outcome::Fail, zh, en)
            }
            None => check(
                CheckId::Inviter,
                Outcome::Fail,
                "邀请方不存在",
                "no inviting unit",
            ),
        });
    } else {
        out.extend([na(CheckId::Relation), na(CheckId::Inviter)]);
    }

    out.push(if input.kind == Kind::Exit {
        let n = input.bound_user_units;
        check(
            CheckId::BoundUnits,
            pass_if(n == 0),
            if n == 0 {
                "已全部解除".to_string()
            } else {
                format!("仍有{n}个使用单位未解除绑定")
            },
            if n == 0 {
                "none bound".to_string()
            } else {
                format!("{n} user units still bound")
            },
        )
    } else {
        na(CheckId::BoundUnits)
    });
    out
}

pub fn failed(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.outcome == Outcome::Fail).count()
}

pub fn passed(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.outcome == Outcome::Pass).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 某某技术有限公司 exactly as its 接入信息表 has it.
    fn seed_unit() -> (UnitFacts, Form) {
        let unit = UnitFacts {
            uscc: "9161252LQ1136652JR".into(),
            name: "某某技术有限公司".into(),
            credit: "BAA".into(),
            pilot: true,
            revenue_wan: 86612,
            invoices_issued: 32510,
            invoices_received: 25068,
            invoice_amount_wan: 65230,
            can_supply_data: true,
            direct_connect: false,
            independent: true,
            ..Default::default()
        };
        let form = Form {
            authorised_uscc: Some("916155ZL22511194LQ".into()),
            authorised_name: Some("乐一软件技术有限公司".into()),
            test_ips: vec!["10.90.661.910".into()],
            prod_ips: vec!["10.90.661.911".into()],
            protocol: "https".into(),
            port: Some(8888),
            ..Default::default()
        };
        (unit, form)
    }

    fn get(cs: &[Check], id: CheckId) -> &Check {
        cs.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn the_seed_application_fails_codes_addresses_and_materials() {
        let (unit, form) = seed_unit();
        let t = Thresholds::default();
        let mats = [
            MaterialKind::InfoForm,
            MaterialKind::Agreement,
            MaterialKind::ProjectReport,
            MaterialKind::NetworkFiling,
            MaterialKind::Copyright,
        ];
        let cs = run(&CheckInput {
            kind: Kind::Access,
            unit: &unit,
            form: &form,
            materials: &mats,
            inviter: None,
            bound_user_units: 0,
            thresholds: &t,
        });
        assert_eq!(get(&cs, CheckId::Uscc).outcome, Outcome::Fail);
        assert!(
            get(&cs, CheckId::Uscc)
                .detail_zh
                .contains("916155ZL22511194LQ")
        );
        assert_eq!(get(&cs, CheckId::Network).outcome, Outcome::Fail);
        assert!(
            !get(&cs, CheckId::Network).detail_zh.contains("is not"),
            "{}",
            get(&cs, CheckId::Network).detail_zh
        );
        // An authorised unit makes the 授权委托书 required.
        let m = get(&cs, CheckId::Materials);
        assert_eq!(m.outcome, Outcome::Fail);
        assert!(m.detail_zh.contains("授权委托书"));
        assert_eq!(get(&cs, CheckId::Credit).outcome, Outcome::Pass);
        assert_eq!(get(&cs, CheckId::Thresholds).outcome, Outcome::Pass);
        assert_eq!(
            get(&cs, CheckId::BoundUnits).outcome,
            Outcome::NotApplicable
        );
    }

    #[test]
    fn power_of_attorney_is_required_exactly_with_an_authorised_unit() {
        let (_, mut form) = seed_unit();
        assert!(required_materials(Kind::Access, &form).contains(&MaterialKind::PowerOfAttorney));
        form.authorised_uscc = None;
        assert!(!required_materials(Kind::Access, &form).contains(&MaterialKind::PowerOfAttorney));
    }

    #[test]
    fn no_copyright_needs_use_right_proof() {
        let form = Form::default();
        let have = [MaterialKind::NoCopyright];
        assert!(missing_materials(Kind::Access, &form, &have).contains(&MaterialKind::Copyright));
        let have = [MaterialKind::NoCopyright, MaterialKind::UseRight];
        assert!(!missing_materials(Kind::Access, &form, &have).contains(&MaterialKind::Copyright));
    }

    #[test]
    fn credit_rating_m_is_enough_only_for_user_units() {
        let (mut unit, form) = seed_unit();
        unit.credit = "AAM".into();
        let t = Thresholds::default();
        let access = run(&CheckInput {
            kind: Kind::Access,
            unit: &unit,
            form: &form,
            materials: &[],
            inviter: None,
            bound_user_units: 0,
            thresholds: &t,
        });
        assert_eq!(get(&access, CheckId::Credit).outcome, Outcome::Fail);
        let inv_form = Form {
            relation: Some(Relation::Branch),
            ..Default::default()
        };
        let inv = run(&CheckInput {
            kind: Kind::Invitation,
            unit: &unit,
            form: &inv_form,
            materials: &[],
            inviter: None,
            bound_user_units: 0,
            thresholds: &t,
        });
        assert_eq!(get(&inv, CheckId::Credit).outcome, Outcome::Pass);
        assert_eq!(get(&inv, CheckId::Inviter).outcome, Outcome::Fail);
        assert_eq!(
            get(&inv, CheckId::Materials).outcome,
            Outcome::Fail,
            "relation proof missing"
        );
    }

    #[test]
    fn same_regulator_needs_no_relation_proof() {
        let f = Form {
            relation: Some(Relation::SameRegulator),
            ..Default::default()
        };
        assert!(required_materials(Kind::Invitation, &f).is_empty());
    }

    #[test]
    fn livelihood_units_meet_lowered_thresholds() {
        let (mut unit, form) = seed_unit();
        unit.revenue_wan = 30_000;
        let t = Thresholds::default();
        let input = |u: &UnitFacts| {
            get(
                &run(&CheckInput {
                    kind: Kind::Access,
                    unit: u,
                    form: &form,
                    materials: &[],
                    inviter: None,
                    bound_user_units: 0,
                    thresholds: &t,
                }),
                CheckId::Thresholds,
            )
            .outcome
        };
        assert_eq!(input(&unit), Outcome::Fail);
        unit.livelihood = true;
        assert_eq!(input(&unit), Outcome::Pass);
    }

    #[test]
    fn exit_counts_bound_user_units() {
        let (unit, form) = seed_unit();
        let t = Thresholds::default();
        let cs = run(&CheckInput {
            kind: Kind::Exit,
            unit: &unit,
            form: &form,
            materials: &[MaterialKind::ExitForm],
            inviter: None,
            bound_user_units: 3,
            thresholds: &t,
        });
        let b = get(&cs, CheckId::BoundUnits);
        assert_eq!(b.outcome, Outcome::Fail);
        assert!(b.detail_zh.contains('3'));
        assert_eq!(get(&cs, CheckId::Materials).outcome, Outcome::Pass);
    }
}
