//! Reason templates: what an officer most often writes when rejecting a
//! kind of application at a stage, or ending bindings. The applicant reads
//! the reason, so each names what is wrong and what to do.

use super::{Kind, Stage};

const UNBIND: &[&str] = &[
    "直连单位申请退出，解除全部使用单位绑定。",
    "使用单位申请解除与直连单位的绑定关系。",
    "监管措施：解除绑定关系。",
];

/// Kind-specific reasons at a stage.
fn of_kind(kind: Kind, stage: Stage) -> &'static [&'static str] {
    use Kind as K;
    use Stage as S;
    match (kind, stage) {
        (K::Access, S::Acceptance) => &[
            "统一社会信用代码有误，请核对后重新申请。",
            "网络地址备案信息有误（IP地址或端口无效），请更正后重新申请。",
            "纳税信用级别不符合接入条件。",
            "未纳入数电票试点范围。",
            "授权委托书与被授权单位信息不一致，请核对后重新申请。",
        ],
        (K::Access, S::Review) => &[
            "复核发现资质条件不满足：营业收入或开受票量未达到本省标准。",
            "复核发现近三年存在重大税收违法行为。",
            "软件著作权或授权使用证明不充分，请补充后重新申请。",
        ],
        (K::Access, S::Confirmation) => &[
            "经省级税务机关确认，不符合乐企自用直连接入条件。",
            "存在未整改的风险预警，请整改后重新申请。",
        ],
        (K::Invitation, S::Acceptance) => &[
            "关联关系证明不充分，请补充后重新邀请。",
            "使用单位纳税信用级别不符合条件。",
            "使用单位未纳入数电票试点范围。",
        ],
        (K::Invitation, _) => &[
            "关联关系不成立，不予确认。",
            "使用单位近三年存在重大税收违法行为。",
        ],
        (K::Exit, S::Acceptance) => &[
            "仍有使用单位绑定，请先解除全部绑定后重新申请。",
            "退出申请表未由法定代表人或财务负责人签署，请更正后重新申请。",
        ],
        (K::Exit, _) => &[
            "尚有未办结的发票业务，请办结后重新申请退出。",
            "存在未整改的监管事项，请整改后重新申请。",
        ],
        (K::Subscription, _) => &[
            "所属行业不符合该能力的订阅条件。",
            "非公用基础能力须具备特定行业资质，请补充后重新申请。",
        ],
        (K::Extension, _) => &[
            "资格期内存在未整改的监管事项，暂不予延续。",
            "延续申请材料不全，请补充后重新申请。",
        ],
    }
}

/// What a supervisor writes: a measure's reason by its kind, a lifting
/// note, an escalation, a warning's feedback or closing note. The unit
/// reads them, so each names the finding or what was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisionText {
    Impose(super::MeasureKind),
    Lift,
    Escalate,
    Feedback,
    Close,
}

pub fn supervision(what: SupervisionText) -> Vec<&'static str> {
    use super::MeasureKind as M;
    use SupervisionText as S;
    let v: &[&str] = match what {
        S::Impose(M::Reminder | M::Interview) => &[
            "发票开具量异常波动，请核实业务真实性并说明情况。",
            "接口调用频次超出备案并发，请核查系统配置。",
        ],
        S::Impose(M::SuspendInvitations) => &[
            "使用单位信息与备案不符，整改完成前暂停新增使用单位。",
            "超过1%的使用单位存在虚开发票等严重违法行为。",
        ],
        S::Impose(M::SuspendCapabilities) => &[
            "违规使用乐企能力，整改完成前暂停使用。",
            "非公用基础能力的行业资质已失效。",
        ],
        S::Impose(M::LimitConcurrency) => &[
            "接口调用频次超出备案并发，限制并发量至整改完成。",
            "资格期满未申请延续，限制并发量。",
        ],
        S::Impose(M::SuspendAccess) => &[
            "存在虚开发票风险，整改完成前暂停接入服务。",
            "风险预警逾期未整改，暂停接入服务。",
        ],
        S::Impose(M::Terminate) => &[
            "存在虚开发票等严重违法行为，终止接入服务。",
            "整改期限已过仍未整改，终止接入服务。",
        ],
        S::Lift => &[
            "已按要求整改并报送整改报告，经核实解除措施。",
            "整改情况经核查属实，解除措施。",
        ],
        S::Escalate => &["整改期限已过仍未整改，终止接入服务。"],
        S::Feedback => &["单位已核查，正在整改。", "单位已完成整改并报送整改报告。"],
        S::Close => &[
            "整改完成，经核实无误，关闭预警。",
            "经核查不属于风险事项，关闭预警。",
        ],
    };
    v.to_vec()
}

/// Reasons any kind may be rejected for at a stage.
fn of_stage(stage: Stage) -> &'static [&'static str] {
    match stage {
        Stage::Acceptance => &["材料不全，请补充后重新申请。"],
        Stage::Review => &["复核发现申请信息与材料不一致，请核对后重新申请。"],
        Stage::Confirmation => &["经省级税务机关确认，不符合条件。"],
    }
}

/// The templates offered for a rejection of `kind` (when all the items
/// are of one kind) at `stage`, or for an unbinding: the kind's own
/// first, then the stage's common ones.
pub fn reasons(kind: Option<Kind>, stage: Option<Stage>, unbind: bool) -> Vec<&'static str> {
    if unbind {
        return UNBIND.to_vec();
    }
    let stage = stage.unwrap_or(Stage::Acceptance);
    let mut v: Vec<&str> = kind.map(|k| of_kind(k, stage)).unwrap_or_default().to_vec();
    v.extend(of_stage(stage));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_is_not_offered_network_filing() {
        let inv = reasons(Some(Kind::Invitation), Some(Stage::Acceptance), false);
        assert!(inv.iter().all(|t| !t.contains("网络地址")), "{inv:?}");
        assert!(inv.iter().any(|t| t.contains("关联关系")));
        let acc = reasons(Some(Kind::Access), Some(Stage::Acceptance), false);
        assert!(acc.iter().any(|t| t.contains("网络地址")));
    }

    #[test]
    fn every_kind_and_stage_offers_something_and_ends_with_the_common() {
        for k in Kind::ALL {
            for s in Stage::ALL {
                let r = reasons(Some(*k), Some(*s), false);
                assert!(r.len() >= 2, "{k:?} {s:?}");
                assert_eq!(r.last(), of_stage(*s).last());
            }
        }
        assert_eq!(reasons(None, None, true), UNBIND);
    }
}
