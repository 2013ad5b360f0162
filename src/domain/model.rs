//! The vocabulary: kinds, states, stages, roles, with their stored codes and
//! their Chinese and English names.

use serde::{Deserialize, Serialize};

/// Defines a closed set of values that are stored as a short code and shown
/// as a Chinese or English label.
macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The code stored in the database and used on the command line.
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            pub fn en(self) -> &'static str { match self { $($name::$v => $en),+ } }
            pub fn label(self, zh: bool) -> &'static str { if zh { self.zh() } else { self.en() } }
            /// Accepts the code, the Chinese name or the English name.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| {
                    v.code() == s || v.zh() == s || v.en().eq_ignore_ascii_case(s)
                        || v.code().replace('_', "-") == s
                })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }
    };
}

coded!(Level {
    County = "county", "县级", "county";
    Province = "province", "省级", "provincial";
});

coded!(Role {
    Accept = "accept", "受理", "accept";
    Review = "review", "复核", "review";
    Confirm = "confirm", "确认", "confirm";
    Supervise = "supervise", "监管", "supervise";
    Admin = "admin", "管理", "admin";
});

coded!(
    /// The kinds of application an officer handles.
    Kind {
    Access = "access", "接入", "access";
    Invitation = "invitation", "邀请", "invitation";
    Exit = "exit", "退出", "exit";
    Subscription = "subscription", "订阅", "subscription";
    Extension = "extension", "延续", "extension";
});

impl Kind {
    /// A label for a narrow column: the Chinese name, or an English word
    /// of at most six letters.
    pub fn short(self, zh: bool) -> &'static str {
        match (self, zh) {
            (_, true) => self.zh(),
            (Kind::Access, false) => "access",
            (Kind::Invitation, false) => "invite",
            (Kind::Exit, false) => "exit",
            (Kind::Subscription, false) => "subscr",
            (Kind::Extension, false) => "extend",
        }
    }

    /// The kind's full name in either language.
    pub fn full(self, zh: bool) -> &'static str {
        match (self, zh) {
            (_, true) => self.full_zh(),
            (Kind::Access, false) => "direct-connection access application",
            (Kind::Invitation, false) => "user unit invitation",
            (Kind::Exit, false) => "direct-connect unit exit application",
            (Kind::Subscription, false) => "capability subscription",
            (Kind::Extension, false) => "qualification extension",
        }
    }

    pub fn full_zh(self) -> &'static str {
        match self {
            Kind::Access => "乐企直连接入申请",
            Kind::Invitation => "使用单位接入邀请",
            Kind::Exit => "直连单位退出申请",
            Kind::Subscription => "能力订阅申请",
            Kind::Extension => "资格延续申请",
        }
    }
}

coded!(
    /// Every state an application can be in; the Chinese names are the
    /// platform's status names.
    State {
    Draft = "draft", "草稿", "draft";
    AwaitingUnit = "awaiting_unit", "待使用单位响应", "awaiting user unit";
    Declined = "declined", "已拒绝", "declined";
    PendingAcceptance = "pending_acceptance", "待受理", "pending acceptance";
    NotAccepted = "not_accepted", "不予受理", "not accepted";
    PendingReview = "pending_review", "待复核", "pending review";
    ReviewRejected = "review_rejected", "复核不通过", "review rejected";
    PendingConfirmation = "pending_confirmation", "待确认", "pending confirmation";
    Confirmed = "confirmed", "确认通过", "confirmed";
    ConfirmRejected = "confirm_rejected", "确认不通过", "confirmation rejected";
    Unsuccessful = "unsuccessful", "不成功", "unsuccessful";
});

impl State {
    /// Still moving through the approval flow (an exit cascade stops these).
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            State::AwaitingUnit
                | State::PendingAcceptance
                | State::PendingReview
                | State::PendingConfirmation
        )
    }
}

coded!(
    /// The officer stages: each is a queue.
    Stage {
    Acceptance = "acceptance", "待受理", "pending-acceptance";
    Review = "review", "待复核", "pending-review";
    Confirmation = "confirmation", "待确认", "pending-confirmation";
});

