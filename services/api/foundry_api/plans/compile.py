"""Compiles one known document against the Strawberry schema into a `Plan`, or says why it cannot.

Field collection (fragments, inline fragments, type conditions, merging, @include/@skip) is
graphql-core's own `collect_fields`/`collect_subfields`, run once here per concrete type instead of
once per object per request. What the compiler does not mirror exactly raises `PlanUnsupported`,
so the caller serves that document with graphql-core instead.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import Visitor, visit
from graphql.type.introspection import TypeNameMetaFieldDef
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.schema.types import base_scalars
from strawberry.types.base import StrawberryMaybe, StrawberryOptional, get_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from foundry_api.plans.codegen import compile_fields
from foundry_api.plans.nodes import (
    ABSTRACT,
    ATTRIBUTE,
    LEAF,
    LIST,
    NON_NULL,
    OBJECT,
    RELAY_ID,
    RESOLVER,
    SHAPE_LEAF,
    SHAPE_OBJECT,
    SHAPE_OBJECT_LIST,
    SHAPE_OTHER,
    TYPENAME,
    Completion,
    FieldPlan,
    ObjectPlan,
)
from foundry_api.plans.plan import Plan, PlanUnsupported

# Extensions whose whole effect on a trusted document's response is known: the first four act
# before execution (the caller parses and validates trusted documents at start-up), MaskErrors
# rewrites errors afterwards and the plan applies it the same way.
_PRE_EXECUTION_EXTENSIONS = (MaxTokensLimiter, AddValidationRules, ParserCache, ValidationCache)
MAX_CONDITION_VARIABLES = 4
_STRAWBERRY_IS_TYPE_OF = "_get_is_type_of.<locals>.is_type_of"
_BASIC_RESOLVER = "_get_basic_result"
_FAST_LEAVES: dict[Any, frozenset[type]] = {
    GraphQLString: frozenset({str}),
    GraphQLID: frozenset({str}),
    GraphQLBoolean: frozenset({bool}),
    GraphQLInt: frozenset({int}),
}


# Strawberry's Date, DateTime and Time serialize with methodcaller("isoformat"): on a value of exactly
# the scalar's Python type that is the type's own isoformat (a subclass may override it: slow path).
_CONVERSIONS: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "Date": (datetime.date, datetime.date.isoformat),
    "DateTime": (datetime.datetime, datetime.datetime.isoformat),
    "Time": (datetime.time, datetime.time.isoformat),
}


def _conversion(gql_type: Any) -> dict[str, Any]:
    known = _CONVERSIONS.get(getattr(gql_type, "name", ""))
    if known is None or getattr(gql_type, "coerce_output_value", None) is not base_scalars.isoformat:
        return {}
    return {"convert_type": known[0], "convert": known[1]}


def compile_document(
    *, schema: strawberry.Schema, document: DocumentNode, operation_name: str | None
) -> Plan:
    """Plan one parsed and validated document; PlanUnsupported(reason) for anything not mirrored."""
    _check_schema(schema)
    gql_schema = schema._schema
    operation, fragment_definitions = _pick_operation(document, operation_name)
    if operation.operation not in (OperationType.QUERY, OperationType.MUTATION):
        raise PlanUnsupported(f"{operation.operation.value} operations are not planned")
    root_type = gql_schema.get_root_type(operation.operation)
    if root_type is None:
        raise PlanUnsupported(f"the schema has no {operation.operation.value} type")
    fragments = {name: FragmentDetails(node, None) for name, node in fragment_definitions.items()}
    conditions = _condition_variables(document, operation)
    roots: dict[tuple[bool, ...], ObjectPlan] = {}
    for values in itertools.product((False, True), repeat=len(conditions)):
        variable_values = _condition_values(gql_schema, operation, dict(zip(conditions, values, strict=True)))
        compiler = _Compiler(gql_schema, fragments, operation, variable_values, direct=_DirectCalls(schema))
        grouped, _defer, _forbidden = collect_fields(
            gql_schema, fragments, variable_values, root_type, operation
        )
        roots[values] = _compiled(ObjectPlan(gql_type=root_type, fields=compiler.fields(root_type, grouped)))
    return Plan(
        schema=schema,
        operation=operation,
        fragment_definitions=fragment_definitions,
        conditions=conditions,
        roots=roots,
        serial=operation.operation is OperationType.MUTATION,
        mask_factories=_mask_factories(schema),
    )


def _check_schema(schema: strawberry.Schema) -> None:
    config = schema.config
    if config.enable_experimental_incremental_execution or schema._schema.get_directive("defer"):
        raise PlanUnsupported("incremental delivery (@defer/@stream) is enabled")
    if schema.execution_context_class not in (None, StrawberryGraphQLCoreExecutionContext):
        raise PlanUnsupported("the schema uses a custom execution context class")
    if config.default_resolver is not getattr:
        raise PlanUnsupported("the schema's default resolver is not getattr")
    for factory in schema.extensions:
        extension = factory() if callable(factory) else factory
        if extension._implements_resolve():
            raise PlanUnsupported(f"schema extension {type(extension).__name__} wraps every resolver")
        if type(extension).get_results is not SchemaExtension.get_results:
            raise PlanUnsupported(f"schema extension {type(extension).__name__} adds response extensions")
        if not isinstance(extension, (*_PRE_EXECUTION_EXTENSIONS, MaskErrors)):
            raise PlanUnsupported(f"schema extension {type(extension).__name__} is not known to the planner")


def _mask_factories(schema: strawberry.Schema) -> list[Any]:
    return [f for f in schema.extensions if isinstance(f() if callable(f) else f, MaskErrors)]


def _pick_operation(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    # The same choice as graphql-core's Executor.build.
    operation: OperationDefinitionNode | None = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation is not None:
                    raise PlanUnsupported("several operations and no operation name")
                operation = definition
            elif definition.name and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                raise PlanUnsupported(f"fragment {definition.name.value} has variables (experimental)")
            fragments[definition.name.value] = definition
    if operation is None:
        raise PlanUnsupported(f"no operation named {operation_name!r}" if operation_name else "no operation")
    return operation, fragments


def _condition_variables(document: DocumentNode, operation: OperationDefinitionNode) -> tuple[str, ...]:
    """Variables that @include/@skip read: the plan holds one root per combination of their values."""
    names: list[str] = []

    class Conditions(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value not in ("include", "skip"):
                return
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode) and argument.value.name.value not in names:
                    names.append(argument.value.name.value)
                elif not isinstance(argument.value, (VariableNode, BooleanValueNode)):
                    raise PlanUnsupported(f"@{node.name.value} with a non-boolean literal")

    visit(document, Conditions())
    if len(names) > MAX_CONDITION_VARIABLES:
        raise PlanUnsupported(
            f"@include/@skip read {len(names)} variables (at most {MAX_CONDITION_VARIABLES})"
        )
    definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
    for name in names:
        definition = definitions.get(name)
        type_node = definition.type if definition else None
        if not (
            isinstance(type_node, NonNullTypeNode)
            and isinstance(type_node.type, NamedTypeNode)
            and type_node.type.name.value == "Boolean"
        ):
            # A nullable condition variable may be null, which graphql-core reports while collecting
            # fields; only Boolean! has exactly two outcomes.
            raise PlanUnsupported(f"@include/@skip variable ${name} is not Boolean!")
    return tuple(names)


def _condition_values(
    schema: GraphQLSchema, operation: OperationDefinitionNode, values: dict[str, bool]
) -> VariableValues:
    definitions = [d for d in operation.variable_definitions or () if d.variable.name.value in values]
    coerced = get_variable_values(schema, definitions, values)
    if isinstance(coerced, list):  # pragma: no cover - Boolean! always accepts a bool
        raise PlanUnsupported(f"condition variables: {coerced[0].message}")
    return coerced


def _reads_variables(node: Any) -> bool:
    found = False

    class Variables(Visitor):
        def enter_variable(self, *_args: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Variables())
    return found


def _enum_names(gql_type: Any) -> tuple[type | None, dict[Any, str]]:
    """For Strawberry's enum type, the name its coerce_output_value gives each Python member."""
    if not isinstance(gql_type, CustomGraphQLEnumType):
        return None, {}
    enum_cls = gql_type.wrapped_cls
    if type(gql_type).coerce_output_value is not CustomGraphQLEnumType.coerce_output_value:
        return None, {}
    members: list[Any] = list(enum_cls)
    return enum_cls, {member: gql_type.coerce_output_value(member) for member in members}


