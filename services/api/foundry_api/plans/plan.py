"""A compiled document: `await plan.execute(...)` returns the response body graphql-core and
Strawberry's HTTP view would send for the same document, variables and context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types.execution import ExecutionContext

from foundry_api.plans.nodes import ObjectPlan
from foundry_api.plans.run import Run

# graphql-core's default (Executor.build's max_coercion_errors), which Strawberry does not change.
MAX_COERCION_ERRORS = 50


class PlanUnsupported(Exception):  # noqa: N818 - the name the interface promises
    """The document uses something the plan compiler does not mirror exactly; serve it with graphql-core."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Plan:
    def __init__(
        self,
        *,
        schema: strawberry.Schema,
        operation: OperationDefinitionNode,
        fragment_definitions: dict[str, FragmentDefinitionNode],
        conditions: tuple[str, ...],
        roots: dict[tuple[bool, ...], ObjectPlan],
        serial: bool,
        mask_factories: list[Any],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.operation_name = operation.name.value if operation.name else None
        self._gql_schema = schema._schema
        self._fragment_definitions = fragment_definitions
        self._variable_definitions = tuple(operation.variable_definitions or ())
        self._conditions = conditions
        self._roots = roots
        self._serial = serial
        self._mask_factories = mask_factories
        self._no_variables: VariableValues | None = None
        if not self._variable_definitions:
            # graphql-core ignores variables the operation does not declare.
            fixed = get_variable_values(self._gql_schema, (), {})
            assert not isinstance(fixed, list)
            self._no_variables = fixed

    @property
    def root(self) -> ObjectPlan:
        """The root selection for all conditions false (the only one without @include/@skip variables)."""
        return self._roots[(False,) * len(self._conditions)]

    async def execute(self, *, context: Any, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        variable_values = self._no_variables
        if variable_values is None:
            coerced = get_variable_values(
                self._gql_schema,
                self._variable_definitions,
                variables or {},  # type: ignore[arg-type]  # read with [] and `in` only
                max_errors=MAX_COERCION_ERRORS,
            )
            if isinstance(coerced, list):
                return self._response(None, coerced, context=context, variables=variables)
            variable_values = coerced
        if self._conditions:
            root = self._roots[tuple(bool(variable_values.coerced[n]) for n in self._conditions)]
        else:
            root = self._roots[()]
        run = Run(
            schema=self._gql_schema,
            operation=self.operation,
            fragment_definitions=self._fragment_definitions,
            variable_values=variable_values,
            context=context,
        )
        data: dict[str, Any] | None
        try:
            result = (
                run.execute_fields_serially(root, None, None)
                if self._serial
                else run.execute_fields(root, None, None)
            )
            if optimized_is_awaitable(result):
                result = await result
            data = result
        except GraphQLError as error:
            run.collected_errors.add(error, None)
            data = None
        errors = run.collected_errors.errors
        if not errors:
            return {"data": data}
        return self._response(data, errors, context=context, variables=variables)

    def _response(
        self,
        data: dict[str, Any] | None,
        errors: list[GraphQLError],
        *,
        context: Any,
        variables: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        # What Strawberry does with a result that has errors: log them (Schema.process_errors), let
        # MaskErrors replace the unexpected ones, then its HTTP view formats them.
        execution_context = ExecutionContext(
            query=None,
            schema=self.schema,
            allowed_operations=(),
            context=context,
            variables=dict(variables) if variables else variables,  # type: ignore[arg-type]
            provided_operation_name=self.operation_name,
        )
        self.schema.process_errors(errors, execution_context)
        for factory in self._mask_factories:
            mask = factory()
            mask.execution_context = execution_context
            errors = mask._process_errors(errors)
        return {"data": data, "errors": [error.formatted for error in errors]}
