//! 概况: the unit, its bureau, state, authorised unit, system, contact,
//! network filing, inviter and what the application asks.

use super::super::{Theme, safe};
use super::{code_mark, kv};
use crate::app::App;
use crate::domain::text::inert_lines;
use crate::domain::validate;
use crate::i18n::Msg as L;
use crate::store::Application;
use ratatui::text::{Line, Span};

/// The network filing on one line: addresses (a bad one marked),
/// protocol and port.
fn network(d: &Application) -> String {
    let ips: Vec<String> = d
        .form
        .test_ips
        .iter()
        .chain(&d.form.prod_ips)
        .map(|ip| match validate::ipv4(ip) {
            Ok(()) => safe(ip),
            Err(_) => format!("{} ✗", safe(ip)),
        })
        .collect();
    let port = d.form.port.map(|p| p.to_string()).unwrap_or_default();
    format!("{} {}:{port}", ips.join(" "), safe(&d.form.protocol))
}

/// The labelled facts, in the order an officer reads them.
fn facts(app: &App, d: &Application) -> Vec<(L, String)> {
    let zh = app.ctx.zh();
    let (u, f) = (&d.unit.facts, &d.form);
    let submitted = crate::fmt::beijing(d.submitted_at).format("%Y-%m-%d %H:%M");
    let mut v = vec![
        (
            L::Unit,
            format!("{}  {}", safe(&u.name), code_mark(&u.uscc, app)),
        ),
        (L::Address, safe(&d.unit.address)),
        (L::Bureau, safe(&d.county_name)),
        (
            L::State,
            format!("{} · {submitted} {}", d.state.label(zh), d.kind.full(zh)),
        ),
        match &f.authorised_uscc {
            Some(c) => (
                L::AuthorisedUnit,
                format!(
                    "{}  {}",
                    safe(f.authorised_name.as_deref().unwrap_or("")),
                    code_mark(c, app)
                ),
            ),
            None => (L::AuthorisedUnit, app.t(L::None_).to_string()),
        },
    ];
    if !f.system_name.is_empty() {
        v.push((L::System, safe(&f.system_name)));
    }
    if let Some(rt) = f.request_type {
        v.push((
            L::RequestType,
            format!("{} · {}", rt.label(zh), safe(&f.period)),
        ));
    }
    let contact = format!("{} {} {}", safe(&f.contact), safe(&f.phone), safe(&f.email));
    v.push((L::Contact, contact));
    if !f.legal_rep.is_empty() {
        v.push((L::LegalRep, safe(&f.legal_rep)));
    }
    if !f.test_ips.is_empty() || !f.prod_ips.is_empty() {
        v.push((L::Network, network(d)));
    }
    if let Some(u) = &d.direct_unit {
        let inviter = format!("{}  {}", safe(&u.facts.name), code_mark(&u.facts.uscc, app));
        v.push((L::Inviter, inviter));
    }
    if let Some(r) = f.relation {
        v.push((L::Relation, r.label(zh).to_string()));
    }
    if let Some(c) = &f.capability {
        v.push((L::Capability, safe(c)));
    }
    v
}

/// What ties the application to the unit's others: made moot, more of the
/// same kind in the flow, filed again after or before a rejection.
fn links(app: &App, d: &Application, theme: &Theme) -> Vec<Line<'static>> {
    let (lang, zh) = (app.ctx.lang, app.ctx.zh());
    let ids = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(" ");
    let mut out = vec![];
    if let Some(o) = d.obsolete {
        out.push(Line::from(Span::styled(
            format!("✗ {}", o.label(zh)),
            theme.bad,
        )));
    }
    if !d.siblings.is_empty() {
        let list = ids(&mut d
            .siblings
            .iter()
            .map(|(i, s)| format!("#{i} {}", s.label(zh))));
        let text = L::Siblings.fill(lang, &[&d.siblings.len(), &list]);
        out.push(Line::from(Span::styled(format!("! {text}"), theme.warn)));
    }
    if let Some((p, s)) = d.previous {
        out.push(Line::from(L::Previous.fill(lang, &[&p, &s.label(zh)])));
    }
    if !d.refiled_as.is_empty() {
        let list = ids(&mut d.refiled_as.iter().map(|i| format!("#{i}")));
        out.push(Line::from(L::RefiledAs.fill(lang, &[&list])));
    }
    out
}

/// The overview of an application.
pub fn lines(app: &App, d: &Application, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let lw = if app.ctx.zh() { 12 } else { 16 };
    let mut lines: Vec<Line<'static>> = facts(app, d)
        .into_iter()
        .flat_map(|(label, value)| kv(app, theme, label, &value, lw, width))
        .collect();
    if d.kind == crate::domain::Kind::Exit {
        let b = d.bound_user_units;
        let text = L::StillBoundCount.fill(app.ctx.lang, &[&b]);
        lines.push(Line::from(Span::styled(
            format!("{} {text}", if b > 0 { "✗" } else { "✓" }),
            if b > 0 { theme.bad } else { theme.ok },
        )));
    }
    lines.extend(crate::ui::supervise::unit_lines(
        app,
        &d.measures,
        &d.warnings,
        theme,
    ));
    lines.extend(links(app, d, theme));
    // Wrapped here to the pane's width: a wide character at the edge is
    // carried to the next line, never drawn over the border.
    if !d.form.detail.is_empty() {
        for l in inert_lines(&d.form.detail) {
            for piece in crate::fmt::wrap_words(&l, width.max(1)) {
                lines.push(Line::from(Span::styled(piece, theme.dim)));
            }
        }
    }
    lines
}
