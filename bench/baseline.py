"""The bare baseline the api is compared with: Starlette + the api's own psycopg pool, no GraphQL, no
auth, serving the same SQL as the Relay page query (the viewer lookup, then one page of uploads).

It also serves `/verify`, the api's JWT verification alone (TokenVerifier with its JWKS cache), so
that cost can be measured without GraphQL or the database.

    python bench/baseline.py --port 8099 --database-url postgresql://... --issuer http://... --azp http://...
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

import httpx
import uvicorn
from foundry_api.__main__ import tune_gc
from foundry_api.core.config import Settings
from foundry_api.core.db import create_pool
from foundry_api.core.pagination import PageRequest
from foundry_api.core.security import AuthError, JwksCache, TokenVerifier
from foundry_api.uploads.repository import page_uploads
from foundry_api.users.repository import get_or_create_user
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAGE_SIZE = 20


def build_app(*, database_url: str, issuer: str, azp: str) -> Starlette:
    settings = Settings(
        foundry_env="local",
        database_url=SecretStr(database_url),
        database_sslmode="disable",
        uploads_bucket="unused",
        clerk_jwks_url=f"{issuer}/.well-known/jwks.json",
        clerk_issuer=issuer,
        clerk_authorized_parties=azp,
        ai_service_url="http://127.0.0.1:9",
        ai_internal_api_key=SecretStr("unused-by-the-baseline"),
    )
    pool = create_pool(settings)
    jwks_http = httpx.AsyncClient(timeout=5)
    verifier = TokenVerifier(
        jwks=JwksCache(url=settings.clerk_jwks_url, client=jwks_http),
        issuer=settings.clerk_issuer,
        authorized_parties=settings.authorized_parties,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=10)
        try:
            yield
        finally:
            await pool.close(timeout=5)
            await jwks_http.aclose()

    async def page(request: Request) -> Response:
        user = await get_or_create_user(pool, clerk_sub=request.query_params["sub"])
        rows = await page_uploads(pool, owner_id=user.id, page=PageRequest(limit=PAGE_SIZE, after=None))
        edges = [
            {
                "node": {
                    "id": str(r["id"]),
                    "filename": r["filename"],
                    "size": r["size"],
                    "status": r["status"],
                }
            }
            for r in rows[:PAGE_SIZE]
        ]
        return JSONResponse({"uploads": {"edges": edges, "pageInfo": {"hasNextPage": len(rows) > PAGE_SIZE}}})

    async def verify(request: Request) -> Response:
        try:
            principal = await verifier.verify_header(request.headers.get("authorization"))
        except AuthError:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"sub": principal.sub})

    return Starlette(
        routes=[
            Route("/page", page, methods=["GET", "POST"]),
            Route("/verify", verify, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--azp", required=True)
    args = parser.parse_args()
    app = build_app(database_url=args.database_url, issuer=args.issuer, azp=args.azp)
    # The same server and runtime settings as `foundry-api serve`.
    tune_gc()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, server_header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
