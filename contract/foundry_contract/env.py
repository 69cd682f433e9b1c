"""Environment variables each service reads: the contract between the CDK app and the services.

`secret=True` means the platform delivers the value as a runtime secret from Secrets Manager (App
Runner `RuntimeEnvironmentSecrets`, ECS `secrets`), never as a plain environment value (spec §6, §13).
`local_only=True` marks variables only the local twin sets (no AWS equivalent exists there).
`tracing=True` marks OpenTelemetry's standard variables, read by the shared runtime's tracing setup
(foundry_runtime.tracing) rather than by a service's Settings; the twin's edge reads them too.
"""

from dataclasses import dataclass
from enum import StrEnum


class Service(StrEnum):
    API = "api"
    AI = "ai"
    WEB = "web"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvVar:
    name: str
    services: tuple[Service, ...]
    description: str
    secret: bool = False
    required: bool = False
    local_only: bool = False
    tracing: bool = False
    default: str | None = None


_API = (Service.API,)
# Secrets the api image reads only as the migration runner (`foundry-api migrate`): the api server
# itself logs in as its own role with RDS IAM tokens and must never be handed the master secret.
MIGRATION_RUNNER_ONLY = frozenset({"DATABASE_SECRET"})
# The api's own database role, created by migration 0004_api_role.sql; the IAM policy's rds-db:connect
# names exactly this user.
API_DATABASE_USER = "foundry_api"
# What api accepts in `azp` (AUTH_AUTHORIZED_PARTIES) until the operator sets auth.authorized_parties:
# no token carries it, so api admits none; the platform writes it and `foundry verify` reports it.
UNSET_AUTHORIZED_PARTY = "https://authorized-parties-not-set.invalid"
# Where the api image (which the migration runner also runs) carries the CA certificates of RDS and
# RDS Proxy (services/api/certs/rds-ca-bundle.pem). sslmode=require encrypts but does not authenticate
# the server; verify-full checks its certificate chain and host name against this bundle.
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
RDS_CA_BUNDLE_PATH = "/etc/ssl/certs/foundry-rds-ca-bundle.pem"
DATABASE_TLS = {"DATABASE_SSLMODE": "verify-full", "DATABASE_SSLROOTCERT": RDS_CA_BUNDLE_PATH}
_AI = (Service.AI,)
_ALL = (Service.API, Service.AI, Service.WEB)
_TRACED = (Service.API, Service.AI)

