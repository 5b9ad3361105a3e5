-- Several replicas on one platform store (issue 8).
--
-- Every change to a table that replicas cache is announced on channel `switchboard_changes` at
-- commit, whoever made it (a replica's request, `switchboard keys rotate`, an operator's SQL), so
-- each replica drops what it cached. The payload names rows by id only: never a value or a secret.
CREATE FUNCTION notify_platform_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    PERFORM pg_notify('switchboard_changes', jsonb_build_object(
        'table', TG_TABLE_NAME,
        'id', changed->>'id',
        'project_id', changed->>'project_id',
        'user_id', changed->>'user_id'
    )::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER organizations_changed AFTER UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER organization_members_changed AFTER INSERT OR UPDATE OR DELETE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER projects_changed AFTER UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER project_members_changed AFTER INSERT OR UPDATE OR DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER database_connections_changed AFTER INSERT OR UPDATE OR DELETE ON database_connections
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();
CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_platform_change();

-- Fixed-window counters shared by every replica (sign-in throttling).
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
