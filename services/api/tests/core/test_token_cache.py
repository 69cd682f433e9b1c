"""The verified-token cache (core/security.py): a token that passed every check is not checked
again until it expires, and never outlives its expiry or its signing key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from foundry_api.core import security
from foundry_api.core.security import AuthError, JwksCache, TokenVerifier
from foundry_twin.issuer import LocalIssuer

AZP = "http://127.0.0.1:5173"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full signature check the verifier makes, by token."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def _verifier(issuer: LocalIssuer, http: httpx.AsyncClient, **options: Any) -> TokenVerifier:
    return TokenVerifier(
        jwks=JwksCache(url=issuer.jwks_url, client=http),
        issuer=issuer.issuer,
        authorized_parties=frozenset({AZP}),
        **options,
    )


async def test_a_verified_token_is_checked_once_until_it_expires(
    issuer: LocalIssuer, http: httpx.AsyncClient, decodes: list[str]
) -> None:
    clock = Clock()
    verifier = _verifier(issuer, http, clock=clock)
    token = issuer.mint(sub="user_cached", azp=AZP, lifetime=60)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert decodes == [token]
    # Past exp + leeway the entry is dropped and the token goes through the full check again.
    clock.now += 60 + security.LEEWAY_SECONDS + 1
    await verifier.verify(token)
    assert decodes == [token, token]


async def test_an_expired_token_is_refused_even_after_it_was_cached(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    verifier = _verifier(issuer, http, leeway_seconds=0)
    claims = {**issuer.claims(sub="user_short", azp=AZP), "exp": int(time.time()) + 1}
    token = issuer.sign(claims)
    await verifier.verify(token)
    await asyncio.sleep(max(0.0, claims["exp"] - time.time()) + 0.2)
    with pytest.raises(AuthError, match="ExpiredSignature"):
        await verifier.verify(token)


async def test_a_cached_token_is_refused_once_its_key_leaves_the_jwks(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    verifier = _verifier(issuer, http)
    jwks = verifier._jwks
    token = issuer.mint(sub="user_rotated", azp=AZP)
    await verifier.verify(token)
    # The state a JWKS refresh without this kid leaves behind, inside the refetch cooldown.
    jwks._keys.clear()
    jwks._unknown_kids[issuer.kid] = time.monotonic() + 60
    with pytest.raises(AuthError, match="unknown signing key"):
        await verifier.verify(token)


async def test_refused_tokens_are_not_cached_and_the_cache_is_bounded(
    issuer: LocalIssuer, http: httpx.AsyncClient, decodes: list[str]
) -> None:
    verifier = _verifier(issuer, http, cache_size=2)
    forged = issuer.sign({**issuer.claims(sub="user_forged", azp=AZP), "iss": "https://evil.example"})
    for _ in range(2):
        with pytest.raises(AuthError):
            await verifier.verify(forged)
    assert decodes == [forged, forged]
    tokens = [issuer.mint(sub=f"user_{i}", azp=AZP) for i in range(3)]
    for token in tokens:
        await verifier.verify(token)
    # Only the two most recent stay: the oldest is checked in full again.
    decodes.clear()
    await verifier.verify(tokens[2])
    await verifier.verify(tokens[0])
    assert decodes == [tokens[0]]
