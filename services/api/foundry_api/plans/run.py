"""One request's execution of a compiled plan, mirroring graphql-core 3.3's `Executor` step by step.

The structure is graphql-core's on purpose: the same places return awaitables instead of values,
the same places gather several of them (`gather_with_cancel`), settle abandoned ones in the
background and record errors (`CollectedErrors`, which drops errors below a nulled position). So
errors, null propagation and partial data come out as graphql-core's. One difference: an awaitable
completion is stepped at once, up to its first real wait (plans/eager.py), so what never waits
completes as a plain value and needs no Task of its own. What is gone is the per-field interpretation: field collection, fragment and
type-condition matching, argument coercion of literals, resolver lookup and Info construction
happen at compile time, or only on the rare paths that need them (errors, resolvers taking `info`).
"""

from __future__ import annotations

from asyncio import gather
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    located_error,
)
from graphql.execution.executor import CollectedErrors, Executor, invalid_return_type_error
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, Undefined, async_reduce, gather_with_cancel, inspect, is_iterable
from graphql.pyutils.is_awaitable import is_async_iterable
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo as _StrawberryResolveInfo

from foundry_api.plans.eager import run_eagerly
from foundry_api.plans.nodes import (
    ATTRIBUTE,
    LEAF,
    LIST,
    NON_NULL,
    OBJECT,
    RELAY_ID,
    SHAPE_OBJECT_LIST,
    TYPENAME,
    Completion,
    FieldPlan,
    ObjectPlan,
)

_new_path = tuple.__new__
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _path(prev: Path | None, key: str | int, typename: str | None) -> Path:
    # Path is a NamedTuple; tuple.__new__ skips its Python-level __new__ (same object, a third
    # of the cost), and a path is built per object and list item.
    return _new_path(Path, (prev, key, typename))


