"""services/backends.py and services/environment.py in-process, without synthesizing: which URL or
origin each backend hands the stack, which load balancers it creates, and in which order (the order the
stack always created them in, on which the byte-identical templates of issue 15 rest)."""

from dataclasses import dataclass

# foundry_infra.app silences jsii's Node end-of-life banner before aws_cdk is first imported.
import foundry_infra.app  # noqa: F401
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudfront_origins as origins
from foundry_contract import UNSET_AUTHORIZED_PARTY, Service
from foundry_infra.config import load_config
from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import Buckets
from foundry_infra.data.database import Database
from foundry_infra.data.secrets import AppSecrets
from foundry_infra.network import endpoints
from foundry_infra.network.security_groups import ServiceSecurityGroups
from foundry_infra.network.vpc import Network
from foundry_infra.security.keys import Keys
from foundry_infra.services.apprunner import AppRunnerService
from foundry_infra.services.backends import APP_RUNNER_TASKS, ServiceBackends
from foundry_infra.services.ecs import ECS_TASKS, HTTP_PORT, FargateWebService, OriginLoadBalancer
from foundry_infra.services.environment import (
    ai_environment,
    api_environment,
    web_environment,
)
from foundry_infra.services.gpu import VLLM_PORT
from foundry_infra.services.registry import ImportedRegistry
from foundry_infra.services.roles import ServiceRoles, service_roles

DOMAIN = (
    "edge.domain_name=app.example.com",
    "edge.hosted_zone_id=Z0123456789",
    "edge.hosted_zone_name=example.com",
)
ALL_ECS = ("services.web.compute=ecs", "services.api.compute=ecs", "services.ai.compute=ecs")


@dataclass
class Built:
    config: EnvironmentConfig
    stack: Stack
    backends: ServiceBackends
    roles: ServiceRoles
    secrets: AppSecrets
    database: Database
    buckets: Buckets

    def child_ids(self) -> list[str]:
        return [child.node.id for child in self.stack.node.children]


def build(*overrides: str) -> Built:
    """The parts of the platform stack the backends stand on, in the stack's order."""
    config = load_config(env="dev", overrides=overrides)
    stack = Stack(App(), "Test", env=Environment(account=config.account, region=config.region))
    keys = Keys(stack, "Keys", prefix="foundry/dev")
    network = Network(
        stack,
        "Network",
        config=config.network,
        interface_endpoints=endpoints.chosen(config),
        logs_key=keys.logs,
        log_group_prefix="/foundry/dev",
    )
    groups = ServiceSecurityGroups(stack, "SecurityGroups", vpc=network.vpc, services=config.services)
    buckets = Buckets(
        stack,
        "Buckets",
        storage_key=keys.storage,
        account=config.account,
        region=config.region,
        prefix="foundry-dev",
    )
    secrets = AppSecrets(stack, "Secrets", key=keys.secrets, prefix="foundry/dev")
    database = Database(
        stack,
        "Database",
        config=config.database,
        network=network,
        keys=keys,
        security_group=groups.database,
        prefix="foundry/dev",
        log_retention_days=config.ops.log_retention_days,
    )
    registry = ImportedRegistry(stack, "Registry", prefix="foundry/dev")
    backends = ServiceBackends(
        stack, config=config, network=network, groups=groups, registry=registry, access_logs=buckets.logs
    )
    roles = service_roles(
        stack, principal=backends.principal, keys=keys, secrets=secrets, buckets=buckets, database=database
    )
    return Built(config, stack, backends, roles, secrets, database, buckets)


def run_all(built: Built, *, vllm_url: str | None = None) -> tuple[str, object, object]:
    """ai, web and api in the stack's order; returns ai's URL, web's origin and api's endpoint."""
    b, config, secrets = built.backends, built.config, built.secrets
    ai_url = b.run_ai(
        role=built.roles.ai,
        environment=ai_environment(config=config, secrets=secrets, vllm_url=vllm_url),
        tracing=None,
    )
    web_origin = b.run_web(
        role=built.roles.web,
        environment=web_environment(config=config, secrets=secrets),
        origin_verify=secrets.origin_verify,
        assets=built.buckets.assets,
    )
    api_endpoint = b.run_api(
        role=built.roles.api,
        environment=api_environment(
            config=config, secrets=secrets, database=built.database, buckets=built.buckets, ai_url=ai_url
        ),
        tracing=None,
    )
    return ai_url, web_origin, api_endpoint


def _principal(built: Built, service: Service) -> str:
    return str(
        built.stack.resolve(built.backends.principal(service).policy_fragment.principal_json)["Service"][0]
    )


