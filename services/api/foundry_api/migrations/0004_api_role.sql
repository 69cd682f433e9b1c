-- The api's own login (issue 19): DML on the application's tables and nothing else. The migration
-- runner keeps the master secret; the api server never holds it.
--   no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS; no CREATE on the schema (so no DDL);
--   it does not own the tables (so no ALTER, DROP or TRUNCATE either).
-- Roles are cluster-wide, so creating it is guarded; the grants are per database.
-- In RDS the role logs in with IAM tokens: membership of rds_iam turns that on and password logins
-- off for it (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html).
-- The local twin sets its password instead and keeps it in the twin's secret store.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'foundry_api') THEN
        BEGIN
            CREATE ROLE foundry_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object THEN
            NULL;  -- another database's runner created it in between
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO foundry_api;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO foundry_api', current_database());
END
$$;

-- PostgreSQL 15+ already keeps CREATE on public from PUBLIC; stated so no older default leaks DDL.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO foundry_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, uploads, ai_requests TO foundry_api;
-- /readyz compares the applied version with the one the code needs.
GRANT SELECT ON schema_migrations TO foundry_api;
-- Tables later migrations create (as the same owner) get the same DML grant, and no more.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO foundry_api;
