"""The api's and ai's local environment speaks the contract: every variable it sets is one the service
declares (foundry_contract.env), so a renamed variable fails here, not in a running twin."""

from pathlib import Path

from foundry_contract.env import Service, env_vars_for
from foundry_twin.service_env import ai_env, api_env


def _declared(service: Service) -> set[str]:
    return {var.name for var in env_vars_for(service, include_local_only=True)}


def _api() -> dict[str, str]:
    return api_env(
        port=8000,
        postgres_port=5432,
        database="foundry",
        password_file=Path("/run/db-api-password"),
        s3_url="http://127.0.0.1:9000",
        s3_api_keys=("api-key", "api-secret"),
        issuer_url="http://127.0.0.1:9100",
        site="http://127.0.0.1:8080",
        origin_verify_secret="origin",
        ai_url="http://127.0.0.1:8090",
        internal_api_key="internal",
    )


def _ai() -> dict[str, str]:
    return ai_env(
        port=8090,
        internal_api_key="internal",
        upstream_base_url="http://127.0.0.1:8091/v1",
        upstream_model="m",
        upstream_api_key="k",
    )


# boto3 reads these itself; the platform gives the api a role instead.
AWS_SDK = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_every_api_variable_is_declared_by_the_api() -> None:
    assert set(_api()) - AWS_SDK - _declared(Service.API) == set()
    assert _api()["CLERK_JWKS_URL"] == "http://127.0.0.1:9100/.well-known/jwks.json"


def test_every_ai_variable_is_declared_by_ai() -> None:
    assert set(_ai()) - _declared(Service.AI) == set()


def test_an_undeclared_variable_is_found() -> None:
    # The checker shown to fail: ai's variables are not the api's.
    assert set(_ai()) - _declared(Service.API) != set()
