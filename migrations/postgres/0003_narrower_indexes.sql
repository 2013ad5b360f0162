-- Fewer index writes per decision and per unbinding.
--
-- Queues hold only items with an acting bureau (in flight): a final state
-- leaves the queue indexes instead of being rewritten into them, and the
-- indexes hold the open work, not the history.
DROP INDEX applications_queue_age;
DROP INDEX applications_queue_name;
DROP INDEX applications_queue_failed;
CREATE INDEX applications_queue_age ON applications(state, kind, acting_bureau, submitted_at, id) WHERE acting_bureau IS NOT NULL;
CREATE INDEX applications_queue_name ON applications(state, kind, acting_bureau, unit_name, id) WHERE acting_bureau IS NOT NULL;
CREATE INDEX applications_queue_failed ON applications(state, kind, acting_bureau, failed_checks, id) WHERE acting_bureau IS NOT NULL;
-- Lookups by unit filter on state among few rows: the index need not hold it.
DROP INDEX applications_unit;
DROP INDEX applications_direct;
CREATE INDEX applications_unit ON applications(unit_id, kind);
CREATE INDEX applications_direct ON applications(direct_unit_id, kind) WHERE direct_unit_id IS NOT NULL;
-- An audit event belongs to an application or a binding, seldom a batch.
DROP INDEX audit_application;
DROP INDEX audit_binding;
DROP INDEX audit_batch;
CREATE INDEX audit_application ON audit_events(application_id, id) WHERE application_id IS NOT NULL;
CREATE INDEX audit_binding ON audit_events(binding_id) WHERE binding_id IS NOT NULL;
CREATE INDEX audit_batch ON audit_events(batch_id) WHERE batch_id IS NOT NULL;
-- Bindings, authorisations and capabilities are found by unit, with
-- `active` as a filter: keyed on what never changes, ending one writes no
-- index entry at all.
DROP INDEX bindings_direct;
DROP INDEX bindings_user;
CREATE INDEX bindings_direct ON bindings(direct_unit_id, id);
CREATE INDEX bindings_user ON bindings(user_unit_id);
DROP INDEX authorisations_direct;
DROP INDEX authorisations_unit;
CREATE INDEX authorisations_direct ON authorisations(direct_unit_id);
CREATE INDEX authorisations_unit ON authorisations(unit_id, direct_unit_id);
DROP INDEX capabilities_unit;
CREATE INDEX capabilities_unit ON capabilities(unit_id);
