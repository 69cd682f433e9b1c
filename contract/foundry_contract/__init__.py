"""What the platform and the services agree on, in one place.

The CDK app injects exactly these environment variables (plain values or Secrets Manager runtime
secrets), the services read exactly these names, and the local twin sets them with local values.
Tests on both sides compare against this module, so a rename cannot drift between the two.
"""

from foundry_contract.edge import (
    API_PATH_PATTERNS,
    CSP_HEADER,
    HEALTH_PATH,
    INTERNAL_API_KEY_HEADER,
    ORIGIN_VERIFY_HEADER,
    READY_PATH,
    SECURITY_HEADERS,
    SPA_FALLBACK_DOCUMENT,
    STATIC_ASSETS_PATTERN,
    UPLOAD_CORS_RULE,
    CorsRule,
    content_security_policy,
    uploads_origins,
)
from foundry_contract.env import (
    API_DATABASE_USER,
    DATABASE_TLS,
    ENV_VARS,
    MIGRATION_RUNNER_ONLY,
    RDS_CA_BUNDLE_PATH,
    TRACING_ENV_VARS,
    UNSET_AUTHORIZED_PARTY,
    EnvVar,
    Service,
    env_vars_for,
    settings_vars_for,
)
from foundry_contract.timeouts import ALB_IDLE_TIMEOUT_SECONDS, SERVER_KEEP_ALIVE_SECONDS

__all__ = [
    "ALB_IDLE_TIMEOUT_SECONDS",
    "API_DATABASE_USER",
    "API_PATH_PATTERNS",
    "CSP_HEADER",
    "DATABASE_TLS",
    "ENV_VARS",
    "HEALTH_PATH",
    "INTERNAL_API_KEY_HEADER",
    "MIGRATION_RUNNER_ONLY",
    "ORIGIN_VERIFY_HEADER",
    "RDS_CA_BUNDLE_PATH",
    "READY_PATH",
    "SECURITY_HEADERS",
    "SERVER_KEEP_ALIVE_SECONDS",
    "SPA_FALLBACK_DOCUMENT",
    "STATIC_ASSETS_PATTERN",
    "TRACING_ENV_VARS",
    "UNSET_AUTHORIZED_PARTY",
    "UPLOAD_CORS_RULE",
    "CorsRule",
    "EnvVar",
    "Service",
    "content_security_policy",
    "env_vars_for",
    "settings_vars_for",
    "uploads_origins",
]
