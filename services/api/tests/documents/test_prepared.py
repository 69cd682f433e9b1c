"""Start-up: every trusted document parsed, validated with the endpoint's rules, and planned; what the
plan compiler cannot handle falls back to graphql-core, logged, never silently."""

from __future__ import annotations

from typing import Any

import pytest
from foundry_api.documents.manifest import load_manifest
from foundry_api.documents.prepared import prepare_documents
from foundry_api.plans import PlanUnsupported, compile_document
from foundry_api.schema import build_schema
from structlog.testing import capture_logs


@pytest.mark.parametrize("allow_introspection", [True, False])
def test_every_manifest_document_is_planned_under_dev_and_prod_rules(allow_introspection: bool) -> None:
    documents = load_manifest().trusted()
    prepared = prepare_documents(
        documents=documents,
        schema=build_schema(allow_introspection=allow_introspection),
        allow_introspection=allow_introspection,
        compiler=compile_document,
    )
    assert {p.executor for p in prepared.values()} == {"plan"}, {i: p.executor for i, p in prepared.items()}
    assert set(prepared) == set(documents)


def test_documents_breaking_the_rules_are_refused_at_start_up() -> None:
    nested = "".join(f"f{i} {{ " for i in range(12)) + "x" + " }" * 12
    documents = {
        "introspection": "query I { __schema { queryType { name } } }",
        "too-deep": "query D { viewer { uploads { edges { node { " + nested + " } } } } }",
        "too-many-tokens": "query T { viewer { " + "id " * 1200 + "} }",
        "not-graphql": "query {",
        "fine": "query F { viewer { id } }",
    }
    with capture_logs() as logs:
        prepared = prepare_documents(
            documents=documents, schema=build_schema(allow_introspection=False), allow_introspection=False
        )
    executors = {i: p.executor for i, p in prepared.items()}
    assert executors == {
        "introspection": "refused",
        "too-deep": "refused",
        "too-many-tokens": "refused",
        "not-graphql": "refused",
        "fine": "graphql-core",  # no compiler given
    }
    refused = {entry["document_id"] for entry in logs if entry["event"] == "trusted_document_refused"}
    assert refused == {"introspection", "too-deep", "too-many-tokens", "not-graphql"}


def test_a_document_the_compiler_cannot_plan_falls_back_logged_once() -> None:
    def unwilling(**_: Any) -> Any:
        raise PlanUnsupported("not this one")

    with capture_logs() as logs:
        prepared = prepare_documents(
            documents={"a": "query A { viewer { id } }"},
            schema=build_schema(),
            allow_introspection=True,
            compiler=unwilling,
        )
    assert prepared["a"].executor == "graphql-core"
    (entry,) = [e for e in logs if e["event"] == "trusted_document_not_planned"]
    assert (entry["document_id"], entry["reason"]) == ("a", "not this one")


def test_a_compiler_bug_is_not_swallowed() -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("a bug, not a limitation")

    with pytest.raises(RuntimeError, match="a bug"):
        prepare_documents(
            documents={"a": "query A { viewer { id } }"},
            schema=build_schema(),
            allow_introspection=True,
            compiler=broken,
        )
