-- The operator console: a registered Meta app records Meta's own numeric
-- App ID (the one its dashboard shows), so the operator can tell apps apart
-- when Meta names one; apps registered before this migration have none yet.
ALTER TABLE meta_apps
    ADD COLUMN meta_app_id text NOT NULL DEFAULT '' CHECK (meta_app_id ~ '^[0-9]{0,30}$'),
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();

-- Usage against the plan: the business-initiated conversations of a month are
-- counted from the templates sent that month, so these are found without
-- reading the tenant's whole message history.
CREATE INDEX messages_templates_sent ON messages (tenant_id, created_at)
    WHERE direction = 'outbound' AND type = 'template';
