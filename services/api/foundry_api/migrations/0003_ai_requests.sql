CREATE TABLE ai_requests (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prompt text NOT NULL,
    answer text NOT NULL,
    model text NOT NULL,
    latency_ms integer NOT NULL CHECK (latency_ms >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ai_requests_owner_page ON ai_requests (owner_id, created_at DESC, id DESC);
