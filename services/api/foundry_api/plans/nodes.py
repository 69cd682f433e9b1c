"""The compiled plan's nodes: everything a request needs about a selection, computed once.

A `FieldPlan` is one response key of one concrete object type; a `Completion` is what to do with a
resolved value of one GraphQL type (non-null check, list, leaf coercion, object or abstract type).
They mirror the arguments graphql-core's `Executor.execute_field` and `complete_value` recompute
for every field of every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.execution.collect_fields import FieldDetails

# FieldPlan.kind
TYPENAME = 0  # `__typename`: the parent type's name, known at compile time
ATTRIBUTE = 1  # a Strawberry field without resolver or extensions: getattr(source, python_name)
RELAY_ID = 2  # the stock `relay.Node.id` resolver, inlined
RESOLVER = 3  # anything else: the schema's own resolve function with a real GraphQLResolveInfo

# FieldPlan.shape: what the completion is, for the fast paths of ATTRIBUTE and RELAY_ID fields
SHAPE_OTHER = 0
SHAPE_LEAF = 1  # (non-null) leaf
SHAPE_OBJECT = 2  # (non-null) object type
SHAPE_OBJECT_LIST = 3  # (non-null) list of (non-null) object type

# Completion.kind
NON_NULL = 0
LIST = 1
LEAF = 2
OBJECT = 3
ABSTRACT = 4


@dataclass(slots=True, kw_only=True)
class Completion:
    kind: int
    gql_type: GraphQLOutputType
    non_null: bool  # whether an error at this position propagates to the parent
    inner: Completion | None = None  # NON_NULL, LIST
    leaf: GraphQLLeafType | None = None
    # Python types a leaf value may have to be returned unchanged (what coerce_output_value
    # returns for them), checked with `type(value) in`; empty for leaves that always convert.
    fast_types: frozenset[type] = frozenset()
    int32: bool = False  # Int: the fast path also checks the 32-bit range
    # A scalar whose coerce_output_value is, for values of exactly `convert_type`, the plain
    # function `convert` (Strawberry's DateTime: datetime.isoformat); compile.py, _CONVERSIONS.
    convert_type: type | None = None
    convert: Callable[[Any], Any] | None = None
    # A Strawberry enum: its Python members and the names CustomGraphQLEnumType returns for them.
    enum_cls: type | None = None
    enum_names: dict[Any, str] = field(default_factory=dict)
    object_plan: ObjectPlan | None = None
    abstract: GraphQLAbstractType | None = None
    by_type: dict[str, ObjectPlan] = field(default_factory=dict)  # ABSTRACT: runtime type name → plan


@dataclass(slots=True, kw_only=True)
class FieldPlan:
    key: str
    name: str
    kind: int
    parent_type: GraphQLObjectType
    typename: str  # parent_type.name, as graphql-core puts it in the field's Path
    details: list[FieldDetails]
    nodes: list[FieldNode]
    field_def: GraphQLField
    return_type: GraphQLOutputType
    completion: Completion
    attr: str = ""
    resolve: Callable[..., Any] | None = None
    const_args: dict[str, Any] | None = None  # None: computed per request (variables)
    # RESOLVER without Strawberry's wrapper: direct(source, make_raw_info, context, arguments)
    # (compile.py, _DirectCalls).
    direct: Callable[[Any, Callable[[], Any], Any, dict[str, Any]], Any] | None = None
    relay_cls: type | None = None
    relay_attr: str = ""
    shape: int = 0
    leaf: Completion | None = None  # SHAPE_LEAF: the leaf completion
    object_plan: ObjectPlan | None = None  # SHAPE_OBJECT, SHAPE_OBJECT_LIST: the object's plan
    item: Completion | None = None  # SHAPE_OBJECT_LIST: the item completion


def _not_compiled(_run: Any, _source: Any, _path: Any) -> Any:
    raise RuntimeError("this ObjectPlan's fields were not compiled (codegen.compile_fields)")


@dataclass(slots=True, kw_only=True)
class ObjectPlan:
    gql_type: GraphQLObjectType
    fields: list[FieldPlan] = field(default_factory=list)
    is_type_of: Callable[..., Any] | None = None
    is_type_of_needs_info: bool = False
    # Python types already seen to be neither awaitable nor an Exception here (filled at run time):
    # values of these types take the fast path straight to is_type_of and the fields.
    known_types: set[type] = field(default_factory=set)
    # execute_fields for these fields: execute(run, source, path), compiled from them (codegen.py).
    execute: Callable[[Any, Any, Any], Any] = field(default=_not_compiled, repr=False)
