"""Each trusted document made ready once, at start-up: parsed and validated with the endpoint's own
rules (tokens, depth, aliases, no introspection where the schema is hidden), then given a plan.

A plan comes from the plan compiler (foundry_api.plans) when one is passed in; a document it cannot
handle, or every document without one, runs through graphql-core's executor on the pre-parsed,
pre-validated document, as Strawberry would run it, only without parsing and validating again. The
fallback is logged once per document at start-up, so it is never silent.

Either way a request gets the response body today's text path sends for the same document: the same
data, the same errors (masked the same way, logged the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import strawberry
import structlog
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    specified_rules,
    validate,
)
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.utils.await_maybe import await_maybe
from strawberry.execution import optimized_is_awaitable

from foundry_api.context import Context
from foundry_api.core.graphql import MAX_TOKENS, masked, validation_rules
from foundry_api.plans import PlanUnsupported

log = structlog.stdlib.get_logger(__name__)

Response = dict[str, Any]


class Plan(Protocol):
    """What the plan compiler returns: the response body for one request of one document."""

    async def execute(self, *, context: Context, variables: dict[str, Any] | None) -> Response: ...


# foundry_api.plans.compile_document(*, schema, document, operation_name) -> Plan, raising
# PlanUnsupported(reason) for a document out of its reach.
PlanCompiler = Callable[..., Plan]


class GraphQLCorePlan:
    """A pre-parsed, pre-validated document run by graphql-core's executor, with Strawberry's
    execution context class, error processing and masking (strawberry.Schema.execute without the
    parse, the validation and the per-request extensions)."""

    def __init__(self, *, schema: strawberry.Schema, document: DocumentNode, operation_name: str | None):
        self._schema = schema
        self._document = document
        self._operation_name = operation_name
        self._executor = execution_context_class_kwargs(schema.execution_context_class)

    async def execute(self, *, context: Context, variables: dict[str, Any] | None) -> Response:
        # Strawberry's schema.execute calls the same function with the same arguments.
        result = await await_maybe(
            execute(
                self._schema._schema,
                self._document,
                root_value=None,
                variable_values=variables,
                operation_name=self._operation_name,
                context_value=context,
                is_awaitable=optimized_is_awaitable,
                operation_extensions=None,
                **self._executor,
            )
        )
        if not result.errors:
            return {"data": result.data}
        return {"data": result.data, "errors": _answered(self._schema, result.errors, context=context)}


class RefusedPlan:
    """A document that does not parse or validate: every request gets those errors (as the text path
    answers the same text), and nothing runs."""

    def __init__(self, *, schema: strawberry.Schema, errors: list[GraphQLError]):
        self._schema = schema
        self._errors = errors

    async def execute(self, *, context: Context, variables: dict[str, Any] | None) -> Response:
        return {"data": None, "errors": _answered(self._schema, list(self._errors), context=context)}


def _answered(schema: strawberry.Schema, errors: list[GraphQLError], *, context: Context) -> list[Any]:
    schema._process_errors(errors)  # Strawberry's logging of every error, before masking
    return [masked(error, request_id=context.request_id).formatted for error in errors]


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    document_id: str
    operation_name: str | None
    # How its default operation runs: a compiled plan, graphql-core, or its validation errors.
    plan: Plan
    executor: str  # "plan", "graphql-core" or "refused", for the start-up log and the tests
    document: DocumentNode | None
    schema: strawberry.Schema

    def plan_for(self, operation_name: str | None) -> Plan:
        """The plan for a request's operationName (empty or the document's own: the prepared one)."""
        if not operation_name or operation_name == self.operation_name or self.document is None:
            return self.plan
        # Another name: graphql-core answers it (an unknown name is its error), as the text path would.
        return GraphQLCorePlan(schema=self.schema, document=self.document, operation_name=operation_name)


def prepare_documents(
    *,
    documents: Mapping[str, str],
    schema: strawberry.Schema,
    allow_introspection: bool,
    compiler: PlanCompiler | None = None,
) -> dict[str, PreparedDocument]:
    """Every document parsed, validated and planned; each fallback and refusal logged once."""
    rules = [*specified_rules, *validation_rules(allow_introspection=allow_introspection)]
    prepared: dict[str, PreparedDocument] = {}
    counts = {"plan": 0, "graphql-core": 0, "refused": 0}
    for document_id, text in documents.items():
        prepared[document_id] = _prepare(document_id, text, schema=schema, rules=rules, compiler=compiler)
        counts[prepared[document_id].executor] += 1
    log.info("trusted_documents_prepared", documents=len(prepared), **counts)
    return prepared


def _prepare(
    document_id: str, text: str, *, schema: strawberry.Schema, rules: list[Any], compiler: PlanCompiler | None
) -> PreparedDocument:
    def refused(errors: list[GraphQLError], document: DocumentNode | None) -> PreparedDocument:
        log.warning(
            "trusted_document_refused",
            document_id=document_id,
            errors=[error.message for error in errors],
        )
        return PreparedDocument(
            document_id=document_id,
            operation_name=None,
            plan=RefusedPlan(schema=schema, errors=errors),
            executor="refused",
            document=document,
            schema=schema,
        )

    try:
        document = parse(text, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return refused([error], None)
    errors = validate(schema._schema, document, rules)
    if errors:
        return refused(errors, document)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation_name = operations[0].name.value if len(operations) == 1 and operations[0].name else None
    fallback = GraphQLCorePlan(schema=schema, document=document, operation_name=None)
    plan: Plan = fallback
    executor = "graphql-core"
    if compiler is not None:
        try:
            plan = compiler(schema=schema, document=document, operation_name=operation_name)
            executor = "plan"
        except PlanUnsupported as exc:
            log.warning(
                "trusted_document_not_planned",
                document_id=document_id,
                operation=operation_name,
                reason=exc.reason,
            )
    return PreparedDocument(
        document_id=document_id,
        operation_name=operation_name,
        plan=plan,
        executor=executor,
        document=document,
        schema=schema,
    )
