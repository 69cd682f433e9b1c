"""Users have no mutations: a user row is created on first sight of a verified session token."""