def _shape(completion: Completion) -> dict[str, Any]:
    """Which fast path an ATTRIBUTE or RELAY_ID field's value can take (see run.Run.execute_fields)."""
    inner = completion.inner if completion.kind == NON_NULL else completion
    assert inner is not None
    if inner.kind == LEAF:
        return {"shape": SHAPE_LEAF, "leaf": inner}
    if inner.kind == OBJECT:
        return {"shape": SHAPE_OBJECT, "object_plan": inner.object_plan}
    if inner.kind == LIST:
        item = inner.inner
        assert item is not None
        item_inner = item.inner if item.kind == NON_NULL else item
        assert item_inner is not None
        if item_inner.kind == OBJECT:
            return {"shape": SHAPE_OBJECT_LIST, "item": item, "object_plan": item_inner.object_plan}
    return {"shape": SHAPE_OTHER}


class _DirectCalls:
    """The resolver function itself, for fields whose Strawberry wrapper would add nothing.

    For a field with a resolver, Strawberry's schema converter installs `_resolver` (or
    `_async_resolver`, a coroutine around it) that builds `strawberry.Info`, converts the GraphQL
    arguments (`get_arguments`), lets field extensions wrap and reshape the call, applies exception
    handlers whose error type is in the field's return type, and passes the parent object as `self`,
    `root` or `parent` and the Info as `info` as the resolver's signature asks
    (strawberry/schema/schema_converter.py, `from_resolver`). Without extensions (a permission class
    is one) or exception handlers, and with arguments of plain scalar types only (int, str, bool,
    float, or Optional of one: Strawberry's convert_argument returns their values as they are),
    only the passing remains, which this does: one call instead of some dozen per field, for each
    `downloadUrl` of a page and for its `uploads(first:, after:)`.
    """

    def __init__(self, schema: strawberry.Schema) -> None:
        self.converter = schema.schema_converter
        self.info_class = _lazy_info_class(schema.config.info_class)
        self.name_converter = schema.config.name_converter

    def call_for(self, field: StrawberryField, field_def: Any) -> Any:
        resolver = field.base_resolver
        arguments = self.plain_arguments(field)
        if (
            resolver is None
            or arguments is None
            or field.extensions
            or len(arguments) != len(field_def.args)
            or getattr(field_def.resolve, "__name__", "") not in ("_resolver", "_async_resolver")
            or self.converter._get_field_exception_handlers(field)
            or not callable(resolver.wrapped_func)
        ):
            return None
        function = resolver.wrapped_func
        as_self = resolver.self_parameter is not None
        source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
        info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
        info_class = self.info_class

        def call(source: Any, raw_info: Callable[[], Any], context: Any, args: dict[str, Any]) -> Any:
            kwargs = dict.fromkeys(source_names, source)
            for graphql_name, python_name in arguments:
                if graphql_name in args:  # as convert_arguments: only what graphql-core gave
                    kwargs[python_name] = args[graphql_name]
            if info_name is not None:
                kwargs[info_name] = info_class(raw_info, field, context)
            return function(source, **kwargs) if as_self else function(**kwargs)

        return call

    def plain_arguments(self, field: StrawberryField) -> list[tuple[str, str]] | None:
        """(GraphQL name, Python name) of each argument, or None if one is not of a plain scalar type."""
        names: list[tuple[str, str]] = []
        for argument in field.arguments:
            argument_type = argument.type
            if isinstance(argument_type, StrawberryMaybe):
                return None
            if isinstance(argument_type, StrawberryOptional):
                argument_type = argument_type.of_type
            if argument_type not in _PLAIN_ARGUMENT_TYPES or not argument.python_name:
                return None
            names.append((self.name_converter.from_argument(argument), argument.python_name))
        return names


