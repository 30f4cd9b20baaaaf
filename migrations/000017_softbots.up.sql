-- Softbots and automatic replies: what a number answers by itself (welcome,
-- out of hours, every agent busy), the tenant's keyword rules, menu bots
-- kept as immutable versions, and one bot run per conversation that a bot
-- handled (where it is, what it collected, and how it ended, for reports).

-- Menu bots. A bot's versions never change once written: a conversation
-- inside the bot keeps the version it started with while the administrator
-- edits and publishes the next one. draft is the editor's work in progress.
CREATE TABLE bots (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    draft          jsonb NOT NULL DEFAULT '{}',
    live_version   integer, -- NULL until first published
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE bot_versions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    bot_id       uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version > 0),
    definition   jsonb NOT NULL,
    published_by text NOT NULL DEFAULT '',
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, version)
);
CREATE INDEX bot_versions_tenant ON bot_versions (tenant_id, bot_id);

-- What a managed number answers by itself. No row: nothing automatic.
CREATE TABLE number_automation (
    number_id        uuid PRIMARY KEY REFERENCES numbers (id) ON DELETE CASCADE,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Welcome: off, on a customer's first conversation ever, or on every new one.
    welcome_mode     text NOT NULL DEFAULT 'off' CHECK (welcome_mode IN ('off', 'first', 'every')),
    welcome_text     text NOT NULL DEFAULT '' CHECK (length(welcome_text) <= 4096),
    -- Out of hours (the number's business hours and holidays): off, reply
    -- and queue at once, or reply and wait for opening time to queue.
    closed_mode      text NOT NULL DEFAULT 'off' CHECK (closed_mode IN ('off', 'queue', 'wait')),
    closed_text      text NOT NULL DEFAULT '' CHECK (length(closed_text) <= 4096),
    -- Every agent busy: after busy_after seconds in the queue, one reply
    -- that may say {position} and {wait}.
    busy_enabled     boolean NOT NULL DEFAULT false,
    busy_text        text NOT NULL DEFAULT '' CHECK (length(busy_text) <= 4096),
    busy_after       integer NOT NULL DEFAULT 30 CHECK (busy_after BETWEEN 0 AND 3600),
    -- Words that take the customer to a person at any time.
    handoff_keywords text[] NOT NULL DEFAULT '{}',
    -- The menu bot new conversations go through first (NULL: none).
    bot_id           uuid REFERENCES bots (id) ON DELETE SET NULL,
    -- A customer silent inside a bot this long is handed to a person.
    bot_timeout      integer NOT NULL DEFAULT 600 CHECK (bot_timeout BETWEEN 60 AND 86400),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX number_automation_tenant ON number_automation (tenant_id);

-- Keyword rules, tried in position order; the first that matches answers.
-- number_id NULL: every number of the tenant.
CREATE TABLE keyword_rules (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id    uuid REFERENCES numbers (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    match        text NOT NULL CHECK (match IN ('exact', 'contains', 'regex')),
    pattern      text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 200),
    language     text NOT NULL DEFAULT '' CHECK (language IN ('', 'en', 'it')),
    -- The answer: outbound.Content (text, media, or interactive).
    reply        jsonb NOT NULL,
    set_tags     text[] NOT NULL DEFAULT '{}',
    set_priority integer CHECK (set_priority BETWEEN -100 AND 100),
    set_skillset uuid REFERENCES skillsets (id) ON DELETE SET NULL,
    handoff      boolean NOT NULL DEFAULT false,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keyword_rules_tenant ON keyword_rules (tenant_id, position);

-- A conversation the bot layer handled. state is the menu's position
-- (softbot.Run); outcome says where the customer left it.
CREATE TABLE bot_runs (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id       uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    bot_id          uuid REFERENCES bots (id) ON DELETE SET NULL,
    bot_version     integer,
    state           jsonb NOT NULL DEFAULT '{}',
    -- Queue the conversation at this time (out of hours, waiting for opening).
    wake_at         timestamptz,
    replies         integer NOT NULL DEFAULT 0, -- bot messages sent, for the loop guard
    started_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    outcome         text NOT NULL DEFAULT '' CHECK (outcome IN ('', 'handed_off', 'resolved', 'abandoned', 'timed_out', 'taken')),
    ended_step      text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT ''
);
CREATE INDEX bot_runs_open ON bot_runs (updated_at) WHERE ended_at IS NULL;
CREATE INDEX bot_runs_tenant ON bot_runs (tenant_id, started_at);

-- Conversations: the priority a bot or rule added on top of the contact's,
-- and when the busy reply went (once per conversation).
ALTER TABLE conversations
    ADD COLUMN priority_bump integer NOT NULL DEFAULT 0 CHECK (priority_bump BETWEEN -100 AND 100),
    ADD COLUMN busy_replied_at timestamptz;
CREATE INDEX conversations_queued_busy ON conversations (tenant_id, queued_at) WHERE status = 'queued' AND busy_replied_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bots', 'bot_versions', 'number_automation', 'keyword_rules', 'bot_runs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform())
            WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON bots, bot_versions, number_automation, keyword_rules, bot_runs TO switchboard_app;
