-- An officer who leaves is disabled, not deleted: the history keeps them.
ALTER TABLE officers ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

-- The default workflow (DOMAIN.md): access and exit accepted and reviewed
-- by the county, confirmed by the province; invitations, subscriptions
-- and extensions accepted and confirmed by the county. A new database has
-- it from its migration; an administrator changes it with `admin apply`.
INSERT INTO workflow_stages (kind, stage, level, role) VALUES
    ('access', 'acceptance', 'county', 'accept'),
    ('access', 'review', 'county', 'review'),
    ('access', 'confirmation', 'province', 'confirm'),
    ('invitation', 'acceptance', 'county', 'accept'),
    ('invitation', 'confirmation', 'county', 'confirm'),
    ('exit', 'acceptance', 'county', 'accept'),
    ('exit', 'review', 'county', 'review'),
    ('exit', 'confirmation', 'province', 'confirm'),
    ('subscription', 'acceptance', 'county', 'accept'),
    ('subscription', 'confirmation', 'county', 'confirm'),
    ('extension', 'acceptance', 'county', 'accept'),
    ('extension', 'confirmation', 'county', 'confirm')
ON CONFLICT (kind, stage) DO NOTHING;
