"""The differential harness: one trusted document, one database state, one set of injected faults
and one set of variables, executed by graphql-core through the real Strawberry schema and by the
compiled plan, each on a freshly seeded real Postgres; the two response bodies must serialize to
the same bytes.

Also the trusted documents themselves: the web app's operations, the benchmark's, and the shapes
relay-compiler generates (fragments per component, `__typename` and `id` added to every selection,
`node(id:)` refetch queries, connection fields with cursors and pageInfo). When the web app's
persisted-query manifest exists (services/web/.relay/persisted-documents.json, id → text), every
document in it is added, so the suite covers exactly what the api will trust.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.auth
import psycopg
import pytest
import structlog.testing
from foundry_api.ai_requests import mutations as ai_mutations
from foundry_api.ai_requests import queries as ai_queries
from foundry_api.ai_requests.client import AiClient
from foundry_api.context import Context, Services
from foundry_api.core import migrate
from foundry_api.core.db import create_pool
from foundry_api.core.errors import ClientError
from foundry_api.core.security import Principal
from foundry_api.core.storage import ObjectStore
from foundry_api.documents.manifest import load_manifest
from foundry_api.plans import Plan, compile_document
from foundry_api.schema import build_schema
from foundry_api.uploads import mutations as upload_mutations
from foundry_api.uploads import queries as upload_queries
from foundry_api.uploads import types as upload_types
from foundry_api.uploads.types import Upload
from foundry_api.users import repository as users_repository
from foundry_twin.faults.queries import ASK, COMPLETE, CREATE, PAGE
from graphql import OperationDefinitionNode, parse
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import process_result

WEB_COMPILER_OUTPUT = Path(__file__).resolve().parents[3] / "web" / ".relay" / "persisted-documents.json"
_UPLOAD = "id filename contentType size status createdAt downloadUrl"
_AI = "id prompt answer model latencyMs createdAt"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_USER_ERROR = "... on UserError { code message field }"

# services/web/src/features/*/api.ts before the move to Relay, with their template strings expanded.
WEB = {
    "web.Uploads": f"""query Uploads($first: Int!, $after: String) {{
  viewer {{ id uploads(first: $first, after: $after) {{ edges {{ cursor node {{ {_UPLOAD} }} }} {_PAGE_INFO} }} }}
}}""",
    "web.AiRequests": f"""query AiRequests($first: Int!, $after: String) {{
  viewer {{ id aiRequests(first: $first, after: $after) {{ edges {{ cursor node {{ {_AI} }} }} {_PAGE_INFO} }} }}
}}""",
    "web.CreateUpload": f"""mutation CreateUpload($filename: String!, $contentType: String!, $size: Int!) {{
  createUpload(input: {{ filename: $filename, contentType: $contentType, size: $size }}) {{
    __typename
    ... on CreateUploadPayload {{ upload {{ {_UPLOAD} }} uploadUrl uploadHeaders {{ name value }} }}
    {_USER_ERROR}
  }}
}}""",
    "web.CompleteUpload": f"""mutation CompleteUpload($id: ID!) {{
  completeUpload(input: {{ id: $id }}) {{
    __typename ... on CompleteUploadPayload {{ upload {{ {_UPLOAD} }} }} {_USER_ERROR}
  }}
}}""",
    "web.AskAi": f"""mutation AskAi($prompt: String!) {{
  askAi(input: {{ prompt: $prompt }}) {{ __typename ... on AskAiPayload {{ aiRequest {{ {_AI} }} }} {_USER_ERROR} }}
}}""",
}

BENCH = {"bench.page": PAGE, "bench.ask": ASK, "bench.create": CREATE, "bench.complete": COMPLETE}

# What relay-compiler emits for a fragment-per-component app (its printer's shape: fragments
# spread, `id` and `__typename` added, connection edges with `cursor` and `node { __typename }`).
RELAY = {
    "relay.UploadsPageQuery": """query UploadsPageQuery {
  viewer { ...UploadList_viewer id }
}
fragment UploadList_viewer on Viewer {
  uploads(first: 20) { edges { node { ...UploadRow_upload id __typename } cursor } pageInfo { endCursor hasNextPage } }
  id
}
fragment UploadRow_upload on Upload { id filename contentType size status createdAt downloadUrl }""",
    "relay.UploadListPaginationQuery": """query UploadListPaginationQuery($count: Int = 20, $cursor: String, $id: ID!) {
  node(id: $id) { __typename ...UploadList_viewer_1G22uz id }
}
fragment UploadList_viewer_1G22uz on Viewer {
  uploads(first: $count, after: $cursor) {
    edges { node { ...UploadRow_upload id __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
  id
}
fragment UploadRow_upload on Upload { id filename contentType size status createdAt downloadUrl }""",
    "relay.AiPageQuery": """query AiPageQuery($count: Int = 20, $cursor: String) {
  viewer { ...AiRequestList_viewer_1G22uz id }
}
fragment AiRequestList_viewer_1G22uz on Viewer {
  aiRequests(first: $count, after: $cursor) {
    edges { node { ...AiRequestRow_aiRequest id __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
  id
}
fragment AiRequestRow_aiRequest on AiRequest { id prompt answer model latencyMs createdAt }""",
    "relay.NodeRefetchQuery": """query NodeRefetchQuery($id: ID!) {
  node(id: $id) {
    __typename
    ... on Upload { ...UploadRow_upload }
    ... on AiRequest { prompt model }
    ... on Viewer { uploads(first: 2) { edges { cursor } } }
    ... on Node { id }
  }
}
fragment UploadRow_upload on Upload { id filename contentType size status createdAt downloadUrl }""",
    "relay.AskAiMutation": """mutation AskAiMutation($input: AskAiInput!) {
  askAi(input: $input) {
    __typename
    ... on AskAiPayload { aiRequest { ...AiRequestRow_aiRequest id } }
    ... on UserError { code message field }
  }
}
fragment AiRequestRow_aiRequest on AiRequest { id prompt answer model latencyMs createdAt }""",
    "relay.CompleteUploadMutation": """mutation CompleteUploadMutation($input: CompleteUploadInput!) {
  completeUpload(input: $input) {
    __typename
    ... on CompleteUploadPayload { upload { ...UploadRow_upload id } }
    ... on UserError { code message field }
  }
}
fragment UploadRow_upload on Upload { id filename contentType size status createdAt downloadUrl }""",
}

# Shapes the others do not reach: aliases and merged fields, two connections gathered at once,
# @include/@skip on variables and literals, __typename at the root.
EDGE_CASES = {
    "edge.HomeQuery": """query HomeQuery($first: Int, $after: String) {
  __typename
  me: viewer { __typename id }
  viewer {
    id
    uploads(first: $first, after: $after) { edges { node { id size status downloadUrl } } pageInfo { hasNextPage } }
    aiRequests(first: 3) { edges { cursor node { id latencyMs } } pageInfo { hasPreviousPage startCursor } }
  }
}""",
    "edge.ConditionalQuery": """query ConditionalQuery($withUrl: Boolean!, $short: Boolean!) {
  viewer {
    uploads(first: 5) {
      edges {
        node {
          id
          downloadUrl @include(if: $withUrl)
          filename @skip(if: $short)
          ... on Upload @include(if: $short) { size }
          size @skip(if: false)
          contentType @include(if: false)
        }
      }
    }
  }
}""",
    "edge.MergedQuery": """query MergedQuery($id: ID!) {
  node(id: $id) { id ... on Upload { filename } ... on Upload { filename status } }
  again: node(id: $id) { __typename }
}""",
}


def _operation_name(text: str) -> str:
    operation = next(d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode))
    return operation.name.value if operation.name else "anonymous"


def trusted_documents() -> dict[str, str]:
    """The api's committed manifest (what it trusts: every kept release), the web's compiler output
    when it is there, the hand-written web operations of before Relay, the benchmark's, and the
    Relay and edge shapes above."""
    documents = {**WEB, **BENCH, **RELAY, **EDGE_CASES}
    manifests = [load_manifest().trusted()]
    if WEB_COMPILER_OUTPUT.exists():
        manifests.append(json.loads(WEB_COMPILER_OUTPUT.read_text()))
    for manifest in manifests:
        for key, text in manifest.items():
            documents[f"manifest.{_operation_name(text)}.{key[:8]}"] = text
    return documents


# document → outcome ("clean", "errors", "errors, data null") → examples compared
EXAMPLES: dict[str, dict[str, int]] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not EXAMPLES:
        return
    total = sum(sum(outcomes.values()) for outcomes in EXAMPLES.values())
    by_outcome: dict[str, int] = {}
    for outcomes in EXAMPLES.values():
        for outcome, count in outcomes.items():
            by_outcome[outcome] = by_outcome.get(outcome, 0) + count
    terminalreporter.write_line(
        f"plans differential: {len(EXAMPLES)} documents x {total} generated states compared "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(by_outcome.items()))})"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "document_name" in metafunc.fixturenames:
        metafunc.parametrize("document_name", sorted(trusted_documents()))


# -- a database state, as hypothesis draws it


SUB = "user_plans_viewer"
OTHER_SUB = "user_plans_other"
FIXED_NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
REQUEST_ID = "req-plans-diff"


@dataclass(frozen=True)
class UploadRow:
    id: uuid.UUID
    mine: bool
    filename: str
    content_type: str
    size: int
    status: str
    created_at: dt.datetime
    foreign_key: bool = False  # an object key outside the owner's prefix: downloadUrl stays null


@dataclass(frozen=True)
class AiRow:
    id: uuid.UUID
    mine: bool
    prompt: str
    answer: str
    model: str
    latency_ms: int
    created_at: dt.datetime


@dataclass(frozen=True)
class Fault:
    """A failure injected the same way into both runs. `at` picks the k-th call or row."""

    kind: str
    at: int = 0


@dataclass(frozen=True)
class State:
    viewer_id: uuid.UUID
    viewer_exists: bool
    uploads: tuple[UploadRow, ...]
    ai_requests: tuple[AiRow, ...]
    faults: frozenset[Fault] = frozenset()


FAULT_KINDS = (
    "uploads_page_error",  # the repository raises: masked INTERNAL error, non-null propagation
    "uploads_page_client_error",  # a ClientError: shown as-is
    "ai_page_error",
    "node_lookup_error",
    "viewer_error",
    "presign_error",  # the k-th downloadUrl fails: nullable, null plus an error
    "huge_size",  # the k-th Upload's size does not fit GraphQL's 32-bit Int
    "null_filename",  # the k-th Upload's non-null filename is None: propagates to the edge list
    "bad_status",  # an enum value the schema cannot represent
    "exception_value",  # a resolver value that is an Exception instance
    "insert_error",  # createUpload's insert fails
    "ai_insert_error",
)


@dataclass
class _Counters:
    presign: int = 0
    uploads_built: int = 0


def _faulty(state: State, monkeypatch: pytest.MonkeyPatch) -> None:
    counters = _Counters()
    kinds = {f.kind: f.at for f in state.faults}

    def raiser(exc: Exception) -> Callable[..., Any]:
        async def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise exc

        return fail

    if "uploads_page_error" in kinds:
        monkeypatch.setattr(upload_queries, "page_uploads", raiser(RuntimeError("database went away")))
    elif "uploads_page_client_error" in kinds:
        monkeypatch.setattr(upload_queries, "page_uploads", raiser(ClientError("no pages today")))
    if "ai_page_error" in kinds:
        monkeypatch.setattr(ai_queries, "page_ai_requests", raiser(RuntimeError("ai table locked")))
    if "node_lookup_error" in kinds:
        monkeypatch.setattr(upload_types, "get_owned_upload", raiser(RuntimeError("lookup failed")))
    if "viewer_error" in kinds:
        monkeypatch.setattr(Context, "viewer", raiser(RuntimeError("users table gone")))
    if "insert_error" in kinds:
        monkeypatch.setattr(upload_mutations, "insert_upload", raiser(RuntimeError("disk full")))
    if "ai_insert_error" in kinds:
        monkeypatch.setattr(ai_mutations, "insert_ai_request", raiser(RuntimeError("disk full")))
    if "presign_error" in kinds:
        original_presign = ObjectStore.presign_get

        def presign_get(self: ObjectStore, *, key: str, filename: str) -> str:
            counters.presign += 1
            if counters.presign - 1 == kinds["presign_error"]:
                raise RuntimeError("signing key unavailable")
            return original_presign(self, key=key, filename=filename)

        monkeypatch.setattr(ObjectStore, "presign_get", presign_get)
    row_faults = {
        k: kinds[k] for k in ("null_filename", "bad_status", "exception_value", "huge_size") if k in kinds
    }
    if row_faults:
        original_from_row = Upload.from_row.__func__  # type: ignore[attr-defined]

        def from_row(cls: type[Upload], row: dict[str, Any]) -> Upload:
            upload: Upload = original_from_row(cls, row)
            index = counters.uploads_built
            counters.uploads_built += 1
            if row_faults.get("null_filename") == index:
                upload.filename = None  # type: ignore[assignment]  # the fault itself
            if row_faults.get("bad_status") == index:
                upload.status = "BOGUS"  # type: ignore[assignment]  # the fault itself
            if row_faults.get("huge_size") == index:
                upload.size = 2**31
            if row_faults.get("exception_value") == index:
                upload.content_type = ValueError("a value that is an error")  # type: ignore[assignment]  # the fault itself
            return upload

        monkeypatch.setattr(Upload, "from_row", classmethod(from_row))


# -- the environment both executors share


@dataclass
class PlansEnv:
    loop: asyncio.AbstractEventLoop
    services: Services
    conn: psycopg.Connection[Any]
    schema: Any = field(default_factory=build_schema)
    plans: dict[str, Plan] = field(default_factory=dict)

    def plan(self, name: str) -> Plan:
        if name not in self.plans:
            self.plans[name] = compile_document(
                schema=self.schema, document=parse(trusted_documents()[name]), operation_name=None
            )
        return self.plans[name]

    def seed(self, state: State) -> None:
        # One transaction per state: a commit per row would be most of the suite's time.
        other_id = uuid.UUID(int=1)
        users = [(other_id, OTHER_SUB)] + ([(state.viewer_id, SUB)] if state.viewer_exists else [])
        uploads = []
        for row in state.uploads:
            if row.mine and not state.viewer_exists:
                continue
            owner, sub = (state.viewer_id, SUB) if row.mine else (other_id, OTHER_SUB)
            prefix = f"uploads/{OTHER_SUB if row.foreign_key else sub}/"
            uploads.append(
                (
                    row.id,
                    owner,
                    f"{prefix}{row.id}/f",
                    row.filename,
                    row.content_type,
                    row.size,
                    row.status,
                    row.created_at,
                )
            )
        ai_rows = [
            (
                ai.id,
                state.viewer_id if ai.mine else other_id,
                ai.prompt,
                ai.answer,
                ai.model,
                ai.latency_ms,
                ai.created_at,
            )
            for ai in state.ai_requests
            if not (ai.mine and not state.viewer_exists)
        ]
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("DELETE FROM ai_requests; DELETE FROM uploads; DELETE FROM users")
            cur.executemany("INSERT INTO users (id, clerk_sub) VALUES (%s, %s)", users)
            cur.executemany(
                "INSERT INTO uploads (id, owner_id, object_key, filename, content_type, size, status,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                uploads,
            )
            cur.executemany(
                "INSERT INTO ai_requests (id, owner_id, prompt, answer, model, latency_ms, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                ai_rows,
            )

    def context(self) -> Context:
        scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [], "query_string": b""}
        return Context(
            request=Request(scope),
            response=Response(),
            services=self.services,
            principal=Principal(sub=SUB, sid="sess_plans"),
            request_id=REQUEST_ID,
        )

    def run_once(self, *, executor: str, name: str, state: State, variables: dict[str, Any] | None) -> str:
        """Seed, inject the faults, execute with `executor` ("graphql-core" or "plan"), serialize."""
        self.seed(state)
        rng = random.Random(7)  # the same "random" ids for both runs (new users, rows, keys)
        # The api's error log lines are captured, not rendered (a rich traceback per masked error
        # was most of the suite's time), and compared: the plan logs what graphql-core's path logs.
        with pytest.MonkeyPatch.context() as monkeypatch, structlog.testing.capture_logs() as logs:
            monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
            # Two root fields that both meet a new user race to insert its row (concurrently in
            # graphql-core too); whichever wins, the row gets this one id.
            new_user_id = uuid.UUID(int=state.viewer_id.int ^ 1)
            monkeypatch.setattr(users_repository, "uuid", SimpleNamespace(uuid4=lambda: new_user_id))
            # Pre-signed URLs carry their signing time; both runs sign at the same instant.
            monkeypatch.setattr(
                botocore.auth, "get_current_datetime", lambda **_: FIXED_NOW.replace(tzinfo=None)
            )
            _faulty(state, monkeypatch)
            context = self.context()
            if executor == "plan":
                body = self.loop.run_until_complete(
                    self.plan(name).execute(context=context, variables=variables)
                )
            else:
                result = self.loop.run_until_complete(
                    self.schema.execute(
                        trusted_documents()[name], variable_values=variables, context_value=context
                    )
                )
                body = dict(process_result(result))
        events = [(e.get("event"), e.get("path"), e.get("error_type")) for e in logs]
        return json.dumps(body) + "\nlogs: " + repr(events)

    def differences(self, *, name: str, state: State, variables: dict[str, Any] | None) -> str | None:
        """None when both executors give the same bytes, else both bodies."""
        expected = self.run_once(executor="graphql-core", name=name, state=state, variables=variables)
        actual = self.run_once(executor="plan", name=name, state=state, variables=variables)
        outcome = "clean" if '"errors"' not in expected else "errors, partial data"
        if expected.startswith('{"data": null'):
            outcome = "errors, data null"
        EXAMPLES.setdefault(name, {}).setdefault(outcome, 0)
        EXAMPLES[name][outcome] += 1
        if expected == actual:
            return None
        return f"graphql-core: {expected}\nplan:         {actual}"


@pytest.fixture(scope="module")
def plans_env(postgres: Any, api: Any) -> Iterator[PlansEnv]:
    """Its own database (created_at defaults fixed, so rows a mutation inserts read the same in both
    runs) on the session's Postgres, and the api tests' settings for S3 and the ai stub."""
    url = postgres.create_database(f"plans_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate.apply(conn)
        for table in ("users", "uploads", "ai_requests"):
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN created_at SET DEFAULT '{FIXED_NOW.isoformat()}'")
    # One pooled connection: concurrent resolvers (two root fields, two connections under viewer)
    # then reach Postgres in the order they ask, not in whichever order two connections answer, so
    # graphql-core's own error order is reproducible and the comparison can be byte for byte.
    settings = api.settings.model_copy(update={"database_url": SecretStr(url), "db_pool_max_size": 1})
    loop = asyncio.new_event_loop()
    pool = create_pool(settings)
    loop.run_until_complete(pool.open(wait=True))
    store = ObjectStore(
        bucket=settings.uploads_bucket,
        region=settings.uploads_bucket_region,
        url_ttl_seconds=settings.upload_url_ttl_seconds,
        endpoint_url=settings.s3_endpoint_url,
    )
    ai = AiClient(
        base_url=settings.ai_service_url,
        api_key=settings.ai_internal_api_key.get_secret_value(),
        timeout_seconds=settings.ai_request_timeout_seconds,
    )
    services = Services(settings=settings, pool=pool, store=store, ai=ai)
    with psycopg.connect(url, autocommit=True) as seed_conn:
        yield PlansEnv(loop=loop, services=services, conn=seed_conn)
    loop.run_until_complete(ai.aclose())
    loop.run_until_complete(pool.close())
    loop.close()
