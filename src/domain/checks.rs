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
    Capability,
    Measures,
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
            CheckId::Capability => ("非公用基础能力", "non-public capabilities"),
            CheckId::Measures => ("监管措施", "supervision measures"),
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
    /// Supervision measures in force on the unit concerned (for an
    /// invitation, the inviting unit).
    pub measures: &'a [MeasureKind],
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

fn not_applicable(id: CheckId) -> Check {
    check(id, Outcome::NotApplicable, "不适用", "not applicable")
}

/// Every code in the application: the unit's, the authorised unit's, the
/// user units'.
fn codes(u: &UnitFacts, f: &Form) -> Check {
    let mut codes: Vec<&str> = vec![&u.uscc];
    if let Some(c) = &f.authorised_uscc {
        codes.push(c);
    }
    codes.extend(f.user_units.iter().map(|x| x.uscc.as_str()));
    let bad: Vec<String> = codes
        .iter()
        .filter_map(|c| {
            validate::uscc(c).err().map(|e| {
                let (zh, en) = halves(&e.to_string());
                format!("{c}：{zh} ({c}: {en})")
            })
        })
        .collect();
    if bad.is_empty() {
        check(
            CheckId::Uscc,
            Outcome::Pass,
            format!("{}个代码均有效", codes.len()),
            match codes.len() {
                1 => "the code is valid".to_string(),
                n => format!("all {n} codes valid"),
            },
        )
    } else {
        check(
            CheckId::Uscc,
            Outcome::Fail,
            joined(&bad, true),
            joined(&bad, false),
        )
    }
}

/// The network filing of an access application: addresses, port, https.
fn network(f: &Form) -> Check {
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
    if bad.is_empty() {
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
    }
}

fn materials(kind: Kind, f: &Form, have: &[MaterialKind]) -> Check {
    let missing = missing_materials(kind, f, have);
    if required_materials(kind, f).is_empty() && kind != Kind::Access {
        not_applicable(CheckId::Materials)
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
    }
}

/// Credit rating: A or B for a direct-connect unit, A, B or M for a user
/// unit; non-independent branches are exempt.
fn credit(kind: Kind, u: &UnitFacts) -> Check {
    let allowed: &[char] = if kind == Kind::Invitation {
        &['A', 'B', 'M']
    } else {
        &['A', 'B']
    };
    let shown = allowed
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join("/");
    if kind == Kind::Invitation && !u.independent {
        return check(
            CheckId::Credit,
            Outcome::NotApplicable,
            "非独立核算分支机构免评",
            "non-independent branch: exempt",
        );
    }
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
}

/// A yes-or-no fact of the unit.
fn flag(
    id: CheckId,
    ok: bool,
    (zh_ok, zh_bad): (&str, &str),
    (en_ok, en_bad): (&str, &str),
) -> Check {
    let pick = |a: &str, b: &str| if ok { a.to_string() } else { b.to_string() };
    check(id, pass_if(ok), pick(zh_ok, zh_bad), pick(en_ok, en_bad))
}

/// The conditions on the unit itself, for access and invitations.
fn unit_conditions(kind: Kind, u: &UnitFacts) -> Vec<Check> {
    if !matches!(kind, Kind::Access | Kind::Invitation) {
        return [CheckId::Credit, CheckId::Pilot, CheckId::Violation]
            .map(not_applicable)
            .to_vec();
    }
    vec![
        credit(kind, u),
        flag(
            CheckId::Pilot,
            u.pilot,
            ("已纳入试点", "未纳入数电票试点"),
            ("in the pilot", "not in the e-invoice pilot"),
        ),
        flag(
            CheckId::Violation,
            !u.violation,
            ("近三年无", "近三年存在重大税收违法行为"),
            (
                "none in three years",
                "major violation in the last three years",
            ),
        ),
    ]
}

/// Revenue and invoice volume against the province's thresholds, lowered
/// for 民生保障 units.
fn thresholds(u: &UnitFacts, t: &Thresholds) -> Check {
    let factor = if u.livelihood {
        t.livelihood_factor
    } else {
        1.0
    };
    let need = |v: i64| (v as f64 * factor).round() as i64;
    let count = u.invoices_issued + u.invoices_received;
    let ok = u.revenue_wan >= need(t.revenue_wan)
        && (count >= need(t.invoice_count) || u.invoice_amount_wan >= need(t.invoice_amount_wan));
    let (lowered_zh, lowered_en) = if u.livelihood {
        ("（民生保障，标准降低）", "; livelihood unit, lowered")
    } else {
        ("", "")
    };
    check(
        CheckId::Thresholds,
        pass_if(ok),
        format!(
            "营业收入{}万元（标准{}）；开受票{}张（标准{}）或开票金额{}万元（标准{}）{lowered_zh}",
            u.revenue_wan,
            need(t.revenue_wan),
            count,
            need(t.invoice_count),
            u.invoice_amount_wan,
            need(t.invoice_amount_wan)
        ),
        format!(
            "revenue {} (min {}); invoices {} (min {}) or amount {} (min {}), in 10k CNY{lowered_en}",
            u.revenue_wan,
            need(t.revenue_wan),
            count,
            need(t.invoice_count),
            u.invoice_amount_wan,
            need(t.invoice_amount_wan),
        ),
    )
}

