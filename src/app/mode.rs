//! Input modes: which keymap section reads the next key. The top layer
//! decides: a dialog, else the prompt line, else the screen.

use crate::keymap::KeyAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The queue screen.
    Normal,
    /// The prompt line: a filter typed as it applies, or a search.
    Filter,
    Reason,
    /// A confirmation: yes or no.
    Confirm,
    /// A notice: any key closes it.
    Notice,
    Help,
    Results,
    Bindings,
    Unit,
    Work,
    Choose,
    Supervise,
}

impl Mode {
    pub const ALL: [Mode; 12] = [
        Mode::Normal,
        Mode::Filter,
        Mode::Reason,
        Mode::Confirm,
        Mode::Notice,
        Mode::Help,
        Mode::Results,
        Mode::Bindings,
        Mode::Unit,
        Mode::Work,
        Mode::Choose,
        Mode::Supervise,
    ];

    /// The section of a keymap file.
    pub fn section(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Filter => "filter",
            Mode::Reason => "reason",
            Mode::Confirm => "confirm",
            Mode::Notice => "notice",
            Mode::Help => "help",
            Mode::Results => "results",
            Mode::Bindings => "bindings",
            Mode::Unit => "unit",
            Mode::Work => "work",
            Mode::Choose => "choose",
            Mode::Supervise => "supervise",
        }
    }

    /// Text-entry modes take unbound keys as text and do not inherit the
    /// `global` section.
    pub fn takes_text(self) -> bool {
        matches!(self, Mode::Reason | Mode::Filter)
    }

    /// The keys the footer offers, in order.
    pub fn hints(self) -> &'static [KeyAction] {
        use KeyAction as K;
        match self {
            Mode::Reason => &[K::Submit, K::Cancel, K::NextTemplate],
            Mode::Confirm => &[K::Confirm, K::Cancel],
            Mode::Notice => &[K::Cancel],
            Mode::Help => &[K::Cancel],
            Mode::Filter => &[K::Submit, K::Cancel],
            Mode::Bindings => &[
                K::ToggleSelect,
                K::SelectAll,
                K::Reject,
                K::UnbindAll,
                K::Filter,
                K::Back,
                K::Help,
            ],
            Mode::Results => &[K::FailuresOnly, K::Export, K::Resume, K::Back, K::Help],
            Mode::Unit => &[K::Open, K::Bindings, K::Back, K::Help],
            Mode::Work => &[K::Open, K::NextTab, K::Refresh, K::Back, K::Help],
            Mode::Choose => &[K::Open, K::Cancel],
            Mode::Supervise => &[
                K::Impose,
                K::Lift,
                K::Escalate,
                K::Feedback,
                K::CloseWarning,
                K::NextTab,
                K::Open,
                K::Back,
                K::Help,
            ],
            Mode::Normal => &[
                K::Pass,
                K::Reject,
                K::Claim,
                K::Filter,
                K::ToggleSelect,
                K::NextTab,
                K::Jump,
                K::Unit,
                K::Supervise,
                K::Quit,
                K::Help,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_has_its_keymap_section() {
        let mut sections: Vec<&str> = Mode::ALL.iter().map(|m| m.section()).collect();
        sections.push("global");
        sections.sort();
        let mut known = crate::keymap::MODES.to_vec();
        known.sort();
        assert_eq!(sections, known);
    }
}
