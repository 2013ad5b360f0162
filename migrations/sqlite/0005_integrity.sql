-- A batch is a set: ids named more than once are kept here, with how many
-- more times ([[id, repeats], ...]), and done once.
ALTER TABLE batches ADD COLUMN duplicates TEXT;

-- At most one active binding per direct-connect unit and user unit, one
-- active capability per unit and capability, one active authorisation per
-- user unit, direct-connect unit and capability: a future bug fails loudly
-- instead of duplicating. Duplicates an earlier version left are ended
-- first (the oldest stays), each with its audit event.
INSERT INTO audit_events (binding_id, action, officer, reason, at)
SELECT id, 'unbind', 'migration', '重复的有效绑定，迁移时解除 (duplicate active binding ended by a migration)', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
FROM bindings WHERE active AND id NOT IN (SELECT min(id) FROM bindings WHERE active GROUP BY direct_unit_id, user_unit_id);
UPDATE bindings SET active = FALSE, version = version + 1, ended_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'),
    ended_by = 'migration', ended_reason = '重复的有效绑定，迁移时解除'
WHERE active AND id NOT IN (SELECT min(id) FROM bindings WHERE active GROUP BY direct_unit_id, user_unit_id);
UPDATE capabilities SET active = FALSE, ended_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
WHERE active AND id NOT IN (SELECT min(id) FROM capabilities WHERE active GROUP BY unit_id, capability);
UPDATE authorisations SET active = FALSE, ended_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
WHERE active AND id NOT IN (SELECT min(id) FROM authorisations WHERE active GROUP BY unit_id, direct_unit_id, capability);
CREATE UNIQUE INDEX bindings_one_active ON bindings(direct_unit_id, user_unit_id) WHERE active;
CREATE UNIQUE INDEX capabilities_one_active ON capabilities(unit_id, capability) WHERE active;
CREATE UNIQUE INDEX authorisations_one_active ON authorisations(unit_id, direct_unit_id, capability) WHERE active;

-- Kinds and states are a closed set: the database refuses any other
-- (SQLite adds no CHECK to a table in place: triggers do it).
CREATE TRIGGER applications_codes_insert BEFORE INSERT ON applications
WHEN NEW.kind NOT IN ('access', 'invitation', 'exit', 'subscription', 'extension')
  OR NEW.state NOT IN ('draft', 'awaiting_unit', 'declined', 'pending_acceptance', 'not_accepted',
                       'pending_review', 'review_rejected', 'pending_confirmation', 'confirmed',
                       'confirm_rejected', 'unsuccessful')
BEGIN SELECT RAISE(ABORT, 'unknown application kind or state'); END;
CREATE TRIGGER applications_codes_update BEFORE UPDATE OF kind, state ON applications
WHEN NEW.kind NOT IN ('access', 'invitation', 'exit', 'subscription', 'extension')
  OR NEW.state NOT IN ('draft', 'awaiting_unit', 'declined', 'pending_acceptance', 'not_accepted',
                       'pending_review', 'review_rejected', 'pending_confirmation', 'confirmed',
                       'confirm_rejected', 'unsuccessful')
BEGIN SELECT RAISE(ABORT, 'unknown application kind or state'); END;