impl Stage {
    /// A label for the navigator and titles: the queue's Chinese name, or
    /// a short English one.
    pub fn short(self, zh: bool) -> &'static str {
        match (self, zh) {
            (_, true) => self.zh(),
            (Stage::Acceptance, false) => "To accept",
            (Stage::Review, false) => "To review",
            (Stage::Confirmation, false) => "To confirm",
        }
    }

    pub fn state(self) -> State {
        match self {
            Stage::Acceptance => State::PendingAcceptance,
            Stage::Review => State::PendingReview,
            Stage::Confirmation => State::PendingConfirmation,
        }
    }
    pub fn of_state(s: State) -> Option<Stage> {
        Stage::ALL.iter().copied().find(|st| st.state() == s)
    }
}

coded!(Decision {
    Pass = "pass", "通过", "pass";
    Reject = "reject", "不通过", "reject";
});

coded!(
    /// What an audit event records.
    Action {
    Accept = "accept", "受理", "accepted";
    NotAccept = "not_accept", "不予受理", "not accepted";
    ReviewPass = "review_pass", "复核通过", "review passed";
    ReviewReject = "review_reject", "复核不通过", "review rejected";
    ConfirmPass = "confirm_pass", "确认通过", "confirmed";
    ConfirmReject = "confirm_reject", "确认不通过", "confirmation rejected";
    SetUnsuccessful = "set_unsuccessful", "置不成功", "set unsuccessful";
    Unbind = "unbind", "解除绑定", "unbound";
    Bind = "bind", "建立绑定", "bound";
    ExitCascade = "exit_cascade", "退出注销", "exit cascade";
    PaperReceived = "paper_received", "纸质材料已收", "paper received";
    Submit = "submit", "提交", "submitted";
    AdminApply = "admin_apply", "部署变更", "deployment applied";
    Decline = "decline", "使用单位拒绝", "declined by the user unit";
    OfficerAdd = "officer_add", "新增税务人员", "officer added";
    OfficerDisable = "officer_disable", "停用税务人员", "officer disabled";
    MeasureImpose = "measure_impose", "采取监管措施", "measure imposed";
    MeasureLift = "measure_lift", "解除监管措施", "measure lifted";
    MeasureEscalate = "measure_escalate", "措施升级为终止", "measure escalated";
    WarningRaise = "warning_raise", "发出风险预警", "risk warning raised";
    WarningFeedback = "warning_feedback", "记录预警反馈", "warning feedback recorded";
    WarningClose = "warning_close", "关闭风险预警", "warning closed";
    WarningEscalate = "warning_escalate", "预警转为措施", "warning escalated";
    Claim = "claim", "领取", "claimed";
    TakeOver = "take_over", "接手", "taken over";
    Release = "release", "放弃领取", "claim released";
    ClaimLapse = "claim_lapse", "领取到期", "claim lapsed";
});

coded!(
    /// The measures of the service agreement on a direct-connect unit.
    MeasureKind {
    Reminder = "reminder", "提醒", "reminder";
    Interview = "interview", "约谈", "interview";
    SuspendInvitations = "suspend_invitations", "暂停新增使用单位", "suspend new user units";
    SuspendCapabilities = "suspend_capabilities", "暂停使用乐企能力", "suspend capabilities";
    LimitConcurrency = "limit_concurrency", "限制并发量", "limit concurrency";
    SuspendAccess = "suspend_access", "暂停接入服务", "suspend access";
    Terminate = "terminate", "终止接入服务", "terminate access";
});

coded!(
    /// Where a measure stands: recorded (a reminder, an interview), in
    /// force, lifted (rectified), or escalated to termination.
    MeasureState {
    Recorded = "recorded", "已记录", "recorded";
    InForce = "in_force", "执行中", "in force";
    Lifted = "lifted", "已解除", "lifted";
    Escalated = "escalated", "已升级为终止", "escalated";
});

coded!(
    /// Where a risk warning stands.
    WarningState {
    Open = "open", "待整改", "open";
    Answered = "answered", "已反馈", "answered";
    Closed = "closed", "已关闭", "closed";
    Escalated = "escalated", "已转为措施", "escalated";
});

coded!(
    /// How a user unit is related to its direct-connect unit.
    Relation {
    Branch = "branch", "总分公司关系", "head office / branch";
    Subsidiary = "subsidiary", "母子公司关系", "parent / subsidiary";
    Control = "control", "其他控制关系", "other control";
    SameRegulator = "same_regulator", "同一监管部门", "same regulator";
});

