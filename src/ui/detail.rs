//! The detail pane: one application in tabs.

use super::{Theme, safe};
use crate::app::{App, Focus, Tab};
use crate::domain::checks::Outcome;
use crate::domain::text::inert_lines;
use crate::domain::validate;
use crate::fmt::fit;
use crate::i18n::Msg as L;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs, Wrap};

fn kv<'a>(app: &App, theme: &Theme, label: L, value: String, w: usize) -> Line<'a> {
    Line::from(vec![
        Span::styled(fit(app.t(label), w), theme.dim),
        Span::raw(" "),
        Span::raw(value),
    ])
}

fn code_mark(code: &str, app: &App) -> String {
    match validate::uscc(code) {
        Ok(()) => format!("{} ✓", safe(code)),
        Err(e) => format!(
            "{} ✗ {}",
            safe(code),
            if app.lang.zh() {
                e.to_string().split(" (").next().unwrap_or("").to_string()
            } else {
                e.to_string()
            }
        ),
    }
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let zh = app.lang.zh();
    let border = if app.focus == Focus::Detail {
        theme.border_focus
    } else {
        theme.border
    };
    let title = match &app.detail {
        Some(d) => format!(
            "#{} {} · {} · {} {}",
            d.id,
            d.kind.label(zh),
            d.state.label(zh),
            app.t(L::Version),
            d.version
        ),
        None => app.t(L::NoSelection).to_string(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let titles: Vec<String> = Tab::ALL
        .iter()
        .map(|t| app.t(t.label()).to_string())
        .collect();
    let idx = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(idx)
            .highlight_style(theme.selected)
            .divider("│")
            .padding(" ", " "),
        tabs,
    );
    let Some(d) = &app.detail else {
        let msg = if app.window.selected().is_some() {
            app.t(L::Loading)
        } else {
            app.t(L::NoSelection)
        };
        f.render_widget(Paragraph::new(Span::styled(msg, theme.dim)), body);
        return;
    };
    let lw = if zh { 12 } else { 16 };
    let none = app.t(L::None_).to_string();
    let mut lines: Vec<Line> = Vec::new();
    match app.tab {
        Tab::Overview => {
            let u = &d.unit.facts;
            lines.push(kv(
                app,
                theme,
                L::Unit,
                format!("{}  {}", safe(&u.name), code_mark(&u.uscc, app)),
                lw,
            ));
            lines.push(kv(app, theme, L::Address, safe(&d.unit.address), lw));
            lines.push(kv(app, theme, L::Bureau, safe(&d.county_name), lw));
            lines.push(kv(
                app,
                theme,
                L::State,
                format!(
                    "{} · {} {}",
                    d.state.label(zh),
                    crate::fmt::beijing(d.submitted_at).format("%Y-%m-%d %H:%M"),
                    d.kind.full_zh()
                ),
                lw,
            ));
            match (&d.form.authorised_uscc, &d.form.authorised_name) {
                (Some(c), n) => lines.push(kv(
                    app,
                    theme,
                    L::AuthorisedUnit,
                    format!(
                        "{}  {}",
                        safe(n.as_deref().unwrap_or("")),
                        code_mark(c, app)
                    ),
                    lw,
                )),
                _ => lines.push(kv(app, theme, L::AuthorisedUnit, none.clone(), lw)),
            }
            if !d.form.system_name.is_empty() {
                lines.push(kv(app, theme, L::System, safe(&d.form.system_name), lw));
            }
            if let Some(rt) = d.form.request_type {
                lines.push(kv(
                    app,
                    theme,
                    L::RequestType,
                    format!("{} · {}", rt.label(zh), safe(&d.form.period)),
                    lw,
                ));
            }
            lines.push(kv(
                app,
                theme,
                L::Contact,
                format!(
                    "{} {} {}",
                    safe(&d.form.contact),
                    safe(&d.form.phone),
                    safe(&d.form.email)
                ),
                lw,
            ));
            if !d.form.legal_rep.is_empty() {
                lines.push(kv(app, theme, L::LegalRep, safe(&d.form.legal_rep), lw));
            }
            if !d.form.test_ips.is_empty() || !d.form.prod_ips.is_empty() {
                let ips: Vec<String> = d
                    .form
                    .test_ips
                    .iter()
                    .chain(&d.form.prod_ips)
                    .map(|ip| {
                        if validate::ipv4(ip).is_ok() {
                            safe(ip)
                        } else {
                            format!("{} ✗", safe(ip))
                        }
                    })
                    .collect();
                lines.push(kv(
                    app,
                    theme,
                    L::Network,
                    format!(
                        "{} {}:{}",
                        ips.join(" "),
                        safe(&d.form.protocol),
                        d.form.port.map(|p| p.to_string()).unwrap_or_default()
                    ),
                    lw,
                ));
            }
            if let Some(u) = &d.direct_unit {
                lines.push(kv(
                    app,
                    theme,
                    L::Inviter,
                    format!("{}  {}", safe(&u.facts.name), code_mark(&u.facts.uscc, app)),
                    lw,
                ));
            }
            if let Some(r) = d.form.relation {
                lines.push(kv(app, theme, L::Relation, r.label(zh).to_string(), lw));
            }
            if let Some(c) = &d.form.capability {
                lines.push(kv(app, theme, L::Capability, safe(c), lw));
            }
            if d.kind == crate::domain::Kind::Exit {
                let b = d.bound_user_units;
                let text = if zh {
                    format!("未解绑使用单位 {b} 个")
                } else {
                    format!("{b} user units still bound")
                };
                lines.push(Line::from(Span::styled(
                    format!("{} {text}", if b > 0 { "✗" } else { "✓" }),
                    if b > 0 { theme.bad } else { theme.ok },
                )));
            }
            if !d.form.detail.is_empty() {
                for l in inert_lines(&d.form.detail) {
                    lines.push(Line::from(Span::styled(l, theme.dim)));
                }
            }
        }
        Tab::Qualify => {
            if d.form.qualifications.is_empty() {
                lines.push(Line::from(Span::styled(none.clone(), theme.dim)));
            }
            let qw = if zh { 30 } else { 34 };
            for (k, v) in &d.form.qualifications {
                lines.push(Line::from(vec![
                    Span::styled(fit(&safe(k), qw), theme.dim),
                    Span::raw(" "),
                    Span::raw(if v.is_empty() {
                        "—".to_string()
                    } else {
                        safe(v)
                    }),
                ]));
            }
        }
        Tab::Users => {
            if d.form.user_units.is_empty() {
                let text = match (&d.direct_unit, d.kind) {
                    (Some(u), crate::domain::Kind::Invitation) => {
                        format!("{} → {}", safe(&d.unit.facts.name), safe(&u.facts.name))
                    }
                    _ => app.t(L::NoUserUnits).to_string(),
                };
                lines.push(Line::from(Span::styled(text, theme.dim)));
            }
            for u in &d.form.user_units {
                lines.push(Line::from(vec![
                    Span::raw(fit(&code_mark(&u.uscc, app), 22)),
                    Span::raw(" "),
                    Span::raw(fit(&safe(&u.name), 28)),
                    Span::raw(" "),
                    Span::styled(u.relation.label(zh), theme.dim),
                ]));
            }
        }
        Tab::Materials => {
            for m in app
                .detail
                .as_ref()
                .map(|d| d.missing_materials())
                .unwrap_or_default()
            {
                lines.push(Line::from(Span::styled(
                    format!("✗ {}：{}", app.t(L::Missing), m.label(zh)),
                    theme.bad,
                )));
            }
            for (i, m) in d.materials.iter().enumerate() {
                let mark = if i == app.material { "▶" } else { " " };
                let paper = if m.paper_received {
                    format!("✓{}", app.t(L::PaperReceived))
                } else {
                    format!("·{}", app.t(L::PaperNotReceived))
                };
                let style = if i == app.material {
                    theme.selected
                } else {
                    theme.base
                };
                lines.push(Line::from(Span::styled(
                    format!(
                        "{mark}{} {} {}{} {}… {paper}",
                        fit(m.kind.label(zh), 14),
                        fit(&safe(&m.file_name), 16),
                        m.size,
                        app.t(L::Bytes),
                        &m.sha256[..m.sha256.len().min(12)]
                    ),
                    style,
                )));
            }
            if let Some(m) = d.materials.get(app.material) {
                lines.push(Line::from(Span::styled(
                    format!(
                        "── {} · {} · sha256 {}",
                        app.t(L::Preview),
                        m.kind.label(zh),
                        m.sha256
                    ),
                    theme.dim,
                )));
                for l in inert_lines(&m.content) {
                    lines.push(Line::from(l));
                }
            }
        }
        Tab::Checks => {
            for c in &app.checks {
                let (mark, style) = match c.outcome {
                    Outcome::Pass => ("✓", theme.ok),
                    Outcome::Fail => ("✗", theme.bad),
                    Outcome::NotApplicable => ("–", theme.dim),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{mark} {} ", fit(c.outcome.label(zh), 6)), style),
                    Span::styled(fit(c.id.label(zh), if zh { 18 } else { 22 }), theme.base),
                    Span::raw(" "),
                    Span::styled(safe(c.detail(zh)), theme.dim),
                ]));
            }
        }
        Tab::History => {
            for e in &d.history {
                let action = crate::domain::Action::parse(&e.action)
                    .map(|a| a.label(zh).to_string())
                    .unwrap_or_else(|| safe(&e.action));
                let mut spans = vec![
                    Span::styled(
                        crate::fmt::beijing(e.at).format("%m-%d %H:%M ").to_string(),
                        theme.dim,
                    ),
                    Span::raw(fit(&safe(&e.officer), 14)),
                    Span::raw(" "),
                    Span::styled(fit(&action, 10), theme.title),
                ];
                if let Some(r) = &e.reason {
                    spans.push(Span::raw(format!(" {}", safe(r))));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    let wrap = matches!(
        app.tab,
        Tab::Checks | Tab::Materials | Tab::History | Tab::Overview
    );
    let mut p = Paragraph::new(lines).scroll((app.detail_scroll, 0));
    if wrap {
        p = p.wrap(Wrap { trim: false });
    }
    f.render_widget(p, body);
}
