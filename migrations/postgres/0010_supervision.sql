-- Supervision (the service agreement's 第二条): measures on a direct-connect
-- unit with their rectification deadlines, risk warnings, and what the
-- unit is for the agreement's other rules. Written only through the
-- functions below (supervise role, the unit's county or province), each
-- change audited on the unit's chain; read as row-level security allows.

ALTER TABLE units ADD COLUMN special_industry BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN serious_offence BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN qualified_until TIMESTAMPTZ;

CREATE TABLE measures (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    county_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'interview', 'suspend_invitations', 'suspend_capabilities',
                                       'limit_concurrency', 'suspend_access', 'terminate')),
    state TEXT NOT NULL CHECK (state IN ('recorded', 'in_force', 'lifted', 'escalated')),
    reason TEXT NOT NULL CHECK (length(btrim(reason)) > 0),
    concurrency_limit BIGINT CHECK (concurrency_limit IS NULL OR concurrency_limit > 0),
    deadline TIMESTAMPTZ,
    warning_id BIGINT,
    imposed_by TEXT NOT NULL,
    imposed_at TIMESTAMPTZ NOT NULL,
    ended_by TEXT,
    ended_at TIMESTAMPTZ,
    note TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((kind = 'limit_concurrency') = (concurrency_limit IS NOT NULL)),
    CHECK ((kind IN ('suspend_invitations', 'suspend_capabilities', 'limit_concurrency', 'suspend_access'))
           = (deadline IS NOT NULL)),
    CHECK (deadline IS NULL OR deadline <= imposed_at + interval '3 months'),
    CHECK ((kind IN ('reminder', 'interview')) = (state = 'recorded'))
);
CREATE INDEX measures_unit ON measures(unit_id, state);
CREATE INDEX measures_in_force ON measures(county_id, deadline) WHERE state = 'in_force';
CREATE UNIQUE INDEX measures_one_in_force ON measures(unit_id, kind) WHERE state = 'in_force';

CREATE TABLE warnings (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    county_id TEXT NOT NULL,
    finding TEXT NOT NULL CHECK (length(btrim(finding)) > 0),
    state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed', 'escalated')),
    raised_by TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    deadline TIMESTAMPTZ NOT NULL,
    feedback TEXT,
    feedback_at TIMESTAMPTZ,
    closed_by TEXT,
    closed_at TIMESTAMPTZ,
    note TEXT,
    measure_id BIGINT REFERENCES measures(id),
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((state = 'escalated') = (measure_id IS NOT NULL))
);
CREATE INDEX warnings_unit ON warnings(unit_id, state);
CREATE INDEX warnings_open ON warnings(county_id, deadline) WHERE state IN ('open', 'answered');

ALTER TABLE batches ADD COLUMN params TEXT;

ALTER TABLE measures ENABLE ROW LEVEL SECURITY;
ALTER TABLE measures FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON measures TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON measures FOR SELECT TO leqi_officers
    USING (county_id = ANY ((SELECT leqi_my_bureaus())::text[]));
ALTER TABLE warnings ENABLE ROW LEVEL SECURITY;
ALTER TABLE warnings FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON warnings TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON warnings FOR SELECT TO leqi_officers
    USING (county_id = ANY ((SELECT leqi_my_bureaus())::text[]));

