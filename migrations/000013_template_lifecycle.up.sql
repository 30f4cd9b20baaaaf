-- Templates written in Switchboard: the administrator's draft, the
-- submission the operator forwards to Meta, and the use case from the
-- seed's list. Meta's own view of a template stays in status, components
-- and rejected_reason (the catalog sync writes those and nothing else), so
-- a sync never erases a draft.
ALTER TABLE templates
    -- draft: being written (or edited after Meta's rejection); submitted:
    -- waiting for the operator; at_meta: Meta has it (status says what Meta
    -- decided). Rows the sync finds at Meta first are at_meta.
    ADD COLUMN review        text NOT NULL DEFAULT 'at_meta' CHECK (review IN ('draft', 'submitted', 'at_meta')),
    ADD COLUMN use_case      text NOT NULL DEFAULT '',
    -- The number whose Graph client and token forward the template (any
    -- number of the WABA; kept when it is deleted, as the WABA is).
    ADD COLUMN number_id     uuid REFERENCES numbers (id) ON DELETE SET NULL,
    -- The components as the administrator wrote them, in Meta's shape;
    -- forwarded as they are.
    ADD COLUMN draft         jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN submitted_by  text NOT NULL DEFAULT '',
    ADD COLUMN submitted_at  timestamptz,
    ADD COLUMN forwarded_by  text NOT NULL DEFAULT '',
    ADD COLUMN forwarded_at  timestamptz,
    -- Meta's immediate refusal of a forward, in Meta's words.
    ADD COLUMN forward_error text NOT NULL DEFAULT '',
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();

-- The operator's queue: every tenant's submissions, oldest first.
CREATE INDEX templates_submitted ON templates (submitted_at) WHERE review = 'submitted';
