-- Users are created on first sight of a Clerk session token; clerk_sub is the JWT `sub`.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    clerk_sub text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
