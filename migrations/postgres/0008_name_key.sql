-- Names sort by pinyin, ties oldest first: the key is computed by the
-- program (domain::text::name_key) for every row, filled in for older rows
-- when the store opens.
ALTER TABLE applications ADD COLUMN name_key TEXT;
DROP INDEX applications_queue_name;
CREATE INDEX applications_queue_name ON applications(state, kind, acting_bureau, name_key, id) WHERE acting_bureau IS NOT NULL;
