"""What the plan compiler refuses (the caller then serves the document with graphql-core), and why."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from foundry_api.plans import PlanUnsupported, compile_document
from foundry_api.plans import compile as plan_compile
from foundry_api.plans.nodes import ATTRIBUTE, RELAY_ID, RESOLVER, TYPENAME
from foundry_api.schema import Query, build_schema
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.mark.parametrize(
    ("document", "operation_name", "reason"),
    [
        ("{ __schema { queryType { name } } }", None, "introspection field __schema"),
        ("{ viewer { id } } { viewer { id } }", None, "several operations and no operation name"),
        ("query A { viewer { id } }", "B", "no operation named 'B'"),
        ("subscription S { viewer { id } }", None, "subscription operations are not planned"),
        (
            "query Q($x: Boolean) { viewer { id @include(if: $x) } }",
            None,
            "@include/@skip variable $x is not Boolean!",
        ),
        (
            "query Q($a: Boolean!, $b: Boolean!, $c: Boolean!, $d: Boolean!, $e: Boolean!) { viewer {"
            " a: id @include(if: $a) b: id @include(if: $b) c: id @include(if: $c) d: id @skip(if: $d)"
            " e: id @skip(if: $e) } }",
            None,
            "@include/@skip read 5 variables (at most 4)",
        ),
    ],
)
def test_unsupported_documents_say_why(
    schema: strawberry.Schema, document: str, operation_name: str | None, reason: str
) -> None:
    with pytest.raises(PlanUnsupported) as raised:
        compile_document(schema=schema, document=parse(document), operation_name=operation_name)
    assert raised.value.reason == reason


class _ResolveTracer(SchemaExtension):
    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


class _ResultsExtension(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        return {"cost": 1}


@pytest.mark.parametrize(
    ("extension", "reason"),
    [
        (_ResolveTracer, "schema extension _ResolveTracer wraps every resolver"),
        (_ResultsExtension, "schema extension _ResultsExtension adds response extensions"),
    ],
)
def test_schema_extensions_the_plan_cannot_mirror_are_refused(extension: type, reason: str) -> None:
    schema = strawberry.Schema(query=Query, extensions=[extension])
    with pytest.raises(PlanUnsupported) as raised:
        compile_document(schema=schema, document=parse("{ viewer { id } }"), operation_name=None)
    assert raised.value.reason == reason


def test_fields_get_the_fast_kinds_they_qualify_for(schema: strawberry.Schema) -> None:
    document = parse(
        "{ __typename viewer { id uploads(first: 1) { edges { node { id filename downloadUrl } } } } }"
    )
    plan = compile_document(schema=schema, document=document, operation_name=None)
    typename, viewer = plan.root.fields
    assert (typename.kind, viewer.kind) == (TYPENAME, RESOLVER)
    viewer_fields = viewer.completion.inner.object_plan.fields  # type: ignore[union-attr]
    assert [(f.key, f.kind) for f in viewer_fields] == [("id", RELAY_ID), ("uploads", RESOLVER)]
    assert viewer_fields[1].const_args == {"first": 1, "after": None}
    # Called directly: `uploads` (plain scalar arguments) and `downloadUrl`; not `viewer`, whose
    # permission class is a field extension.
    assert (viewer.direct, viewer_fields[1].direct is not None) == (None, True)
    edges = viewer_fields[1].completion.inner.object_plan.fields[0]  # type: ignore[union-attr]
    node_fields = edges.object_plan.fields[0].object_plan.fields  # type: ignore[union-attr]
    assert [(f.key, f.kind) for f in node_fields] == [
        ("id", RELAY_ID),
        ("filename", ATTRIBUTE),
        ("downloadUrl", RESOLVER),
    ]
    assert node_fields[2].direct is not None


def test_a_resolver_whose_arguments_strawberry_converts_goes_through_strawberry(
    schema: strawberry.Schema,
) -> None:
    # `node(id: ID!)`: Strawberry turns the ID into a GlobalID before the resolver sees it.
    document = parse('{ node(id: "VXBsb2FkOjE=") { id } }')
    (node,) = compile_document(schema=schema, document=document, operation_name=None).root.fields
    assert (node.kind, node.direct) == (RESOLVER, None)
    strawberry_field = node.field_def.extensions["strawberry-definition"]
    assert plan_compile._DirectCalls(schema).plain_arguments(strawberry_field) is None


class _ShoutingInfo(strawberry.Info):
    @property
    def context(self) -> Any:
        return str(self._raw_info.context).upper()


@strawberry.type
class _Item:
    name: str

    @strawberry.field
    def about(self, info: strawberry.Info) -> str:
        return (
            f"{self.name} {info.field_name} {info.python_name} {info.path.as_list()} "
            f"{[getattr(f, 'name', '') for f in info.selected_fields]} {info.context} "
            f"{info._raw_info.parent_type.name} {info.return_type} {info.variable_values} "
            f"{info.operation.operation.value} {info.root_value}"
        )


@strawberry.type
class _Items:
    @strawberry.field
    def items(self) -> list[_Item]:
        return [_Item(name="a"), _Item(name="b")]


@pytest.mark.parametrize("info_class", [strawberry.Info, _ShoutingInfo])
def test_a_direct_call_gives_the_resolver_the_info_strawberry_would(info_class: type) -> None:
    schema = strawberry.Schema(query=_Items, config=StrawberryConfig(info_class=info_class))
    document = "query Q { items { name about } }"
    plan = compile_document(schema=schema, document=parse(document), operation_name=None)
    (items,) = plan.root.fields
    about = items.completion.inner.inner.inner.object_plan.fields[1]  # type: ignore[union-attr]
    assert (about.key, about.kind, about.direct is not None) == ("about", RESOLVER, True)
    planned = asyncio.run(plan.execute(context="ctx", variables=None))
    expected = schema.execute_sync(document, context_value="ctx")
    assert expected.errors is None
    assert planned == {"data": expected.data}
    assert "a about about ['items', 0, 'about'] ['about'] " in planned["data"]["items"][0]["about"]