coded!(MaterialKind {
    InfoForm = "info_form", "接入信息表", "access information form";
    Agreement = "agreement", "协议书", "service agreement";
    Copyright = "copyright", "软件著作权证书", "software copyright";
    NoCopyright = "no_copyright", "无著作权情况说明", "no-copyright statement";
    UseRight = "use_right", "授权使用证明", "use-right proof";
    ProjectReport = "project_report", "项目报告", "project report";
    PowerOfAttorney = "power_of_attorney", "授权委托书", "power of attorney";
    NetworkFiling = "network_filing", "网络地址备案表", "network address filing";
    RelationProof = "relation_proof", "关系证明", "relation proof";
    ExitForm = "exit_form", "直连单位退出申请表", "exit application form";
    FixedIp = "fixed_ip", "固定IP专属使用证明", "fixed IP proof";
    Other = "other", "其他材料", "other";
});

coded!(RequestType {
    Connect = "connect", "接入", "connect";
    Change = "change", "变更", "change";
    Terminate = "terminate", "终止", "terminate";
});

/// A tax officer as the workflow sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub login: String,
    pub name: String,
    pub bureau_id: String,
    pub bureau_name: String,
    pub level: Level,
    /// The province the bureau belongs to (itself for a provincial bureau).
    pub province_id: String,
    pub roles: Vec<Role>,
    /// A disabled officer keeps their history and acts no more.
    pub active: bool,
}

impl Officer {
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
}

/// The facts about a unit that the eligibility checks read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitFacts {
    pub uscc: String,
    pub name: String,
    /// Ratings of the last years, oldest first, e.g. "BAA".
    pub credit: String,
    pub pilot: bool,
    pub violation: bool,
    pub livelihood: bool,
    pub revenue_wan: i64,
    pub invoices_issued: i64,
    pub invoices_received: i64,
    pub invoice_amount_wan: i64,
    pub can_supply_data: bool,
    pub risk_warning: bool,
    pub direct_connect: bool,
    pub exiting: bool,
    pub barred_from_adding: bool,
    /// Non-independent branches are exempt from credit rating.
    pub independent: bool,
    /// Holds the special-industry qualification non-public capabilities
    /// need.
    pub special_industry: bool,
    /// Flagged by monitoring for a serious offence (the 1% rule).
    pub serious_offence: bool,
}

/// The applicant's form: what an application holds beyond its unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Form {
    #[serde(default)]
    pub access_type: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub legal_rep: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub authorised_uscc: Option<String>,
    #[serde(default)]
    pub authorised_name: Option<String>,
    #[serde(default)]
    pub system_name: String,
    #[serde(default)]
    pub request_type: Option<RequestType>,
    #[serde(default)]
    pub long_term: bool,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub user_units: Vec<UserUnitEntry>,
    #[serde(default)]
    pub test_ips: Vec<String>,
    #[serde(default)]
    pub prod_ips: Vec<String>,
    #[serde(default)]
    pub protocol: String,
    #[serde(default)]
    pub port: Option<i64>,
    /// Items 1-12 of the 接入信息表, as filed.
    #[serde(default)]
    pub qualifications: Vec<(String, String)>,
    /// For invitations: the relation the user unit declared.
    #[serde(default)]
    pub relation: Option<Relation>,
    /// For subscriptions: every capability asked for.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// For extensions: the end of the period asked for (YYYY-MM-DD).
    #[serde(default)]
    pub period_end: Option<String>,
    /// For subscriptions: the capability asked for.
    #[serde(default)]
    pub capability: Option<String>,
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUnitEntry {
    pub uscc: String,
    pub name: String,
    pub relation: Relation,
}

/// Revenue and invoice thresholds of one province (configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub revenue_wan: i64,
    pub invoice_count: i64,
    pub invoice_amount_wan: i64,
    /// Factor applied to every threshold for 民生保障 units (e.g. 0.5).
    pub livelihood_factor: f64,
}

/// Thresholds by province: each province sets its own; `default` serves
/// the provinces that set none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdTable {
    pub default: Thresholds,
    pub provinces: std::collections::BTreeMap<String, Thresholds>,
}

impl ThresholdTable {
    pub fn for_province(&self, province: &str) -> &Thresholds {
        self.provinces.get(province).unwrap_or(&self.default)
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            revenue_wan: 50_000,
            invoice_count: 20_000,
            invoice_amount_wan: 30_000,
            livelihood_factor: 0.5,
        }
    }
}