-- The supervisor of a unit: the supervise role, in its county or province.
CREATE FUNCTION leqi_supervises(p_unit bigint, me_login text, me_bureau text, me_level text,
    me_roles text[], OUT code text, OUT detail text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    SELECT CASE WHEN u.id IS NULL THEN 'LQ005'
                WHEN (me_level = 'county' AND me_bureau <> u.bureau_id)
                  OR (me_level = 'province' AND me_bureau <> b.province_id) THEN '42501'
                WHEN NOT ('supervise' = ANY (me_roles)) THEN '42501'
                ELSE '00000' END,
           CASE WHEN u.id IS NULL THEN ''
                WHEN (me_level = 'county' AND me_bureau <> u.bureau_id)
                  OR (me_level = 'province' AND me_bureau <> b.province_id)
                     THEN 'not_your_unit:' || u.bureau_id
                WHEN NOT ('supervise' = ANY (me_roles)) THEN 'missing_role:supervise'
                ELSE '' END
      FROM (SELECT p_unit AS id) i
      LEFT JOIN units u ON u.id = i.id
      LEFT JOIN bureaus b ON b.id = u.bureau_id
$$;

-- A measure's deadline: the one asked for, else a month; refused in the
-- past, beyond three months, or for a measure that has none.
CREATE FUNCTION leqi_deadline(p_kind text, p_asked timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    IF p_kind NOT IN ('suspend_invitations', 'suspend_capabilities', 'limit_concurrency', 'suspend_access') THEN
        IF p_asked IS NOT NULL THEN
            RAISE EXCEPTION '该措施没有整改期限 (this measure has no deadline)' USING ERRCODE = 'LQ003';
        END IF;
        RETURN NULL;
    END IF;
    IF p_asked IS NULL THEN
        RETURN now() + interval '1 month';
    END IF;
    IF p_asked <= now() THEN
        RAISE EXCEPTION '整改期限须在今天之后 (the deadline must be in the future)' USING ERRCODE = 'LQ003';
    END IF;
    IF p_asked > now() + interval '3 months' THEN
        RAISE EXCEPTION '整改期限不能超过 3 个月 (the rectification deadline may not be more than three months away)'
            USING ERRCODE = 'LQ003';
    END IF;
    RETURN p_asked;
END $$;

-- Measures imposed on units, one each. Each unit: it exists, is
-- direct-connect, is the caller's to supervise, has no measure of the
-- kind in force already, and is not terminated. A termination ends the
-- unit's connection as a confirmed exit does, in the same transaction.
CREATE FUNCTION leqi_measure_impose(p_units bigint[], p_kind text, p_reason text, p_deadline timestamptz,
    p_limit bigint, p_warning bigint DEFAULT NULL, p_apply boolean DEFAULT true, p_batch text DEFAULT NULL,
    p_client text DEFAULT NULL, p_seqs bigint[] DEFAULT NULL)
RETURNS SETOF leqi_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    v_reason text := leqi_reason(p_reason);
    dl timestamptz;
    t timestamptz := now();
    res leqi_result[];
    ev leqi_event[];
    ended bigint[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    PERFORM leqi_own_batch(p_batch, me.login);
    IF p_kind NOT IN ('reminder', 'interview', 'suspend_invitations', 'suspend_capabilities',
                      'limit_concurrency', 'suspend_access', 'terminate') THEN
        RAISE EXCEPTION '未知的措施 % (unknown measure)', p_kind USING ERRCODE = 'LQ003';
    END IF;
    IF v_reason IS NULL THEN
        RAISE EXCEPTION '请填写理由 (a reason is required)' USING ERRCODE = 'LQ003', DETAIL = 'reason_required';
    END IF;
    IF (p_kind = 'limit_concurrency') <> (p_limit IS NOT NULL AND p_limit > 0) THEN
        RAISE EXCEPTION '限制并发量须给出新的上限 (a concurrency limit needs the new limit)' USING ERRCODE = 'LQ003';
    END IF;
    dl := leqi_deadline(p_kind, p_deadline);
    WITH input AS (
        SELECT t.id, t.ord, row_number() OVER (PARTITION BY t.id ORDER BY t.ord) AS nth
          FROM unnest(p_units) WITH ORDINALITY AS t(id, ord)
    ), j AS (
        SELECT i.ord, i.id, i.nth, u.direct_connect, s.code AS scode, s.detail AS sdetail,
               EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = i.id AND m.state = 'in_force'
                          AND m.kind = p_kind) AS already,
               EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = i.id AND m.state = 'in_force'
                          AND m.kind = 'terminate') AS terminated
          FROM input i
          LEFT JOIN units u ON u.id = i.id
          CROSS JOIN LATERAL leqi_supervises(i.id, me.login, me.bureau_id, me.level, me.roles) s
    )
    SELECT array_agg(ROW(j.id,
               CASE WHEN j.nth > 1 THEN 'LQ006' WHEN j.scode <> '00000' THEN j.scode
                    WHEN j.terminated THEN 'LQ004' WHEN NOT j.direct_connect THEN 'LQ004'
                    WHEN j.already AND p_kind NOT IN ('reminder', 'interview') THEN 'LQ004' ELSE '00000' END,
               CASE WHEN j.nth > 1 THEN 'repeated' WHEN j.scode <> '00000' THEN j.sdetail
                    WHEN j.terminated THEN 'terminated' WHEN NOT j.direct_connect THEN 'not_direct'
                    WHEN j.already AND p_kind NOT IN ('reminder', 'interview') THEN 'in_force:' || p_kind
                    ELSE '' END,
               'measure_impose', NULL, NULL, NULL, NULL, NULL, NULL, NULL)::leqi_result ORDER BY j.ord)
      INTO res FROM j;
    res := COALESCE(res, '{}');
    IF p_apply THEN
        -- The units are locked: their chains have one writer at a time.
        PERFORM 1 FROM units WHERE id IN (SELECT r.id FROM unnest(res) r WHERE r.code = '00000') FOR UPDATE;
        WITH made AS (
            INSERT INTO measures (unit_id, county_id, kind, state, reason, concurrency_limit, deadline,
                                  warning_id, imposed_by, imposed_at)
            SELECT u.id, u.bureau_id, p_kind,
                   CASE WHEN p_kind IN ('reminder', 'interview') THEN 'recorded' ELSE 'in_force' END,
                   v_reason, CASE WHEN p_kind = 'limit_concurrency' THEN p_limit END, dl, p_warning, me.login, t
              FROM unnest(res) r JOIN units u ON u.id = r.id WHERE r.code = '00000'
            RETURNING id, unit_id)
        SELECT ARRAY(SELECT ROW(NULL, NULL, 'measure_impose', NULL, NULL,
                                p_kind || '：' || v_reason, made.unit_id, made.id, p_warning)::leqi_event
                       FROM made ORDER BY made.unit_id)
          INTO ev;
        IF cardinality(ev) > 0 THEN
            PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
        END IF;
        res := ARRAY(SELECT ROW(r.id, r.code, r.detail, r.action, NULL, NULL,
                                CASE WHEN r.code = '00000' THEN 1 END, NULL, NULL, NULL, NULL)::leqi_result
                       FROM unnest(res) WITH ORDINALITY AS r(id, code, detail, action, from_state, to_state,
                            version, cur_state, cur_version, by_officer, at, k) ORDER BY r.k);
        IF p_kind = 'terminate' THEN
            ended := ARRAY(SELECT r.id FROM unnest(res) r WHERE r.code = '00000');
            IF cardinality(ended) > 0 THEN
                PERFORM leqi_unit_cascade(ended, '终止接入服务', me.login, me.bureau_id, t, p_batch, p_client);
            END IF;
        END IF;
        IF p_batch IS NOT NULL THEN
            PERFORM leqi_batch_rows(p_batch, p_seqs, array_fill(NULL::bigint, ARRAY[cardinality(res)]), res);
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM unnest(res);
END $$;

-- A unit's connection ended, for any reason (a confirmed exit, a
-- termination): its capabilities and every authorisation of it and its
-- user units, its bindings, its invitations and subscriptions still in
-- the flow, and its being direct-connect.
CREATE FUNCTION leqi_unit_cascade(p_units bigint[], p_why text, p_officer text, p_bureau text,
    p_at timestamptz, p_batch text, p_client text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    ev leqi_event[];
BEGIN
    UPDATE capabilities SET active = FALSE, ended_at = p_at WHERE unit_id = ANY (p_units) AND active;
    UPDATE authorisations SET active = FALSE, ended_at = p_at
     WHERE (direct_unit_id = ANY (p_units) OR unit_id = ANY (p_units)) AND active;
    WITH ended AS (
        UPDATE bindings SET active = FALSE, version = version + 1, ended_at = p_at, ended_by = p_officer,
               ended_reason = p_why
         WHERE direct_unit_id = ANY (p_units) AND active RETURNING id)
    SELECT ARRAY(SELECT ROW(NULL, id, 'unbind', NULL, NULL, p_why, NULL, NULL, NULL)::leqi_event
                   FROM ended ORDER BY id)
      INTO ev;
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, p_officer, p_bureau, p_at, p_batch, p_client);
    END IF;
    WITH f AS (
        SELECT a.id, a.state FROM applications a
         WHERE ((a.kind = 'invitation' AND a.direct_unit_id = ANY (p_units))
             OR (a.kind = 'subscription' AND a.unit_id = ANY (p_units)))
           AND a.state IN ('awaiting_unit', 'pending_acceptance', 'pending_review', 'pending_confirmation')
           FOR UPDATE
    ), stopped AS (
        UPDATE applications a SET state = 'unsuccessful', version = a.version + 1, acting_bureau = NULL,
               last_officer = p_officer, updated_at = p_at
          FROM f WHERE a.id = f.id
        RETURNING a.id, f.state)
    SELECT ARRAY(SELECT ROW(s.id, NULL, 'set_unsuccessful', s.state, 'unsuccessful', p_why, NULL, NULL, NULL)::leqi_event
                   FROM stopped s ORDER BY s.id)
      INTO ev;
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, p_officer, p_bureau, p_at, p_batch, p_client);
    END IF;
    UPDATE units SET direct_connect = FALSE, exiting = FALSE WHERE id = ANY (p_units);
