"""The api's and ai's local environment speaks the contract: every variable it sets is one the service
declares (foundry_contract.env), so a renamed variable fails here, not in a running twin."""

from pathlib import Path

from foundry_contract.env import Service, env_vars_for
from foundry_twin.service_env import ai_env, api_env, tracing_env


def _declared(service: Service) -> set[str]:
    return {var.name for var in env_vars_for(service, include_local_only=True)}


TRACES = "http://127.0.0.1:6006"


def _api(*, traces_endpoint: str | None = None, version: str = "local") -> dict[str, str]:
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
        traces_endpoint=traces_endpoint,
        version=version,
    )


def _ai(*, traces_endpoint: str | None = None, version: str = "local") -> dict[str, str]:
    return ai_env(
        port=8090,
        internal_api_key="internal",
        upstream_base_url="http://127.0.0.1:8091/v1",
        upstream_model="m",
        upstream_api_key="k",
        traces_endpoint=traces_endpoint,
        version=version,
    )


# boto3 reads these itself; the platform gives the api a role instead.
AWS_SDK = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# The OpenTelemetry SDK reads this itself (the batch processor's delay); the twin shortens it.
OTEL_SDK = {"OTEL_BSP_SCHEDULE_DELAY"}


def test_every_api_variable_is_declared_by_the_api() -> None:
    assert set(_api()) - AWS_SDK - _declared(Service.API) == set()
    assert _api()["CLERK_JWKS_URL"] == "http://127.0.0.1:9100/.well-known/jwks.json"


def test_every_ai_variable_is_declared_by_ai() -> None:
    assert set(_ai()) - _declared(Service.AI) == set()


def test_an_undeclared_variable_is_found() -> None:
    # The checker shown to fail: ai's variables are not the api's.
    assert set(_ai()) - _declared(Service.API) != set()


def test_traced_services_speak_the_contracts_otel_variables() -> None:
    api, ai = _api(traces_endpoint=TRACES, version="abc"), _ai(traces_endpoint=TRACES, version="abc")
    assert set(api) - AWS_SDK - OTEL_SDK - _declared(Service.API) == set()
    assert set(ai) - OTEL_SDK - _declared(Service.AI) == set()
    assert (api["OTEL_SERVICE_NAME"], ai["OTEL_SERVICE_NAME"]) == ("api", "ai")
    assert (
        api["OTEL_EXPORTER_OTLP_ENDPOINT"] == TRACES and api["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    )
    assert api["OTEL_TRACES_SAMPLER"] == "always_on"
    assert api["OTEL_RESOURCE_ATTRIBUTES"] == "deployment.environment=local,service.version=abc"


def test_tracing_off_sets_nothing_and_a_ratio_samples_as_prod() -> None:
    assert not any(name.startswith("OTEL_") for name in _api())
    assert tracing_env(service="edge", endpoint=None, version="v") == {}
    sampled = tracing_env(service="edge", endpoint=TRACES, version="v", sample_ratio=0.05)
    assert (sampled["OTEL_TRACES_SAMPLER"], sampled["OTEL_TRACES_SAMPLER_ARG"]) == (
        "parentbased_traceidratio",
        "0.05",
    )
