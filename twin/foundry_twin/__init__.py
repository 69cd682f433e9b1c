"""Local stand-ins for the managed services (Postgres, the Clerk issuer) used by the twin and tests."""