def test_on_app_runner_each_service_is_reached_by_its_own_url_and_no_load_balancer_exists() -> None:
    built = build()
    ai_url, web_origin, api_endpoint = run_all(built)
    b = built.backends
    assert b.ai_ingress is not None and ai_url == b.ai_ingress.url
    assert isinstance(web_origin, origins.HttpOrigin)
    assert isinstance(b.api, AppRunnerService) and api_endpoint == b.api.url
    assert b.internal_lb is None and b.origin_lb is None
    assert b.access_role is not None
    assert [_principal(built, s) for s in Service] == [APP_RUNNER_TASKS] * 3
    assert list(b.running) == [Service.WEB, Service.API, Service.AI]
    assert b.app_runner_services == b.services


def test_on_fargate_web_and_api_share_the_origin_load_balancer_and_ai_sits_behind_the_internal_one() -> None:
    built = build(*ALL_ECS)
    ai_url, web_origin, api_endpoint = run_all(built)
    b = built.backends
    assert b.internal_lb is not None and ai_url == b.internal_lb.url(HTTP_PORT)
    assert ai_url.startswith("http://") and b.ai_ingress is None
    assert isinstance(web_origin, origins.VpcOrigin)
    assert isinstance(api_endpoint, OriginLoadBalancer) and api_endpoint is b.origin_lb
    assert all(isinstance(service, FargateWebService) for service in b.services)
    assert b.access_role is None and b.app_runner_services == []
    assert [_principal(built, s) for s in Service] == [ECS_TASKS] * 3
    # Each load balancer just before the first service behind it: where the stack always made them.
    ids = built.child_ids()
    order = ["InternalLb", "AiLogs", "AiTasks", "OriginLb", "WebLogs", "WebTasks", "ApiLogs", "ApiTasks"]
    assert [i for i in ids if i in order] == order


def test_mixed_backends_route_only_the_service_on_fargate_through_the_origin_load_balancer() -> None:
    built = build("services.api.compute=ecs")
    _, web_origin, api_endpoint = run_all(built)
    b = built.backends
    assert isinstance(web_origin, origins.HttpOrigin)
    assert api_endpoint is b.origin_lb is not None
    assert b.internal_lb is None
    assert [_principal(built, s) for s in (Service.WEB, Service.API, Service.AI)] == [
        APP_RUNNER_TASKS,
        ECS_TASKS,
        APP_RUNNER_TASKS,
    ]
    assert [service.name for service in b.app_runner_services] == ["foundry-dev-web", "foundry-dev-ai"]


def test_the_assets_bucket_serves_web_and_no_web_service_runs() -> None:
    built = build("edge.web_origin=s3")
    _, web_origin, _ = run_all(built)
    assert isinstance(web_origin, origins.S3BucketOrigin)
    assert list(built.backends.running) == [Service.API, Service.AI]
    assert not {"Web", "WebTasks"} & set(built.child_ids())


def test_the_gpu_path_puts_vllm_on_the_internal_load_balancer_created_before_it() -> None:
    built = build("gpu.enabled=true")
    vllm_url = built.backends.add_gpu(api_key=built.secrets.ai_provider_key)
    internal_lb = built.backends.internal_lb
    assert internal_lb is not None and vllm_url == internal_lb.url(VLLM_PORT)
    assert vllm_url.endswith(f":{VLLM_PORT}")
    run_all(built, vllm_url=vllm_url)
    ids = built.child_ids()
    assert ids.index("InternalLb") < ids.index("Gpu") < ids.index("Ai") < ids.index("AiIngress")
    gpu = built.backends.gpu
    assert gpu is not None and built.backends.gpu_security_groups == [gpu.instance_security_group]


def test_ai_calls_vllm_with_the_gpu_model_or_else_the_configured_provider() -> None:
    built = build("gpu.enabled=true")
    config, secrets = built.config, built.secrets
    provider = ai_environment(config=config, secrets=secrets, vllm_url=None).plain
    assert (provider["AI_UPSTREAM_BASE_URL"], provider["AI_UPSTREAM_MODEL"]) == (
        config.ai.base_url,
        config.ai.model,
    )
    vllm = ai_environment(config=config, secrets=secrets, vllm_url="http://lb:8000").plain
    assert (vllm["AI_UPSTREAM_BASE_URL"], vllm["AI_UPSTREAM_MODEL"]) == (
        "http://lb:8000/v1",
        config.gpu.model,
    )


@pytest.mark.parametrize(
    ("overrides", "parties"),
    [
        ((), UNSET_AUTHORIZED_PARTY),
        (DOMAIN, "https://app.example.com"),
        (
            (*DOMAIN, 'auth.authorized_parties=["https://a.example","https://b.example"]'),
            "https://a.example,https://b.example",
        ),
    ],
)
def test_api_accepts_the_configured_parties_else_the_custom_domain_else_no_token(
    overrides: tuple[str, ...], parties: str
) -> None:
    built = build(*overrides)
    environment = api_environment(
        config=built.config,
        secrets=built.secrets,
        database=built.database,
        buckets=built.buckets,
        ai_url="https://ai",
    )
    assert environment.plain["CLERK_AUTHORIZED_PARTIES"] == parties
    assert environment.plain["AI_SERVICE_URL"] == "https://ai"
