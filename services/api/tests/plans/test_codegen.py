"""The object plans' compiled field loops (plans/codegen.py): what they are written as. That they
compute what graphql-core does is the differential tests' part (test_differential.py, which also
plants a mistake in the generator)."""

from __future__ import annotations

import pytest
import strawberry
from foundry_api.plans import codegen, compile_document
from foundry_api.plans.nodes import ObjectPlan
from foundry_api.schema import build_schema
from graphql import parse


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_schema()


def _node_plan(schema: strawberry.Schema) -> ObjectPlan:
    document = parse(
        "query P($first: Int!) { viewer { uploads(first: $first) { edges { node { id __typename filename"
        " size status createdAt downloadUrl } cursor } } } }"
    )
    plan = compile_document(schema=schema, document=document, operation_name=None)
    (viewer,) = plan.root.fields
    uploads = viewer.completion.inner.object_plan.fields[0]  # type: ignore[union-attr]
    edges = uploads.completion.inner.object_plan.fields[0]  # type: ignore[union-attr]
    node = edges.object_plan.fields[0]  # type: ignore[union-attr]
    assert node.object_plan is not None
    return node.object_plan


def test_each_field_is_spelled_out_with_its_fast_path(schema: strawberry.Schema) -> None:
    source = _node_plan(schema).execute.__doc__ or ""
    # The relay id inlined; a String leaf read as an attribute and kept when it is a str; an Int
    # leaf kept in range; an enum by its member; a DateTime by isoformat; the resolver field through
    # execute_field; __typename as a constant.
    for line in (
        "if type(source) is RC0:",
        "results[K0] = to_base64(T0, node_id)",
        "results[K1] = T1",
        "value = source.filename",
        "if type(value) is FT2:",
        "if type(value) is FT3 and INT_MIN <= value <= INT_MAX:",
        "if type(value) is EC4:",
        "results[K5] = CV5(value)",
        "result = run.execute_field(F6, source, path)",
    ):
        assert line in source, line
    compile(source, "<generated>", "exec")  # it is the code that runs, whole


def test_a_plan_without_fields_compiles_to_an_empty_result() -> None:
    empty = ObjectPlan(gql_type=build_schema()._schema.query_type)  # type: ignore[arg-type]
    assert codegen.compile_fields(empty)(None, object(), None) == {}
