"""Every trusted document × hypothesis-drawn database states, variables (valid and not) and injected
faults: graphql-core and the compiled plan must give byte-identical JSON. And a planted bug in the
plan (null propagation flipped, a field dropped) is reported by the same check."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

import pytest
from foundry_api.core.pagination import encode_cursor
from foundry_api.plans import codegen as plan_codegen
from foundry_api.plans import compile as plan_compile
from foundry_api.plans import run as plan_run
from foundry_api.plans.nodes import TYPENAME
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    located_error,
    parse,
    type_from_ast,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay.utils import to_base64

pytestmark = pytest.mark.filterwarnings(
    # graphql-core settles abandoned awaitables in the background; an abandoned resolver that never
    # started is closed by the loop's teardown, which both executors do the same way.
    "ignore:coroutine .* was never awaited:RuntimeWarning"
)

# Examples per document: "plans" keeps the suite within its minute on one core; PLANS_PROFILE=
# plans-thorough for a longer hunt. (A module-local settings object: the other suites' profiles
# stay as they are.)
_PROFILES = {
    "plans": settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck)),
    "plans-thorough": settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck)),
}
PLANS_SETTINGS = _PROFILES[os.environ.get("PLANS_PROFILE", "plans")]

_TIMES = [dt.datetime(2026, 11, day, 9, minute, tzinfo=dt.UTC) for day in (1, 2) for minute in (0, 30)]
_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)


def _uploads(conftest: Any) -> st.SearchStrategy[Any]:
    return st.builds(
        conftest.UploadRow,
        id=st.uuids(),
        mine=st.booleans() | st.just(True),
        filename=_TEXT,
        content_type=st.sampled_from(["text/plain", "image/png"]),
        size=st.integers(1, 5000),
        status=st.sampled_from(["PENDING", "UPLOADED"]),
        created_at=st.sampled_from(_TIMES),
        foreign_key=st.booleans(),
    )


def _ai_rows(conftest: Any) -> st.SearchStrategy[Any]:
    return st.builds(
        conftest.AiRow,
        id=st.uuids(),
        mine=st.booleans() | st.just(True),
        prompt=_TEXT,
        answer=_TEXT,
        model=st.sampled_from(["stub-model", "m"]),
        latency_ms=st.integers(0, 2**31 - 1),
        created_at=st.sampled_from(_TIMES),
    )


def states(conftest: Any) -> st.SearchStrategy[Any]:
    faults = st.frozensets(
        st.builds(conftest.Fault, kind=st.sampled_from(conftest.FAULT_KINDS), at=st.integers(0, 3)),
        max_size=2,
    )
    return st.builds(
        conftest.State,
        viewer_id=st.uuids(),
        viewer_exists=st.booleans() | st.just(True),
        uploads=st.lists(_uploads(conftest), max_size=24, unique_by=lambda r: r.id).map(tuple),
        ai_requests=st.lists(_ai_rows(conftest), max_size=6, unique_by=lambda r: r.id).map(tuple),
        faults=st.one_of(st.just(frozenset()), st.just(frozenset()), faults),
    )


def _values(schema: GraphQLSchema, gql_type: Any, state: Any, name: str) -> st.SearchStrategy[Any]:
    """Values for one variable: mostly valid ones from the state, some that fail coercion."""
    invalid: st.SearchStrategy[Any] = st.sampled_from([None, "x", 1.5, True, [], {}, 2**31])
    if isinstance(gql_type, GraphQLNonNull):
        valid = _values(schema, gql_type.of_type, state, name).filter(lambda v: v is not None)
        return st.one_of(valid, valid, valid, invalid)
    if isinstance(gql_type, GraphQLList):
        return st.lists(_values(schema, gql_type.of_type, state, name), max_size=2)
    if isinstance(gql_type, GraphQLInputObjectType):
        fields = {key: _values(schema, f.type, state, key) for key, f in gql_type.fields.items()}
        complete = st.fixed_dictionaries(fields)
        return st.one_of(complete, complete, st.fixed_dictionaries({}, optional=fields), invalid)
    mine_uploads = [u for u in state.uploads if u.mine and state.viewer_exists]
    if gql_type.name == "Int":
        return st.one_of(st.none(), st.integers(-2, 55), st.sampled_from([20, 2, 0]), st.integers(0, 25))
    if gql_type.name == "Boolean":
        return st.booleans()
    if gql_type.name == "ID":
        ids = [to_base64("Upload", u.id) for u in state.uploads]
        ids += [to_base64("AiRequest", a.id) for a in state.ai_requests]
        ids += [to_base64("Viewer", state.viewer_id), "not-a-global-id", to_base64("Upload", "nope")]
        return st.sampled_from(ids)
    if name in ("after", "cursor"):
        cursors = [encode_cursor(u.created_at, u.id) for u in mine_uploads[:5]]
        cursors += [encode_cursor(a.created_at, a.id) for a in state.ai_requests[:3]]
        return st.sampled_from([*cursors, "bogus-cursor", ""]) | st.none()
    if name == "contentType":
        return st.sampled_from(["text/plain", "image/png", "application/x-evil", " TEXT/PLAIN "])
    if name == "prompt":
        return st.sampled_from(["hello", "", " ", "[fail-500] now", "[garbage] please", "x" * 8001]) | _TEXT
    return _TEXT


def variables_for(schema: GraphQLSchema, text: str, state: Any) -> st.SearchStrategy[dict[str, Any] | None]:
    operation = next(d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode))
    strategies = {
        d.variable.name.value: _values(schema, type_from_ast(schema, d.type), state, d.variable.name.value)
        for d in operation.variable_definitions or ()
    }
    # Variables left out (defaults, or a missing required one), present, and undeclared extras.
    complete = st.fixed_dictionaries(strategies)
    present = st.one_of(complete, complete, complete, st.fixed_dictionaries({}, optional=strategies))
    return st.one_of(present, present, present.map(lambda v: {**v, "undeclared": 1}), st.none())


@pytest.fixture(scope="module")
def conftest(plans_env: Any) -> Any:
    import sys

    return sys.modules[type(plans_env).__module__]


def test_every_trusted_document_matches_graphql_core(
    document_name: str, plans_env: Any, conftest: Any
) -> None:
    schema = plans_env.schema._schema
    text = conftest.trusted_documents()[document_name]
    plans_env.plan(document_name)  # compiles, or fails here with PlanUnsupported's reason

    @PLANS_SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        state = data.draw(states(conftest), label="state")
        variables = data.draw(variables_for(schema, text, state), label="variables")
        difference = plans_env.differences(name=document_name, state=state, variables=variables)
        assert difference is None, difference

    check()


# -- a planted bug is caught by the same check


def _state_with_null_filename(conftest: Any) -> Any:
    row = conftest.UploadRow(
        id=uuid.UUID(int=99),
        mine=True,
        filename="a.txt",
        content_type="text/plain",
        size=3,
        status="PENDING",
        created_at=_TIMES[0],
    )
    return conftest.State(
        viewer_id=uuid.UUID(int=5),
        viewer_exists=True,
        uploads=(row,),
        ai_requests=(),
        faults=frozenset({conftest.Fault(kind="null_filename", at=0)}),
    )


def test_a_planted_null_propagation_bug_is_caught(
    plans_env: Any, conftest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = _state_with_null_filename(conftest)
    assert plans_env.differences(name="web.Uploads", state=state, variables={"first": 5}) is None

    def swallowing(self: Any, raw_error: Exception, comp: Any, f: Any, path: Any) -> None:
        # The bug: errors never propagate past a non-null field.
        self.collected_errors.add(located_error(raw_error, f.nodes, path.as_list()), path)

    monkeypatch.setattr(plan_run.Run, "handle_field_error", swallowing)
    difference = plans_env.differences(name="web.Uploads", state=state, variables={"first": 5})
    assert difference is not None
    assert '"data": null' in difference.splitlines()[0]
    assert '"data": null' not in difference.splitlines()[2]


def test_a_planted_dropped_field_is_caught(
    plans_env: Any, conftest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = conftest.State(viewer_id=uuid.UUID(int=6), viewer_exists=True, uploads=(), ai_requests=())
    original = plan_compile._Compiler.fields

    def dropping(self: Any, parent_type: Any, grouped: Any) -> Any:
        fields = original(self, parent_type, grouped)
        return [f for f in fields if f.key != "hasNextPage"]

    monkeypatch.setattr(plan_compile._Compiler, "fields", dropping)
    plans_env.plans.pop("bench.page", None)
    try:
        difference = plans_env.differences(name="bench.page", state=state, variables=None)
    finally:
        plans_env.plans.pop("bench.page", None)
    assert difference is not None
    assert "hasNextPage" in difference.splitlines()[0]
    assert "hasNextPage" not in difference.splitlines()[2]


def test_a_planted_codegen_mistake_is_caught(
    plans_env: Any, conftest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = conftest.State(
        viewer_id=uuid.UUID(int=7), viewer_exists=True, uploads=(_upload(conftest, 1),), ai_requests=()
    )
    name = "relay.UploadsPageQuery"
    assert plans_env.differences(name=name, state=state, variables=None) is None
    original = plan_codegen._field

    def wrong_typename(f: Any, i: int, names: dict[str, Any]) -> list[str]:
        if f.kind is TYPENAME:
            names[f"T{i}"] = f.typename.lower()  # the mistake: the type's name in the wrong case
            return [f"results[K{i}] = T{i}"]
        return original(f, i, names)

    monkeypatch.setattr(plan_codegen, "_field", wrong_typename)
    plans_env.plans.pop(name, None)
    try:
        difference = plans_env.differences(name=name, state=state, variables=None)
    finally:
        plans_env.plans.pop(name, None)
    assert difference is not None
    graphql_core, _, planned = difference.splitlines()[:3]
    assert '"__typename":"Upload"' in graphql_core.replace(" ", "")
    assert '"__typename":"upload"' in planned.replace(" ", "")


# -- partial data: errors at nullable positions, which random states reach less often


def _upload(conftest: Any, n: int, *, status: str = "UPLOADED") -> Any:
    return conftest.UploadRow(
        id=uuid.UUID(int=1000 + n),
        mine=True,
        filename=f"f{n}.txt",
        content_type="text/plain",
        size=n + 1,
        status=status,
        created_at=_TIMES[n % len(_TIMES)],
    )


@pytest.mark.parametrize(
    ("name", "fault", "variables"),
    [
        ("relay.UploadsPageQuery", "presign_error", None),  # downloadUrl: String
        ("relay.NodeRefetchQuery", "node_lookup_error", "upload"),  # node: Node
        ("edge.MergedQuery", "node_lookup_error", "upload"),  # two nullable node fields
        ("edge.HomeQuery", "presign_error", {"first": 3}),  # beside a gathered sibling connection
    ],
)
def test_errors_at_nullable_positions_leave_partial_data(
    plans_env: Any, conftest: Any, name: str, fault: str, variables: Any
) -> None:
    uploads = tuple(_upload(conftest, n) for n in range(3))
    state = conftest.State(
        viewer_id=uuid.UUID(int=7),
        viewer_exists=True,
        uploads=uploads,
        ai_requests=(),
        faults=frozenset({conftest.Fault(kind=fault, at=1)}),
    )
    if variables == "upload":
        variables = {"id": to_base64("Upload", uploads[0].id)}
    expected = plans_env.run_once(executor="graphql-core", name=name, state=state, variables=variables)
    assert '"errors"' in expected
    assert not expected.startswith('{"data": null')  # the case is partial
    assert plans_env.differences(name=name, state=state, variables=variables) is None
