"""Bucket CORS as S3 applies it: the rules (PutBucketCors XML, stored as JSON), preflight answers and
the headers an actual request gets.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from foundry_twin.s3.errors import S3_XMLNS, S3Error, xml_bytes

CORS_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})


def _wildcard_match(pattern: str, value: str) -> bool:
    """S3's CORS patterns: at most one `*`, matching any run of characters."""
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


@dataclass(frozen=True, slots=True)
class CorsRule:
    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None

    def matches(self, origin: str, method: str, request_headers: Sequence[str] = ()) -> bool:
        return (
            any(_wildcard_match(allowed, origin) for allowed in self.allowed_origins)
            and method in self.allowed_methods
            and all(
                any(_wildcard_match(allowed.lower(), header) for allowed in self.allowed_headers)
                for header in request_headers
            )
        )

    def response_headers(self, origin: str) -> dict[str, str]:
        headers = {
            "Access-Control-Allow-Methods": ", ".join(self.allowed_methods),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if "*" in self.allowed_origins:
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        if self.max_age_seconds is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age_seconds)
        return headers

    def to_json(self) -> dict[str, Any]:
        return {
            "AllowedOrigins": list(self.allowed_origins),
            "AllowedMethods": list(self.allowed_methods),
            "AllowedHeaders": list(self.allowed_headers),
            "ExposeHeaders": list(self.expose_headers),
            "MaxAgeSeconds": self.max_age_seconds,
            "ID": self.id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorsRule:
        return cls(
            allowed_origins=tuple(data["AllowedOrigins"]),
            allowed_methods=tuple(data["AllowedMethods"]),
            allowed_headers=tuple(data.get("AllowedHeaders") or ()),
            expose_headers=tuple(data.get("ExposeHeaders") or ()),
            max_age_seconds=data.get("MaxAgeSeconds"),
            id=data.get("ID"),
        )


def _local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def parse_cors_configuration(body: bytes) -> list[CorsRule]:
    """Parses and validates a PutBucketCors document the way S3 does (MalformedXML, InvalidRequest)."""
    try:
        # The caller is authenticated, and Python's expat (>= 2.4.1) bounds entity expansion.
        document = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed") from None
    if _local_name(document) != "CORSConfiguration":
        raise S3Error(400, "MalformedXML", "The root element must be CORSConfiguration")
    rules: list[CorsRule] = []
    for element in document:
        if _local_name(element) != "CORSRule":
            raise S3Error(400, "MalformedXML", f"Unexpected element {_local_name(element)}")
        values: dict[str, list[str]] = {}
        for child in element:
            values.setdefault(_local_name(child), []).append((child.text or "").strip())
        origins, methods = tuple(values.get("AllowedOrigin", ())), tuple(values.get("AllowedMethod", ()))
        if not origins or not methods:
            raise S3Error(400, "MalformedXML", "Each CORSRule needs an AllowedOrigin and an AllowedMethod")
        for method in methods:
            if method not in CORS_METHODS:
                raise S3Error(
                    400, "InvalidRequest", f"Found unsupported HTTP method in CORS config: {method}"
                )
        for pattern in (*origins, *values.get("AllowedHeader", ())):
            if pattern.count("*") > 1:
                raise S3Error(400, "InvalidRequest", f'"{pattern}" can not have more than one wildcard.')
        max_age = values.get("MaxAgeSeconds")
        try:
            max_age_seconds = int(max_age[0]) if max_age else None
        except ValueError:
            raise S3Error(400, "MalformedXML", "MaxAgeSeconds must be an integer") from None
        rules.append(
            CorsRule(
                allowed_origins=origins,
                allowed_methods=methods,
                allowed_headers=tuple(values.get("AllowedHeader", ())),
                expose_headers=tuple(values.get("ExposeHeader", ())),
                max_age_seconds=max_age_seconds,
                id=values["ID"][0] if values.get("ID") else None,
            )
        )
    if not rules or len(rules) > 100:
        raise S3Error(400, "MalformedXML", "A CORS configuration holds 1 to 100 rules")
    return rules


def cors_configuration_xml(rules: Sequence[CorsRule]) -> bytes:
    document = ET.Element("CORSConfiguration", xmlns=S3_XMLNS)
    for rule in rules:
        element = ET.SubElement(document, "CORSRule")
        if rule.id:
            ET.SubElement(element, "ID").text = rule.id
        for tag, values in (
            ("AllowedHeader", rule.allowed_headers),
            ("AllowedMethod", rule.allowed_methods),
            ("AllowedOrigin", rule.allowed_origins),
            ("ExposeHeader", rule.expose_headers),
        ):
            for value in values:
                ET.SubElement(element, tag).text = value
        if rule.max_age_seconds is not None:
            ET.SubElement(element, "MaxAgeSeconds").text = str(rule.max_age_seconds)
    return xml_bytes(document)


def matching_rule(
    rules: Sequence[CorsRule] | None, *, origin: str, method: str, headers: Sequence[str] = ()
) -> CorsRule | None:
    return next((rule for rule in rules or () if rule.matches(origin, method, headers)), None)


@dataclass(frozen=True, slots=True)
class Preflight:
    origin: str
    method: str
    requested_headers: tuple[str, ...]


def parse_preflight(*, origin: str | None, method: str | None, requested_headers: str) -> Preflight:
    """The preflight's own questions, refused as S3 refuses them before it looks at the bucket."""
    if not origin:
        raise S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")
    if method not in CORS_METHODS:
        raise S3Error(400, "BadRequest", f"Invalid Access-Control-Request-Method: {method}")
    requested = tuple(header.strip().lower() for header in requested_headers.split(",") if header.strip())
    return Preflight(origin=origin, method=method, requested_headers=requested)


def preflight_headers(
    preflight: Preflight, *, bucket_found: bool, rules: Sequence[CorsRule] | None, on_object: bool
) -> dict[str, str]:
    """The answer to an allowed preflight; S3's 403 AccessForbidden when the bucket's rules refuse it."""
    forbidden = {"Method": preflight.method, "ResourceType": "OBJECT" if on_object else "BUCKET"}
    if not bucket_found:
        raise S3Error(403, "AccessForbidden", "CORSResponse: Bucket not found", **forbidden)
    if rules is None:
        raise S3Error(
            403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", **forbidden
        )
    rule = matching_rule(
        rules, origin=preflight.origin, method=preflight.method, headers=preflight.requested_headers
    )
    if rule is None:
        raise S3Error(
            403,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, "
            "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
            "whitelisted by the resource's CORS spec.",
            **forbidden,
        )
    headers = rule.response_headers(preflight.origin)
    if preflight.requested_headers:
        headers["Access-Control-Allow-Headers"] = ", ".join(preflight.requested_headers)
    return headers
