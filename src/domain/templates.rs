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
