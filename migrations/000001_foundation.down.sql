-- The role switchboard_app is cluster-wide and may serve other databases, so
-- it is left in place.
DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS tenants;
DROP TABLE IF EXISTS plans;
DROP FUNCTION IF EXISTS app_platform();
DROP FUNCTION IF EXISTS app_tenant();
REVOKE USAGE ON SCHEMA public FROM switchboard_app;