# Python types whose GraphQL argument values Strawberry passes to resolvers unchanged.
_PLAIN_ARGUMENT_TYPES = (int, str, bool, float)


def _lazy_info_class(info_class: type[Info[Any, Any]]) -> Callable[..., Info[Any, Any]]:
    """`info_class`, but its GraphQLResolveInfo (a 15-field object and the field's Path) made only
    when something reads it, and `info.context` answered without it: `downloadUrl` of a pending
    upload reads neither, and most resolvers read only the context. Everything else an Info offers
    reads `_raw_info`, which then builds the very object Strawberry would have passed."""
    plain_context = info_class.context is Info.context  # a subclass may redefine `context`

    def init(self: Any, make_raw: Callable[[], Any], field: StrawberryField, context: Any) -> None:
        self._field = field
        self._plan_make_raw = make_raw
        self._plan_context = context

    def _raw_info(self: Any) -> Any:
        raw = self.__dict__.get("_plan_raw")
        if raw is None:
            raw = self.__dict__["_plan_raw"] = self._plan_make_raw()
        return raw

    def context(self: Any) -> Any:
        return self._plan_context if plain_context else info_class.context.fget(self)  # type: ignore[attr-defined]

    namespace = {
        "__init__": init,
        "_raw_info": property(_raw_info),
        "context": property(context),
        # The same names, so that what a resolver's mistake says (an AttributeError) is the same.
        "__qualname__": info_class.__qualname__,
        "__module__": info_class.__module__,
    }
    return type(info_class.__name__, (info_class,), namespace)


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        operation: OperationDefinitionNode,
        variable_values: VariableValues,
        *,
        direct: _DirectCalls,
    ) -> None:
        self.schema = schema
        self.direct = direct
        self.fragments = fragments
        self.operation = operation
        self.variable_values = variable_values
        no_variables = get_variable_values(schema, (), {})
        assert not isinstance(no_variables, list)
        self.no_variables = no_variables

    def fields(
        self, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> list[FieldPlan]:
        return [self.field(parent_type, key, details) for key, details in grouped.items()]

    def field(self, parent_type: GraphQLObjectType, key: str, details: list[FieldDetails]) -> FieldPlan:
        node = details[0].node
        name = node.name.value
        nodes = [d.node for d in details]
        common: dict[str, Any] = {
            "key": key,
            "name": name,
            "parent_type": parent_type,
            "typename": parent_type.name,
            "details": details,
            "nodes": nodes,
        }
        if name == "__typename":
            return FieldPlan(
                kind=TYPENAME,
                field_def=TypeNameMetaFieldDef,
                return_type=TypeNameMetaFieldDef.type,
                completion=self.completion(TypeNameMetaFieldDef.type, details),
                **common,
            )
        if name.startswith("__"):
            raise PlanUnsupported(f"introspection field {name}")
        field_def = self.schema.get_field(parent_type, name)
        if field_def is None:
            raise PlanUnsupported(f"{parent_type.name}.{name} is not in the schema")
        if field_def.resolve is None:
            raise PlanUnsupported(f"{parent_type.name}.{name} has no resolver (not a Strawberry field)")
        strawberry_field = field_def.extensions.get("strawberry-definition")
        if not isinstance(strawberry_field, StrawberryField):
            raise PlanUnsupported(f"{parent_type.name}.{name} is not a Strawberry field")
        completion = self.completion(field_def.type, details)
        common |= {"field_def": field_def, "return_type": field_def.type, "completion": completion}
        if (
            getattr(field_def.resolve, "__name__", "") == _BASIC_RESOLVER
            and strawberry_field.is_basic_field
            and not field_def.args
        ):
            return FieldPlan(
                kind=ATTRIBUTE, attr=strawberry_field.python_name, **_shape(completion), **common
            )
        args: dict[str, Any] | None = None
        if not (field_def.args or node.arguments):
            args = {}
        elif not _reads_variables(node):
            try:
                args = get_argument_values(field_def, node, self.no_variables)
            except GraphQLError as error:
                raise PlanUnsupported(f"{parent_type.name}.{name} arguments: {error.message}") from None
        relay_cls = self.relay_node_class(parent_type, strawberry_field, field_def)
        if relay_cls is not None:
            return FieldPlan(
                kind=RELAY_ID,
                resolve=field_def.resolve,
                const_args=args,
                relay_cls=relay_cls,
                relay_attr=relay_cls.resolve_id_attr(),
                **common,
            )
        return FieldPlan(
            kind=RESOLVER,
            resolve=field_def.resolve,
            const_args=args,
            direct=self.direct.call_for(strawberry_field, field_def),
            **common,
        )

    @staticmethod
    def relay_node_class(
        parent_type: GraphQLObjectType, strawberry_field: StrawberryField, field_def: Any
    ) -> type[relay.Node] | None:
        """The Node class whose `id` is Strawberry's stock resolver (inlined), else None."""
        resolver = strawberry_field.base_resolver
        if (
            resolver is None
            or strawberry_field.extensions
            or strawberry_field.origin is not relay.Node
            or strawberry_field.python_name != "_id"
            or getattr(field_def.resolve, "__name__", "") != "_resolver"
            or field_def.args
            or not (is_non_null_type(field_def.type) and field_def.type.of_type is GraphQLID)
        ):
            return None
        definition = parent_type.extensions.get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
            return None
        if get_object_definition(origin) is not definition:
            return None
        if (
            origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
            or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
        ):
            return None
        return origin

    def completion(self, gql_type: GraphQLOutputType, details: list[FieldDetails]) -> Completion:
        if is_non_null_type(gql_type):
            assert isinstance(gql_type, GraphQLNonNull)
            inner = self.completion(gql_type.of_type, details)
            return Completion(kind=NON_NULL, gql_type=gql_type, non_null=True, inner=inner)
        if is_list_type(gql_type):
            assert isinstance(gql_type, GraphQLList)
            item = self.completion(gql_type.of_type, details)
            return Completion(kind=LIST, gql_type=gql_type, non_null=False, inner=item)
        if is_leaf_type(gql_type):
            enum_cls, enum_names = _enum_names(gql_type)
            return Completion(
                kind=LEAF,
                gql_type=gql_type,
                non_null=False,
                leaf=gql_type,
                fast_types=_FAST_LEAVES.get(gql_type, frozenset()),
                int32=gql_type is GraphQLInt,
                enum_cls=enum_cls,
                enum_names=enum_names,
                **_conversion(gql_type),
            )
        if is_object_type(gql_type):
            assert isinstance(gql_type, GraphQLObjectType)
            return Completion(
                kind=OBJECT,
                gql_type=gql_type,
                non_null=False,
                object_plan=self.object_plan(gql_type, details),
            )
        if is_abstract_type(gql_type):
            abstract: GraphQLAbstractType = gql_type
            by_type = {t.name: self.object_plan(t, details) for t in self.schema.get_possible_types(abstract)}
            return Completion(
                kind=ABSTRACT, gql_type=gql_type, non_null=False, abstract=abstract, by_type=by_type
            )
        raise PlanUnsupported(f"output type {gql_type}")  # pragma: no cover - all output types above

    def object_plan(self, gql_type: GraphQLObjectType, details: list[FieldDetails]) -> ObjectPlan:
        grouped, _defer, _forbidden = collect_subfields(
            self.schema, self.fragments, self.variable_values, self.operation, gql_type, details
        )
        is_type_of = gql_type.is_type_of
        needs_info = is_type_of is not None and not getattr(is_type_of, "__qualname__", "").endswith(
            _STRAWBERRY_IS_TYPE_OF
        )
        return _compiled(
            ObjectPlan(
                gql_type=gql_type,
                fields=self.fields(gql_type, grouped),
                is_type_of=is_type_of,
                is_type_of_needs_info=needs_info,
            )
        )


def _compiled(plan: ObjectPlan) -> ObjectPlan:
    plan.execute = compile_fields(plan)
    return plan
