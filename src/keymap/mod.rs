//! Keymaps: TOML files that bind keys (or key sequences) to named actions,
//! per mode. Shipped maps are embedded; a user file merges per key and
//! `no_op` unbinds. Help and footer hints are generated from the merged map.

mod keys;

pub use keys::{KeyChord, parse_sequence, show_sequence};

use crate::i18n::Lang;
use crossterm::event::KeyEvent;
use std::collections::BTreeMap;

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
pub const VIM: &str = include_str!("../../keymaps/vim.toml");

macro_rules! actions {
    ($($name:ident = $code:literal, $zh:literal, $en:literal;)+) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum KeyAction { $($name),+ }
        impl KeyAction {
            pub const ALL: &'static [KeyAction] = &[$(KeyAction::$name),+];
            pub fn code(self) -> &'static str { match self { $(KeyAction::$name => $code),+ } }
            pub fn describe(self, lang: Lang) -> &'static str {
                match (self, lang) { $((KeyAction::$name, Lang::Zh) => $zh, (KeyAction::$name, Lang::En) => $en,)+ }
            }
            pub fn parse(s: &str) -> Option<KeyAction> {
                KeyAction::ALL.iter().copied().find(|a| a.code() == s)
            }
        }
    };
}

actions! {
    NoOp = "no_op", "（不做任何事）", "(nothing)";
    Quit = "quit", "退出", "quit";
    Help = "help", "帮助", "help";
    Refresh = "refresh", "刷新", "refresh";
    NextPane = "next_pane", "切换窗格", "next pane";
    PrevPane = "prev_pane", "上一窗格", "previous pane";
    MoveUp = "move_up", "上移", "up";
    MoveDown = "move_down", "下移", "down";
    PageUp = "page_up", "上一页", "page up";
    PageDown = "page_down", "下一页", "page down";
    Top = "top", "到开头", "first";
    Bottom = "bottom", "到末尾", "last";
    Open = "open", "打开", "open";
    Back = "back", "返回", "back";
    Filter = "filter", "筛选名称或代码", "filter by name or code";
    Sort = "sort", "切换排序", "change sort";
    Pass = "pass", "通过本环节（受理/复核通过/确认通过）", "pass this stage";
    Reject = "reject", "不通过（填写理由）", "reject (with reason)";
    NextTab = "next_tab", "下一标签", "next tab";
    PrevTab = "prev_tab", "上一标签", "previous tab";
    MarkPaper = "mark_paper", "登记纸质材料已收", "paper copy received";
    ToggleSelect = "toggle_select", "选中/取消", "select / unselect";
    SelectRange = "select_range", "选中到此（范围）", "select range to here";
    SelectAll = "select_all", "选中全部符合筛选的", "select all matching";
    ClearSelection = "clear_selection", "清除选择", "clear selection";
    Bindings = "bindings", "查看绑定关系", "bindings of the unit";
    FindUnit = "find_unit", "按代码或名称查找直连单位的绑定关系", "find a direct-connect unit's bindings";
    UnbindAll = "unbind_all", "全部解除绑定", "unbind all";
    Batches = "batches", "批量处理记录与今日办理", "batches and today's decisions";
    Submit = "submit", "提交", "submit";
    Cancel = "cancel", "取消", "cancel";
    Confirm = "confirm", "确认", "confirm";
    NextTemplate = "next_template", "下一个理由模板", "next reason template";
    PrevTemplate = "prev_template", "上一个理由模板", "previous reason template";
    Undo = "undo", "撤销", "undo";
    Jump = "jump", "按编号打开申请", "open an application by number";
    Unit = "unit", "查看单位全貌（全部申请与绑定）", "the unit whole (applications, bindings)";
    Overdue = "overdue", "只看逾期/看全部", "overdue only / all";
    FailuresOnly = "failures_only", "只看失败", "failures only";
    Export = "export", "导出CSV", "export CSV";
    Resume = "resume", "继续处理未完成项", "run the remaining items";
    Supervise = "supervise", "监管：措施、风险预警、1%规则、资格到期", "supervision: measures, warnings, the 1% rule, lapsing";
    Impose = "impose", "采取监管措施", "impose a measure";
    Terminate = "terminate", "终止接入服务", "terminate access";
    Lift = "lift", "解除措施（已整改）", "lift (rectified)";
    Escalate = "escalate", "升级（措施逾期→终止；预警→措施）", "escalate (measure → termination; warning → measure)";
    Feedback = "feedback", "记录单位反馈", "record the unit's feedback";
    CloseWarning = "close_warning", "关闭预警（已整改）", "close the warning (rectified)";
    RaiseWarning = "raise_warning", "发出风险预警", "raise a risk warning";
    Claim = "claim", "领取/放弃领取", "claim / release";
    TakeOver = "take_over", "接手他人领取的申请（须说明理由）", "take over (with a reason)";
}

