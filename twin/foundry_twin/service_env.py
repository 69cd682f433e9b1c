"""The environment the api and ai run with on 127.0.0.1: one builder for `foundry up` (parts.py) and
the fault stack (faults/stack.py), so both run the services the same way.

Names are the contract's (foundry_contract.env); the values are the twin's stand-ins: the api's own
database role logs in with a password file (the twin has no IAM), the S3 emulator's key without
s3:ListBucket plays the api's role, and the local issuer plays Clerk.
"""

from pathlib import Path

from foundry_twin.db_login import api_login_env
from foundry_twin.issuer import JWKS_PATH
from foundry_twin.state import LOCAL_REGION, UPLOADS_BUCKET

HOST = "127.0.0.1"


def _serving(*, port: int, log_level: str) -> dict[str, str]:
    """How either service serves locally: FOUNDRY_ENV=local, on loopback only."""
    return {"FOUNDRY_ENV": "local", "HOST": HOST, "PORT": str(port), "LOG_LEVEL": log_level}


def api_env(
    *,
    port: int,
    postgres_port: int,
    database: str,
    password_file: Path,
    s3_url: str,
    s3_api_keys: tuple[str, str],
    issuer_url: str,
    site: str,
    origin_verify_secret: str,
    ai_url: str,
    internal_api_key: str,
    log_level: str = "INFO",
) -> dict[str, str]:
    return {
        **_serving(port=port, log_level=log_level),
        # Its own role, not the owner: migrations ran as the owner before it started.
        **api_login_env(host=HOST, port=postgres_port, database=database, password_file=password_file),
        "UPLOADS_BUCKET": UPLOADS_BUCKET,
        "UPLOADS_BUCKET_REGION": LOCAL_REGION,
        "S3_ENDPOINT_URL": s3_url,
        # The api's key has no list right, as its role in AWS: a missing object is a 403.
        "AWS_ACCESS_KEY_ID": s3_api_keys[0],
        "AWS_SECRET_ACCESS_KEY": s3_api_keys[1],
        "CLERK_JWKS_URL": issuer_url + JWKS_PATH,
        "CLERK_ISSUER": issuer_url,
        "CLERK_AUTHORIZED_PARTIES": site,
        "ORIGIN_VERIFY_SECRET": origin_verify_secret,
        "AI_SERVICE_URL": ai_url,
        "AI_INTERNAL_API_KEY": internal_api_key,
        # Query text as well as the web app's documents: GraphiQL and curl work against the twin.
        "GRAPHQL_DOCUMENTS": "any",
    }


def ai_env(
    *,
    port: int,
    internal_api_key: str,
    upstream_base_url: str,
    upstream_model: str,
    upstream_api_key: str,
    log_level: str = "INFO",
) -> dict[str, str]:
    return {
        **_serving(port=port, log_level=log_level),
        "AI_INTERNAL_API_KEY": internal_api_key,
        "AI_UPSTREAM_BASE_URL": upstream_base_url,
        "AI_UPSTREAM_MODEL": upstream_model,
        "AI_UPSTREAM_API_KEY": upstream_api_key,
    }