ENV_VARS: tuple[EnvVar, ...] = (
    # -- every service
    EnvVar(name="PORT", services=_ALL, default="8080", description="TCP port the HTTP server listens on."),
    EnvVar(
        name="HOST",
        services=(Service.API, Service.AI),
        default="0.0.0.0",  # noqa: S104 - a container's only interface; the local twin binds 127.0.0.1
        description="Interface the HTTP server binds; the local twin sets 127.0.0.1.",
    ),
    EnvVar(
        name="FOUNDRY_ENV",
        services=_ALL,
        default="dev",
        description="Environment name: local, dev, staging or prod. staging/prod switch off "
        "introspection, the GraphQL IDE and the OpenAPI docs.",
    ),
    EnvVar(name="LOG_LEVEL", services=(Service.API, Service.AI), default="INFO", description="Log level."),
    # -- traces (issue 17): OpenTelemetry's own names, so the SDK's documentation, App Runner's and
    # ADOT's apply as written. https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
    EnvVar(
        name="OTEL_SDK_DISABLED",
        services=_TRACED,
        tracing=True,
        default="false",
        description="'true' turns tracing off whatever else is set.",
    ),
    EnvVar(
        name="OTEL_SERVICE_NAME",
        services=_TRACED,
        tracing=True,
        description="The service.name of its spans; unset, the service's own name (api, ai, edge).",
    ),
    EnvVar(
        name="OTEL_EXPORTER_OTLP_ENDPOINT",
        services=_TRACED,
        tracing=True,
        description="Where spans go by OTLP (the collector: App Runner's or the ADOT sidecar "
        "http://localhost:4317, the twin's trace backend). Unset, tracing is off and costs nothing.",
    ),
    EnvVar(
        name="OTEL_EXPORTER_OTLP_PROTOCOL",
        services=_TRACED,
        tracing=True,
        default="http/protobuf",
        description="'http/protobuf' (the endpoint's /v1/traces) or 'grpc' (App Runner's and ADOT's "
        "collectors on 4317).",
    ),
    EnvVar(
        name="OTEL_TRACES_SAMPLER",
        services=_TRACED,
        tracing=True,
        default="parentbased_always_on",
        description="always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off "
        "or parentbased_traceidratio (prod: a ratio of new traces, a caller's decision kept).",
    ),
    EnvVar(
        name="OTEL_TRACES_SAMPLER_ARG",
        services=_TRACED,
        tracing=True,
        description="The ratio (0 to 1) of the *traceidratio samplers; unset, 1.",
    ),
    EnvVar(
        name="OTEL_PROPAGATORS",
        services=_TRACED,
        tracing=True,
        default="tracecontext,baggage",
        description="Trace-context headers read and written, in order: tracecontext (W3C traceparent), "
        "baggage, xray (X-Amzn-Trace-Id, App Runner's route to X-Ray), none.",
    ),
    EnvVar(
        name="OTEL_PYTHON_ID_GENERATOR",
        services=_TRACED,
        tracing=True,
        default="random",
        description="'random', or 'xray' (trace ids that start with the time, as X-Ray requires).",
    ),
    EnvVar(
        name="OTEL_RESOURCE_ATTRIBUTES",
        services=_TRACED,
        tracing=True,
        description="key=value pairs on every span: deployment.environment=ENV,service.version=IMAGE_TAG; "
        "unset, FOUNDRY_ENV and the package's version.",
    ),
    # -- api: database
    EnvVar(
        name="DATABASE_SECRET",
        services=_API,
        secret=True,
        description="RDS-generated JSON secret (username, password, host, port, dbname). "
        "Takes precedence over DATABASE_URL.",
    ),
    EnvVar(
        name="DATABASE_HOST",
        services=_API,
        description="Overrides the secret's host, e.g. with the RDS Proxy endpoint.",
    ),
    EnvVar(
        name="DATABASE_PROXY",
        services=_API,
        default="false",
        description="'true' when DATABASE_HOST is an RDS Proxy: psycopg then never prepares statements, "
        "which would pin every proxy connection.",
    ),
    EnvVar(
        name="DATABASE_URL",
        services=_API,
        local_only=True,
        description="libpq connection string; used only when DATABASE_SECRET is absent (local twin, tests).",
    ),
    EnvVar(
        name="DATABASE_SSLMODE",
        services=_API,
        default="prefer",
        description="libpq sslmode; the platform sets 'verify-full' with DATABASE_SSLROOTCERT (RDS "
        "enforces rds.force_ssl=1; 'require' would encrypt without authenticating the server).",
    ),
    EnvVar(
        name="DATABASE_AUTH",
        services=_API,
        default="secret",
        description="How api logs in to Postgres: 'iam' (a fresh RDS IAM token per connection, as "
        "DATABASE_USER; the platform sets it), 'secret' (DATABASE_SECRET or DATABASE_URL, read once) or "
        "'password-file' (the local twin: DATABASE_PASSWORD_FILE re-read per connection).",
    ),
    EnvVar(
        name="DATABASE_USER",
        services=_API,
        description="The api's own least-privileged database role (created by the migrations).",
    ),
    EnvVar(name="DATABASE_NAME", services=_API, default="foundry", description="Database to connect to."),
    EnvVar(name="DATABASE_PORT", services=_API, default="5432", description="Database (or proxy) port."),
    EnvVar(
        name="DATABASE_REGION",
        services=_API,
        description="Region the RDS IAM token is signed for (DATABASE_AUTH=iam).",
    ),
    EnvVar(
        name="DATABASE_SSLROOTCERT",
        services=_API,
        description="CA bundle for sslmode=verify-full: the RDS bundle baked into the image.",
    ),
    EnvVar(
        name="DATABASE_PASSWORD_FILE",
        services=_API,
        local_only=True,
        description="File holding DATABASE_USER's current password (the local twin's secret store).",
    ),
    EnvVar(name="DB_POOL_MAX_SIZE", services=_API, default="10", description="Connections per instance."),
    EnvVar(
        name="DB_STATEMENT_TIMEOUT_MS",
        services=_API,
        default="5000",
        description="Per-session statement_timeout sent on connect.",
    ),
    # -- api: uploads
    EnvVar(name="UPLOADS_BUCKET", services=_API, required=True, description="Private uploads bucket name."),
    EnvVar(name="UPLOADS_BUCKET_REGION", services=_API, default="us-east-1", description="Bucket region."),
    EnvVar(
        name="S3_ENDPOINT_URL",
        services=_API,
        local_only=True,
        description="S3 endpoint override (the local twin's S3 emulator).",
    ),
    EnvVar(
        name="UPLOAD_MAX_BYTES", services=_API, default="26214400", description="Largest accepted upload."
    ),
    EnvVar(
        name="UPLOAD_ALLOWED_TYPES",
        services=_API,
        default="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,application/json",
        description="Comma-separated content types accepted by createUpload.",
    ),
    EnvVar(
        name="UPLOAD_URL_TTL_SECONDS",
        services=_API,
        default="300",
        description="Lifetime of pre-signed PUT/GET URLs (at most 300).",
    ),
    # -- api: auth
    EnvVar(name="CLERK_JWKS_URL", services=_API, required=True, description="Clerk JWKS URL."),
    EnvVar(
        name="CLERK_ISSUER", services=_API, required=True, description="Expected `iss` (Frontend API URL)."
    ),
    EnvVar(
        name="CLERK_AUTHORIZED_PARTIES",
        services=_API,
        required=True,
        description="Comma-separated origins accepted in `azp`.",
    ),
    EnvVar(
        name="CLERK_SECRET_KEY",
        services=_API,
        secret=True,
        description="Clerk backend secret (reserved for Clerk's backend API; JWT checks use the JWKS).",
    ),
    EnvVar(
        name="ORIGIN_VERIFY_SECRET",
        services=(Service.API, Service.WEB),
        secret=True,
        description="Value CloudFront sends in X-Origin-Verify; requests without it get 403 (api and web).",
    ),
    # -- api -> ai
    EnvVar(name="AI_SERVICE_URL", services=_API, required=True, description="Base URL of the private ai."),
    EnvVar(
        name="AI_INTERNAL_API_KEY",
        services=(Service.API, Service.AI),
        secret=True,
        required=True,
        description="Shared key in X-Internal-Api-Key between api and ai.",
    ),
    EnvVar(
        name="AI_REQUEST_TIMEOUT_SECONDS",
        services=_API,
        default="30",
        description="api's deadline for one call to ai (ai retries upstream; api does not retry).",
    ),
    # -- api: GraphQL documents
    EnvVar(
        name="GRAPHQL_DOCUMENTS",
        services=_API,
        default="trusted",
        description="Which GraphQL documents api runs: 'trusted', only the web app's, by `documentId` "
        "(its manifest; anything else is refused with PERSISTED_QUERY_NOT_FOUND), or 'any', query text "
        "too (GraphiQL, curl), for local and dev only.",
    ),
    # -- ai -> upstream
    EnvVar(
        name="AI_UPSTREAM_BASE_URL",
        services=_AI,
        required=True,
        description="OpenAI-compatible base URL (…/v1), external provider or the vLLM path.",
    ),
    EnvVar(name="AI_UPSTREAM_MODEL", services=_AI, required=True, description="Model name sent upstream."),
    EnvVar(name="AI_UPSTREAM_API_KEY", services=_AI, secret=True, description="Upstream provider key."),
    EnvVar(
        name="AI_CONNECT_TIMEOUT_SECONDS", services=_AI, default="2", description="Upstream connect timeout."
    ),
    EnvVar(name="AI_READ_TIMEOUT_SECONDS", services=_AI, default="20", description="Upstream read timeout."),
    EnvVar(name="AI_DEADLINE_SECONDS", services=_AI, default="25", description="Total budget per request."),
    EnvVar(name="AI_MAX_ATTEMPTS", services=_AI, default="3", description="Upstream attempts per request."),
    EnvVar(name="AI_MAX_CONCURRENCY", services=_AI, default="32", description="Concurrent upstream calls."),
    EnvVar(
        name="AI_BREAKER_FAILURE_THRESHOLD",
        services=_AI,
        default="5",
        description="Consecutive failed requests that open the circuit breaker.",
    ),
    EnvVar(
        name="AI_BREAKER_RESET_SECONDS",
        services=_AI,
        default="30",
        description="Time the breaker stays open before one trial call (half-open).",
    ),
    EnvVar(name="AI_WRITE_TIMEOUT_SECONDS", services=_AI, default="5", description="Upstream write timeout."),
    EnvVar(
        name="AI_POOL_TIMEOUT_SECONDS",
        services=_AI,
        default="1",
        description="Wait for a free upstream connection from the shared pool.",
    ),
    EnvVar(
        name="AI_RETRY_BACKOFF_INITIAL_SECONDS",
        services=_AI,
        default="0.25",
        description="First retry backoff; doubles per retry (plus jitter), capped by the max below.",
    ),
    EnvVar(
        name="AI_RETRY_BACKOFF_MAX_SECONDS", services=_AI, default="4", description="Largest retry backoff."
    ),
    EnvVar(
        name="AI_RETRY_JITTER_SECONDS",
        services=_AI,
        default="0.25",
        description="Random jitter (0..this) added to each retry backoff.",
    ),
    EnvVar(
        name="AI_QUEUE_TIMEOUT_SECONDS",
        services=_AI,
        default="0.5",
        description="How long a request waits for a concurrency slot before 503 OVERLOADED (0: no wait).",
    ),
    EnvVar(name="AI_PROMPT_MAX_CHARS", services=_AI, default="8000", description="Longest accepted prompt."),
    EnvVar(
        name="OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        services=_AI,
        default="false",
        description="'true' records prompts and answers on the provider call's span "
        "(gen_ai.input.messages, gen_ai.output.messages); off by default: they may hold personal data.",
    ),
    EnvVar(
        name="AI_MAX_OUTPUT_TOKENS",
        services=_AI,
        default="1024",
        description="Largest max_tokens a caller may ask for; also sent when the caller gives none.",
    ),
)


def env_vars_for(service: Service, *, include_local_only: bool = False) -> tuple[EnvVar, ...]:
    """The variables `service` reads (its Settings' and, where `tracing`, the runtime's tracing setup)."""
    return tuple(
        var for var in ENV_VARS if service in var.services and (include_local_only or not var.local_only)
    )


def settings_vars_for(service: Service, *, include_local_only: bool = False) -> tuple[EnvVar, ...]:
    """The variables `service`'s own Settings read: all of env_vars_for but the tracing ones."""
    return tuple(
        var for var in env_vars_for(service, include_local_only=include_local_only) if not var.tracing
    )


TRACING_ENV_VARS: tuple[str, ...] = tuple(var.name for var in ENV_VARS if var.tracing)
