-- The audit trail as a hash chain per application (per binding for
-- binding events, one for shared settings); see the PostgreSQL migration.
-- SQLite has no sha256: the store chains each transaction's events before
-- it commits, and chains older events when it opens the file. Triggers
-- refuse any other change or removal of an event: on an embedded file
-- they guard against accidents, and `audit verify` finds the rest.
ALTER TABLE audit_events ADD COLUMN unit_id INTEGER;
ALTER TABLE audit_events ADD COLUMN measure_id INTEGER;
ALTER TABLE audit_events ADD COLUMN warning_id INTEGER;
ALTER TABLE audit_events ADD COLUMN chain TEXT;
ALTER TABLE audit_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_chain ON audit_events(chain, chain_seq);
CREATE INDEX audit_unsealed ON audit_events(id) WHERE hash IS NULL;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能修改或删除 (the audit trail is append-only)'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能修改或删除 (the audit trail is append-only)'); END;
CREATE TRIGGER audit_events_fixed BEFORE UPDATE OF application_id, binding_id, unit_id, measure_id, warning_id, action, from_state,
    to_state, officer, bureau_id, reason, at, batch_id, client ON audit_events
BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能修改或删除 (the audit trail is append-only)'); END;

-- Decisions set the state of a thousand rows at once: the code check
-- fires only for the column an UPDATE sets (kind and state apart).
DROP TRIGGER applications_codes_update;
CREATE TRIGGER applications_state_update BEFORE UPDATE OF state ON applications
WHEN NEW.state NOT IN ('draft', 'awaiting_unit', 'declined', 'pending_acceptance', 'not_accepted',
                       'pending_review', 'review_rejected', 'pending_confirmation', 'confirmed',
                       'confirm_rejected', 'unsuccessful')
BEGIN SELECT RAISE(ABORT, 'unknown application state'); END;
CREATE TRIGGER applications_kind_update BEFORE UPDATE OF kind ON applications
WHEN NEW.kind NOT IN ('access', 'invitation', 'exit', 'subscription', 'extension')
BEGIN SELECT RAISE(ABORT, 'unknown application kind'); END;

-- An application's later filings, found by index.
CREATE INDEX applications_previous ON applications(previous_id) WHERE previous_id IS NOT NULL;
