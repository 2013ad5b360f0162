-- Claims (领取): an officer working on an application holds it for a
-- lease; while the lease runs nobody else decides it (leqi_decide refuses
-- with LQ007 naming the holder) unless they take it over with a reason.
-- A claim is on the application at a version: the decision that moves it
-- on ends the claim without touching the row, and a lease that runs out
-- lapses by itself: nothing sweeps, nothing is deleted on the decision
-- path. Claims, take-overs, releases and lapses are events on the
-- application's audit chain (a lapse is written when the lapsed claim is
-- next replaced, released or decided over).
-- Who else works in the same queue right now: presence, renewed by each
-- console.

-- No foreign key: every claim is made by leqi_claim, which judges the
-- application first; a key check per row would only add to a
-- 10,000-item claim's cost.
CREATE TABLE claims (
    application_id BIGINT PRIMARY KEY,
    -- The application's version when claimed: a claim at an older version
    -- ended with the decision that moved it.
    version BIGINT NOT NULL,
    officer TEXT NOT NULL,
    bureau_id TEXT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- A take-over: whose claim it was and why it was taken.
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
    seen_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE claims FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON claims TO leqi_owner USING (true) WITH CHECK (true);
-- A claim is seen by whoever sees its application.
CREATE POLICY officers_read ON claims FOR SELECT TO leqi_officers
    USING (EXISTS (SELECT 1 FROM applications a WHERE a.id = application_id));
ALTER TABLE presence ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON presence TO leqi_owner USING (true) WITH CHECK (true);
CREATE POLICY officers_read ON presence FOR SELECT TO leqi_officers
    USING (bureau_id = ANY ((SELECT leqi_my_bureaus())::text[]));
REVOKE ALL ON claims, presence FROM PUBLIC;
GRANT SELECT ON claims, presence TO leqi_officers;

-- Consoles hear of claims taken, taken over and ended; a renewal (the
-- same holder, a later end) is not news.
CREATE TRIGGER claims_changed AFTER INSERT OR DELETE ON claims
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();
CREATE TRIGGER claims_taken AFTER UPDATE ON claims
    FOR EACH ROW WHEN (OLD.officer IS DISTINCT FROM NEW.officer OR OLD.claimed_at IS DISTINCT FROM NEW.claimed_at)
    EXECUTE FUNCTION leqi_notify_change();

-- The rows of `p_ids` in the bureau's jurisdiction (its county's, or its
-- province's), locked in id order.
CREATE FUNCTION leqi_lock_own(p_ids bigint[], p_bureau text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
    PERFORM 1 FROM applications
      WHERE id = ANY (p_ids) AND (county_id = p_bureau OR province_id = p_bureau)
      ORDER BY id FOR NO KEY UPDATE;
END $$;

CREATE TYPE leqi_claim_result AS (id bigint, code text, detail text, holder text, until timestamptz);
CREATE TYPE leqi_claiming AS (ord bigint, id bigint, code text, detail text, holder text,
    expires_at timestamptz, how text, version bigint);

-- What an ended lease's lapse says on the audit trail.
CREATE FUNCTION leqi_lapse_text(p_officer text, p_expired timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_officer || ' 的领取已于 ' || to_char(p_expired AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
           || ' 到期 (claim lapsed)'
$$;

-- Claims a set of applications for p_minutes: those the caller may decide
-- now (or may reject: a precondition does not stop a claim). Held by
-- another: refused (LQ007) unless taken over with a reason. The caller's
-- own live claim is renewed (no event). The rows the caller's bureau acts
-- on are locked first, in id order, as leqi_decide locks them: racing
-- claimers and deciders queue per item, never deadlock, and whoever comes
-- second judges what the first left. Nobody locks another bureau's rows.
CREATE FUNCTION leqi_claim(p_ids bigint[], p_minutes int, p_take_over text, p_client text)
RETURNS SETOF leqi_claim_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    t timestamptz := now();
    reason text := leqi_reason(p_take_over);
    ends timestamptz;
    v leqi_verdict[];
    ev leqi_event[];
    cl leqi_claiming[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    IF p_minutes IS NULL OR p_minutes < 1 OR p_minutes > 480 THEN
        RAISE EXCEPTION '领取时长须为 1 至 480 分钟 (a claim lasts 1 to 480 minutes)' USING ERRCODE = 'LQ003';
    END IF;
    IF p_take_over IS NOT NULL AND reason IS NULL THEN
        RAISE EXCEPTION '接手须填写理由 (a take-over needs a reason)' USING ERRCODE = 'LQ003', DETAIL = 'reason_required';
    END IF;
    ends := t + make_interval(mins => p_minutes);
    PERFORM leqi_lock_own(p_ids, me.bureau_id);
    v := leqi_judge(p_ids, array_fill(NULL::bigint, ARRAY[cardinality(p_ids)]), 'pass', NULL);
    cl := ARRAY(
        SELECT ROW(x.ord, x.id,
               CASE WHEN x.code NOT IN ('00000', 'LQ004') THEN x.code
                    WHEN c.officer <> me.login AND c.expires_at > t AND reason IS NULL THEN 'LQ007'
                    ELSE '00000' END,
               CASE WHEN x.code NOT IN ('00000', 'LQ004') THEN x.detail
                    WHEN c.officer <> me.login AND c.expires_at > t AND reason IS NULL
                    THEN 'held|' || c.officer || '|'
                         || to_char(c.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    ELSE '' END,
               c.officer, c.expires_at,
               CASE WHEN c.officer IS NULL THEN 'claim'
                    WHEN c.expires_at <= t THEN 'lapsed'
                    WHEN c.officer = me.login THEN 'renew'
                    ELSE 'take_over' END, x.version)::leqi_claiming
          FROM unnest(v) x
          -- A claim at an older version ended with a decision: as none.
          LEFT JOIN claims c ON c.application_id = x.id AND c.version = x.version
         ORDER BY x.ord);
    -- A lapsed lease replaced: its lapse first, on the same chain.
    ev := ARRAY(SELECT ROW(k.id, NULL, 'claim_lapse', NULL, NULL, leqi_lapse_text(k.holder, k.expires_at),
                           NULL, NULL, NULL)::leqi_event
                  FROM unnest(cl) k WHERE k.code = '00000' AND k.how = 'lapsed' ORDER BY k.ord);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, NULL, p_client);
    END IF;
    INSERT INTO claims (application_id, version, officer, bureau_id, claimed_at, expires_at, taken_from,
                        take_over_reason)
    SELECT k.id, k.version, me.login, me.bureau_id, t, ends,
           CASE WHEN k.how = 'take_over' THEN k.holder END,
           CASE WHEN k.how = 'take_over' THEN reason END
      FROM unnest(cl) k WHERE k.code = '00000' AND k.how <> 'renew' ORDER BY k.id
    ON CONFLICT (application_id) DO UPDATE
       SET version = EXCLUDED.version, officer = EXCLUDED.officer, bureau_id = EXCLUDED.bureau_id, claimed_at = EXCLUDED.claimed_at,
           expires_at = EXCLUDED.expires_at, taken_from = EXCLUDED.taken_from,
           take_over_reason = EXCLUDED.take_over_reason;
    UPDATE claims c SET expires_at = GREATEST(c.expires_at, ends)
      FROM unnest(cl) k WHERE k.code = '00000' AND k.how = 'renew' AND c.application_id = k.id;
    ev := ARRAY(SELECT ROW(k.id, NULL, CASE WHEN k.how = 'take_over' THEN 'take_over' ELSE 'claim' END, NULL, NULL,
                           CASE WHEN k.how = 'take_over' THEN '从 ' || k.holder || ' 接手：' || reason END,
                           NULL, NULL, NULL)::leqi_event
                  FROM unnest(cl) k WHERE k.code = '00000' AND k.how <> 'renew' ORDER BY k.ord);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, NULL, p_client);
    END IF;
    RETURN QUERY
        SELECT k.id, k.code, k.detail,
               CASE WHEN k.code = '00000' THEN me.login WHEN k.code = 'LQ007' THEN k.holder END,
               CASE WHEN k.code = '00000' THEN GREATEST(ends, CASE WHEN k.how = 'renew' THEN k.expires_at END)
                    WHEN k.code = 'LQ007' THEN k.expires_at END
          FROM unnest(cl) k ORDER BY k.ord;
END $$;

-- Ends the caller's own claims: a live one released, a lapsed one as
-- lapsed, one a decision ended removed without an event. Returns the ids
-- released.
CREATE FUNCTION leqi_release(p_ids bigint[], p_client text) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    t timestamptz := now();
    ev leqi_event[];
    gone bigint[];
BEGIN
    SELECT * INTO me FROM leqi_officer();
    WITH d AS (
        DELETE FROM claims c USING applications a
         WHERE c.application_id = ANY (p_ids) AND c.officer = me.login AND a.id = c.application_id
        RETURNING c.application_id, c.expires_at, c.version = a.version AS current)
    SELECT ARRAY(SELECT ROW(d.application_id, NULL,
                            CASE WHEN d.expires_at > t THEN 'release' ELSE 'claim_lapse' END, NULL, NULL,
                            CASE WHEN d.expires_at <= t THEN leqi_lapse_text(me.login, d.expires_at) END,
                            NULL, NULL, NULL)::leqi_event FROM d WHERE d.current ORDER BY d.application_id)
      INTO ev;
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, NULL, p_client);
    END IF;
    gone := ARRAY(SELECT (e).application_id FROM unnest(ev) e WHERE (e).action = 'release');
    RETURN QUERY SELECT unnest(gone);
END $$;

-- The caller is working in a queue (NULL: no longer). Returns the others
-- seen in the same queue of the same bureau within the last 90 seconds.
CREATE FUNCTION leqi_presence(p_queue text) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
BEGIN
    SELECT * INTO me FROM leqi_officer();
    IF p_queue IS NULL THEN
        DELETE FROM presence WHERE officer = me.login;
        RETURN;
    END IF;
    INSERT INTO presence (officer, bureau_id, queue, seen_at) VALUES (me.login, me.bureau_id, left(p_queue, 64), now())
    ON CONFLICT (officer) DO UPDATE SET bureau_id = EXCLUDED.bureau_id, queue = EXCLUDED.queue,
                                        seen_at = EXCLUDED.seen_at;
    RETURN QUERY SELECT p.officer FROM presence p
                  WHERE p.bureau_id = me.bureau_id AND p.queue = left(p_queue, 64) AND p.officer <> me.login
                    AND p.seen_at > now() - interval '90 seconds'
                  ORDER BY p.officer;
END $$;

-- Decisions as in 0009, and: an item another officer's live claim holds
-- is refused (LQ007, naming the holder and the lease's end); a decided
-- item's claim ends with its version, a lapsed lease's lapse recorded
-- before the decision.
CREATE OR REPLACE FUNCTION leqi_decide(p_ids bigint[], p_versions bigint[], p_decision text, p_reason text,
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
    -- Locked first (only the caller's bureau's rows): a claim taken
    -- meanwhile is seen by the judgement below, or waits for this one.
    IF p_apply THEN
        PERFORM leqi_lock_own(p_ids, me.bureau_id);
    END IF;
    v := leqi_judge(p_ids, p_versions, p_decision, reason, p_until);
    v := ARRAY(SELECT CASE WHEN x.code IN ('00000', 'LQ004') AND c.application_id IS NOT NULL
                           THEN ROW(x.ord, x.id, 'LQ007',
                                    'held|' || c.officer || '|'
                                    || to_char(c.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                    x.kind, x.from_state, x.to_state, x.action, x.version, x.acting, x.unit_id,
                                    x.direct_unit_id, x.relation, x.capability, x.last_officer, x.updated_at,
                                    x.until)::leqi_verdict
                           ELSE x END
                 FROM unnest(v) x
                 LEFT JOIN claims c ON c.application_id = x.id AND c.version = x.version
                                   AND c.officer <> me.login AND c.expires_at > t
                ORDER BY x.ord);
    IF NOT p_apply THEN
        RETURN QUERY SELECT * FROM leqi_results(v);
        RETURN;
    END IF;
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
    -- The decided items' claims end with their version; a lapsed one's
    -- lapse is recorded first.
    ev := ARRAY(SELECT ROW(c.application_id, NULL, 'claim_lapse', NULL, NULL,
                           leqi_lapse_text(c.officer, c.expires_at), NULL, NULL, NULL)::leqi_event
                  FROM unnest(v) x JOIN claims c ON c.application_id = x.id AND c.version = x.version
                 WHERE x.code = '00000' AND c.expires_at <= t
                 ORDER BY x.ord);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
    END IF;
    ev := ARRAY(SELECT ROW(x.id, NULL, x.action, x.from_state, x.to_state,
                           CASE WHEN x.kind = 'extension' AND x.to_state = 'confirmed'
                                THEN '资格延续至 ' || to_char(x.until AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
                                ELSE reason END, NULL, NULL, NULL)::leqi_event
                  FROM unnest(v) x WHERE x.code = '00000' ORDER BY x.ord);
    IF cardinality(ev) > 0 THEN
        PERFORM leqi_append(ev, me.login, me.bureau_id, t, p_batch, p_client);
    END IF;
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

-- A refusal LQ007 in a batch's result rows: 'held'.
CREATE OR REPLACE FUNCTION leqi_batch_rows(p_batch text, p_seqs bigint[], p_versions bigint[], p_results leqi_result[])
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    INSERT INTO batch_items (batch_id, seq, item_id, version, outcome, message, from_state, to_state)
    SELECT p_batch, p_seqs[r.k], r.id, p_versions[r.k],
           CASE r.code WHEN '00000' THEN 'done' WHEN '42501' THEN 'forbidden' WHEN 'LQ001' THEN 'conflict'
                       WHEN 'LQ002' THEN 'conflict' WHEN 'LQ003' THEN 'invalid' WHEN 'LQ004' THEN 'precondition'
                       WHEN 'LQ005' THEN 'not_found' WHEN 'LQ006' THEN 'duplicate' WHEN 'LQ007' THEN 'held'
                       ELSE 'error' END,
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

-- Supervision's tables are news to the consoles too.
CREATE TRIGGER measures_changed AFTER INSERT OR UPDATE OR DELETE ON measures
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();
CREATE TRIGGER warnings_changed AFTER INSERT OR UPDATE OR DELETE ON warnings
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();

REVOKE EXECUTE ON FUNCTION leqi_claim(bigint[], int, text, text), leqi_release(bigint[], text),
    leqi_presence(text), leqi_lapse_text(text, timestamptz), leqi_lock_own(bigint[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION leqi_claim(bigint[], int, text, text), leqi_release(bigint[], text),
    leqi_presence(text) TO leqi_officers;
