-- Claims (领取) and presence: see migrations/postgres/0012_claims.sql.
-- Here the store judges claims in one BEGIN IMMEDIATE transaction.

-- No foreign key, as on PostgreSQL: the store judges the application first.
CREATE TABLE claims (
    application_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    officer TEXT NOT NULL,
    bureau_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    taken_from TEXT,
    take_over_reason TEXT,
    CHECK (expires_at > claimed_at),
    CHECK ((taken_from IS NULL) = (take_over_reason IS NULL))
);
CREATE INDEX claims_officer ON claims(officer);

CREATE TABLE presence (
    officer TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