class Run:
    """State of one execution: what graphql-core keeps on its Executor instance."""

    __slots__ = (
        "_helpers",
        "background_futures",
        "collected_errors",
        "context",
        "fragment_definitions",
        "operation",
        "schema",
        "variable_values",
    )

    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragment_definitions: dict[str, Any],
        variable_values: VariableValues,
        context: Any,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragment_definitions = fragment_definitions
        self.variable_values = variable_values
        self.context = context
        self.collected_errors = CollectedErrors()
        self.background_futures: set[Any] = set()
        self._helpers: GraphQLResolveInfoHelpers | None = None

    # -- what resolvers see

    def info(self, f: FieldPlan, path: Path) -> GraphQLResolveInfo[Any]:
        # The info Strawberry's execution context builds (StrawberryGraphQLCoreExecutionContext):
        # the coerced variables as a plain dict, and the request's operation extensions (none).
        helpers = self._helpers
        if helpers is None:
            helpers = self._helpers = GraphQLResolveInfoHelpers(
                gather=self.gather_async_work, track=self.track_async_work
            )
        return _StrawberryResolveInfo(  # type: ignore[return-value]
            f.name,
            f.nodes,
            f.return_type,
            f.parent_type,
            path,
            self.schema,
            self.fragment_definitions,
            None,
            self.operation,
            self.variable_values.coerced,
            self.context,
            optimized_is_awaitable,
            None,
            helpers,
            None,  # type: ignore[arg-type]  # what Strawberry's view passes without request extensions
        )

    def gather_async_work(self, values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return gather_with_cancel(*values)

    def track_async_work(self, values: Sequence[Any]) -> None:
        awaitables = [value for value in values if optimized_is_awaitable(value)]
        if awaitables:
            self.settle_in_background(awaitables)

    def settle_in_background(self, awaitables: list[Awaitable[Any]]) -> None:
        future = gather(*awaitables, return_exceptions=True)
        self.background_futures.add(future)
        future.add_done_callback(self.background_futures.discard)

    # -- Executor.execute_fields / execute_fields_serially

    def execute_fields(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        # graphql-core's execute_fields, unrolled for this plan's fields and compiled (codegen.py).
        return plan.execute(self, source, path)

    async def gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        """execute_fields' end when some fields are awaitable: their values, in place."""
        if len(awaitable_fields) == 1:
            key = awaitable_fields[0]
            results[key] = await results[key]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def execute_fields_serially(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        def reducer(results: dict[str, Any], f: FieldPlan) -> Any:
            result = self.execute_field(f, source, path)
            if optimized_is_awaitable(result):

                async def set_result() -> dict[str, Any]:
                    results[f.key] = await result
                    return results

                return set_result()
            results[f.key] = result
            return results

        return async_reduce(reducer, plan.fields, {})

    # -- Executor.execute_field

    def execute_field(self, f: FieldPlan, source: Any, parent_path: Path | None) -> Any:
        if f.kind is TYPENAME:
            return f.typename
        path = _path(parent_path, f.key, f.typename)
        comp = f.completion
        try:
            if f.kind is ATTRIBUTE:
                result = getattr(source, f.attr)
            elif f.kind is RELAY_ID and type(source) is f.relay_cls:
                node_id = getattr(source, f.relay_attr)
                if node_id is None or optimized_is_awaitable(node_id):
                    result = self._resolve(f, source, path)
                else:
                    # GlobalID(type_name, str(node_id)) serialized by the ID scalar: its str().
                    return to_base64(f.typename, str(node_id))
            else:
                result = self._resolve(f, source, path)
            if optimized_is_awaitable(result):
                return run_eagerly(self.complete_awaitable_value(comp, f, path, result))
            completed = self.complete_value(comp, f, path, result)
            if optimized_is_awaitable(completed):
                return self._await_completed(comp, f, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, path)
            return None
        return completed

    def _object_field(self, f: FieldPlan, plan: ObjectPlan, value: Any, parent_path: Path | None) -> Any:
        """execute_field for an attribute holding an object of a known type (complete_object_value)."""
        path = _path(parent_path, f.key, f.typename)
        try:
            completed = self.complete_object_value(plan, f, path, value)
            if type(completed) is not dict:
                return self._await_completed(f.completion, f, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, f.completion, f, path)
            return None
        return completed

    def _list_field(self, f: FieldPlan, value: list[Any], parent_path: Path | None) -> Any:
        """execute_field for an attribute holding a list (of objects): complete_list_value."""
        path = _path(parent_path, f.key, f.typename)
        comp = f.completion
        list_comp = comp.inner if comp.kind is NON_NULL else comp
        try:
            completed = self.complete_list_value(list_comp, f, path, value)  # type: ignore[arg-type]
            if type(completed) is not list:
                return self._await_completed(comp, f, path, completed)
            if comp.kind is NON_NULL and completed is None:  # pragma: no cover - a list is never None
                raise TypeError(f"Cannot return null for non-nullable field {f.parent_type}.{f.name}.")
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, path)
            return None
        return completed

    def complete_resolved(self, f: FieldPlan, source: Any, parent_path: Path | None, result: Any) -> Any:
        """execute_field's tail for a value already read (the ATTRIBUTE fast path's slow case)."""
        path = _path(parent_path, f.key, f.typename)
        comp = f.completion
        try:
            if optimized_is_awaitable(result):
                return run_eagerly(self.complete_awaitable_value(comp, f, path, result))
            completed = self.complete_value(comp, f, path, result)
            if optimized_is_awaitable(completed):
                return self._await_completed(comp, f, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, path)
            return None
        return completed

    def _resolve(self, f: FieldPlan, source: Any, path: Path) -> Any:
        args = f.const_args
        if args is None:
            args = get_argument_values(f.field_def, f.nodes[0], self.variable_values, None, False)
        direct = f.direct
        if direct is not None:
            return direct(source, lambda: self.info(f, path), self.context, args)
        assert f.resolve is not None
        return f.resolve(source, self.info(f, path), **args)

    async def _await_completed(self, comp: Completion, f: FieldPlan, path: Path, completed: Any) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, path)
            return None

    def handle_field_error(self, raw_error: Exception, comp: Completion, f: FieldPlan, path: Path) -> None:
        error = located_error(raw_error, f.nodes, path.as_list())
        if comp.non_null:
            raise error
        self.collected_errors.add(error, path)

    async def complete_awaitable_value(self, comp: Completion, f: FieldPlan, path: Path, result: Any) -> Any:
        try:
            resolved = await result
            completed = self.complete_value(comp, f, path, resolved)
            if optimized_is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, path)
            completed = None
        return completed

    # -- Executor.complete_value and friends

    def complete_value(self, comp: Completion, f: FieldPlan, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        kind = comp.kind
        if kind is NON_NULL:
            assert comp.inner is not None
            completed = self.complete_value(comp.inner, f, path, result)
            if completed is None:
                msg = f"Cannot return null for non-nullable field {f.parent_type}.{f.name}."
                raise TypeError(msg)
            return completed
        if result is None or result is Undefined:
            return None
        if kind is LEAF:
            if type(result) in comp.fast_types and (not comp.int32 or INT32_MIN <= result <= INT32_MAX):
                return result
            if type(result) is comp.convert_type:
                return comp.convert(result)  # type: ignore[misc]
            assert comp.leaf is not None
            coerced = comp.leaf.coerce_output_value(result)
            if coerced is Undefined or coerced is None:
                msg = (
                    f"Expected `{inspect(comp.leaf)}.coerce_output_value("
                    f"{inspect(result)})` to return non-nullable value, returned: {inspect(coerced)}"
                )
                raise TypeError(msg)
            return coerced
        if kind is OBJECT:
            plan = comp.object_plan
            assert plan is not None
            if not optimized_is_awaitable(result):
                plan.known_types.add(type(result))
            return self.complete_object_value(plan, f, path, result)
        if kind is LIST:
            return self.complete_list_value(comp, f, path, result)
        return self.complete_abstract_value(comp, f, path, result)

    def complete_list_value(self, comp: Completion, f: FieldPlan, path: Path, result: Any) -> Any:
        if type(result) is not list:
            if is_async_iterable(result):
                raise _unsupported_at_runtime(f, "an async iterable for a list field")
            if not is_iterable(result):
                msg = f"Expected Iterable, but did not find one for field '{f.parent_type}.{f.name}'."
                raise GraphQLError(msg)
        item_comp = comp.inner
        assert item_comp is not None
        item_plan = f.object_plan if f.shape is SHAPE_OBJECT_LIST else None
        known_types = item_plan.known_types if item_plan is not None else ()
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        iterator = iter(result)
        index = 0
        try:
            for item in iterator:
                item_path = _path(path, index, None)
                if type(item) in known_types:
                    try:
                        completed_item = self.complete_object_value(item_plan, f, item_path, item)  # type: ignore[arg-type]
                        if type(completed_item) is dict:
                            append(completed_item)
                        else:
                            append(self._await_completed(item_comp, f, item_path, completed_item))
                            awaitable_indices.append(index)
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, item_comp, f, item_path)
                        append(None)
                elif optimized_is_awaitable(item):
                    append(self._complete_awaitable_list_item(item_comp, f, item_path, item))
                    awaitable_indices.append(index)
                else:
                    try:
                        completed_item = self.complete_value(item_comp, f, item_path, item)
                        if optimized_is_awaitable(completed_item):
                            append(self._await_completed(item_comp, f, item_path, completed_item))
                            awaitable_indices.append(index)
                        else:
                            append(completed_item)
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, item_comp, f, item_path)
                        append(None)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            pending.extend(item for item in iterator if optimized_is_awaitable(item))
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                i = awaitable_indices[0]
                completed_results[i] = await completed_results[i]
            else:
                awaited = await gather_with_cancel(*(completed_results[i] for i in awaitable_indices))
                for i, sub_result in zip(awaitable_indices, awaited, strict=True):
                    completed_results[i] = sub_result
            return completed_results

        return get_completed_results()

    async def _complete_awaitable_list_item(
        self, comp: Completion, f: FieldPlan, item_path: Path, item: Any
    ) -> Any:
        try:
            resolved = await item
            completed = self.complete_value(comp, f, item_path, resolved)
            if optimized_is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, comp, f, item_path)
            return None
        return completed

    def complete_abstract_value(self, comp: Completion, f: FieldPlan, path: Path, result: Any) -> Any:
        abstract = comp.abstract
        assert abstract is not None
        info = self.info(f, path)
        resolve_type = abstract.resolve_type
        if resolve_type is None:
            raise _unsupported_at_runtime(f, "an abstract type without resolve_type")
        runtime_type = resolve_type(result, info, abstract)
        if optimized_is_awaitable(runtime_type):
            raise _unsupported_at_runtime(f, "an awaitable resolve_type")
        object_type = Executor.ensure_valid_runtime_type(
            self,  # type: ignore[arg-type]  # it reads only .schema
            runtime_type,
            abstract,
            f.details,
            info,
            result,
        )
        return self.complete_object_value(comp.by_type[object_type.name], f, path, result)

    def complete_object_value(self, plan: ObjectPlan, f: FieldPlan, path: Path, result: Any) -> Any:
        is_type_of = plan.is_type_of
        if is_type_of is not None:
            ok = is_type_of(result, self.info(f, path) if plan.is_type_of_needs_info else None)
            if optimized_is_awaitable(ok):
                raise _unsupported_at_runtime(f, "an awaitable is_type_of")
            if not ok:
                raise invalid_return_type_error(plan.gql_type, result, f.details)
        return plan.execute(self, result, path)


class PlanRuntimeUnsupportedError(Exception):
    """A value shape the plan compiler chose not to mirror (never produced by this api's resolvers)."""


def _unsupported_at_runtime(f: FieldPlan, what: str) -> PlanRuntimeUnsupportedError:
    return PlanRuntimeUnsupportedError(f"{f.parent_type}.{f.name} returned {what}")


__all__ = ["PlanRuntimeUnsupportedError", "Run"]
