"""FieldToMatch: the part of a request a statement inspects, with the body inspection limit applied.

https://docs.aws.amazon.com/waf/latest/APIReference/API_FieldToMatch.html lists the fields; those
whose content AWS documents exactly are read here (UriPath, QueryString, Method, SingleHeader,
SingleQueryArgument, Body, JsonBody). Any other field is reported as not emulated.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from foundry_waf.errors import InvalidWebAclError, NotEmulatedError
from foundry_waf.request import WafRequest

# https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html: "For CloudFront, API Gateway,
# Amazon Cognito, App Runner, and Verified Access, the default limit is 16 KB (16,384 bytes), and you
# can increase the limit for each resource type in the web ACL AssociationConfig". Oversize handling
# defaults to CONTINUE: "Inspect the available body contents normally".
CLOUDFRONT_DEFAULT_BODY_LIMIT = 16 * 1024
# https://docs.aws.amazon.com/waf/latest/APIReference/API_RequestBodyAssociatedResourceTypeConfig.html
BODY_LIMITS = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
# For an ALB (REGIONAL web ACLs) the limit is fixed at 8 KB (API_Body.html).
REGIONAL_BODY_LIMIT = 8 * 1024


@dataclass(frozen=True)
class Inspected:
    """The values a statement tests (any one matching is a match), or a verdict already decided
    by oversize handling or the JSON fallback (MATCH = True, NO_MATCH = False)."""

    values: tuple[bytes, ...] = ()
    decided: bool | None = None


def body_inspection_limit(acl: Mapping[str, Any]) -> int:
    """How many body bytes WAF receives for this web ACL (its scope and AssociationConfig)."""
    if acl.get("Scope", "CLOUDFRONT") != "CLOUDFRONT":
        return REGIONAL_BODY_LIMIT
    configured = acl.get("AssociationConfig", {}).get("RequestBody", {}).get("CLOUDFRONT", {})
    limit = configured.get("DefaultSizeInspectionLimit", "KB_16")
    if limit not in BODY_LIMITS:
        raise InvalidWebAclError(
            f"AssociationConfig DefaultSizeInspectionLimit {limit!r} is not one of {sorted(BODY_LIMITS)}"
        )
    return BODY_LIMITS[limit]


def _oversize(handling: str | None, body: bytes, limit: int) -> bool | None:
    """MATCH/NO_MATCH decide an oversize body outright; CONTINUE (the default) inspects the start."""
    if len(body) <= limit:
        return None
    if handling == "MATCH":
        return True
    if handling == "NO_MATCH":
        return False
    return None


def inspect(field: Mapping[str, Any], request: WafRequest, *, body_limit: int) -> Inspected:
    """The content of `field` (one FieldToMatch) in `request`."""
    if len(field) != 1:
        raise InvalidWebAclError(f"FieldToMatch must name exactly one field, not {sorted(field)}")
    ((kind, settings),) = field.items()
    if kind == "UriPath":
        return Inspected((request.uri_path.encode(),))
    if kind == "QueryString":
        return Inspected((request.query_string.encode(),))
    if kind == "Method":
        return Inspected((request.method.encode(),))
    if kind == "SingleHeader":
        # Header names are matched case-insensitively; a missing header gives nothing to match.
        return Inspected(
            tuple(v.encode("latin-1", "replace") for v in request.header_values(settings["Name"]))
        )
    if kind == "SingleQueryArgument":
        wanted = str(settings["Name"]).lower()
        pairs = parse_qsl(request.query_string, keep_blank_values=True)
        return Inspected(tuple(v.encode() for k, v in pairs if k.lower() == wanted))
    if kind == "Body":
        decided = _oversize(settings.get("OversizeHandling"), request.body, body_limit)
        return Inspected((request.body[:body_limit],), decided)
    if kind == "JsonBody":
        return _json_body(settings, request.body, body_limit)
    raise NotEmulatedError(f"FieldToMatch {kind}")


def _json_body(settings: Mapping[str, Any], body: bytes, limit: int) -> Inspected:
    """https://docs.aws.amazon.com/waf/latest/APIReference/API_JsonBody.html: WAF parses the JSON
    (so escapes such as \\u005f are decoded before matching), then inspects the keys, the values or
    both (MatchScope) of the whole document or of the IncludedPaths (JSON Pointers). A statement
    matches when any one key or value does: "All does not require a match to be found in the keys
    and a match to be found in the values. It requires a match to be found in the keys or the values
    or both."
    """
    decided = _oversize(settings.get("OversizeHandling"), body, limit)
    if decided is not None:
        return Inspected(decided=decided)
    scope = settings["MatchScope"]
    if scope not in ("ALL", "KEY", "VALUE"):
        raise InvalidWebAclError(f"JsonBody MatchScope {scope!r} is not ALL, KEY or VALUE")
    pattern = settings["MatchPattern"]
    inspected = body[:limit]  # CONTINUE: the first `limit` bytes, which may cut the JSON short
    try:
        document = json.loads(inspected.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        fallback = settings.get("InvalidFallbackBehavior")
        if fallback == "MATCH":
            return Inspected(decided=True)
        if fallback == "NO_MATCH":
            return Inspected(decided=False)
        if fallback == "EVALUATE_AS_STRING":
            return Inspected((inspected,))
        # Without a fallback AWS "evaluates the JSON body up to the first parsing failure": which
        # tokens that yields is not documented closely enough to reproduce.
        raise NotEmulatedError("JsonBody of an invalid JSON body without InvalidFallbackBehavior") from None
    if "All" in pattern:
        roots: list[Any] = [document]
    else:
        roots = [found for pointer in pattern["IncludedPaths"] for found in _resolve(document, pointer)]
    values: list[bytes] = []
    for root in roots:
        for key, value in _walk(root):
            if key is not None and scope in ("ALL", "KEY"):
                values.append(key.encode())
            if value is not None and scope in ("ALL", "VALUE"):
                values.append(value.encode())
    return Inspected(tuple(values))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _resolve(document: Any, pointer: str) -> Iterator[Any]:
    """RFC 6901 JSON Pointer: the node at `pointer`, if the document has one."""
    if pointer == "":
        yield document
        return
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return
    yield node


def _walk(node: Any) -> Iterator[tuple[str | None, str | None]]:
    """(key, scalar value) pairs under a node; scalars as their text (numbers, true, null as JSON)."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield key, None
            yield from _walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, str):
        yield None, node
    else:
        yield None, json.dumps(node)
