-- Supervision (the service agreement's 第二条): measures on a direct-connect
-- unit with their rectification deadlines, risk warnings, and what the
-- unit is for the agreement's other rules.

-- A special-industry qualification (for non-public capabilities), a
-- serious offence flagged by monitoring (the 1% rule), and how long the
-- unit's qualification runs (extensions).
ALTER TABLE units ADD COLUMN special_industry BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN serious_offence BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN qualified_until TEXT;

CREATE TABLE measures (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    -- The unit's county, so that reading measures needs no look-up.
    county_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'interview', 'suspend_invitations', 'suspend_capabilities',
                                       'limit_concurrency', 'suspend_access', 'terminate')),
    state TEXT NOT NULL CHECK (state IN ('recorded', 'in_force', 'lifted', 'escalated')),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    concurrency_limit INTEGER CHECK (concurrency_limit IS NULL OR concurrency_limit > 0),
    deadline TEXT,
    warning_id INTEGER,
    imposed_by TEXT NOT NULL,
    imposed_at TEXT NOT NULL,
    ended_by TEXT,
    ended_at TEXT,
    note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    -- A limit is given exactly for 限制并发量; suspensions and the limit run
    -- to a deadline, reminders and interviews are recorded, not in force.
    CHECK ((kind = 'limit_concurrency') = (concurrency_limit IS NOT NULL)),
    CHECK ((kind IN ('suspend_invitations', 'suspend_capabilities', 'limit_concurrency', 'suspend_access'))
           = (deadline IS NOT NULL)),
    CHECK ((kind IN ('reminder', 'interview')) = (state = 'recorded'))
);
CREATE INDEX measures_unit ON measures(unit_id, state);
CREATE INDEX measures_in_force ON measures(county_id, deadline) WHERE state = 'in_force';
-- One measure of a kind in force on a unit at a time.
CREATE UNIQUE INDEX measures_one_in_force ON measures(unit_id, kind) WHERE state = 'in_force';

CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    county_id TEXT NOT NULL,
    finding TEXT NOT NULL CHECK (length(trim(finding)) > 0),
    state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed', 'escalated')),
    raised_by TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    feedback TEXT,
    feedback_at TEXT,
    closed_by TEXT,
    closed_at TEXT,
    note TEXT,
    measure_id INTEGER REFERENCES measures(id),
    version INTEGER NOT NULL DEFAULT 1,
    CHECK ((state = 'escalated') = (measure_id IS NOT NULL))
);
CREATE INDEX warnings_unit ON warnings(unit_id, state);
CREATE INDEX warnings_open ON warnings(county_id, deadline) WHERE state IN ('open', 'answered');

-- A batch's parameters beyond its reason (a measure's kind, deadline,
-- limit; an extension's end date): JSON.
ALTER TABLE batches ADD COLUMN params TEXT;
