-- Erasing a person on request must also take their phone number and what
-- was recorded about them out of earlier audit entries (a tag added, a
-- consent note, a field's value), while the log keeps that each change
-- happened. The application role may only append to audit_log, so this one
-- narrow function, owned by the migrations' role, rewrites those entries:
-- only in the caller's tenant (app.tenant_id, as row-level security reads
-- it), only for a contact that no longer exists (so it cannot hide changes
-- about a living contact), only the contact actions that name a contact by
-- its phone number. Each keeps who, when, which action and from where; its
-- target becomes the contact's id and its detail says it was erased.
CREATE FUNCTION erase_contact_audit(p_contact uuid, p_target text) RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = public AS
$$
    WITH scrubbed AS (
        UPDATE audit_log SET target = p_contact::text, detail = '{"erased": true}'::jsonb
        WHERE tenant_id = app_tenant() AND p_target <> ''
          AND target = p_target
          AND action IN ('contact.name', 'contact.consent', 'contact.tag_add', 'contact.tag_remove',
                         'contact.field_set', 'routing.contact_priority')
          AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = app_tenant() AND c.id = p_contact)
        RETURNING 1)
    SELECT count(*)::integer FROM scrubbed
$$;
REVOKE ALL ON FUNCTION erase_contact_audit(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erase_contact_audit(uuid, text) TO switchboard_app;
