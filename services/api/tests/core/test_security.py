"""Session-token checks over real HTTP: forged and malformed tokens are all refused with 401."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from foundry_twin.issuer import LocalIssuer

VIEWER_QUERY = "{ viewer { id } }"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _without(claim: str) -> Callable[[LocalIssuer], str]:
    def forge(issuer: LocalIssuer) -> str:
        claims = issuer.claims(sub="user_forged")
        del claims[claim]
        return issuer.sign(claims)

    return forge


def _with(**changes: Any) -> Callable[[LocalIssuer], str]:
    def forge(issuer: LocalIssuer) -> str:
        return issuer.sign({**issuer.claims(sub="user_forged"), **changes})

    return forge


def _not_yet_valid(issuer: LocalIssuer) -> str:
    # nbf counted from the moment the token is forged, not from collection: on a loaded machine the
    # suite can reach this test more than 300 s after collecting it, and the token was valid by then.
    return issuer.sign({**issuer.claims(sub="user_forged"), "nbf": int(time.time()) + 300})


def _alg_none(issuer: LocalIssuer) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": issuer.kid}
    return f"{_b64(header)}.{_b64(issuer.claims(sub='user_forged'))}."


def _hs256_with_public_pem(issuer: LocalIssuer) -> str:
    # The classic key-confusion forgery: HMAC keyed with the RSA public key the attacker can download.
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": issuer.kid})
    payload = _b64(issuer.claims(sub="user_forged"))
    import hashlib
    import hmac

    signature = hmac.new(issuer.public_key_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def _foreign_key_same_kid(issuer: LocalIssuer) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(issuer.claims(sub="user_forged"), other, algorithm="RS256", headers={"kid": issuer.kid})


def _unknown_kid(issuer: LocalIssuer) -> str:
    return issuer.sign(issuer.claims(sub="user_forged"), headers={"kid": "not-a-known-kid"})


def _no_kid(issuer: LocalIssuer) -> str:
    return jwt.encode(issuer.claims(sub="user_forged"), issuer.private_key, algorithm="RS256")


def _tampered_payload(issuer: LocalIssuer) -> str:
    header, _, signature = issuer.mint(sub="user_victim").split(".")
    return f"{header}.{_b64(issuer.claims(sub='user_attacker'))}.{signature}"


def _tampered_signature(issuer: LocalIssuer) -> str:
    token = issuer.mint(sub="user_forged")
    last = "A" if token[-2] != "A" else "B"
    return token[:-2] + last + token[-1]


def _truncated(issuer: LocalIssuer) -> str:
    return issuer.mint(sub="user_forged")[:-20]


def _four_segments(issuer: LocalIssuer) -> str:
    return issuer.mint(sub="user_forged") + ".extra"


def _oversized(issuer: LocalIssuer) -> str:
    return issuer.sign({**issuer.claims(sub="user_forged"), "pad": "x" * 9000})


FORGERIES: dict[str, Callable[[LocalIssuer], str]] = {
    "alg-none": _alg_none,
    "hs256-with-public-key-pem": _hs256_with_public_pem,
    "signed-by-another-key": _foreign_key_same_kid,
    "unknown-kid": _unknown_kid,
    "missing-kid": _no_kid,
    "expired": _with(exp=int(time.time()) - 60, iat=int(time.time()) - 120, nbf=int(time.time()) - 120),
    "not-yet-valid": _not_yet_valid,
    "wrong-issuer": _with(iss="https://evil.example"),
    "wrong-azp": _with(azp="https://evil.example"),
    "missing-azp": _without("azp"),
    "missing-sid": _without("sid"),
    "missing-sub": _without("sub"),
    "missing-exp": _without("exp"),
    "missing-nbf": _without("nbf"),
    "sub-with-path-characters": _with(sub="../user_x"),
    "tampered-payload": _tampered_payload,
    "tampered-signature": _tampered_signature,
    "truncated": _truncated,
    "garbage": lambda _: "this-is-not-a-jwt",
    "four-segments": _four_segments,
    "oversized": _oversized,
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_or_malformed_token_is_rejected(
    name: str, api_http: httpx.Client, issuer: LocalIssuer
) -> None:
    token = FORGERIES[name](issuer)
    response = api_http.post(
        "/graphql", json={"query": VIEWER_QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401, (name, response.text)
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer null", "Basic dXNlcjpwYXNz", "TOKEN_WITHOUT_SCHEME"],
    ids=["absent", "empty", "bearer-only", "bearer-null", "basic", "no-bearer-prefix"],
)
def test_missing_or_malformed_authorization_header_is_rejected(
    authorization: str | None, api_http: httpx.Client, issuer: LocalIssuer
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    if authorization == "TOKEN_WITHOUT_SCHEME":
        headers = {"Authorization": issuer.mint(sub="user_ok")}
    response = api_http.post("/graphql", json={"query": VIEWER_QUERY}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")


def test_valid_token_is_accepted(api_http: httpx.Client, issuer: LocalIssuer) -> None:
    token = issuer.mint(sub="user_valid", azp="http://127.0.0.1:5173")
    response = api_http.post(
        "/graphql", json={"query": VIEWER_QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["id"]


def test_token_within_leeway_is_accepted(api_http: httpx.Client, issuer: LocalIssuer) -> None:
    claims = {**issuer.claims(sub="user_leeway", azp="http://127.0.0.1:5173"), "nbf": int(time.time()) + 2}
    response = api_http.post(
        "/graphql", json={"query": VIEWER_QUERY}, headers={"Authorization": f"Bearer {issuer.sign(claims)}"}
    )
    assert response.status_code == 200, response.text


def test_unknown_kids_do_not_hammer_the_jwks(api_http: httpx.Client, issuer: LocalIssuer) -> None:
    api_http.post(
        "/graphql",
        json={"query": VIEWER_QUERY},
        headers={"Authorization": f"Bearer {issuer.mint(sub='user_warm')}"},
    )
    before = issuer.jwks_requests
    for i in range(10):
        token = issuer.sign(issuer.claims(sub="user_forged"), headers={"kid": f"random-{i}"})
        response = api_http.post(
            "/graphql", json={"query": VIEWER_QUERY}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
    # Ten unknown kids may cause at most one refetch (none if the last fetch is inside the cooldown).
    assert issuer.jwks_requests - before <= 1