/// Input modes: each has its own bindings; `global` applies in all but the
/// text-entry modes.
pub const MODES: &[&str] = &[
    "global",
    "normal",
    "reason",
    "confirm",
    "notice",
    "help",
    "filter",
    "results",
    "bindings",
    "unit",
    "work",
    "choose",
    "supervise",
];

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    /// mode -> key sequence -> action
    pub modes: BTreeMap<String, BTreeMap<Vec<KeyChord>, KeyAction>>,
}

/// A problem in a keymap file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for KeymapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: “{}”：{}",
            self.file, self.line, self.key, self.problem
        )
    }
}

fn line_of(text: &str, mode: &str, key: &str) -> usize {
    let mut in_mode = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_mode = t.trim_matches(|c| c == '[' || c == ']').trim() == mode;
            continue;
        }
        if in_mode {
            let k = t
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .trim_matches('\'');
            if k == key {
                return i + 1;
            }
        }
    }
    1
}

/// A file that is not TOML: where, and for a key given twice, the second.
fn syntax_error(text: &str, file: &str, e: &toml::de::Error) -> KeymapError {
    let mut line = e
        .span()
        .map(|s| text.get(..s.start).unwrap_or(text).lines().count().max(1))
        .unwrap_or(1);
    let mut key = String::new();
    // TOML points a duplicate at the first binding; the second is the mistake.
    if let Some(dup) = e
        .message()
        .strip_prefix("duplicate key `")
        .and_then(|r| r.split('`').next())
    {
        key = dup.to_string();
        let lines: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                l.split('=')
                    .next()
                    .map(|k| k.trim().trim_matches('"').trim_matches('\''))
                    == Some(dup)
            })
            .map(|(i, _)| i + 1)
            .collect();
        if let Some(&second) = lines.get(1) {
            line = second;
        }
    }
    KeymapError {
        file: file.into(),
        line,
        key,
        problem: e.message().to_string(),
    }
}

impl Keymap {
    /// Parses a keymap file. Errors name the file, line and key.
    pub fn parse(text: &str, file: &str) -> Result<Keymap, KeymapError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
        let mut km = Keymap::default();
        for (mode, bindings) in table {
            let err = |key: &str, problem: String| KeymapError {
                file: file.into(),
                line: line_of(text, &mode, key),
                key: key.into(),
                problem,
            };
            if !MODES.contains(&mode.as_str()) {
                return Err(KeymapError {
                    file: file.into(),
                    line: 1,
                    key: mode.clone(),
                    problem: format!("未知的模式，应为 {} (unknown mode)", MODES.join(", ")),
                });
            }
            let toml::Value::Table(bindings) = bindings else {
                return Err(err(&mode, "应为一个表 (expected a table)".into()));
            };
            let map = km.modes.entry(mode.clone()).or_default();
            // In file order, so that a duplicate is reported where it stands.
            let mut bindings: Vec<(String, toml::Value)> = bindings.into_iter().collect();
            bindings.sort_by_key(|(k, _)| line_of(text, &mode, k));
            for (key, action) in bindings {
                let toml::Value::String(name) = action else {
                    return Err(err(
                        &key,
                        "动作应为字符串 (the action must be a string)".into(),
                    ));
                };
                let action = KeyAction::parse(&name)
                    .ok_or_else(|| err(&key, format!("未知的动作“{name}” (unknown action)")))?;
                let seq = parse_sequence(&key).map_err(|p| err(&key, p))?;
                if map.insert(seq.clone(), action).is_some() {
                    return Err(err(
                        &key,
                        format!(
                            "同一模式中重复绑定（与“{}”相同） (key bound twice in one mode)",
                            show_sequence(&seq)
                        ),
                    ));
                }
            }
        }
        Ok(km)
    }

    /// A shipped keymap by name.
    pub fn builtin(name: &str) -> Option<Keymap> {
        match name {
            "default" => Keymap::parse(DEFAULT, "keymaps/default.toml").ok(),
            "vim" => Keymap::parse(VIM, "keymaps/vim.toml").ok(),
            _ => None,
        }
    }

    /// Merges another map over this one, per mode and key; `no_op` unbinds.
    pub fn merge(&mut self, other: &Keymap) {
        for (mode, binds) in &other.modes {
            let m = self.modes.entry(mode.clone()).or_default();
            for (k, a) in binds {
                if *a == KeyAction::NoOp {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), *a);
                }
            }
        }
    }

    /// The bindings of a mode, with `global` under it unless the mode takes
    /// text.
    pub fn bindings(&self, mode: &str) -> Vec<(Vec<KeyChord>, KeyAction)> {
        let mut out: Vec<(Vec<KeyChord>, KeyAction)> = self
            .modes
            .get(mode)
            .map(|m| m.iter().map(|(k, a)| (k.clone(), *a)).collect())
            .unwrap_or_default();
        if !matches!(mode, "reason" | "filter") {
            for (k, a) in self.modes.get("global").into_iter().flatten() {
                if !out.iter().any(|(x, _)| x == k) {
                    out.push((k.clone(), *a));
                }
            }
        }
        out
    }

    /// The keys bound to an action in a mode, for hints.
    pub fn keys_for(&self, mode: &str, action: KeyAction) -> Vec<String> {
        self.bindings(mode)
            .into_iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| show_sequence(&k))
            .collect()
    }
}

