-- A database that trusts no client (issue 10). Applied by an administrator
-- (`leqi-console admin init|upgrade`) as the owner role `leqi_owner`,
-- which nobody logs in as. Officers log in as themselves, members of
-- `leqi_officers`: they read what row-level security shows them and write
-- only through the functions below, which check every item against the
-- stored workflow and append the audit trail in the same transaction.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leqi_officers') THEN
        CREATE ROLE leqi_officers NOLOGIN;
    END IF;
END $$;

-- ---------------------------------------------------------------------
-- The audit trail: a hash chain per application (per binding for binding
-- events, one for shared settings), append-only.

-- A unit's own events (supervision measures, risk warnings) chain by unit.
ALTER TABLE audit_events ADD COLUMN unit_id BIGINT;
ALTER TABLE audit_events ADD COLUMN measure_id BIGINT;
ALTER TABLE audit_events ADD COLUMN warning_id BIGINT;
ALTER TABLE audit_events ADD COLUMN chain TEXT;
ALTER TABLE audit_events ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

CREATE FUNCTION leqi_field(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN v IS NULL THEN '~' ELSE char_length(v)::text || ':' || v END $$;

-- The chain an event belongs to. (The casts keep the body immutable, so
-- that the planner inlines it instead of calling it per row.)
CREATE FUNCTION leqi_chain(application_id bigint, binding_id bigint, unit_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN application_id IS NOT NULL THEN 'a' || application_id::text
                  WHEN binding_id IS NOT NULL THEN 'b' || binding_id::text
                  WHEN unit_id IS NOT NULL THEN 'u' || unit_id::text ELSE 's' END $$;

-- The hash of an event: sha256 over every field, each length-prefixed
-- (`~` for NULL), joined by `|`; the time as microseconds since the epoch.
-- src/domain/audit.rs computes the same.
CREATE FUNCTION leqi_event_hash(chain text, seq bigint, application_id bigint, binding_id bigint,
    unit_id bigint, measure_id bigint, warning_id bigint,
    action text, from_state text, to_state text, officer text, bureau_id text, reason text,
    at timestamptz, batch_id text, client text, prev_hash text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT encode(sha256(convert_to(
    leqi_field(chain) || '|' || leqi_field(seq::text) || '|' || leqi_field(application_id::text) || '|' ||
    leqi_field(binding_id::text) || '|' || leqi_field(unit_id::text) || '|' || leqi_field(measure_id::text) || '|' ||
    leqi_field(warning_id::text) || '|' || leqi_field(action) || '|' || leqi_field(from_state) || '|' ||
    leqi_field(to_state) || '|' || leqi_field(officer) || '|' || leqi_field(bureau_id) || '|' ||
    leqi_field(reason) || '|' || leqi_field(((extract(epoch FROM at) * 1000000)::bigint)::text) || '|' ||
    leqi_field(batch_id) || '|' || leqi_field(client) || '|' || leqi_field(prev_hash), 'UTF8')), 'hex') $$;

-- Events written before chains existed are chained in their order.
DO $$
DECLARE
    r record;
    last_chain text := NULL;
    n bigint := 0;
    prev text := '';
    h text;
BEGIN
    FOR r IN SELECT *, leqi_chain(application_id, binding_id, unit_id) AS c FROM audit_events ORDER BY c, id LOOP
        IF r.c IS DISTINCT FROM last_chain THEN
            last_chain := r.c; n := 0; prev := '';
        END IF;
        n := n + 1;
        h := leqi_event_hash(r.c, n, r.application_id, r.binding_id, r.unit_id, r.measure_id, r.warning_id,
                             r.action, r.from_state, r.to_state,
                             r.officer, r.bureau_id, r.reason, r.at, r.batch_id, r.client, prev);
        UPDATE audit_events SET chain = r.c, chain_seq = n, prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
END $$;

-- Events and batch results are written only by the functions below, for
-- rows they hold locked; a foreign-key check per row (an internal query
-- each) would double what a batch's trail costs. `audit verify` names any
-- event whose application does not exist.
ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_application_id_fkey;
ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_binding_id_fkey;
ALTER TABLE batch_items DROP CONSTRAINT IF EXISTS batch_items_batch_id_fkey;

ALTER TABLE audit_events ALTER COLUMN chain SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN chain_seq SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_chain ON audit_events(chain, chain_seq);

-- An event inserted without its hash (a single write, or a writer behind
-- the functions' back) is chained here, one at a time; the functions
-- chain theirs set-wise.
CREATE FUNCTION leqi_seal_event() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    head record;
BEGIN
    NEW.chain := leqi_chain(NEW.application_id, NEW.binding_id, NEW.unit_id);
    -- Applications and bindings are locked by whoever writes their
    -- events; the settings chain is not, so it is locked here.
    IF NEW.chain = 's' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('leqi_settings_chain', 0));
    END IF;
    SELECT chain_seq, hash INTO head FROM audit_events
     WHERE chain = NEW.chain ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := COALESCE(head.chain_seq, 0) + 1;
    NEW.prev_hash := COALESCE(head.hash, '');
    NEW.hash := leqi_event_hash(NEW.chain, NEW.chain_seq, NEW.application_id, NEW.binding_id, NEW.unit_id,
        NEW.measure_id, NEW.warning_id, NEW.action,
        NEW.from_state, NEW.to_state, NEW.officer, NEW.bureau_id, NEW.reason, NEW.at, NEW.batch_id,
        NEW.client, NEW.prev_hash);
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_seal BEFORE INSERT ON audit_events
    FOR EACH ROW WHEN (NEW.hash IS NULL) EXECUTE FUNCTION leqi_seal_event();

CREATE FUNCTION leqi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计记录只能追加，不能修改或删除 (the audit trail is append-only: % refused)', TG_OP
        USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION leqi_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_audit_append_only();

-- ---------------------------------------------------------------------
-- Every function below runs with `jit = off`: their statements are
-- short, and compiling them costs more than running them (a chunk of
-- 1,000 decisions is estimated dear enough to trigger it, ~100 ms).

-- Who is asking: the officer whose login is the session's.

CREATE FUNCTION leqi_officer(OUT login text, OUT bureau_id text, OUT level text, OUT province_id text,
    OUT roles text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    is_active boolean;
BEGIN
    SELECT o.login, o.bureau_id, b.level, b.province_id, o.active,
           ARRAY(SELECT r.role FROM officer_roles r WHERE r.login = o.login)
      INTO login, bureau_id, level, province_id, is_active, roles
      FROM officers o JOIN bureaus b ON b.id = o.bureau_id
     WHERE o.login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION '登录名 % 不是登记的税务人员 (login % is not a registered officer)', session_user, session_user
            USING ERRCODE = '42501', DETAIL = 'not_an_officer';
    END IF;
    IF NOT is_active THEN
        RAISE EXCEPTION '税务人员 % 已停用 (officer % is disabled)', session_user, session_user
            USING ERRCODE = '42501', DETAIL = 'disabled:' || session_user;
    END IF;
END $$;

-- The bureaus whose rows the caller may read: their county; or their
-- province and its counties. NULL (nothing) for anyone else.
CREATE FUNCTION leqi_my_bureaus() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    SELECT CASE WHEN b.level = 'province'
                THEN ARRAY(SELECT c.id FROM bureaus c WHERE c.province_id = b.id OR c.id = b.id)
                ELSE ARRAY[b.id] END
      FROM officers o JOIN bureaus b ON b.id = o.bureau_id
     WHERE o.login = session_user AND o.active
$$;

-- Administrators: an active officer with the admin role, or the owner's
-- credentials (setting up a database that has no administrator yet).
CREATE FUNCTION leqi_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    SELECT EXISTS (SELECT 1 FROM officers o JOIN officer_roles r ON r.login = o.login
                    WHERE o.login = session_user AND o.active AND r.role = 'admin')
        OR pg_has_role(session_user, 'leqi_owner', 'MEMBER')
$$;

CREATE FUNCTION leqi_stage_rank(stage text) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE stage WHEN 'acceptance' THEN 1 WHEN 'review' THEN 2 WHEN 'confirmation' THEN 3 END $$;

-- ---------------------------------------------------------------------
-- Bindings carry their two units' counties, so that reading them needs
-- no look-up of units (and units may look at bindings without a cycle).

ALTER TABLE bindings ADD COLUMN direct_county TEXT;
ALTER TABLE bindings ADD COLUMN user_county TEXT;
UPDATE bindings b SET direct_county = d.bureau_id, user_county = u.bureau_id
  FROM units d, units u WHERE d.id = b.direct_unit_id AND u.id = b.user_unit_id;
CREATE FUNCTION leqi_binding_counties() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    IF NEW.direct_county IS NULL THEN
        SELECT bureau_id INTO NEW.direct_county FROM units WHERE id = NEW.direct_unit_id;
    END IF;
    IF NEW.user_county IS NULL THEN
        SELECT bureau_id INTO NEW.user_county FROM units WHERE id = NEW.user_unit_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bindings_counties BEFORE INSERT ON bindings
    FOR EACH ROW WHEN (NEW.direct_county IS NULL OR NEW.user_county IS NULL)
    EXECUTE FUNCTION leqi_binding_counties();

-- An application's later filings, found by index.
CREATE INDEX applications_previous ON applications(previous_id) WHERE previous_id IS NOT NULL;

-- Queues count by index alone with the county checked: it is in the index.
DROP INDEX applications_queue_age;
DROP INDEX applications_queue_name;
DROP INDEX applications_queue_failed;
CREATE INDEX applications_queue_age ON applications(state, kind, acting_bureau, submitted_at, id)
    INCLUDE (county_id) WHERE acting_bureau IS NOT NULL;
CREATE INDEX applications_queue_name ON applications(state, kind, acting_bureau, name_key, id)
    INCLUDE (county_id) WHERE acting_bureau IS NOT NULL;
CREATE INDEX applications_queue_failed ON applications(state, kind, acting_bureau, failed_checks, id)
    INCLUDE (county_id) WHERE acting_bureau IS NOT NULL;

-- ---------------------------------------------------------------------
-- Row-level security, enabled and forced (the owner too is held to its
-- own policy). Officers read their county, or their province.

ALTER TABLE applications ENABLE ROW LEVEL SECURITY;
ALTER TABLE applications FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON applications TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON applications FOR SELECT TO leqi_officers
    USING (county_id = ANY ((SELECT leqi_my_bureaus())::text[]));

ALTER TABLE bindings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bindings FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON bindings TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON bindings FOR SELECT TO leqi_officers
    USING (direct_county = ANY ((SELECT leqi_my_bureaus())::text[]) OR user_county = ANY ((SELECT leqi_my_bureaus())::text[]));

-- A unit of the county; or one bound to or with a unit of it, or inviting
-- one of its units: the other party is named where the officer works.
ALTER TABLE units ENABLE ROW LEVEL SECURITY;
ALTER TABLE units FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON units TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON units FOR SELECT TO leqi_officers
    USING (bureau_id = ANY ((SELECT leqi_my_bureaus())::text[])
        OR EXISTS (SELECT 1 FROM bindings b WHERE b.user_unit_id = units.id)
        OR EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = units.id)
        OR EXISTS (SELECT 1 FROM applications a WHERE a.direct_unit_id = units.id));

ALTER TABLE materials ENABLE ROW LEVEL SECURITY;
ALTER TABLE materials FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON materials TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON materials FOR SELECT TO leqi_officers
    USING (EXISTS (SELECT 1 FROM applications a WHERE a.id = materials.application_id));

ALTER TABLE authorisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE authorisations FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON authorisations TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON authorisations FOR SELECT TO leqi_officers
    USING (EXISTS (SELECT 1 FROM units u WHERE u.id = authorisations.direct_unit_id));

ALTER TABLE capabilities ENABLE ROW LEVEL SECURITY;
ALTER TABLE capabilities FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON capabilities TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON capabilities FOR SELECT TO leqi_officers
    USING (EXISTS (SELECT 1 FROM units u WHERE u.id = capabilities.unit_id));

-- An event is read with what it is about; shared settings' events by all.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON audit_events TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON audit_events FOR SELECT TO leqi_officers
    USING (CASE WHEN application_id IS NOT NULL
                THEN EXISTS (SELECT 1 FROM applications a WHERE a.id = audit_events.application_id)
                WHEN binding_id IS NOT NULL
                THEN EXISTS (SELECT 1 FROM bindings b WHERE b.id = audit_events.binding_id)
                ELSE true END);

-- Batches are their officer's.
ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE batches FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON batches TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON batches FOR SELECT TO leqi_officers USING (officer = session_user);
ALTER TABLE batch_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE batch_items FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON batch_items TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON batch_items FOR SELECT TO leqi_officers
    USING (EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_items.batch_id));

-- ---------------------------------------------------------------------
-- Set-wise event appending for the functions: each event's chain head is
-- read after its subject's row is locked, so two writers never take one
-- position. A chain appears at most once per call (the callers' items
-- are distinct); were it not, the unique index on (chain, chain_seq)
-- would fail the call rather than let two events share a position.

CREATE TYPE leqi_event AS (application_id bigint, binding_id bigint, action text, from_state text,
    to_state text, reason text, unit_id bigint, measure_id bigint, warning_id bigint);

CREATE FUNCTION leqi_append(p_events leqi_event[], p_officer text, p_bureau text, p_at timestamptz,
    p_batch text, p_client text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    INSERT INTO audit_events (application_id, binding_id, unit_id, measure_id, warning_id, action,
        from_state, to_state, officer, bureau_id, reason, at, batch_id, client, chain, chain_seq, prev_hash, hash)
    SELECT x.application_id, x.binding_id, x.unit_id, x.measure_id, x.warning_id, x.action, x.from_state,
           x.to_state, p_officer, p_bureau, x.reason, p_at, p_batch, p_client, x.chain, x.seq, x.prev,
           leqi_event_hash(x.chain, x.seq, x.application_id, x.binding_id, x.unit_id, x.measure_id,
               x.warning_id, x.action, x.from_state, x.to_state, p_officer, p_bureau, x.reason, p_at,
               p_batch, p_client, x.prev)
      FROM (SELECT e.*, c.chain, COALESCE(h.chain_seq, 0) + 1 AS seq, COALESCE(h.hash, '') AS prev
              FROM unnest(p_events) e
              CROSS JOIN LATERAL (SELECT leqi_chain(e.application_id, e.binding_id, e.unit_id) AS chain) c
              LEFT JOIN LATERAL (SELECT a.chain_seq, a.hash FROM audit_events a WHERE a.chain = c.chain
                                  ORDER BY a.chain_seq DESC LIMIT 1) h ON TRUE) x;
END $$;

-- ---------------------------------------------------------------------
-- Decisions. Each item: it exists; it is at the version the caller saw;
-- its state is an officer stage of its kind in the stored workflow; the
-- caller's bureau is the stage's and the role theirs; separation of
-- duties; a reason for a rejection; an exit with no unit bound; no
-- binding or subscription made twice. Then the state, the version and
-- the audit event, and what a final step brings, in this transaction.
-- code: '00000' done, else the item's SQLSTATE (42501 forbidden, LQ001
-- conflict, LQ002 illegal transition, LQ003 invalid input, LQ004 a
-- precondition, LQ005 not found, LQ006 repeated in the call).

CREATE TYPE leqi_result AS (id bigint, code text, detail text, action text, from_state text,
    to_state text, version bigint, cur_state text, cur_version bigint, by_officer text,
    at timestamptz);

CREATE TYPE leqi_verdict AS (ord bigint, id bigint, code text, detail text, kind text,
    from_state text, to_state text, action text, version bigint, acting text, unit_id bigint,
    direct_unit_id bigint, relation text, capability text, last_officer text,
    updated_at timestamptz, until timestamptz);

-- A batch named by a call must be the caller's own.
CREATE FUNCTION leqi_own_batch(p_batch text, p_login text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    IF p_batch IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batches WHERE id = p_batch AND officer = p_login) THEN
        RAISE EXCEPTION '批次 % 不是您的 (batch % is not yours)', p_batch, p_batch USING ERRCODE = '42501';
    END IF;
END $$;

CREATE FUNCTION leqi_reason(p_reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r text := NULLIF(btrim(p_reason, E' \t\n\r'), '');
BEGIN
    IF r IS NOT NULL AND char_length(r) > 2000 THEN
        RAISE EXCEPTION '理由过长（% 字，最多 2000） (reason too long)', char_length(r) USING ERRCODE = 'LQ003';
    END IF;
    IF r ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]' THEN
        RAISE EXCEPTION '理由含控制字符 (reason holds a control character)' USING ERRCODE = 'LQ003';
    END IF;
    RETURN r;
END $$;

CREATE FUNCTION leqi_judge(p_ids bigint[], p_versions bigint[], p_decision text, p_reason text,
    p_until timestamptz DEFAULT NULL)
RETURNS leqi_verdict[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    sod boolean;
    out leqi_verdict[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    IF p_decision NOT IN ('pass', 'reject') THEN
        RAISE EXCEPTION '决定只能是 pass 或 reject (decision must be pass or reject)' USING ERRCODE = 'LQ003';
    END IF;
    IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_versions) THEN
        RAISE EXCEPTION '编号与版本数量不一致 (ids and versions differ in number)' USING ERRCODE = 'LQ003';
    END IF;
    sod := COALESCE((SELECT value FROM settings WHERE key = 'separation_of_duties'), 'on') <> 'off';
    WITH input AS (
        SELECT t.id, t.ver, t.ord, row_number() OVER (PARTITION BY t.id ORDER BY t.ord) AS nth
          FROM unnest(p_ids, p_versions) WITH ORDINALITY AS t(id, ver, ord)
    ), flow AS (
        -- Each stage of each kind with the state passing it leads to: the
        -- next stage of the kind in the stored table, or 确认通过.
        SELECT w.kind, w.stage, w.level, w.role,
               COALESCE((SELECT 'pending_' || w2.stage FROM workflow_stages w2
                          WHERE w2.kind = w.kind AND leqi_stage_rank(w2.stage) > leqi_stage_rank(w.stage)
                          ORDER BY leqi_stage_rank(w2.stage) LIMIT 1), 'confirmed') AS next_state
          FROM workflow_stages w
    ), subj AS MATERIALIZED (
        SELECT i.ord, i.id, i.ver, i.nth, a.id IS NOT NULL AS found, a.kind, a.state, a.version,
               a.county_id, a.province_id, a.unit_id, a.direct_unit_id, a.last_decider, a.last_officer,
               a.updated_at,
               -- The form is parsed only for the kinds that need it.
               CASE WHEN a.kind = 'invitation' THEN a.form::json ->> 'relation' END AS relation,
               CASE WHEN a.kind = 'subscription'
                    THEN COALESCE(a.form::json ->> 'capability', '数电票开具') END AS capability,
               -- An extension runs to the date the officer sets, else the
               -- end the request names, else a year.
               CASE WHEN a.kind = 'extension'
                    THEN COALESCE(p_until,
                                  CASE WHEN a.form::json ->> 'period_end' ~ '^\d{4}-\d{2}-\d{2}$'
                                       THEN (a.form::json ->> 'period_end')::date::timestamptz END,
                                  now() + interval '1 year') END AS until,
               s.stage, f.level AS wlevel, f.role AS wrole, f.next_state
          FROM input i
          -- One index look-up per item, whatever the table's size.
          LEFT JOIN LATERAL (SELECT * FROM applications x WHERE x.id = i.id LIMIT 1) a ON TRUE
          LEFT JOIN LATERAL (SELECT CASE a.state WHEN 'pending_acceptance' THEN 'acceptance'
                                     WHEN 'pending_review' THEN 'review'
                                     WHEN 'pending_confirmation' THEN 'confirmation' END AS stage) s ON TRUE
          LEFT JOIN flow f ON f.kind = a.kind AND f.stage = s.stage
    ), step AS MATERIALIZED (
        SELECT s.*,
               CASE WHEN p_decision = 'pass' THEN s.next_state
                    ELSE CASE s.stage WHEN 'acceptance' THEN 'not_accepted' WHEN 'review' THEN 'review_rejected'
                                      ELSE 'confirm_rejected' END END AS to_state,
               CASE WHEN p_decision = 'pass'
                    THEN CASE s.stage WHEN 'acceptance' THEN 'accept' WHEN 'review' THEN 'review_pass'
                                      ELSE 'confirm_pass' END
                    ELSE CASE s.stage WHEN 'acceptance' THEN 'not_accept' WHEN 'review' THEN 'review_reject'
                                      ELSE 'confirm_reject' END END AS action,
               CASE WHEN s.wlevel = 'county' THEN s.county_id ELSE s.province_id END AS stage_bureau,
               CASE WHEN s.kind = 'exit' AND p_decision = 'pass'
                    THEN (SELECT count(*) FROM bindings b WHERE b.direct_unit_id = s.unit_id AND b.active)
                    ELSE 0 END AS bound,
               s.kind = 'invitation' AND EXISTS (SELECT 1 FROM bindings b WHERE b.direct_unit_id = s.direct_unit_id
                    AND b.user_unit_id = s.unit_id AND b.active) AS already_bound,
               s.kind = 'subscription' AND EXISTS (SELECT 1 FROM capabilities c WHERE c.unit_id = s.unit_id
                    AND c.active AND c.capability = s.capability) AS already_subscribed,
               -- A supervision measure in force on the unit concerned
               -- (migrations/postgres/0010_supervision.sql) that stops
               -- confirming this kind.
               CASE WHEN p_decision = 'pass' AND s.next_state = 'confirmed' AND s.kind <> 'exit' THEN
                    (SELECT m.kind FROM measures m
                      WHERE m.unit_id = CASE WHEN s.kind = 'invitation' THEN s.direct_unit_id ELSE s.unit_id END
                        AND m.state = 'in_force'
                        AND m.kind = ANY (CASE s.kind
                              WHEN 'invitation' THEN ARRAY['suspend_invitations', 'suspend_access', 'terminate']
                              WHEN 'subscription' THEN ARRAY['suspend_capabilities', 'suspend_access', 'terminate']
                              ELSE ARRAY['suspend_access', 'terminate'] END)
                      ORDER BY m.id LIMIT 1) END AS blocked_by
          FROM subj s
    ), judged AS (
        SELECT st.*,
               CASE WHEN st.nth > 1 THEN 'LQ006'
                    WHEN NOT st.found THEN 'LQ005'
                    WHEN st.ver IS NOT NULL AND st.ver <> st.version THEN 'LQ001'
                    WHEN st.stage IS NULL OR st.wlevel IS NULL THEN 'LQ002'
                    WHEN st.wlevel <> me.level OR me.bureau_id <> st.stage_bureau THEN '42501'
                    WHEN NOT (st.wrole = ANY (me.roles)) THEN '42501'
                    WHEN sod AND st.last_decider = me.login THEN '42501'
                    WHEN p_decision = 'reject' AND p_reason IS NULL THEN 'LQ003'
                    WHEN st.kind = 'exit' AND p_decision = 'pass' AND st.bound > 0 THEN 'LQ004'
                    WHEN p_decision = 'pass' AND st.to_state = 'confirmed' AND st.already_bound THEN 'LQ004'
                    WHEN p_decision = 'pass' AND st.to_state = 'confirmed' AND st.already_subscribed THEN 'LQ004'
                    WHEN st.blocked_by IS NOT NULL THEN 'LQ004'
                    ELSE '00000' END AS code,
               CASE WHEN st.nth > 1 THEN 'repeated'
                    WHEN NOT st.found OR (st.ver IS NOT NULL AND st.ver <> st.version)
                         OR st.stage IS NULL OR st.wlevel IS NULL THEN ''
                    WHEN st.wlevel <> me.level OR me.bureau_id <> st.stage_bureau
                         THEN 'wrong_bureau:' || st.wlevel || ':' || st.stage_bureau
                    WHEN NOT (st.wrole = ANY (me.roles)) THEN 'missing_role:' || st.wrole
                    WHEN sod AND st.last_decider = me.login THEN 'separation'
                    WHEN p_decision = 'reject' AND p_reason IS NULL THEN 'reason_required'
                    WHEN st.kind = 'exit' AND p_decision = 'pass' AND st.bound > 0 THEN 'still_bound:' || st.bound
                    WHEN p_decision = 'pass' AND st.to_state = 'confirmed' AND st.already_bound THEN 'already_bound'
                    WHEN p_decision = 'pass' AND st.to_state = 'confirmed' AND st.already_subscribed
                         THEN 'already_subscribed'
                    WHEN st.blocked_by IS NOT NULL THEN 'measure:' || st.blocked_by
                    ELSE '' END AS detail
          FROM step st
    ), once AS (
        -- Two items that would make the same binding or subscription: the
        -- first is done, the others refused.
        SELECT j.*,
               CASE WHEN j.code = '00000' AND p_decision = 'pass' AND j.to_state = 'confirmed'
                         AND j.kind IN ('invitation', 'subscription')
                    THEN row_number() OVER (PARTITION BY j.code, j.kind, j.to_state,
                             CASE WHEN j.kind = 'invitation' THEN j.direct_unit_id END, j.unit_id,
                             CASE WHEN j.kind = 'subscription' THEN j.capability END ORDER BY j.ord)
                    ELSE 1 END AS made
          FROM judged j
    )
    SELECT array_agg(ROW(o.ord, o.id,
               CASE WHEN o.made > 1 THEN 'LQ004' ELSE o.code END,
               CASE WHEN o.made > 1 THEN CASE o.kind WHEN 'invitation' THEN 'already_bound' ELSE 'already_subscribed' END
                    ELSE o.detail END,
               o.kind, o.state, o.to_state, o.action, o.version,
               CASE (SELECT w3.level FROM workflow_stages w3
                      WHERE w3.kind = o.kind AND 'pending_' || w3.stage = o.to_state)
                    WHEN 'county' THEN o.county_id WHEN 'province' THEN o.province_id END,
               o.unit_id, o.direct_unit_id, o.relation, o.capability, o.last_officer, o.updated_at,
               o.until)::leqi_verdict
               ORDER BY o.ord)
      INTO out FROM once o;
    RETURN COALESCE(out, '{}');
END $$;

-- The results of verdicts as the caller reads them; a conflict with the
-- item as it is now.
CREATE FUNCTION leqi_results(v leqi_verdict[]) RETURNS SETOF leqi_result
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    SELECT x.id, x.code, x.detail,
           CASE WHEN x.code = '00000' THEN x.action END,
           CASE WHEN x.code = '00000' THEN x.from_state END,
           CASE WHEN x.code = '00000' THEN x.to_state END,
           CASE WHEN x.code = '00000' THEN x.version + 1 END,
           a.state, a.version, a.last_officer, a.updated_at
      FROM unnest(v) x LEFT JOIN applications a ON a.id = x.id
     ORDER BY x.ord
$$;

-- A batch's per-item result rows, written with the items' changes: done
-- with the step's name; a refusal as its code, which the program renders
-- in the officer's words when it reads the batch
-- (`§code§detail§state§version§by§at`).
CREATE FUNCTION leqi_batch_rows(p_batch text, p_seqs bigint[], p_versions bigint[], p_results leqi_result[])
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    INSERT INTO batch_items (batch_id, seq, item_id, version, outcome, message, from_state, to_state)
    SELECT p_batch, p_seqs[r.k], r.id, p_versions[r.k],
           CASE r.code WHEN '00000' THEN 'done' WHEN '42501' THEN 'forbidden' WHEN 'LQ001' THEN 'conflict'
                       WHEN 'LQ002' THEN 'conflict' WHEN 'LQ003' THEN 'invalid' WHEN 'LQ004' THEN 'precondition'
                       WHEN 'LQ005' THEN 'not_found' WHEN 'LQ006' THEN 'duplicate' ELSE 'error' END,
           CASE WHEN r.code = '00000'
                THEN CASE r.action WHEN 'accept' THEN '受理' WHEN 'not_accept' THEN '不予受理'
                                   WHEN 'review_pass' THEN '复核通过' WHEN 'review_reject' THEN '复核不通过'
                                   WHEN 'confirm_pass' THEN '确认通过' WHEN 'confirm_reject' THEN '确认不通过'
                                   WHEN 'unbind' THEN '解除绑定' ELSE r.action END
                ELSE '§' || r.code || '§' || r.detail || '§' || COALESCE(r.cur_state, '') || '§'
                     || COALESCE(r.cur_version::text, '') || '§' || COALESCE(r.by_officer, '') || '§'
                     || COALESCE(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '') END,
           r.from_state, r.to_state
      FROM unnest(p_results) WITH ORDINALITY AS r(id, code, detail, action, from_state, to_state, version,
           cur_state, cur_version, by_officer, at, k)
    ON CONFLICT (batch_id, seq) DO NOTHING
$$;

CREATE FUNCTION leqi_decide(p_ids bigint[], p_versions bigint[], p_decision text, p_reason text,
    p_apply boolean DEFAULT true, p_batch text DEFAULT NULL, p_client text DEFAULT NULL,
    p_seqs bigint[] DEFAULT NULL, p_until timestamptz DEFAULT NULL)
RETURNS SETOF leqi_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    reason text := leqi_reason(p_reason);
    t timestamptz := now();
    v leqi_verdict[];
    applied bigint[];
    exits bigint[];
    ev leqi_event[];
    res leqi_result[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    PERFORM leqi_own_batch(p_batch, me.login);
    v := leqi_judge(p_ids, p_versions, p_decision, reason, p_until);
    IF NOT p_apply THEN
        RETURN QUERY SELECT * FROM leqi_results(v);
        RETURN;
    END IF;
    -- The state changes, version-guarded: an item another officer moved
    -- since it was judged is not changed, and becomes a conflict.
    WITH done AS (
        UPDATE applications a
           SET state = x.to_state, version = a.version + 1, acting_bureau = x.acting,
               last_officer = me.login, last_decider = me.login, updated_at = t
          FROM unnest(v) x
         WHERE x.code = '00000' AND a.id = x.id AND a.version = x.version
     RETURNING a.id)
    SELECT COALESCE(array_agg(id), '{}') INTO applied FROM done;
    v := ARRAY(SELECT CASE WHEN x.code = '00000' AND NOT (x.id = ANY (applied))
                           THEN ROW(x.ord, x.id, 'LQ001', '', x.kind, x.from_state, x.to_state, x.action,
                                    x.version, x.acting, x.unit_id, x.direct_unit_id, x.relation, x.capability,
                                    x.last_officer, x.updated_at, x.until)::leqi_verdict
                           ELSE x END
                 FROM unnest(v) x ORDER BY x.ord);
    -- An extension's confirmation says to when.
    ev := ARRAY(SELECT ROW(x.id, NULL, x.action, x.from_state, x.to_state,
                           CASE WHEN x.kind = 'extension' AND x.to_state = 'confirmed'
                                THEN '资格延续至 ' || to_char(x.until AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
                                ELSE reason END, NULL, NULL, NULL)::leqi_event
                  FROM unnest(v) x WHERE x.code = '00000' ORDER BY x.ord);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
    END IF;
    -- What final steps bring.
    UPDATE units SET direct_connect = TRUE, exiting = FALSE
     WHERE id IN (SELECT x.unit_id FROM unnest(v) x
                   WHERE x.code = '00000' AND x.kind = 'access' AND x.to_state = 'confirmed');
    UPDATE units SET exiting = FALSE
     WHERE id IN (SELECT x.unit_id FROM unnest(v) x
                   WHERE x.code = '00000' AND x.kind = 'exit' AND p_decision = 'reject');
    WITH b AS (
        INSERT INTO bindings (direct_unit_id, user_unit_id, relation, since, invitation_id)
        SELECT x.direct_unit_id, x.unit_id, COALESCE(x.relation, 'control'), t, x.id
          FROM unnest(v) x
         WHERE x.code = '00000' AND x.kind = 'invitation' AND x.to_state = 'confirmed'
           AND x.direct_unit_id IS NOT NULL
        RETURNING direct_unit_id, user_unit_id)
    INSERT INTO authorisations (direct_unit_id, unit_id, capability)
    SELECT direct_unit_id, user_unit_id, '基础开票能力' FROM b;
    INSERT INTO capabilities (unit_id, capability)
    SELECT x.unit_id, x.capability FROM unnest(v) x
     WHERE x.code = '00000' AND x.kind = 'subscription' AND x.to_state = 'confirmed';
    UPDATE units u SET qualified_until = x.until
      FROM unnest(v) x
     WHERE x.code = '00000' AND x.kind = 'extension' AND x.to_state = 'confirmed' AND u.id = x.unit_id;
    exits := ARRAY(SELECT x.id FROM unnest(v) x
                    WHERE x.code = '00000' AND x.kind = 'exit' AND x.to_state = 'confirmed');
    IF cardinality(exits) > 0 THEN
        PERFORM leqi_exit_cascade(exits, me.login, me.bureau_id, t, p_batch, p_client);
    END IF;
    res := ARRAY(SELECT r FROM leqi_results(v) r);
    IF p_batch IS NOT NULL THEN
        PERFORM leqi_batch_rows(p_batch, p_seqs, p_versions, res);
    END IF;
    RETURN QUERY SELECT * FROM unnest(res);
END $$;

-- An exit confirmed (DOMAIN.md D): the unit's capabilities and every
-- authorisation of it and its user units end, bindings still active end,
-- its invitations and subscriptions still in the flow are set
-- unsuccessful where they stand, and it is no longer direct-connect.
CREATE FUNCTION leqi_exit_cascade(p_exits bigint[], p_officer text, p_bureau text, p_at timestamptz,
    p_batch text, p_client text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    units_ bigint[] := ARRAY(SELECT unit_id FROM applications WHERE id = ANY (p_exits));
    ev leqi_event[];
BEGIN
    UPDATE capabilities SET active = FALSE, ended_at = p_at WHERE unit_id = ANY (units_) AND active;
    UPDATE authorisations SET active = FALSE, ended_at = p_at
     WHERE (direct_unit_id = ANY (units_) OR unit_id = ANY (units_)) AND active;
    WITH ended AS (
        UPDATE bindings SET active = FALSE, version = version + 1, ended_at = p_at, ended_by = p_officer,
               ended_reason = '直连单位退出'
         WHERE direct_unit_id = ANY (units_) AND active RETURNING id)
    SELECT ARRAY(SELECT ROW(NULL, id, 'unbind', NULL, NULL, '直连单位退出', NULL, NULL, NULL)::leqi_event FROM ended ORDER BY id)
      INTO ev;
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, p_officer, p_bureau, p_at, p_batch, p_client);
    END IF;
    WITH f AS (
        SELECT a.id, a.state, e.id AS exit_id
          FROM applications e
          JOIN applications a ON (a.kind = 'invitation' AND a.direct_unit_id = e.unit_id)
                              OR (a.kind = 'subscription' AND a.unit_id = e.unit_id)
         WHERE e.id = ANY (p_exits)
           AND a.state IN ('awaiting_unit', 'pending_acceptance', 'pending_review', 'pending_confirmation')
           FOR UPDATE OF a
    ), stopped AS (
        UPDATE applications a SET state = 'unsuccessful', version = a.version + 1, acting_bureau = NULL,
               last_officer = p_officer, updated_at = p_at
          FROM f WHERE a.id = f.id
        RETURNING a.id, f.state, f.exit_id)
    SELECT ARRAY(SELECT ROW(s.id, NULL, 'set_unsuccessful', s.state, 'unsuccessful',
                            '直连单位退出申请 ' || s.exit_id || ' 确认通过 (exit ' || s.exit_id || ' confirmed)', NULL, NULL, NULL)::leqi_event
                   FROM stopped s ORDER BY s.id)
      INTO ev;
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, p_officer, p_bureau, p_at, p_batch, p_client);
    END IF;
    UPDATE units SET direct_connect = FALSE, exiting = FALSE WHERE id = ANY (units_);
END $$;

-- ---------------------------------------------------------------------
-- Unbinding: the binding exists, is active, is at the version the caller
-- saw, and is the caller's to end (the direct-connect unit's county with
-- accept or supervise, or its province with supervise).

CREATE FUNCTION leqi_unbind(p_ids bigint[], p_versions bigint[], p_reason text,
    p_apply boolean DEFAULT true, p_batch text DEFAULT NULL, p_client text DEFAULT NULL,
    p_seqs bigint[] DEFAULT NULL)
RETURNS SETOF leqi_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    reason text := leqi_reason(p_reason);
    t timestamptz := now();
    res leqi_result[];
    applied bigint[];
    ev leqi_event[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    PERFORM leqi_own_batch(p_batch, me.login);
    IF reason IS NULL THEN
        RAISE EXCEPTION '请填写理由 (a reason is required)' USING ERRCODE = 'LQ003', DETAIL = 'reason_required';
    END IF;
    IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_versions) THEN
        RAISE EXCEPTION '编号与版本数量不一致 (ids and versions differ in number)' USING ERRCODE = 'LQ003';
    END IF;
    WITH input AS (
        SELECT t.id, t.ver, t.ord, row_number() OVER (PARTITION BY t.id ORDER BY t.ord) AS nth
          FROM unnest(p_ids, p_versions) WITH ORDINALITY AS t(id, ver, ord)
    ), j AS (
        SELECT i.ord, i.id, i.ver, i.nth, b.id IS NOT NULL AS found, b.active, b.version, b.ended_by,
               b.ended_at, du.bureau_id AS county, bu.province_id AS province
          FROM input i
          LEFT JOIN bindings b ON b.id = i.id
          LEFT JOIN units du ON du.id = b.direct_unit_id
          LEFT JOIN bureaus bu ON bu.id = du.bureau_id
    ), coded AS (
        SELECT j.*,
               CASE WHEN j.nth > 1 THEN 'LQ006'
                    WHEN NOT j.found THEN 'LQ005'
                    WHEN NOT j.active THEN 'LQ004'
                    WHEN j.ver IS NOT NULL AND j.ver <> j.version THEN 'LQ004'
                    WHEN (me.level = 'county' AND me.bureau_id <> j.county)
                      OR (me.level = 'province' AND me.bureau_id <> j.province) THEN '42501'
                    WHEN me.level = 'county' AND NOT (me.roles && ARRAY['accept', 'supervise']) THEN '42501'
                    WHEN me.level = 'province' AND NOT ('supervise' = ANY (me.roles)) THEN '42501'
                    ELSE '00000' END AS code,
               CASE WHEN j.nth > 1 THEN 'repeated'
                    WHEN NOT j.found THEN ''
                    WHEN NOT j.active THEN 'already_unbound'
                    WHEN j.ver IS NOT NULL AND j.ver <> j.version THEN 'binding_changed:' || j.version
                    WHEN (me.level = 'county' AND me.bureau_id <> j.county)
                      OR (me.level = 'province' AND me.bureau_id <> j.province)
                         THEN 'wrong_bureau:county:' || j.county
                    ELSE 'missing_role:supervise' END AS detail
          FROM j
    )
    SELECT array_agg(ROW(c.id, c.code, CASE WHEN c.code = '00000' THEN '' ELSE c.detail END,
                         CASE WHEN c.code = '00000' THEN 'unbind' END, NULL, NULL,
                         CASE WHEN c.code = '00000' THEN c.version + 1 END,
                         NULL, c.version, c.ended_by, c.ended_at)::leqi_result ORDER BY c.ord)
      INTO res FROM coded c;
    res := COALESCE(res, '{}');
    IF NOT p_apply THEN
        RETURN QUERY SELECT * FROM unnest(res);
        RETURN;
    END IF;
    WITH ended AS (
        UPDATE bindings b SET active = FALSE, version = b.version + 1, ended_at = t, ended_by = me.login,
               ended_reason = reason
          FROM unnest(res) r
         WHERE r.code = '00000' AND b.id = r.id AND b.version = r.cur_version AND b.active
     RETURNING b.id)
    SELECT COALESCE(array_agg(id), '{}') INTO applied FROM ended;
    -- Taken by another officer in the meantime.
    res := ARRAY(SELECT CASE WHEN r.code = '00000' AND NOT (r.id = ANY (applied))
                             THEN ROW(r.id, 'LQ004', 'taken', NULL, NULL, NULL, NULL, NULL, r.cur_version,
                                      r.by_officer, r.at)::leqi_result
                             ELSE ROW(r.id, r.code, r.detail, r.action, r.from_state, r.to_state, r.version,
                                      r.cur_state, r.cur_version, r.by_officer, r.at)::leqi_result END
                   FROM unnest(res) WITH ORDINALITY AS r(id, code, detail, action, from_state, to_state,
                        version, cur_state, cur_version, by_officer, at, ord) ORDER BY r.ord);
    UPDATE authorisations a SET active = FALSE, ended_at = t
      FROM bindings b
     WHERE b.id = ANY (applied) AND a.active AND a.direct_unit_id = b.direct_unit_id AND a.unit_id = b.user_unit_id;
    ev := ARRAY(SELECT ROW(NULL, id, 'unbind', NULL, NULL, reason, NULL, NULL, NULL)::leqi_event FROM unnest(applied) id);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
    END IF;
    IF p_batch IS NOT NULL THEN
        PERFORM leqi_batch_rows(p_batch, p_seqs, p_versions, res);
    END IF;
    RETURN QUERY SELECT * FROM unnest(res);
END $$;

-- ---------------------------------------------------------------------
-- A paper copy received at the counter: the accepting officer of the
-- application's county.

CREATE FUNCTION leqi_mark_paper(p_material bigint, p_client text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    m record;
BEGIN
    SELECT * INTO me FROM leqi_officer();
    SELECT ma.application_id, ma.kind, ma.file_name, ma.paper_received, a.county_id INTO m
      FROM materials ma JOIN applications a ON a.id = ma.application_id WHERE ma.id = p_material;
    IF NOT FOUND THEN
        RAISE EXCEPTION '未找到材料 % (no such material)', p_material USING ERRCODE = 'LQ005';
    END IF;
    IF me.bureau_id <> m.county_id THEN
        RAISE EXCEPTION '不属于您的税务机关 (not your bureau)' USING ERRCODE = '42501',
            DETAIL = 'wrong_bureau:county:' || m.county_id;
    END IF;
    IF NOT ('accept' = ANY (me.roles)) THEN
        RAISE EXCEPTION '您没有受理角色 (you lack the accept role)' USING ERRCODE = '42501',
            DETAIL = 'missing_role:accept';
    END IF;
    IF m.paper_received THEN
        RETURN;
    END IF;
    -- The application's row is locked: its chain has one writer at a time.
    PERFORM 1 FROM applications WHERE id = m.application_id FOR UPDATE;
    UPDATE materials SET paper_received = TRUE WHERE id = p_material;
    INSERT INTO audit_events (application_id, action, officer, bureau_id, reason, at, client)
    VALUES (m.application_id, 'paper_received', me.login, me.bureau_id,
            CASE m.kind WHEN 'info_form' THEN '接入信息表' WHEN 'agreement' THEN '协议书'
                        WHEN 'copyright' THEN '软件著作权证书' WHEN 'no_copyright' THEN '无著作权情况说明'
                        WHEN 'use_right' THEN '授权使用证明' WHEN 'project_report' THEN '项目报告'
                        WHEN 'power_of_attorney' THEN '授权委托书' WHEN 'network_filing' THEN '网络地址备案表'
                        WHEN 'relation_proof' THEN '关系证明' WHEN 'exit_form' THEN '直连单位退出申请表'
                        ELSE '材料' END || '：' || m.file_name,
            now(), p_client);
END $$;

-- ---------------------------------------------------------------------
-- Batches: the caller's own record of a multi-item operation.

CREATE FUNCTION leqi_batch_create(p_id text, p_op text, p_reason text, p_total bigint, p_items text,
    p_duplicates text, p_params text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
BEGIN
    SELECT * INTO me FROM leqi_officer();
    -- Batch ids name their officer: nobody takes another's next id.
    IF position('-' || me.login || '-' IN p_id) = 0 THEN
        RAISE EXCEPTION '批次编号须含您的登录名 (a batch id names its officer)' USING ERRCODE = 'LQ003';
    END IF;
    -- params: migrations/postgres/0010_supervision.sql.
    INSERT INTO batches (id, officer, op, reason, created_at, total, items, duplicates, params)
    VALUES (p_id, me.login, p_op, leqi_reason(p_reason), now(), p_total, p_items, p_duplicates, p_params);
END $$;

CREATE FUNCTION leqi_batch_finish(p_batch text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    UPDATE batches SET finished_at = now()
     WHERE id = p_batch AND officer = (SELECT login FROM leqi_officer()) AND finished_at IS NULL
$$;

-- ---------------------------------------------------------------------
-- Shared settings, by an administrator only, each change audited.

CREATE FUNCTION leqi_require_admin() RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    IF NOT leqi_is_admin() THEN
        RAISE EXCEPTION '需要管理员角色 (the admin role is required)' USING ERRCODE = '42501',
            DETAIL = 'missing_role:admin';
    END IF;
END $$;

-- The login role of an officer: made if missing, able to log in while the
-- officer is active. No password unless one is given: the server's
-- pg_hba.conf decides how they authenticate.
CREATE FUNCTION leqi_login_role(p_login text, p_active boolean, p_password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    IF p_login !~ '^[a-z0-9][a-z0-9._-]{0,62}$' THEN
        RAISE EXCEPTION '登录名“%”无效：只能用小写字母、数字、点、下划线和连字符 (bad login)', p_login
            USING ERRCODE = 'LQ003';
    END IF;
    IF p_login LIKE 'leqi\_%' OR p_login IN ('postgres', 'public') THEN
        RAISE EXCEPTION '登录名“%”已保留 (reserved login)', p_login USING ERRCODE = 'LQ003';
    END IF;
    -- Roles are the cluster's: another database's set-up may be making the
    -- same one at this moment. Each step is taken only if still needed.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', p_login);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    ELSIF (SELECT rolsuper FROM pg_roles WHERE rolname = p_login) THEN
        RAISE EXCEPTION '登录名“%”是超级用户，不能作为税务人员 (a superuser cannot be an officer)', p_login
            USING ERRCODE = 'LQ003';
    END IF;
    IF NOT pg_has_role(p_login, 'leqi_officers', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT leqi_officers TO %I', p_login);
        EXCEPTION WHEN OTHERS THEN
            IF NOT pg_has_role(p_login, 'leqi_officers', 'MEMBER') THEN RAISE; END IF;
        END;
    END IF;
    IF (SELECT rolcanlogin FROM pg_roles WHERE rolname = p_login) IS DISTINCT FROM p_active THEN
        BEGIN
            EXECUTE format('ALTER ROLE %I %s', p_login, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
        EXCEPTION WHEN OTHERS THEN
            IF (SELECT rolcanlogin FROM pg_roles WHERE rolname = p_login) IS DISTINCT FROM p_active THEN RAISE; END IF;
        END;
    END IF;
    IF p_password IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_password);
    END IF;
END $$;

CREATE FUNCTION leqi_write_officer(p_login text, p_name text, p_bureau text, p_roles text[],
    p_active boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    INSERT INTO officers (login, name, bureau_id, active) VALUES (p_login, p_name, p_bureau, p_active)
    ON CONFLICT (login) DO UPDATE SET name = excluded.name, bureau_id = excluded.bureau_id, active = excluded.active;
    DELETE FROM officer_roles WHERE login = p_login;
    INSERT INTO officer_roles (login, role) SELECT p_login, r FROM unnest(p_roles) r;
END $$;

CREATE FUNCTION leqi_officer_add(p_login text, p_name text, p_bureau text, p_roles text[],
    p_password text DEFAULT NULL, p_client text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    PERFORM leqi_require_admin();
    IF NOT EXISTS (SELECT 1 FROM bureaus WHERE id = p_bureau) THEN
        RAISE EXCEPTION '没有税务机关 % (no such bureau)', p_bureau USING ERRCODE = 'LQ005';
    END IF;
    IF COALESCE(btrim(p_name), '') = '' THEN
        RAISE EXCEPTION '请给出姓名 (a name is required)' USING ERRCODE = 'LQ003';
    END IF;
    PERFORM leqi_login_role(p_login, true, p_password);
    PERFORM leqi_write_officer(p_login, p_name, p_bureau, p_roles, true);
    INSERT INTO audit_events (action, officer, bureau_id, reason, at, client)
    VALUES ('officer_add', session_user, (SELECT bureau_id FROM officers WHERE login = session_user),
            p_login || ' ' || p_name || ' @' || p_bureau || ' ' || array_to_string(p_roles, ','), now(), p_client);
END $$;

CREATE FUNCTION leqi_officer_disable(p_login text, p_client text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    PERFORM leqi_require_admin();
    IF p_login = session_user THEN
        RAISE EXCEPTION '不能停用自己 (you cannot disable yourself)' USING ERRCODE = 'LQ004';
    END IF;
    UPDATE officers SET active = FALSE WHERE login = p_login;
    IF NOT FOUND THEN
        RAISE EXCEPTION '没有税务人员 % (no such officer)', p_login USING ERRCODE = 'LQ005';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login AND NOT rolsuper) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', p_login);
        EXECUTE format('REVOKE leqi_officers FROM %I', p_login);
    END IF;
    INSERT INTO audit_events (action, officer, bureau_id, reason, at, client)
    VALUES ('officer_disable', session_user, (SELECT bureau_id FROM officers WHERE login = session_user),
            p_login, now(), p_client);
END $$;

-- A deployment written whole: bureaus, officers and their roles (with
-- their login roles), the workflow table (and the acting bureau of items
-- whose stage moved), separation of duties, thresholds.
CREATE FUNCTION leqi_admin_apply(p_doc json, p_summary text, p_client text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    o record;
    w record;
BEGIN
    PERFORM leqi_require_admin();
    INSERT INTO bureaus (id, name, level, province_id)
    SELECT b.id, b.name, b.level, b.province
      FROM json_to_recordset(p_doc -> 'bureaus') AS b(id text, name text, level text, province text)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, province_id = excluded.province_id;
    FOR o IN SELECT * FROM json_to_recordset(p_doc -> 'officers')
             AS x(login text, name text, bureau text, roles text[], active boolean) LOOP
        PERFORM leqi_login_role(o.login, o.active, NULL);
        PERFORM leqi_write_officer(o.login, o.name, o.bureau, o.roles, o.active);
    END LOOP;
    FOR w IN SELECT * FROM json_to_recordset(p_doc -> 'workflow') AS x(kind text, stage text, level text, role text) LOOP
        INSERT INTO workflow_stages (kind, stage, level, role) VALUES (w.kind, w.stage, w.level, w.role)
        ON CONFLICT (kind, stage) DO UPDATE SET level = excluded.level, role = excluded.role;
        UPDATE applications SET acting_bureau = CASE WHEN w.level = 'county' THEN county_id ELSE province_id END
         WHERE kind = w.kind AND state = 'pending_' || w.stage
           AND acting_bureau IS DISTINCT FROM (CASE WHEN w.level = 'county' THEN county_id ELSE province_id END);
    END LOOP;
    INSERT INTO settings (key, value)
    VALUES ('separation_of_duties', CASE WHEN (p_doc ->> 'separation_of_duties')::boolean THEN 'on' ELSE 'off' END)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    IF p_doc -> 'thresholds' IS NOT NULL AND json_typeof(p_doc -> 'thresholds') <> 'null' THEN
        INSERT INTO settings (key, value) VALUES ('thresholds', (p_doc -> 'thresholds')::text)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    END IF;
    INSERT INTO audit_events (action, officer, bureau_id, reason, at, client)
    VALUES ('admin_apply', session_user, (SELECT bureau_id FROM officers WHERE login = session_user),
            p_summary, now(), p_client);
END $$;

-- ---------------------------------------------------------------------
-- Privileges: officers read (as row-level security allows) and execute
-- the functions meant for them; nobody else gets anything.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO leqi_officers;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
-- Functions later migrations make are closed until granted.
ALTER DEFAULT PRIVILEGES FOR ROLE leqi_owner IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT EXECUTE ON FUNCTION leqi_officer(), leqi_my_bureaus(), leqi_is_admin(),
    leqi_decide(bigint[], bigint[], text, text, boolean, text, text, bigint[], timestamptz),
    leqi_unbind(bigint[], bigint[], text, boolean, text, text, bigint[]),
    leqi_mark_paper(bigint, text),
    leqi_batch_create(text, text, text, bigint, text, text, text),
    leqi_batch_finish(text),
    leqi_officer_add(text, text, text, text[], text, text), leqi_officer_disable(text, text),
    leqi_admin_apply(json, text, text)
    TO leqi_officers;
