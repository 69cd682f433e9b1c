"""A local stand-in for Clerk's session-token issuer.

Generates an RSA key pair at run time (never committed), serves the public half as a JWKS over
HTTP on 127.0.0.1 and mints Clerk-shaped session tokens (sub, sid, iss, azp, exp, iat, nbf). The
api verifies these exactly as it verifies Clerk's, so tests and the twin exercise the real path.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

JWKS_PATH = "/.well-known/jwks.json"


class LocalIssuer:
    def __init__(self, *, issuer: str | None = None, default_azp: str = "http://127.0.0.1:8080") -> None:
        self.kid = f"local-{secrets.token_hex(6)}"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.default_azp = default_azp
        self._issuer = issuer
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.jwks_requests = 0

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
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

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

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

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