/// The inviting direct-connect unit: active, not exiting, not barred.
fn inviter(d: Option<&UnitFacts>) -> Check {
    let Some(d) = d else {
        return check(
            CheckId::Inviter,
            Outcome::Fail,
            "邀请方不存在",
            "no inviting unit",
        );
    };
    let (zh, en) = if !d.direct_connect {
        ("邀请方不是直连单位", "inviting unit is not direct-connect")
    } else if d.exiting {
        ("邀请方正在退出", "inviting unit is exiting")
    } else if d.barred_from_adding {
        (
            "邀请方被暂停新增使用单位",
            "inviting unit is barred from adding user units",
        )
    } else {
        return check(
            CheckId::Inviter,
            Outcome::Pass,
            "直连单位状态正常",
            "inviting unit active",
        );
    };
    check(CheckId::Inviter, Outcome::Fail, zh, en)
}

fn relation(f: &Form) -> Check {
    match f.relation {
        Some(r) => check(CheckId::Relation, Outcome::Pass, r.zh(), r.en()),
        None => check(
            CheckId::Relation,
            Outcome::Fail,
            "未声明关联关系",
            "no relation declared",
        ),
    }
}

fn bound_units(n: i64) -> Check {
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
}

/// Every check, in the order the officer reads them; those that do not
/// apply to the kind say so.
pub fn run(input: &CheckInput<'_>) -> Vec<Check> {
    let (u, f, kind) = (input.unit, input.form, input.kind);
    let mut out = vec![codes(u, f)];
    out.push(if kind == Kind::Access {
        network(f)
    } else {
        not_applicable(CheckId::Network)
    });
    out.push(materials(kind, f, input.materials));
    out.extend(unit_conditions(kind, u));
    if kind == Kind::Access {
        out.push(thresholds(u, input.thresholds));
        out.push(flag(
            CheckId::TaxData,
            u.can_supply_data,
            ("能", "不能按要求提供涉税数据"),
            ("yes", "cannot supply tax data as required"),
        ));
    } else {
        out.extend([CheckId::Thresholds, CheckId::TaxData].map(not_applicable));
    }
    if kind == Kind::Invitation {
        out.push(relation(f));
        out.push(inviter(input.inviter));
    } else {
        out.extend([CheckId::Relation, CheckId::Inviter].map(not_applicable));
    }
    out.push(if kind == Kind::Exit {
        bound_units(input.bound_user_units)
    } else {
        not_applicable(CheckId::BoundUnits)
    });
    out.push(if kind == Kind::Subscription {
        capability(u, f)
    } else {
        not_applicable(CheckId::Capability)
    });
    out.push(measures(kind, input.measures));
    out
}

/// A non-public capability needs the special-industry qualification.
fn capability(u: &UnitFacts, f: &Form) -> Check {
    let asked: Vec<&str> = f
        .capabilities
        .iter()
        .map(String::as_str)
        .chain(f.capability.as_deref())
        .collect();
    let closed: Vec<&str> = asked
        .iter()
        .copied()
        .filter(|c| !super::supervision::is_public(c))
        .collect();
    match (closed.is_empty(), u.special_industry) {
        (true, _) => check(
            CheckId::Capability,
            Outcome::Pass,
            "均为公用基础能力",
            "public capabilities only",
        ),
        (false, true) => check(
            CheckId::Capability,
            Outcome::Pass,
            format!("{}：具备特定行业资质", closed.join("、")),
            "special-industry qualification held",
        ),
        (false, false) => check(
            CheckId::Capability,
            Outcome::Fail,
            format!("{}须具备特定行业资质，该单位没有", closed.join("、")),
            "needs a special-industry qualification the unit lacks",
        ),
    }
}

/// A measure in force that stops confirming this kind.
fn measures(kind: Kind, in_force: &[MeasureKind]) -> Check {
    match super::supervision::blocking(kind, in_force) {
        Some(m) => check(
            CheckId::Measures,
            Outcome::Fail,
            format!("“{}”执行中，不能确认", m.zh()),
            format!("{} in force: cannot be confirmed", m.en()),
        ),
        None if in_force.is_empty() => check(CheckId::Measures, Outcome::Pass, "无", "none"),
        None => check(
            CheckId::Measures,
            Outcome::Pass,
            format!(
                "执行中：{}（不影响本申请）",
                in_force
                    .iter()
                    .map(|m| m.zh())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            "in force, not affecting this application",
        ),
    }
}

pub fn failed(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.outcome == Outcome::Fail).count()
}

pub fn passed(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.outcome == Outcome::Pass).count()
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
