"""The ai service's CloudWatch metrics: the service emits them, the platform alarms on them (spec §10).

`ai` prints one CloudWatch Embedded Metric Format (EMF) line per upstream attempt and per upstream
error. The alarm on the AI upstream error rate divides UPSTREAM_ERRORS by UPSTREAM_REQUESTS, both
with the SERVICE_DIMENSION and ENVIRONMENT_DIMENSION set (each error is also published per
ERROR_CODE_DIMENSION value). The environment is a dimension because environments may share an
account and region: without it their data points land in one metric and one alarm reads them all.
Every upstream error is also a JSON log event named UPSTREAM_ERROR_LOG_EVENT, so a log metric filter
can stand in where EMF is not extracted.
"""

AI_METRICS_NAMESPACE = "Foundry/ai"

SERVICE_DIMENSION = "Service"
# FOUNDRY_ENV's value (dev, staging, prod): the environment name the platform gives its alarms.
ENVIRONMENT_DIMENSION = "Environment"
ERROR_CODE_DIMENSION = "ErrorCode"
AI_SERVICE_DIMENSION_VALUE = "ai"

# Count, one per HTTP attempt sent to the upstream (a request retried twice counts three).
UPSTREAM_REQUESTS = "UpstreamRequests"
# Count, one per failed attempt; dimensions {Service, Environment} and {Service, Environment, ErrorCode}.
UPSTREAM_ERRORS = "UpstreamErrors"
# Milliseconds, per attempt.
UPSTREAM_LATENCY = "UpstreamLatency"
# Count, requests refused without calling the upstream (CIRCUIT_OPEN, OVERLOADED); {Service, Environment, ErrorCode}.
REJECTED_REQUESTS = "RejectedRequests"

UPSTREAM_ERROR_LOG_EVENT = "upstream_error"

# The `error.code` values of ai's JSON error responses (and ErrorCode dimension values).
AI_ERROR_CODES: tuple[str, ...] = (
    "UPSTREAM_ERROR",
    "UPSTREAM_TIMEOUT",
    "UPSTREAM_RATE_LIMITED",
    "UPSTREAM_REJECTED",
    "CIRCUIT_OPEN",
    "OVERLOADED",
)
