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

    /// This language's half of a bilingual message "中文 (English)"; the
    /// whole message when it has no halves.
    pub fn half(self, s: &str) -> String {
        match s.rfind(" (") {
            Some(i) if s.ends_with(')') => match self {
                Lang::Zh => s[..i].to_string(),
                Lang::En => s[i + 2..s.len() - 1].to_string(),
            },
            _ => s.to_string(),
        }
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
            /// The message with `{0}`, `{1}`, ... filled in: each language
            /// orders its own words.
            pub fn fill(self, lang: Lang, args: &[&dyn std::fmt::Display]) -> String {
                let mut out = self.get(lang).to_string();
                for (i, a) in args.iter().enumerate() {
                    out = out.replace(&format!("{{{i}}}"), &a.to_string());
                }
                out
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
    ColCode = "统一社会信用代码", "USCC";
    ColWarning = "风险预警", "Risk warning";
    ColDeadline = "整改期限", "Deadline";
    ColFlagged = "严重违法", "Flagged";
    ColShare = "占比", "Share";
    ColUntil = "资格到期", "Qualified until";
    Days = "{0}天", "{0}d";
    SuperviseTitle = "监管", "Supervision";
    TabMeasures = "措施", "Measures";
    TabWarnings = "预警", "Warnings";
    TabSerious = "1%规则", "1% rule";
    TabLapsing = "资格到期", "Lapsing";
    NoMeasures = "没有执行中的监管措施", "No measures in force";
    NoWarnings = "没有待处理的风险预警", "No open risk warnings";
    NoSerious = "没有超过1%使用单位严重违法的直连单位", "No unit has more than 1% of its user units flagged";
    NoLapsing = "没有即将到期且未申请延续的资格", "No qualification lapsing without an extension";
    NotOnThisTab = "此操作不适用于本标签", "Not on this tab";
    NoSuperviseRole = "你没有监管职责", "You do not have the supervise role";
    UnitsCount = "{0} 个直连单位", "{0} direct-connect units";
    Proposed = "建议", "proposed";
    WithDeadline = "有整改期限", "with a deadline";
    ChooseMeasure = "对 {0} 采取的措施", "Measure on {0}";
    BadDate = "日期应为 YYYY-MM-DD", "Use YYYY-MM-DD";
    BadLimit = "并发上限应为正整数", "The limit is a positive number";
    UntilPast = "延续期须在今天之后", "The extension must end after today";
    MeasureLabel = "监管措施", "Measure";
    DeadlineLine = "整改期限 {0}", "deadline {0}";
    LimitLine = "并发上限 {0}", "concurrency limit {0}";
    ImposeHeading = "采取“{0}”", "Impose {0}";
    LiftHeading = "解除措施：填写整改核实情况", "Lift: how the unit rectified";
    EscalateHeading = "逾期未整改，终止接入服务", "Unrectified: terminate access";
    EscalateWarning = "预警 #{0} 转为监管措施？", "Escalate warning #{0} to a measure?";
    RaiseWarningTitle = "发出风险预警：填写发现的问题", "Raise a risk warning: the finding";
    EndsBindings = "· 解除 {0} 个使用单位的绑定", "· unbind {0} user units";
    ExtendsTo = "资格延续至 {0}", "qualification extended to {0}";
    ImposedBy = "{0} 于 {1} 采取", "imposed by {0} on {1}";
    RaisedBy = "{0} 于 {1} 发出", "raised by {0} on {1}";
    FeedbackLine = "单位反馈（{0}）：{1}", "unit's feedback ({0}): {1}";
    NoFeedback = "单位尚未反馈", "no feedback from the unit yet";
    SeriousLine = "绑定使用单位 {0} 个，其中 {1} 个存在虚开发票等严重违法行为：超过1%，请决定暂停或终止", "{0} user units bound, {1} flagged for serious offences: over 1%, suspend or terminate";
    LapsingLine = "资格于 {0} 到期，未申请延续", "qualification ends {0} with no extension asked";
    LapsingProposal = "建议：限制并发量", "proposed: limit concurrency";
    UntilPrompt = "资格延续至", "Extend to";
    DeadlinePrompt = "整改期限（默认一个月，最迟 {0}）", "Deadline (a month by default, {0} at the latest)";
    LimitPrompt = "并发上限", "Concurrency limit";
    HintSupervise = "监管", "supervise";
    HintImpose = "措施", "impose";
    HintLift = "解除", "lift";
    HintEscalate = "升级", "escalate";
    HintFeedback = "反馈", "feedback";
    HintCloseWarning = "关闭预警", "close";
    HintTerminate = "终止接入", "terminate";
    SupervisionHint = "单位将看到此内容，并留存于审计记录", "The unit reads this; it is kept in the audit trail";
    ColChecks = "校验", "Checks";
    ColHandler = "上一办理人", "Last handler";
    ColBound = "未解绑", "Bound";
    Empty = "此队列没有待办事项", "Nothing in this queue";
    NoSelection = "未选择申请", "No application selected";
    TabOverview = "概况", "Overview";
    TabQualify = "资质", "Qualif.";
    TabUsers = "使用单位", "Users";
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
    SkippedHeldCount = "跳过", "skipped";
    HintPass = "通过", "pass";
    HintClose = "关闭", "close";
    HintReject = "不通过", "reject";
    HintUnbindSelected = "解除选中", "unbind selected";
    HintTab = "标签", "tab";
    HintSelect = "选中", "select";
    HintJump = "编号", "number";
    HintUnit = "单位", "unit";
    HintBatches = "批次", "batches";
    HintFind = "查单位", "find unit";
    FindUnitPrompt = "查找直连单位（代码或名称）", "Find direct-connect unit (code or name)";
    HandledElsewhere = "已被处理", "handled";
    Rows = "个", "rows";
    NoBindings = "没有有效的绑定关系", "No active bindings";
    ColId = "编号", "Id";
    ColSince = "绑定日期", "Since";
    ColInvitation = "邀请", "Inv.";
    ColItem = "编号", "Item";
    ColResult = "结果", "Result";
    ColDetail = "说明", "Detail";
    FailuresOnlyShown = " · 仅显示失败项", " · failures only";
    RunningEscCancels = " · 处理中（Esc 取消）", " · running (Esc cancels)";
    StillBoundCount = "未解绑使用单位 {0} 个", "user units still bound: {0}";
    MoreBound = "另有 {0} 个，按 {1} 查看全部绑定", "{0} more: {1} shows every binding";
    PressAnyKey = "按任意键关闭", "Press any key";
    Items = "项", "items";
    TemplatesKeys = "{0}（{1}）", "{0} ({1})";
    CancelKeepsDraft = "取消（保留草稿）", "cancel (keeps the draft)";
    Submit = "提交", "submit";
    NewLine = "换行", "new line";
    BatchPass = "批量通过", "Pass in batch";
    BatchReject = "批量不通过", "Reject in batch";
    BatchUnbind = "批量解除绑定", "Unbind in batch";
    BatchImpose = "批量采取“{0}”", "Impose {0} in batch";
    BatchLift = "批量解除监管措施", "Lift measures in batch";
    BatchEscalate = "批量升级为终止接入服务", "Escalate to termination in batch";
    BatchTitle = "{0} {1} 项？", "{0}: {1} items?";
    Asked = "{0}？", "{0}?";
    Crashed = "内部错误，已记入日志，请重试或报告：{0}", "Internal error, logged; try again or report it: {0}";
    BatchEachChecked = "每项单独校验权限、职责分离和版本；不能办理的跳过并列出原因。", "Each item is checked on its own; those that cannot be decided are skipped with the reason.";
    Cancelling = "正在取消：当前批次块完成后停止", "Cancelling after the chunk in flight";
    BatchStopped = "批次已停止：{0} 项未处理，按 {1} 继续", "Batch stopped: {0} pending, {1} resumes";
    NoBatches = "没有批量处理记录", "No batches yet";
    NoSuchUnit = "没有找到这个直连单位", "No such direct-connect unit";
    Exported = "已导出 CSV", "CSV exported";
    UnitsMatch = "找到 {0} 个直连单位，请选择", "{0} direct-connect units match: choose one";
    UnitsMatchMore = "符合的直连单位超过 {0} 个，仅列前 {0} 个：多输入几个字可缩小范围", "more than {0} units match, the first {0} shown: type more to narrow";
    NotANumber = "请输入申请编号（数字）", "Type an application number";
    JumpPrompt = "打开申请编号", "Open application number";
    Overdue = "逾期", "overdue";
    Pinned = "按编号打开", "opened by number";
    Previous = "前次申请 #{0}（{1}）", "filed again after #{0} ({1})";
    Siblings = "同一单位另有 {0} 件在办：{1}", "{0} more of this unit in the flow: {1}";
    RefiledAs = "此后重新申请：{0}", "filed again as {0}";
    WorkTitle = "我的工作", "My work";
    IsDirect = "直连单位", "direct-connect";
    NotDirect = "非直连单位", "not direct-connect";
    ColBatch = "批次", "Batch";
    ColTime = "时间", "Time";
    ColCounts = "成功/失败/未处理", "done/failed/left";
    TabBatches = "批次", "Batches";
    TabToday = "今日办理", "Today";
    NoBatchesYet = "还没有批次", "No batches yet";
    NothingToday = "今天还没有办理", "No decisions today";
    UnitApps = "全部申请", "All applications";
    BoundCounts = "作为直连单位绑定 {0} 个使用单位；作为使用单位绑定 {1} 个直连单位", "bound to it as a direct-connect unit: {0}; bound as a user unit to: {1}";
    UnbindUnit = "直连单位：{0}", "Direct-connect unit: {0}";
    UnbindWhat = "解除 {0} 个使用单位的绑定，并终止其经该单位获得的能力授权。", "Unbind {0} user units and end their authorisations through this unit.";
    ExitStillBound = "仍有 {0} 个使用单位未解除绑定，退出申请不能通过。按 {1} 查看并解除绑定。", "user units still bound: {0}; the exit cannot pass. Press {1} to see and unbind them.";
    ExitCancels = "· 取消已订阅能力 {0} 项、能力授权 {1} 项", "· cancel {0} subscribed capabilities and {1} authorisations";
    ExitStops = "· 审批中的邀请和能力订阅 {0} 件置为不成功", "· set {0} in-flight invitations and subscriptions unsuccessful";
    ExitNoLonger = "· 该单位不再是直连单位", "· the unit is no longer direct-connect";
    ListSep = "、", ", ";
    Colon = "：", ": ";
    ColStep = "状态变化", "Step";
    KindUnbind = "解绑", "unbind";
    KindUnit = "单位", "unit";
    KindMeasure = "措施", "measure";
    MarkObsolete = "〔已失效〕", "[moot] ";
    MarkSiblings = "〔+{0}〕", "[+{0}] ";
    MarkHeld = "〔{0}〕", "[{0}] ";
    MarkMine = "〔我〕", "[me] ";
    Held = "正在处理", "Being handled";
    HeldBy = "正在处理：{0} · 还剩 {1} 分", "Held by {0}, {1} min left";
    HeldMine = "由您领取 · 还剩 {0} 分", "Yours, {0} min left";
    HeldHint = "按 {0} 接手（须说明理由）", "Press {0} to take over (with a reason)";
    NotHeld = "无人领取：可直接办理", "Nobody holds it: decide it directly";
    ClaimedNow = "已领取 #{0}，至 {1}", "Claimed #{0} until {1}";
    ReleasedNow = "已放弃领取 #{0}", "Released #{0}";
    TakenNow = "已接手 #{0}", "Took over #{0}";
    BatchHeldSkipped = "{0} 项他人正在处理，批处理将跳过", "{0} held by others: the batch skips them";
    TakeOverTitle = "接手 #{0}（{1} 正在处理）", "Take over #{0} (held by {1})";
    TakeOverHint = "理由记入审计，原处理人会立即看到", "The reason is audited and shown to the holder at once";
    TakenOver = "您的领取被接手", "Your claim was taken over";
    TakenOverLine = "{0} 接手了申请 #{1}：{2}", "{0} took over application #{1}: {2}";
    ClaimLost = "申请 #{0} 的领取已结束（到期或已办理）", "Your claim on #{0} has ended (lapsed or decided)";
    AlsoHere = "同队列：{0}", "Also here: {0}";
    AlsoHereMany = "同队列 {0} 人", "{0} also here";
    MarkDuties = "〔职责分离〕", "[not yours] ";
    OtherKeysClose = "其他键关闭", "any other key closes";
    KindStep = "{0} {1}：{2} → {3}（{4}）", "{0} {1}: {2} -> {3} ({4})";
    ChecksFail = "校验未通过 {0} 项（仍由您决定）：", "Checks failing: {0} (the decision is still yours):";
    ActionAsked = "{0}？", "Mark as {0}?";
    HandledBy = "已由 {0} {1} · {2}", "{1} by {0} · {2}";
    NothingSelected = "没有选中申请", "No application selected";
    NoQueues = "您的角色没有审批队列", "Your roles have no approval queue";
    NoQueuesWhy = "审批队列按层级和角色（受理、复核、确认）分派；您的角色是：{0}。", "Queues go by level and role (accept, review, confirm); your roles: {0}.";
    NoQueuesCan = "在这里可以：", "What you can do here:";
    Unstaffed = "无人可办的环节", "Stages no one can act on";
    UnstaffedLine = "{0} · {1} · {2}：没有在岗的“{3}”人员，{4} 件待办", "{0} · {1} · {2}: no active officer with the {3} role, {4} waiting";
    BatchLeft = "批次 {0} 尚有 {1} 项未处理：按 B 查看并继续", "Batch {0} has {1} items left: press B to see and resume it";
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

    #[test]
    fn both_languages_take_the_same_arguments() {
        let holes = |s: &str| -> Vec<usize> {
            (0..10)
                .filter(|i| s.contains(&format!("{{{i}}}")))
                .collect()
        };
        for m in Msg::ALL {
            assert_eq!(holes(m.get(Lang::Zh)), holes(m.get(Lang::En)), "{m:?}");
        }
        assert_eq!(
            Msg::BatchTitle.fill(Lang::En, &[&"Pass in batch", &3]),
            "Pass in batch: 3 items?"
        );
    }
}
