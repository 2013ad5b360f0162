-- A refusal to supervise a unit outside the officer's county or province
-- no longer names the unit's bureau: row-level security hides other
-- counties' units, and a refusal must not tell what a read would not.
CREATE OR REPLACE FUNCTION leqi_supervises(p_unit bigint, me_login text, me_bureau text, me_level text,
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
                     THEN 'not_visible'
                WHEN NOT ('supervise' = ANY (me_roles)) THEN 'missing_role:supervise'
                ELSE '' END
      FROM (SELECT p_unit AS id) i
      LEFT JOIN units u ON u.id = i.id
      LEFT JOIN bureaus b ON b.id = u.bureau_id
$$;

-- An officer's name is shown on every console and in every audit line:
-- never empty, never anything a terminal would obey (the client refuses
-- it first; this is for what reaches the table another way). NOT VALID:
-- rows written before are left to the administrator.
ALTER TABLE officers ADD CONSTRAINT officers_name_inert
    CHECK (name !~ '^[[:space:]\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001bca0-\U0001bca3\U000e0000-\U000e0fff]*$'
           AND name !~ '[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]') NOT VALID;

-- Adding an officer adds one: a login already registered is refused, not
-- silently moved to another bureau with other roles (that is a
-- deployment's change, `admin apply`, audited as such); and an officer
-- has at least one role.
CREATE OR REPLACE FUNCTION leqi_officer_add(p_login text, p_name text, p_bureau text, p_roles text[],
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
    IF COALESCE(cardinality(array_remove(p_roles, NULL)), 0) = 0 THEN
        RAISE EXCEPTION '请给出至少一个角色 (at least one role is required)' USING ERRCODE = 'LQ003';
    END IF;
    IF EXISTS (SELECT 1 FROM officers WHERE login = p_login) THEN
        RAISE EXCEPTION '税务人员 % 已登记：调整其税务机关或角色请用部署文件 admin apply (officer % is registered already: change bureau or roles through admin apply)',
            p_login, p_login USING ERRCODE = 'LQ004';
    END IF;
    PERFORM leqi_login_role(p_login, true, p_password);
    PERFORM leqi_write_officer(p_login, p_name, p_bureau, p_roles, true);
    INSERT INTO audit_events (action, officer, bureau_id, reason, at, client)
    VALUES ('officer_add', session_user, (SELECT bureau_id FROM officers WHERE login = session_user),
            p_login || ' ' || p_name || ' @' || p_bureau || ' ' || array_to_string(p_roles, ','), now(), p_client);
END $$;

-- A unit's own events (measures and warnings on it) are read by the
-- officers of its county or province only: before, every event with no
-- application and no binding was read by all, so another county's
-- supervision, reasons included, showed to anyone. One rule for a whole
-- unit chain, so that an officer's `audit verify` sees each chain whole or
-- not at all. Shared settings' events (no subject) stay readable by all.
DROP POLICY officers_read ON audit_events;
CREATE POLICY officers_read ON audit_events FOR SELECT TO leqi_officers
    USING (CASE WHEN application_id IS NOT NULL
                THEN EXISTS (SELECT 1 FROM applications a WHERE a.id = audit_events.application_id)
                WHEN binding_id IS NOT NULL
                THEN EXISTS (SELECT 1 FROM bindings b WHERE b.id = audit_events.binding_id)
                WHEN unit_id IS NOT NULL OR measure_id IS NOT NULL OR warning_id IS NOT NULL
                THEN EXISTS (SELECT 1 FROM units u
                              WHERE u.id = COALESCE(audit_events.unit_id,
                                        (SELECT m.unit_id FROM measures m WHERE m.id = audit_events.measure_id),
                                        (SELECT w.unit_id FROM warnings w WHERE w.id = audit_events.warning_id))
                                AND u.bureau_id = ANY ((SELECT leqi_my_bureaus())::text[]))
                ELSE true END);

-- Marking paper received on a material outside the officer's county or
-- province: refused as outside the jurisdiction (as leqi_decide refuses
-- such an item), without naming the county.
CREATE OR REPLACE FUNCTION leqi_mark_paper(p_material bigint, p_client text DEFAULT NULL) RETURNS void
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
    -- A refusal naming the county would tell what row-level security hides.
    IF NOT (m.county_id = ANY (leqi_my_bureaus())) THEN
        RAISE EXCEPTION '不在您的税务机关辖区内 (not within your bureau''s jurisdiction)' USING ERRCODE = '42501',
            DETAIL = 'not_visible';
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

-- A reason with nothing visible in it (blanks of any script, zero-width
-- and other default-ignorable characters) is no reason, as the client already says; a carriage return
-- is refused like the other controls (a line break and a tab are kept).
CREATE OR REPLACE FUNCTION leqi_reason(p_reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r text := NULLIF(btrim(p_reason, E' \t\n\r'), '');
BEGIN
    IF r ~ '^[[:space:]\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001bca0-\U0001bca3\U000e0000-\U000e0fff]*$' THEN
        r := NULL;
    END IF;
    IF r IS NOT NULL AND char_length(r) > 2000 THEN
        RAISE EXCEPTION '理由过长（% 字，最多 2000） (reason too long)', char_length(r) USING ERRCODE = 'LQ003';
    END IF;
    IF r ~ '[\x01-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]' THEN
        RAISE EXCEPTION '理由含控制字符 (reason holds a control character)' USING ERRCODE = 'LQ003';
    END IF;
    RETURN r;
END $$;
