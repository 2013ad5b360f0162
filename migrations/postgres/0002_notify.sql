-- Consoles listen on 'leqi_changes' and refresh when another officer's
-- transaction changes what they show. One notice per statement; PostgreSQL
-- folds identical notices within a transaction.
CREATE FUNCTION leqi_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leqi_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
CREATE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();
CREATE TRIGGER bindings_changed AFTER INSERT OR UPDATE OR DELETE ON bindings
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();
CREATE TRIGGER materials_changed AFTER UPDATE ON materials
    FOR EACH STATEMENT EXECUTE FUNCTION leqi_notify_change();
