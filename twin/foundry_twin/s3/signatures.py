"""Signature Version 4 as S3 checks it: the Authorization header and pre-signed URLs (query-string
authentication, with their expiry), the clock skew S3 allows, and which key holds which rights.

https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from starlette.datastructures import Headers

from foundry_twin.s3.dates import iso_date
from foundry_twin.s3.errors import S3Error, not_implemented

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
MAX_PRESIGN_EXPIRES_SECONDS = 7 * 24 * 3600
MAX_CLOCK_SKEW_SECONDS = 15 * 60
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _parse_amz_date(value: str) -> float:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise S3Error(
            400, "AuthorizationHeaderMalformed", f"X-Amz-Date {value!r} is not YYYYMMDD'T'HHMMSS'Z'"
        ) from None


def _uri_encode(value: str, *, keep_slash: bool) -> str:
    return quote(value, safe="/~" if keep_slash else "-_.~", errors="surrogateescape")


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_request(
    *,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Sequence[tuple[str, str]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """SigV4's canonical request, with S3's rule for the path: URI-encoded once, never normalized."""
    encoded_query = sorted(
        (_uri_encode(k, keep_slash=False), _uri_encode(v, keep_slash=False)) for k, v in query
    )
    header_lines = []
    for name in signed_headers:
        values = [" ".join(value.split()) for header, value in headers if header.lower() == name]
        header_lines.append(f"{name}:{','.join(values)}")
    return "\n".join(
        [
            method.upper(),
            _uri_encode(path, keep_slash=True),
            "&".join(f"{k}={v}" for k, v in encoded_query),
            "\n".join(header_lines) + "\n",
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _signature(secret_key: str, scope: Sequence[str], amz_date: str, canonical: str) -> tuple[str, str]:
    string_to_sign = "\n".join(
        [SIGV4_ALGORITHM, amz_date, "/".join(scope), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret_key}".encode()
    for part in scope:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), string_to_sign


@dataclass(frozen=True, slots=True)
class _Credentials:
    access_key: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, value: str, *, error_code: str) -> _Credentials:
        parts = value.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or parts[3] != "s3":
            raise S3Error(
                400, error_code, f"The credential {value!r} is not <key>/<date>/<region>/s3/aws4_request"
            )
        return cls(*parts[:4])

    @property
    def scope(self) -> tuple[str, str, str, str]:
        return (self.date, self.region, self.service, "aws4_request")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What SigV4 signs of a request: method, the path as sent (decoded once), query pairs, headers."""

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Headers

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A verified request: the payload SHA-256 the client vouched for (if any), and whether its key
    holds s3:ListBucket."""

    claimed_sha256: str | None
    may_list: bool


class SigV4Verifier:
    """Checks a request's SigV4 signature (header or pre-signed query) against the emulator's keys."""

    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        no_list_credentials: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not access_key or not secret_key:
            raise ValueError("access_key and secret_key must not be empty")
        if any(not key or not secret for key, secret in (no_list_credentials or {}).items()):
            raise ValueError("no_list_credentials must not hold empty keys or secrets")
        self._access_key = access_key
        self._secret_key = secret_key
        self._no_list_credentials = dict(no_list_credentials or {})
        self._clock = clock

    def authenticate(self, request: SignedRequest) -> Authenticated:
        """Verifies the SigV4 signature (S3's error when it does not hold)."""
        params = request.params
        authorization = request.headers.get("authorization")
        if "X-Amz-Signature" in params:
            return self._authenticate_query(request, params)
        if authorization is None:
            if "Signature" in params or "AWSAccessKeyId" in params:
                raise S3Error(
                    400,
                    "InvalidRequest",
                    "Signature Version 2 is not supported; sign with AWS4-HMAC-SHA256 (s3v4).",
                )
            raise S3Error(403, "AccessDenied", "Access Denied (anonymous requests are refused)")
        return self._authenticate_header(request, authorization)

    def _authenticate_header(self, request: SignedRequest, authorization: str) -> Authenticated:
        algorithm, _, rest = authorization.strip().partition(" ")
        if algorithm != SIGV4_ALGORITHM:
            raise S3Error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            )
        fields = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
        credentials = _Credentials.parse(fields["Credential"], error_code="AuthorizationHeaderMalformed")
        amz_date = request.headers.get("x-amz-date", "")
        timestamp = _parse_amz_date(amz_date)
        if abs(self._clock() - timestamp) > MAX_CLOCK_SKEW_SECONDS:
            raise S3Error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        payload = request.headers.get("x-amz-content-sha256")
        if payload is None:
            raise S3Error(
                400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
            )
        if payload.startswith("STREAMING-"):
            raise not_implemented("aws-chunked (streaming) payload signing")
        if payload != UNSIGNED_PAYLOAD and not _HEX_SHA256.match(payload):
            raise S3Error(
                400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA256 value."
            )
        may_list = self._verify(
            request,
            credentials,
            amz_date,
            fields["SignedHeaders"],
            fields["Signature"],
            payload,
            request.query,
        )
        return Authenticated(
            claimed_sha256=payload if payload != UNSIGNED_PAYLOAD else None, may_list=may_list
        )

    def _authenticate_query(self, request: SignedRequest, params: dict[str, str]) -> Authenticated:
        required = (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
        )
        missing = [name for name in required if name not in params]
        if missing or params["X-Amz-Algorithm"] != SIGV4_ALGORITHM:
            raise S3Error(
                400,
                "AuthorizationQueryParametersError",
                f"Query-string authentication version 4 requires {', '.join(required)} and X-Amz-Signature.",
            )
        credentials = _Credentials.parse(
            params["X-Amz-Credential"], error_code="AuthorizationQueryParametersError"
        )
        timestamp = _parse_amz_date(params["X-Amz-Date"])
        try:
            expires = int(params["X-Amz-Expires"])
        except ValueError:
            expires = -1
        if not 0 < expires <= MAX_PRESIGN_EXPIRES_SECONDS:
            raise S3Error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be between 1 and 604800 seconds.",
            )
        now = self._clock()
        if now > timestamp + expires:
            raise S3Error(
                403,
                "AccessDenied",
                "Request has expired",
                Expires=iso_date(timestamp + expires),
                ServerTime=iso_date(now),
            )
        if timestamp > now + MAX_CLOCK_SKEW_SECONDS:
            raise S3Error(403, "AccessDenied", "Request is not valid yet", ServerTime=iso_date(now))
        query = [(name, value) for name, value in request.query if name != "X-Amz-Signature"]
        may_list = self._verify(
            request,
            credentials,
            params["X-Amz-Date"],
            params["X-Amz-SignedHeaders"],
            params["X-Amz-Signature"],
            UNSIGNED_PAYLOAD,
            query,
        )
        payload = request.headers.get("x-amz-content-sha256")
        claimed = payload if payload is not None and _HEX_SHA256.match(payload) else None
        return Authenticated(claimed_sha256=claimed, may_list=may_list)

    def _verify(
        self,
        request: SignedRequest,
        credentials: _Credentials,
        amz_date: str,
        signed_headers_field: str,
        provided_signature: str,
        payload_hash: str,
        query: Sequence[tuple[str, str]],
    ) -> bool:
        """Raises unless the signature holds; answers whether the key holds s3:ListBucket."""
        secret_key = self._secret_for(credentials.access_key)
        if secret_key is None:
            raise S3Error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                AWSAccessKeyId=credentials.access_key,
            )
        if credentials.date != amz_date[:8]:
            raise S3Error(403, "SignatureDoesNotMatch", "The credential date does not match X-Amz-Date.")
        signed_headers = [name.strip().lower() for name in signed_headers_field.split(";") if name.strip()]
        if "host" not in signed_headers:
            raise S3Error(400, "InvalidRequest", "The host header must be signed.")
        canonical = canonical_request(
            method=request.method,
            path=request.path,
            query=query,
            headers=list(request.headers.items()),
            signed_headers=signed_headers,
            payload_hash=payload_hash,
        )
        expected, string_to_sign = _signature(secret_key, credentials.scope, amz_date, canonical)
        if not hmac.compare_digest(expected.encode(), provided_signature.encode()):
            raise S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                AWSAccessKeyId=credentials.access_key,
                StringToSign=string_to_sign,
                SignatureProvided=provided_signature,
                CanonicalRequest=canonical,
            )
        return credentials.access_key not in self._no_list_credentials

    def _secret_for(self, access_key: str) -> str | None:
        if hmac.compare_digest(access_key.encode(), self._access_key.encode()):
            return self._secret_key
        return self._no_list_credentials.get(access_key)