/// Resolves key presses to actions, holding a pending prefix for
/// multi-key sequences (an explicit state, not a timer).
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    pub pending: Vec<KeyChord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Action(KeyAction),
    /// A prefix of a longer sequence: wait for the next key.
    Pending,
    /// Not bound: text-entry modes take it as input.
    Unbound(KeyEvent),
}

impl Resolver {
    pub fn feed(&mut self, km: &Keymap, mode: &str, ev: KeyEvent) -> Resolved {
        let chord = KeyChord::from(ev);
        self.pending.push(chord);
        let binds = km.bindings(mode);
        if let Some((_, a)) = binds.iter().find(|(k, _)| *k == self.pending) {
            self.pending.clear();
            return Resolved::Action(*a);
        }
        if binds
            .iter()
            .any(|(k, _)| k.len() > self.pending.len() && k.starts_with(&self.pending))
        {
            return Resolved::Pending;
        }
        // A dead prefix: try the last key alone.
        let had_prefix = self.pending.len() > 1;
        self.pending.clear();
        if had_prefix {
            return self.feed(km, mode, ev);
        }
        Resolved::Unbound(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn every_shipped_keymap_parses_and_binds_the_essentials() {
        for (name, text) in [("default", DEFAULT), ("vim", VIM)] {
            let km = Keymap::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            for (mode, action) in [
                ("normal", KeyAction::Pass),
                ("normal", KeyAction::Reject),
                ("normal", KeyAction::Help),
                ("normal", KeyAction::Quit),
                ("reason", KeyAction::Submit),
                ("reason", KeyAction::Cancel),
                ("confirm", KeyAction::Confirm),
                ("normal", KeyAction::Filter),
                ("normal", KeyAction::ToggleSelect),
            ] {
                assert!(
                    !km.keys_for(mode, action).is_empty(),
                    "{name}: {mode} {action:?}"
                );
            }
        }
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = Keymap::parse("[normal]\nj = \"move_down\"\nx = \"fly\"\n", "my.toml").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "x"));
        assert!(e.to_string().starts_with("my.toml:3:"), "{e}");
        let e = Keymap::parse("[normal]\n\"ctrl-q-q\" = \"quit\"\n", "k.toml").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "ctrl-q-q"));
        let e = Keymap::parse(
            "[normal]\n\"ctrl-s\" = \"quit\"\n\"C-s\" = \"help\"\n",
            "k.toml",
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = Keymap::parse("[normal]\nj = \"quit\"\nj = \"help\"\n", "k.toml").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(Keymap::parse("[nowhere]\nj = \"quit\"\n", "k.toml").is_err());
    }

    #[test]
    fn a_user_map_overrides_per_key_and_no_op_unbinds() {
        let mut km = Keymap::builtin("default").unwrap();
        let user = Keymap::parse("[normal]\nx = \"pass\"\na = \"no_op\"\n", "user.toml").unwrap();
        km.merge(&user);
        let mut r = Resolver::default();
        assert_eq!(
            r.feed(&km, "normal", key('x')),
            Resolved::Action(KeyAction::Pass)
        );
        assert_eq!(r.feed(&km, "normal", key('a')), Resolved::Unbound(key('a')));
        assert_eq!(
            r.feed(&km, "normal", key('r')),
            Resolved::Action(KeyAction::Reject),
            "others kept"
        );
    }

    #[test]
    fn sequences_wait_for_their_next_key() {
        let km = Keymap::builtin("vim").unwrap();
        let mut r = Resolver::default();
        assert_eq!(r.feed(&km, "normal", key('g')), Resolved::Pending);
        assert_eq!(
            r.feed(&km, "normal", key('g')),
            Resolved::Action(KeyAction::Top)
        );
        assert_eq!(r.feed(&km, "normal", key('g')), Resolved::Pending);
        assert_eq!(
            r.feed(&km, "normal", key('j')),
            Resolved::Action(KeyAction::MoveDown),
            "a dead prefix falls back to the last key"
        );
    }
}
