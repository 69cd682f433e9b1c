"""A local stand-in for Clerk's session-token issuer.

Generates an RSA key pair at run time (never committed), serves the public half as a JWKS over
HTTP on 127.0.0.1 and mints Clerk-shaped session tokens (sub, sid, iss, azp, exp, iat, nbf). The
api verifies these exactly as it verifies Clerk's, so tests and the twin exercise the real path.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from foundry_twin.serving import BackgroundService, BackgroundSocketServer

JWKS_PATH = "/.well-known/jwks.json"


USER_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TOKEN_PATH = "/token"  # noqa: S105 - a URL path, not a secret
DEV_TOKEN_LIFETIME = 600


class LocalIssuer(BackgroundService):
    def __init__(
        self,
        *,
        issuer: str | None = None,
        default_azp: str = "http://127.0.0.1:8080",
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> None:
        self.private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # A key loaded from disk keeps its kid across restarts, so tokens minted by `foundry token`
        # stay valid while the twin restarts.
        self.kid = (
            f"local-{_thumbprint(self.private_key)[:12]}" if private_key else f"local-{secrets.token_hex(6)}"
        )
        self.default_azp = default_azp
        self._issuer = issuer
        self._server: BackgroundSocketServer | None = None
        self._lock = threading.Lock()
        self.jwks_requests = 0

    @classmethod
    def from_key_file(cls, path: Path, *, issuer: str | None = None, default_azp: str) -> LocalIssuer:
        """Load the twin's signing key, creating it (mode 0600) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return cls(issuer=issuer, default_azp=default_azp, private_key=loaded)

    def mint_for_user(self, name: str, *, lifetime: int = DEV_TOKEN_LIFETIME) -> tuple[str, int]:
        """A dev sign-in token for a user name; the same name always maps to the same `sub`."""
        if not USER_NAME.match(name):
            raise ValueError("user names are 1-64 letters, digits, '.', '_' or '-'")
        claims = self.claims(sub=f"user_{name}", lifetime=lifetime)
        return self.sign(claims), int(claims["exp"])

    # -- keys

    @property
    def public_key_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    # -- HTTP

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalIssuer is not started")
        return self._server.url

    @property
    def issuer(self) -> str:
        return self._issuer or self.url

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    def start(self, *, port: int = 0) -> Self:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != JWKS_PATH:
                    self.send_error(404)
                    return
                with issuer._lock:
                    issuer.jwks_requests += 1
                body = json.dumps(issuer.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                if self.path != TOKEN_PATH:
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    if length > 4096:
                        raise ValueError("request too large")
                    payload = json.loads(self.rfile.read(length) or b"{}")
                    token, expires_at = issuer.mint_for_user(str(payload.get("user", "")))
                except (ValueError, AttributeError) as error:
                    self._json(400, {"error": str(error)})
                    return
                self._json(200, {"token": token, "expires_at": expires_at})

            def _json(self, status: int, document: dict[str, Any]) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = BackgroundSocketServer(Handler, name="local-issuer", port=port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    # -- tokens

    def claims(
        self, *, sub: str, sid: str | None = None, azp: str | None = None, lifetime: int = 60
    ) -> dict[str, Any]:
        """Clerk's session-token claims; tests remove or alter entries to forge bad tokens."""
        now = int(time.time())
        return {
            "sub": sub,
            "sid": sid or f"sess_{secrets.token_hex(8)}",
            "iss": self.issuer,
            "azp": azp or self.default_azp,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
            "v": 2,
        }

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})}
        )

    def mint(self, *, sub: str, sid: str | None = None, azp: str | None = None, lifetime: int = 60) -> str:
        return self.sign(self.claims(sub=sub, sid=sid, azp=azp, lifetime=lifetime))


def _thumbprint(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(public).digest()).decode().rstrip("=").lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local twin's Clerk-shaped token issuer.")
    parser.add_argument("--key-file", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--azp", required=True, help="origin put in `azp` (the site's origin)")
    args = parser.parse_args(argv)
    issuer = LocalIssuer.from_key_file(args.key_file, default_azp=args.azp)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    issuer.start(port=args.port)
    try:
        print(f"issuer listening on {issuer.url} (JWKS {issuer.jwks_url})", flush=True)
        stop.wait()
    finally:
        issuer.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
