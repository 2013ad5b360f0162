-- The workflow database, SQLite dialect. Times are RFC 3339 text in UTC.
CREATE TABLE bureaus (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('county', 'province')),
    province_id TEXT NOT NULL
);
CREATE TABLE officers (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id)
);
CREATE TABLE officer_roles (
    login TEXT NOT NULL REFERENCES officers(login),
    role TEXT NOT NULL CHECK (role IN ('accept', 'review', 'confirm', 'supervise', 'admin')),
    PRIMARY KEY (login, role)
);
-- Which level and role act on each stage of each kind: read by the Rust
-- code and available to database-side enforcement alike.
CREATE TABLE workflow_stages (
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('county', 'province')),
    role TEXT NOT NULL,
    PRIMARY KEY (kind, stage)
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    credit TEXT NOT NULL DEFAULT '',
    pilot INTEGER NOT NULL DEFAULT 1,
    violation INTEGER NOT NULL DEFAULT 0,
    livelihood INTEGER NOT NULL DEFAULT 0,
    revenue_wan INTEGER NOT NULL DEFAULT 0,
    invoices_issued INTEGER NOT NULL DEFAULT 0,
    invoices_received INTEGER NOT NULL DEFAULT 0,
    invoice_amount_wan INTEGER NOT NULL DEFAULT 0,
    can_supply_data INTEGER NOT NULL DEFAULT 1,
    risk_warning INTEGER NOT NULL DEFAULT 0,
    direct_connect INTEGER NOT NULL DEFAULT 0,
    exiting INTEGER NOT NULL DEFAULT 0,
    barred_from_adding INTEGER NOT NULL DEFAULT 0,
    independent INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX units_name ON units(name);
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    -- The applicant as filed: queues sort and filter on these without a join.
    uscc TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    county_id TEXT NOT NULL REFERENCES bureaus(id),
    province_id TEXT NOT NULL REFERENCES bureaus(id),
    -- The bureau that acts on the current stage (from workflow_stages), so
    -- that each queue is one index range.
    acting_bureau TEXT,
    direct_unit_id INTEGER REFERENCES units(id),
    form TEXT NOT NULL DEFAULT '{}',
    failed_checks INTEGER NOT NULL DEFAULT 0,
    passed_checks INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_officer TEXT,
    last_decider TEXT,
    previous_id INTEGER REFERENCES applications(id)
);
CREATE INDEX applications_queue_age ON applications(state, kind, acting_bureau, submitted_at, id);
CREATE INDEX applications_queue_name ON applications(state, kind, acting_bureau, unit_name, id);
CREATE INDEX applications_queue_failed ON applications(state, kind, acting_bureau, failed_checks, id);
CREATE INDEX applications_unit ON applications(unit_id, kind, state);
CREATE INDEX applications_direct ON applications(direct_unit_id, kind, state);
CREATE TABLE materials (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    paper_received INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX materials_application ON materials(application_id);
CREATE TABLE bindings (
    id INTEGER PRIMARY KEY,
    direct_unit_id INTEGER NOT NULL REFERENCES units(id),
    user_unit_id INTEGER NOT NULL REFERENCES units(id),
    relation TEXT NOT NULL,
    since TEXT NOT NULL,
    invitation_id INTEGER NOT NULL REFERENCES applications(id),
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    ended_at TEXT,
    ended_by TEXT,
    ended_reason TEXT
);
CREATE INDEX bindings_direct ON bindings(direct_unit_id, active, id);
CREATE INDEX bindings_user ON bindings(user_unit_id, active);
-- Capability authorisations of a unit through a direct-connect unit.
CREATE TABLE authorisations (
    id INTEGER PRIMARY KEY,
    direct_unit_id INTEGER NOT NULL REFERENCES units(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    capability TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    ended_at TEXT
);
CREATE INDEX authorisations_direct ON authorisations(direct_unit_id, active);
CREATE INDEX authorisations_unit ON authorisations(unit_id, direct_unit_id, active);
-- Capabilities a direct-connect unit has subscribed.
CREATE TABLE capabilities (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    capability TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    ended_at TEXT
);
CREATE INDEX capabilities_unit ON capabilities(unit_id, active);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    application_id INTEGER REFERENCES applications(id),
    binding_id INTEGER REFERENCES bindings(id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    officer TEXT NOT NULL,
    bureau_id TEXT,
    reason TEXT,
    at TEXT NOT NULL,
    batch_id TEXT,
    client TEXT
);
CREATE INDEX audit_application ON audit_events(application_id, id);
CREATE INDEX audit_binding ON audit_events(binding_id);
CREATE INDEX audit_batch ON audit_events(batch_id);
CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    officer TEXT NOT NULL,
    op TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    total INTEGER NOT NULL,
    finished_at TEXT
);
CREATE TABLE batch_items (
    batch_id TEXT NOT NULL REFERENCES batches(id),
    seq INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    version INTEGER,
    outcome TEXT NOT NULL DEFAULT 'pending',
    message TEXT,
    PRIMARY KEY (batch_id, seq)
);
