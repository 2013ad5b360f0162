//! An exit confirmed (DOMAIN.md D): in the exit's own transaction the
//! unit's capabilities and every authorisation of it and its user units
//! are cancelled, any binding still active ends, every invitation or
//! subscription of the unit still in flight is set unsuccessful where it
//! stands, and the unit is no longer direct-connect. Each change is
//! audited.

use super::audit::NewAudit;
use super::decide::Actor;
use super::sql::{Tx, args, json_records};
use super::*;
use crate::domain::judge::{self, CASCADE_STOPS, EXIT_UNBIND_REASON};
use serde::Deserialize;
use serde_json::json;

/// An application the cascade stops.
#[derive(Deserialize)]
struct InFlight {
    id: i64,
    state: String,
    /// The exit that stops it.
    exit: i64,
}

/// Why a unit's connection ends: its exit confirmed, or its access
/// terminated by a supervision measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Exit,
    Termination,
}

impl Ending {
    fn unbind_reason(self) -> &'static str {
        match self {
            Ending::Exit => EXIT_UNBIND_REASON,
            Ending::Termination => TERMINATION_REASON,
        }
    }

    /// Why an application in the flow stops: `source` is the exit or the
    /// measure.
    fn stop_reason(self, source: i64) -> String {
        match self {
            Ending::Exit => format!("直连单位退出申请 {source} 确认通过 (exit {source} confirmed)"),
            Ending::Termination => {
                format!("终止接入服务（监管措施 {source}） (access terminated by measure {source})")
            }
        }
    }
}

/// Why bindings end when their direct-connect unit's access is terminated.
pub(crate) const TERMINATION_REASON: &str = "终止接入服务";

impl Store {
    /// `exits`: (unit, exit application) pairs confirmed in this chunk.
    pub(crate) async fn exit_cascade(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        exits: &[(i64, i64)],
    ) -> Result<()> {
        self.end_connections(tx, actor, exits, Ending::Exit).await
    }

    /// Units' connections ended: `units` are (unit, exit or measure).
    pub(crate) async fn end_connections(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        exits: &[(i64, i64)],
        why: Ending,
    ) -> Result<()> {
        let units = json_records(exits.iter().map(|(u, e)| json!({"uunit": u, "uexit": e})));
        let recs = self.records(&[("uunit", "bigint"), ("uexit", "bigint")]);
        let in_units = "(SELECT uunit FROM u)";
        tx.execute(
            &format!("{recs} UPDATE capabilities SET active = FALSE, ended_at = $2 WHERE unit_id IN {in_units} AND active"),
            args![units.clone(), actor.now],
        )
        .await?;
        tx.execute(
            &format!("{recs} UPDATE authorisations SET active = FALSE, ended_at = $2 WHERE (direct_unit_id IN {in_units} OR unit_id IN {in_units}) AND active"),
            args![units.clone(), actor.now],
        )
        .await?;
        let ended = tx
            .ids(
                &format!(
                    "{recs} UPDATE bindings SET active = FALSE, version = version + 1, ended_at = $2, ended_by = $3, ended_reason = $4
                     WHERE direct_unit_id IN {in_units} AND active RETURNING id"
                ),
                args![units.clone(), actor.now, actor.officer.login.as_str(), why.unbind_reason()],
            )
            .await?;
        if !ended.is_empty() {
            self.audit_unbind(tx, actor, why.unbind_reason(), &ended)
                .await?;
        }
        self.stop_in_flight(tx, actor, &units, why).await?;
        tx.execute(
            &format!("{recs} UPDATE units SET direct_connect = FALSE, exiting = FALSE WHERE id IN {in_units}"),
            args![units],
        )
        .await?;
        Ok(())
    }

    /// The unit's invitations and subscriptions still in the approval
    /// flow are set unsuccessful at the stage where they stand.
    async fn stop_in_flight(
        &self,
        tx: &mut Tx,
        actor: &Actor<'_>,
        units: &str,
        why: Ending,
    ) -> Result<()> {
        let states: Vec<String> = judge::in_flight_codes()
            .iter()
            .map(|s| format!("'{s}'"))
            .collect();
        let [by_inviter, by_unit] = CASCADE_STOPS;
        // One index range per kind: the inviter's invitations, the unit's
        // subscriptions.
        let find = format!(
            "{} SELECT {} FROM (
                 SELECT a.id, a.state, u.uexit AS exit FROM applications a JOIN u ON a.direct_unit_id = u.uunit
                 WHERE a.kind = '{}' AND a.state IN ({states})
                 UNION ALL
                 SELECT a.id, a.state, u.uexit AS exit FROM applications a JOIN u ON a.unit_id = u.uunit
                 WHERE a.kind = '{}' AND a.state IN ({states})) f",
            self.records(&[("uunit", "bigint"), ("uexit", "bigint")]),
            self.objects("'id', f.id, 'state', f.state, 'exit', f.exit"),
            by_inviter.code(),
            by_unit.code(),
            states = states.join(", ")
        );
        let flights: Vec<InFlight> = tx.objects(&find, args![units]).await?;
        if flights.is_empty() {
            return Ok(());
        }
        let recs =
            json_records(flights.iter().map(
                |f| json!({"uid": f.id, "ufrom": f.state, "ureason": why.stop_reason(f.exit)}),
            ));
        let cols = self.records(&[("uid", "bigint"), ("ufrom", "text"), ("ureason", "text")]);
        tx.execute(
            &format!(
                "{cols} UPDATE applications SET state = 'unsuccessful', version = version + 1, acting_bureau = NULL,
                     last_officer = $2, updated_at = $3 WHERE id IN (SELECT uid FROM u)"
            ),
            args![recs.clone(), actor.officer.login.as_str(), actor.now],
        )
        .await?;
        let reasons: Vec<String> = flights
            .iter()
            .map(|f| {
                format!(
                    "直连单位退出申请 {} 确认通过 (exit {} confirmed)",
                    f.exit, f.exit
                )
            })
            .collect();
        let events: Vec<NewAudit> = flights
            .iter()
            .zip(&reasons)
            .map(|(f, r)| NewAudit {
                application_id: Some(f.id),
                binding_id: None,
                unit_id: None,
                measure_id: None,
                warning_id: None,
                action: Action::SetUnsuccessful.code(),
                from: Some(f.state.as_str()),
                to: Some(State::Unsuccessful.code()),
                reason: Some(r),
            })
            .collect();
        self.append_events(tx, &actor.stamp(), &events).await
    }
}
