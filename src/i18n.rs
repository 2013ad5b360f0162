//! Every label in Chinese and English. A label is an enum value, so one
//! missing in either language does not compile.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "中文" => Some(Lang::Zh),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn zh(self) -> bool {
        self == Lang::Zh
    }
}

macro_rules! messages {
    ($($name:ident = $zh:literal, $en:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($name),+ }
        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$name),+];
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$name, Lang::Zh) => $zh, (Msg::$name, Lang::En) => $en,)+
                }
            }
        }
    };
}

messages! {
    Title = "乐企直连审批台", "Leqi console";
    Embedded = "内嵌库", "embedded";
    Server = "服务器", "server";
    Current = "最新", "current";
    Stale = "可能已过期", "may be stale";
    Loading = "加载中", "loading";
    Queues = "待办", "Queues";
    All = "全部", "all";
    ColKind = "类型", "Kind";
    ColName = "单位名称", "Unit";
    ColUscc = "统一社会信用代码", "USCC";
    ColSubmitted = "提交时间", "Submitted";
    ColAge = "天数", "Days";
    ColChecks = "校验", "Checks";
    ColHandler = "上一办理人", "Last handler";
    ColBound = "未解绑", "Bound";
    Empty = "此队列没有待办事项", "Nothing in this queue";
    NoSelection = "未选择申请", "No application selected";
    TabOverview = "概况", "Overview";
    TabQualify = "资质", "Qualifications";
    TabUsers = "使用单位", "User units";
    TabMaterials = "材料", "Materials";
    TabChecks = "校验", "Checks";
    TabHistory = "历史", "History";
    Unit = "单位", "Unit";
    Address = "地址", "Address";
    Bureau = "主管税务机关", "Competent bureau";
    AuthorisedUnit = "被授权单位", "Authorised unit";
    None_ = "无", "none";
    System = "应用系统", "System";
    RequestType = "请求类型", "Request";
    Contact = "联系人", "Contact";
    LegalRep = "法定代表人", "Legal rep.";
    State = "状态", "State";
    Version = "版本", "Version";
    Network = "网络地址", "Network";
    Inviter = "邀请方（直连单位）", "Inviting unit";
    Relation = "关联关系", "Relation";
    Capability = "订阅能力", "Capability";
    NoUserUnits = "未列使用单位", "No user units listed";
    Missing = "缺少", "MISSING";
    PaperReceived = "纸质已收", "paper received";
    PaperNotReceived = "纸质未收", "paper not received";
    Preview = "预览", "Preview";
    Bytes = "字节", "bytes";
    Filter = "筛选", "Filter";
    Sort = "排序", "Sort";
    Help = "帮助", "Help";
    HelpClose = "按 Esc 或 ? 关闭", "Esc or ? closes";
    Confirm = "确认", "Confirm";
    Cancel = "取消", "Cancel";
    ReasonTitle = "填写理由", "Reason";
    ReasonHint = "申请人将看到此理由", "The applicant sees this reason";
    Templates = "理由模板", "Templates";
    DraftRestored = "已恢复上次未提交的草稿", "Your unsent draft was restored";
    TooSmall = "终端太小：至少需要 80×24，当前", "Terminal too small: needs 80×24, now";
    Conflict = "他人已先处理", "Someone decided first";
    Selected = "已选", "selected";
    QuitUnsaved = "理由尚未提交（草稿已保存）。确定退出？", "The reason is not submitted (draft kept). Quit?";
    KeymapFallback = "键位文件有误，已使用默认键位：", "Keymap file is malformed; using the defaults: ";
    NotYours = "您不能办理此环节：", "You cannot act on this stage: ";
    CannotAct = "不能办理", "Cannot act";
    Notice = "提示", "Notice";
    ExitBlocked = "仍有使用单位未解除绑定，不能通过", "User units are still bound: cannot pass";
    ExitEffects = "确认后将：", "Confirming will:";
    Refreshed = "已刷新", "Refreshed";
    Keys = "按键", "Keys";
    Action = "操作", "Action";
    Bindings = "绑定关系", "Bindings";
    Results = "处理结果", "Results";
    Progress = "进度", "Progress";
    Succeeded = "成功", "succeeded";
    Failed = "失败", "failed";
    Pending = "未处理", "pending";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_exists_in_both_languages() {
        for m in Msg::ALL {
            assert!(
                !m.get(Lang::Zh).is_empty() && !m.get(Lang::En).is_empty(),
                "{m:?}"
            );
            assert!(
                !m.get(Lang::Zh).is_ascii() || matches!(m, Msg::Title),
                "{m:?} has a Chinese label"
            );
        }
    }
}
