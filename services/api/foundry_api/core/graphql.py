"""The GraphQL endpoint's hardening (reference §4): limits, masking, caches, no GET, no IDE in prod."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from foundry_runtime.trace_context import current_trace_id
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule

from foundry_api.core.errors import ClientError

log = structlog.stdlib.get_logger(__name__)

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 1000
CACHE_ENTRIES = 256

# Built once: ValidationCache keys on the rule classes, and the stock extensions would create new
# classes per request, which would make every lookup a miss.
_LIMIT_RULES = [depth_limit_rule(MAX_QUERY_DEPTH, None, None), max_aliases_rule(MAX_ALIASES)]
_NO_INTROSPECTION_RULES = [*_LIMIT_RULES, NoSchemaIntrospectionCustomRule]


def _is_expected(error: GraphQLError) -> bool:
    # Parse/validation errors carry no original error; ClientError is raised on purpose.
    original = error.original_error
    return original is None or isinstance(original, ClientError | GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected errors with a generic message plus the request and trace ids, and logs the
    real one."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        original = error.original_error
        log.error(
            "graphql_unexpected_error",
            path=error.path,
            error_type=type(original).__name__ if original else None,
            exc_info=original,
        )
        return GraphQLError(
            message=f"Unexpected error (request id {request_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id, "traceId": current_trace_id()},
        )


def schema_extensions(*, allow_introspection: bool) -> list[Callable[[], SchemaExtension]]:
    """Factories, not instances: Strawberry builds one extension per request from each."""
    rules: list[Any] = _LIMIT_RULES if allow_introspection else _NO_INTROSPECTION_RULES
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_ENTRIES),
        lambda: ValidationCache(maxsize=CACHE_ENTRIES),
        MaskUnexpectedErrors,
    ]
