CREATE TABLE uploads (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object_key text NOT NULL UNIQUE,
    filename text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size > 0),
    status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'UPLOADED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    uploaded_at timestamptz
);

-- Serves the viewer's keyset pagination: newest first, id breaks ties.
CREATE INDEX uploads_owner_page ON uploads (owner_id, created_at DESC, id DESC);
