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
    CHECK (btrim(name) <> ''
           AND name !~ '[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]') NOT VALID;
