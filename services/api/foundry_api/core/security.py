"""Clerk session-token verification (reference §5).

RS256 only, with the algorithm fixed by us and never read from the token header, so `alg: none`
and HS256-with-the-public-key confusion cannot work. Keys come from Clerk's JWKS; an unknown `kid`
triggers at most one refetch per cooldown, and a kid that stays unknown is remembered as such, so
a flood of forged kids cannot turn us into a JWKS-fetching amplifier.

A browser sends the same session token with every request until it expires (about a minute for
Clerk), so a token that passed every check is remembered, by its SHA-256, until its `exp`: the
signature check and claim parsing are about a tenth of a millisecond the page query need not pay
each time. A remembered token is refused again as soon as its signing key leaves the JWKS.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

log = structlog.stdlib.get_logger(__name__)

LEEWAY_SECONDS = 5
REFRESH_COOLDOWN_SECONDS = 30.0
KEYS_MAX_AGE_SECONDS = 3600.0
MAX_TOKEN_BYTES = 8192
_NEGATIVE_CACHE_LIMIT = 1024
# Verified tokens remembered per process: a few thousand active sessions, ~150 bytes each.
VERIFIED_CACHE_SIZE = 4096
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "sub", "sid"]
# Clerk user ids look like user_2abc...; anything else is refused before it reaches an S3 key.
_SUB_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class AuthError(Exception):
    """The request carries no acceptable session token (HTTP 401)."""


class AuthUnavailableError(Exception):
    """The signing keys cannot be fetched, so no token can be checked (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    sid: str


class JwksCache:
    def __init__(
        self,
        *,
        url: str,
        client: httpx.AsyncClient,
        refresh_cooldown: float = REFRESH_COOLDOWN_SECONDS,
        max_age: float = KEYS_MAX_AGE_SECONDS,
    ) -> None:
        self.url = url
        self._client = client
        self._cooldown = max(refresh_cooldown, REFRESH_COOLDOWN_SECONDS)
        self._max_age = max_age
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._unknown_kids: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def has(self, kid: str) -> bool:
        """Whether the keys fetched last still include this kid (no fetch)."""
        return kid in self._keys

    async def get(self, kid: str) -> jwt.PyJWK | None:
        now = time.monotonic()
        key = self._keys.get(kid)
        stale = self._fetched_at is None or now - self._fetched_at > self._max_age
        if key is not None and not stale:
            return key
        if key is None and self._unknown_kids.get(kid, 0.0) > now:
            return None
        await self._refresh_if_allowed()
        key = self._keys.get(kid)
        if key is None:
            if len(self._unknown_kids) >= _NEGATIVE_CACHE_LIMIT:
                self._unknown_kids.clear()
            self._unknown_kids[kid] = time.monotonic() + self._cooldown
        return key

    async def _refresh_if_allowed(self) -> None:
        async with self._lock:
            # Another request may have refreshed while we waited for the lock.
            if self._fetched_at is not None and time.monotonic() - self._fetched_at < self._cooldown:
                return
            try:
                response = await self._client.get(self.url)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("jwks_fetch_failed", url=self.url, error=str(exc))
                if not self._keys:
                    raise AuthUnavailableError("signing keys unavailable") from exc
                return
            finally:
                # Failures count too: an unreachable JWKS is retried once per cooldown, not per request.
                self._fetched_at = time.monotonic()
            self._keys = _parse_keys(document)
            self._unknown_kids.clear()
            log.info("jwks_refreshed", kids=sorted(self._keys))


def _parse_keys(document: Any) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm="RS256")
        except jwt.PyJWTError:
            log.warning("jwks_key_skipped", kid=kid)
    return keys


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    kid: str
    valid_until: float  # the token's exp plus the leeway, in wall-clock seconds


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks: JwksCache,
        issuer: str,
        authorized_parties: frozenset[str],
        leeway_seconds: int = LEEWAY_SECONDS,
        cache_size: int = VERIFIED_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._authorized_parties = authorized_parties
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()

    async def verify_header(self, authorization: str | None) -> Principal:
        if not authorization:
            raise AuthError("missing bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("authorization must be 'Bearer <token>'")
        return await self.verify(token.strip())

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise AuthError("malformed token")
        digest = hashlib.sha256(token.encode()).digest()
        known = self._verified.get(digest)
        if known is not None:
            if self._clock() < known.valid_until and self._jwks.has(known.kid):
                self._verified.move_to_end(digest)
                return known.principal
            del self._verified[digest]
        principal, kid, expires = await self._verify_fully(token)
        self._verified[digest] = _Verified(principal=principal, kid=kid, valid_until=expires + self._leeway)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return principal

    async def _verify_fully(self, token: str) -> tuple[Principal, str, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        if not isinstance(kid, str) or not 0 < len(kid) <= 256:
            raise AuthError("token has no usable kid")
        key = await self._jwks.get(kid)
        if key is None:
            raise AuthError("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc.__class__.__name__}") from exc
        azp = claims.get("azp")
        if not isinstance(azp, str) or azp.rstrip("/") not in self._authorized_parties:
            raise AuthError("token azp is not an authorized party")
        sub, sid = claims.get("sub"), claims.get("sid")
        if not isinstance(sub, str) or not _SUB_PATTERN.match(sub):
            raise AuthError("token sub is malformed")
        if not isinstance(sid, str) or not sid:
            raise AuthError("token sid is malformed")
        # `require` made exp present and jwt.decode checked it is a number in the future.
        return Principal(sub=sub, sid=sid), kid, float(claims["exp"])