END $$;

-- Measures lifted (the unit rectified, with a note) or escalated to
-- termination (the deadline passed unrectified). Each: it exists, is in
-- force, at the version seen, the caller's to supervise; a termination is
-- final.
CREATE FUNCTION leqi_measure_end(p_ids bigint[], p_versions bigint[], p_how text, p_note text,
    p_apply boolean DEFAULT true, p_batch text DEFAULT NULL, p_client text DEFAULT NULL,
    p_seqs bigint[] DEFAULT NULL)
RETURNS SETOF leqi_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    v_note text := leqi_reason(p_note);
    t timestamptz := now();
    res leqi_result[];
    ev leqi_event[];
    units_ bigint[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    PERFORM leqi_own_batch(p_batch, me.login);
    IF p_how NOT IN ('lift', 'escalate') THEN
        RAISE EXCEPTION '只能解除或升级 (lift or escalate)' USING ERRCODE = 'LQ003';
    END IF;
    IF v_note IS NULL THEN
        RAISE EXCEPTION '请填写说明 (a note is required)' USING ERRCODE = 'LQ003', DETAIL = 'reason_required';
    END IF;
    WITH input AS (
        SELECT t.id, t.ver, t.ord, row_number() OVER (PARTITION BY t.id ORDER BY t.ord) AS nth
          FROM unnest(p_ids, p_versions) WITH ORDINALITY AS t(id, ver, ord)
    ), j AS (
        SELECT i.*, m.id IS NOT NULL AS found, m.state, m.kind, m.version, m.unit_id, m.ended_by, m.ended_at,
               s.code AS scode, s.detail AS sdetail
          FROM input i
          LEFT JOIN measures m ON m.id = i.id
          LEFT JOIN LATERAL leqi_supervises(m.unit_id, me.login, me.bureau_id, me.level, me.roles) s ON TRUE
    )
    SELECT array_agg(ROW(j.id,
               CASE WHEN j.nth > 1 THEN 'LQ006' WHEN NOT j.found THEN 'LQ005' WHEN j.scode <> '00000' THEN j.scode
                    WHEN j.state <> 'in_force' THEN 'LQ001' WHEN j.ver IS NOT NULL AND j.ver <> j.version THEN 'LQ001'
                    WHEN j.kind = 'terminate' THEN 'LQ004'
                    WHEN p_how = 'escalate' AND j.kind NOT IN ('suspend_invitations', 'suspend_capabilities',
                         'limit_concurrency', 'suspend_access') THEN 'LQ004'
                    ELSE '00000' END,
               CASE WHEN j.nth > 1 THEN 'repeated' WHEN NOT j.found THEN '' WHEN j.scode <> '00000' THEN j.sdetail
                    WHEN j.state <> 'in_force' OR (j.ver IS NOT NULL AND j.ver <> j.version)
                         THEN 'measure:' || COALESCE(j.state, '')
                    WHEN j.kind = 'terminate' THEN 'final'
                    WHEN p_how = 'escalate' AND j.kind NOT IN ('suspend_invitations', 'suspend_capabilities',
                         'limit_concurrency', 'suspend_access') THEN 'no_deadline'
                    ELSE '' END,
               'measure_' || p_how, NULL, NULL, j.version + 1, j.state, j.version, j.ended_by,
               j.ended_at)::leqi_result ORDER BY j.ord)
      INTO res FROM j;
    res := COALESCE(res, '{}');
    IF p_apply THEN
        WITH done AS (
            UPDATE measures m SET state = CASE p_how WHEN 'lift' THEN 'lifted' ELSE 'escalated' END,
                   version = m.version + 1, ended_by = me.login, ended_at = t, note = v_note
              FROM unnest(res) r
             WHERE r.code = '00000' AND m.id = r.id AND m.version = r.cur_version AND m.state = 'in_force'
            RETURNING m.id, m.unit_id)
        SELECT ARRAY(SELECT ROW(NULL, NULL, 'measure_' || p_how, NULL, NULL, v_note, d.unit_id, d.id, NULL)::leqi_event
                       FROM done d ORDER BY d.unit_id, d.id)
          INTO ev;
        res := ARRAY(SELECT CASE WHEN r.code = '00000'
                                  AND NOT EXISTS (SELECT 1 FROM unnest(ev) e WHERE e.measure_id = r.id)
                                 THEN ROW(r.id, 'LQ001', 'measure:', r.action, NULL, NULL, NULL, r.cur_state,
                                          r.cur_version, r.by_officer, r.at)::leqi_result
                                 ELSE ROW(r.id, r.code, r.detail, r.action, NULL, NULL, r.version, r.cur_state,
                                          r.cur_version, r.by_officer, r.at)::leqi_result END
                       FROM unnest(res) WITH ORDINALITY AS r(id, code, detail, action, from_state, to_state,
                            version, cur_state, cur_version, by_officer, at, k) ORDER BY r.k);
        IF cardinality(ev) > 0 THEN
            PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
        END IF;
        IF p_how = 'escalate' THEN
            -- The deadline passed unrectified: the unit's connection ends.
            units_ := ARRAY(SELECT DISTINCT e.unit_id FROM unnest(ev) e
                             WHERE NOT EXISTS (SELECT 1 FROM measures m WHERE m.unit_id = e.unit_id
                                                  AND m.kind = 'terminate' AND m.state = 'in_force'));
            IF cardinality(units_) > 0 THEN
                WITH made AS (
                    INSERT INTO measures (unit_id, county_id, kind, state, reason, imposed_by, imposed_at)
                    SELECT u.id, u.bureau_id, 'terminate', 'in_force',
                           '整改期限已过未整改：' || v_note, me.login, t
                      FROM units u WHERE u.id = ANY (units_)
                    RETURNING id, unit_id, reason)
                SELECT ARRAY(SELECT ROW(NULL, NULL, 'measure_impose', NULL, NULL, 'terminate：' || made.reason,
                                        made.unit_id, made.id, NULL)::leqi_event FROM made ORDER BY made.unit_id)
                  INTO ev;
                PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
                PERFORM leqi_unit_cascade(units_, '终止接入服务', me.login, me.bureau_id, t, p_batch, p_client);
            END IF;
        END IF;
        IF p_batch IS NOT NULL THEN
            PERFORM leqi_batch_rows(p_batch, p_seqs, p_versions, res);
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM unnest(res);
END $$;

-- A risk warning raised against a unit: the finding, and the date by which
-- the unit must rectify and report back (a month unless set, at most
-- three).
CREATE FUNCTION leqi_warning_raise(p_unit bigint, p_finding text, p_deadline timestamptz,
    p_client text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    s record;
    v_finding text := leqi_reason(p_finding);
    dl timestamptz := COALESCE(p_deadline, now() + interval '1 month');
    v_id bigint;
    v_county text;
BEGIN
    SELECT * INTO me FROM leqi_officer();
    SELECT * INTO s FROM leqi_supervises(p_unit, me.login, me.bureau_id, me.level, me.roles);
    IF s.code = 'LQ005' THEN
        RAISE EXCEPTION '未找到单位 % (no such unit)', p_unit USING ERRCODE = 'LQ005';
    ELSIF s.code <> '00000' THEN
        RAISE EXCEPTION '不能对该单位发出预警 (not yours to supervise)' USING ERRCODE = '42501', DETAIL = s.detail;
    END IF;
    IF v_finding IS NULL THEN
        RAISE EXCEPTION '请写明预警发现的问题 (a finding is required)' USING ERRCODE = 'LQ003';
    END IF;
    IF dl <= now() OR dl > now() + interval '3 months' THEN
        RAISE EXCEPTION '整改期限须在今后 3 个月内 (the deadline must be within the next three months)' USING ERRCODE = 'LQ003';
    END IF;
    SELECT bureau_id INTO v_county FROM units WHERE id = p_unit FOR UPDATE;
    INSERT INTO warnings (unit_id, county_id, finding, state, raised_by, raised_at, deadline)
    VALUES (p_unit, v_county, v_finding, 'open', me.login, now(), dl) RETURNING id INTO v_id;
    PERFORM leqi_append(ARRAY[ROW(NULL, NULL, 'warning_raise', NULL, NULL, v_finding, p_unit, NULL, v_id)::leqi_event],
                        me.login, me.bureau_id, now(), NULL, p_client);
    RETURN v_id;
END $$;

-- The unit's feedback recorded, or the warning closed (rectified), or
-- escalated to a measure (imposed here, with the warning named).
CREATE FUNCTION leqi_warning_act(p_id bigint, p_version bigint, p_how text, p_text text,
    p_kind text DEFAULT NULL, p_deadline timestamptz DEFAULT NULL, p_limit bigint DEFAULT NULL,
    p_client text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    w record;
    s record;
    r record;
    v_text text := leqi_reason(p_text);
    v_measure bigint;
BEGIN
    SELECT * INTO me FROM leqi_officer();
    IF p_how NOT IN ('feedback', 'close', 'escalate') THEN
        RAISE EXCEPTION '只能记录反馈、关闭或转为措施 (feedback, close or escalate)' USING ERRCODE = 'LQ003';
    END IF;
    IF v_text IS NULL THEN
        RAISE EXCEPTION '请填写说明 (a note is required)' USING ERRCODE = 'LQ003', DETAIL = 'reason_required';
    END IF;
    SELECT * INTO w FROM warnings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '未找到预警 % (no such warning)', p_id USING ERRCODE = 'LQ005';
    END IF;
    SELECT * INTO s FROM leqi_supervises(w.unit_id, me.login, me.bureau_id, me.level, me.roles);
    IF s.code <> '00000' THEN
        RAISE EXCEPTION '不能处理该单位的预警 (not yours to supervise)' USING ERRCODE = '42501', DETAIL = s.detail;
    END IF;
    IF w.state NOT IN ('open', 'answered') OR (p_version IS NOT NULL AND p_version <> w.version) THEN
        RAISE EXCEPTION '预警 % 已由 % 处理，现为“%” (the warning was handled first)', p_id,
            COALESCE(w.closed_by, w.raised_by), w.state USING ERRCODE = 'LQ001';
    END IF;
    IF p_how = 'escalate' THEN
        SELECT * INTO r FROM leqi_measure_impose(ARRAY[w.unit_id], p_kind, v_text, p_deadline, p_limit, p_id,
                                                 true, NULL, p_client);
        IF r.code <> '00000' THEN
            RAISE EXCEPTION '不能采取该措施：% (the measure cannot be imposed)', r.detail USING ERRCODE = r.code,
                DETAIL = r.detail;
        END IF;
        SELECT id INTO v_measure FROM measures WHERE unit_id = w.unit_id AND warning_id = p_id
         ORDER BY id DESC LIMIT 1;
    END IF;
    UPDATE warnings SET state = CASE p_how WHEN 'feedback' THEN 'answered' WHEN 'close' THEN 'closed' ELSE 'escalated' END,
           feedback = CASE WHEN p_how = 'feedback' THEN v_text ELSE feedback END,
           feedback_at = CASE WHEN p_how = 'feedback' THEN now() ELSE feedback_at END,
           closed_by = CASE WHEN p_how <> 'feedback' THEN me.login END,
           closed_at = CASE WHEN p_how <> 'feedback' THEN now() END,
           note = CASE WHEN p_how <> 'feedback' THEN v_text ELSE note END,
           measure_id = v_measure, version = version + 1
     WHERE id = p_id;
    PERFORM leqi_append(ARRAY[ROW(NULL, NULL, 'warning_' || p_how, NULL, NULL, v_text, w.unit_id, v_measure,
                                  p_id)::leqi_event], me.login, me.bureau_id, now(), NULL, p_client);
    RETURN COALESCE(v_measure, p_id);
END $$;

REVOKE ALL ON measures, warnings FROM PUBLIC;
GRANT SELECT ON measures, warnings TO leqi_officers;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    leqi_measure_impose(bigint[], text, text, timestamptz, bigint, bigint, boolean, text, text, bigint[]),
    leqi_measure_end(bigint[], bigint[], text, text, boolean, text, text, bigint[]),
    leqi_warning_raise(bigint, text, timestamptz, text),
    leqi_warning_act(bigint, bigint, text, text, text, timestamptz, bigint, text)
    TO leqi_officers;
