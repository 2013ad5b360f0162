-- What ending units' connections would cancel (access terminated, an exit
-- confirmed), for the confirmation the officer reads first. Counted as
-- the cascade acts, across every county (an invitation is filed in its
-- user unit's county, which row-level security hides from the inviting
-- unit's supervisor), but only for units in the caller's reach whom they
-- supervise or confirm for: others are left out, not refused. The
-- administrator (who reads every row anyway) is counted everything.
CREATE FUNCTION leqi_ending_effects(p_units bigint[], OUT n_bindings bigint, OUT n_capabilities bigint,
    OUT n_authorisations bigint, OUT in_flight json)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
    me record;
    mine bigint[];
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
       OR pg_has_role(session_user, 'leqi_owner', 'MEMBER') THEN
        mine := p_units;
    ELSE
        SELECT * INTO me FROM leqi_officer();
        SELECT COALESCE(array_agg(u.id), '{}') INTO mine
          FROM units u JOIN bureaus b ON b.id = u.bureau_id
         WHERE u.id = ANY (p_units)
           AND ((me.level = 'county' AND me.bureau_id = u.bureau_id)
                OR (me.level = 'province' AND me.bureau_id = b.province_id))
           AND me.roles && ARRAY['supervise', 'confirm'];
    END IF;
    SELECT count(*) INTO n_bindings FROM bindings k WHERE k.direct_unit_id = ANY (mine) AND k.active;
    SELECT count(*) INTO n_capabilities FROM capabilities c WHERE c.unit_id = ANY (mine) AND c.active;
    SELECT count(*) INTO n_authorisations FROM authorisations a WHERE a.direct_unit_id = ANY (mine) AND a.active;
    SELECT COALESCE(json_agg(json_build_object('id', f.id, 'kind', f.kind, 'state', f.state,
                                               'unit_name', f.unit_name) ORDER BY f.id), '[]'::json)
      INTO in_flight
      FROM (SELECT a.id, a.kind, a.state, a.unit_name FROM applications a
             WHERE ((a.kind = 'invitation' AND a.direct_unit_id = ANY (mine))
                    OR (a.kind = 'subscription' AND a.unit_id = ANY (mine)))
               AND a.state IN ('awaiting_unit', 'pending_acceptance', 'pending_review', 'pending_confirmation')
             ORDER BY a.id LIMIT 200) f;
END $$;

REVOKE EXECUTE ON FUNCTION leqi_ending_effects(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION leqi_ending_effects(bigint[]) TO leqi_officers;
