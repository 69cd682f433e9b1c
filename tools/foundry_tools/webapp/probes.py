"""Requests to try against the edge: what the web app sends (every operation by its persisted id,
realistic variables, long and awkward prompts) and what introspection looks like, on the wire.

Shared by `foundry verify` (evaluated with the web ACL) and the twin's tests (sent through the edge).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from foundry_waf.request import WafRequest

from foundry_tools.webapp.operations import Operation

GRAPHQL_PATH = "/graphql"
# The api's limits (tools/tests/webapp/test_operations.py ties these to the api's own constants).
MAX_PROMPT_CHARS = 8000  # services/api/foundry_api/ai_requests/mutations.py
API_MAX_BODY_BYTES = 64 * 1024  # services/api/foundry_api/main.py MAX_BODY_BYTES
BROWSER_USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
# A cursor as the api issues them (core/pagination.py: urlsafe Base64 of a JSON triple, unpadded).
# A token-shaped placeholder: the WAF never verifies it (the api does, and answers 401 to it).
SAMPLE_TOKEN = "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl"  # noqa: S105 - not a credential
SAMPLE_CURSOR = "WzEsICIyMDI2LTEyLTAxVDA4OjAwOjAwKzAwOjAwIiwgNDJd"

PROMPTS: Mapping[str, str] = {
    "short": "Summarise the attached quarterly report in three bullet points.",
    "8000 characters": ("Explain the trade-offs of event sourcing for an order system. " * 200)[
        :MAX_PROMPT_CHARS
    ],
    "7000 Japanese characters": ("日本語で長い質問をします。在庫管理の設計について教えてください。" * 250)[
        :7000
    ],
    "HTML": '<p>Why does <script>alert("x")</script> run but <img src=x onerror=alert(1)> not?</p>',
    "SQL": "Why is SELECT * FROM users WHERE name = '' OR '1'='1'; DROP TABLE users; -- dangerous?",
    "mentions __typename": "What does __typename return in GraphQL, and why does Relay select it?",
    "mentions __schema": 'Explain what { __schema { types { name } } } and __type(name: "User") do.',
    "code": "for (const p of ['../../etc/passwd', 'http://169.254.169.254/latest/meta-data/']) fetch(p)",
}


def operation_variables(operation: Operation) -> list[tuple[str, dict[str, Any]]]:
    """Realistic variables for each operation the web app sends (a new operation must be added here)."""
    name = operation.name
    if name == "AiPanelAskMutation":
        return [(f"prompt: {label}", {"prompt": prompt}) for label, prompt in PROMPTS.items()]
    if name == "WorkspaceQuery":
        return [("first pages", {})]
    if name in ("AiPanelPaginationQuery", "UploadsPanelPaginationQuery"):
        return [("next page", {"count": 20, "cursor": SAMPLE_CURSOR})]
    if name == "uploadFileCreateMutation":
        return [
            (
                "pdf",
                {"filename": "Q3 report (final).pdf", "contentType": "application/pdf", "size": 2_345_678},
            ),
            ("image", {"filename": "写真_2026-12-01.jpg", "contentType": "image/jpeg", "size": 512_000}),
        ]
    if name == "uploadFileCompleteMutation":
        return [("upload id", {"id": "VXBsb2FkOjAxOTNhNGZlLTk5YjMtNzAwMC1hMDAwLTAwMDAwMDAwMDAwMQ"})]
    raise KeyError(
        f"operation {name} ({operation.document_id}) has no sample variables: add them to "
        "foundry_tools.webapp.probes.operation_variables so the edge checks test it"
    )


def graphql_body(document: str, variables: Mapping[str, Any]) -> bytes:
    """A body with the document's text, as GraphiQL or curl send it (UTF-8, no escapes)."""
    return json.dumps(
        {"query": document, "variables": dict(variables)}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def persisted_body(document_id: str, variables: Mapping[str, Any]) -> bytes:
    """The body as the web app's network layer builds it (services/web/src/api/network.ts):
    JSON.stringify({documentId, variables}) (UTF-8, no escapes)."""
    return json.dumps(
        {"documentId": document_id, "variables": dict(variables)}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def browser_headers(*, token: str = SAMPLE_TOKEN, length: int) -> list[tuple[str, str]]:
    """The headers a browser sends with the web app's fetch (services/web/src/api/network.ts)."""
    return [
        ("host", "app.example.com"),
        ("user-agent", BROWSER_USER_AGENT),
        ("accept", "application/graphql-response+json, application/json"),
        ("content-type", "application/json"),
        ("authorization", f"Bearer {token}"),
        ("origin", "https://app.example.com"),
        ("content-length", str(length)),
    ]


@dataclass(frozen=True, kw_only=True)
class Probe:
    name: str
    body: bytes
    # served: must reach the api; blocked: the edge must refuse it; api: the edge cannot see it
    # (beyond its body inspection limit), the api's own no-introspection rule must refuse it.
    expect: Literal["served", "blocked", "api"]
    operation: str | None = None

    def request(self, *, client_ip: str = "203.0.113.10", token: str = SAMPLE_TOKEN) -> WafRequest:
        return WafRequest(
            method="POST",
            uri_path=GRAPHQL_PATH,
            headers=browser_headers(token=token, length=len(self.body)),
            body=self.body,
            client_ip=client_ip,
        )


def web_app_probes(operations: Mapping[str, Operation]) -> list[Probe]:
    """Every operation with every sample of its variables, sent by id as the browser does: each must be served."""
    return [
        Probe(
            name=f"{op.name} ({label})",
            body=persisted_body(op.document_id, variables),
            expect="served",
            operation=op.name,
        )
        for op in operations.values()
        for label, variables in operation_variables(op)
    ]


# The JSON-escaped body is written out by hand: json.dumps would not escape an ASCII '_'.
_ESCAPED_SCHEMA = b'{"query":"query { \\u005f\\u005fschema { types { name } } }","variables":{}}'
_ESCAPED_TYPE = b'{"query":"{ \\u005f\\u005ftype(name: \\"User\\") { name } }","variables":{}}'
INTROSPECTION_DOCUMENTS: Mapping[str, str] = {
    "__schema": "query { __schema { types { name } } }",
    "__type(name:)": '{ __type(name: "User") { name fields { name } } }',
    "__type (spaces)": 'query Q { __type   (name: "User") { name } }',
    "__type newline (": '{\n  __type\n  (name: "User") { name }\n}',
    "__type tab,comma (": '{ __type\t,(name: "User") { name } }',
    "__type # comment (": '{ __type # look it up\n (name: "User") { name } }',
    "__schema multi-line": "query IntrospectionQuery {\n  __schema {\n    queryType { name }\n  }\n}",
    "aliased __type": '{ t: __type(name: "AiRequest") { name } }',
}


def introspection_probes(*, body_inspection_limit: int = 16 * 1024) -> list[Probe]:
    """Introspection in every spelling the edge must refuse, plus one hidden past its inspection limit."""
    probes = [
        Probe(name=f"introspection: {label}", body=graphql_body(document, {}), expect="blocked")
        for label, document in INTROSPECTION_DOCUMENTS.items()
    ]
    probes += [
        Probe(
            name="introspection: JSON-escaped \\u005f\\u005fschema", body=_ESCAPED_SCHEMA, expect="blocked"
        ),
        Probe(name="introspection: JSON-escaped \\u005f\\u005ftype(", body=_ESCAPED_TYPE, expect="blocked"),
    ]
    # Variables first, padded past the limit: WAF sees no `query` key in the bytes it inspects.
    padding = "x" * body_inspection_limit
    hidden = json.dumps(
        {"variables": {"pad": padding}, "query": INTROSPECTION_DOCUMENTS["__schema"]}
    ).encode()
    probes.append(Probe(name="introspection: past the body inspection limit", body=hidden, expect="api"))
    return probes


def all_probes(
    operations: Mapping[str, Operation], *, body_inspection_limit: int = 16 * 1024
) -> Sequence[Probe]:
    return [*web_app_probes(operations), *introspection_probes(body_inspection_limit=body_inspection_limit)]
