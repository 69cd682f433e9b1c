"""Issue 18: which interface endpoints an environment creates, and who calls each one.

The table below is the one place that says it: the VPC (network/vpc.py) creates what `chosen` returns,
`foundry verify` (interface-endpoints check) holds the template to it and reports each departure from
the spec's list as a DEVIATION with the reason here, and `foundry cost` names the callers in its advice.
Plain Python, no CDK: the tools import it without synthesizing.

What the table rests on, as AWS documents it:
- App Runner pulls the image with the service's access role, resolves RuntimeEnvironmentSecrets when an
  instance starts and ships the application's logs itself, from its own service VPC. The VPC connector
  carries only the traffic the application starts. So on App Runner only the app's own SDK calls need
  an endpoint, and ours make none through one: api's S3 calls (head_object, get_object) take the S3
  gateway, its presigned URLs and RDS IAM tokens are signed locally (no call); ai calls no AWS API.
  https://docs.aws.amazon.com/apprunner/latest/dg/network-vpc.html ·
  https://aws.amazon.com/blogs/containers/deep-dive-on-aws-app-runner-vpc-networking/ ·
  https://docs.aws.amazon.com/apprunner/latest/dg/env-variable.html ·
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html ·
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html
- ECS tasks on Fargate (platform 1.4.0+) pull the image (ecr.api for the token, ecr.dkr for the
  manifest, S3 for the layers), fetch the secrets in their task definition and write awslogs through
  the task's own interface: through interface endpoints, or the NAT where there are none.
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html ·
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html ·
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html ·
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
- No workload calls STS: ECS tasks get their role's credentials from the agent's credential endpoint,
  App Runner and Lambda inject them, EC2 instances read them from the instance metadata.
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html ·
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html#instance-metadata-security-credentials
- A private App Runner service answers only through an `apprunner.requests` interface endpoint and its
  VPC ingress connection; a NAT cannot replace it.
  https://docs.aws.amazon.com/apprunner/latest/dg/network-pl.html

The rule: by default an endpoint exists when a caller that runs around the clock (a service, the GPU
instances) uses it on this environment's backends. One-off callers (the migration task, a few runs a
month; the rotation function, once a month) go through the NAT, whose per-GB fee on their few MB is
cents against an endpoint's $7.30 per AZ-month; `network.endpoints_for_occasional_callers` gives them
endpoints too (prod sets it: the spec keeps AWS API traffic off the NAT). `network.interface_endpoints`
set explicitly replaces the choice.
"""

from collections.abc import Callable
from dataclasses import dataclass

from foundry_infra.config.model import EnvironmentConfig, InterfaceEndpoint

# Spec §2 ("Interface Endpoints for Secrets Manager/STS/ECR API") and §3.2 ("Secrets Manager/Logs/ECR
# via Interface Endpoints"): the list the spec draws, in the data subnets.
SPEC_ENDPOINTS: tuple[InterfaceEndpoint, ...] = ("secretsmanager", "ecr.api", "ecr.dkr", "logs", "sts")
APPRUNNER_REQUESTS = "apprunner.requests"

_ECR = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"
_ECS_SECRETS = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html"
)
_AWSLOGS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"
_ECS_EC2 = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html"
_ROTATION = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-secrets-manager-vpc.html"
_PRIVATE_APP_RUNNER = "https://docs.aws.amazon.com/apprunner/latest/dg/network-pl.html"
_STS_UNUSED = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html"


@dataclass(frozen=True)
class Caller:
    """One workload that calls an endpoint's service from its own network interface."""

    who: str  # "api", "migration task", ...
    backend: str  # "ECS Fargate", "App Runner", "Lambda", "ECS on EC2"
    calls: str  # what it calls the service for
    steady: bool  # runs around the clock (a service) rather than now and then (a one-off task)
    source: str  # the AWS documentation that says so
    applies: Callable[[EnvironmentConfig], bool]

    def describe(self) -> str:
        return f"{self.who} on {self.backend} ({self.calls})"


def _on_ecs(name: str) -> Callable[[EnvironmentConfig], bool]:
    def applies(config: EnvironmentConfig) -> bool:
        if name == "web" and config.edge.web_origin == "s3":
            return False  # the assets bucket serves web; no web service runs
        return bool(getattr(config.services, name).compute == "ecs")

    return applies


def _always(config: EnvironmentConfig) -> bool:
    return True


def _gpu(config: EnvironmentConfig) -> bool:
    return config.gpu.enabled


def _ai_private_on_app_runner(config: EnvironmentConfig) -> bool:
    return config.services.ai.compute == "apprunner"


def _ecs_services(what: str, source: str) -> tuple[Caller, ...]:
    return tuple(
        Caller(name, "ECS Fargate", what, True, source, _on_ecs(name)) for name in ("web", "api", "ai")
    )


_MIGRATIONS = "migration task"
TABLE: dict[str, tuple[Caller, ...]] = {
    "ecr.api": (
        *_ecs_services("image pull: the registry's authorization token", _ECR),
        Caller(_MIGRATIONS, "ECS Fargate", "pulls the api image, per deploy", False, _ECR, _always),
    ),
    "ecr.dkr": (
        *_ecs_services("image pull: the manifest (layers come from the S3 gateway)", _ECR),
        Caller(_MIGRATIONS, "ECS Fargate", "pulls the api image, per deploy", False, _ECR, _always),
    ),
    "secretsmanager": (
        *_ecs_services("the task definition's secrets, injected at start", _ECS_SECRETS),
        Caller(_MIGRATIONS, "ECS Fargate", "DATABASE_SECRET injected at start", False, _ECS_SECRETS, _always),
        Caller("rotation function", "Lambda", "rotates the master secret monthly", False, _ROTATION, _always),
        Caller(
            "GPU instances",
            "ECS on EC2",
            "the vLLM task's API key, fetched by the agent",
            True,
            _ECS_EC2,
            _gpu,
        ),
    ),
    "logs": (
        *_ecs_services("awslogs log driver", _AWSLOGS),
        Caller(_MIGRATIONS, "ECS Fargate", "awslogs log driver, per deploy", False, _AWSLOGS, _always),
        Caller(
            "GPU instances",
            "ECS on EC2",
            "the vLLM task's awslogs, written by the agent",
            True,
            _ECS_EC2,
            _gpu,
        ),
    ),
    "sts": (),
    APPRUNNER_REQUESTS: (
        Caller(
            "api",
            "its VPC connector",
            "the private ai service's only way in",
            True,
            _PRIVATE_APP_RUNNER,
            _ai_private_on_app_runner,
        ),
    ),
}
# Services workloads call that no profile gives an endpoint (none is in the spec's list): always
# through the NAT. The GPU instances' ECS agent polls ECS and sends telemetry
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html): three more
# endpoints per AZ for one optional path. api's and ai's roles may send X-Ray traces (ops.tracing):
# a few KB per request, far below an endpoint's hours; so do their CloudWatch metrics on ECS (https://docs.aws.amazon.com/xray/latest/devguide/xray-security-vpc-endpoint.html).
THROUGH_NAT: dict[str, str] = {
    "ecs": "GPU instances' ECS agent registers and reports (ECS on EC2)",
    "ecs-agent": "GPU instances' ECS agent polls for tasks (ECS on EC2)",
    "ecs-telemetry": "GPU instances' ECS agent sends metrics (ECS on EC2)",
    "xray": "api's and ai's traces (ops.tracing), a few KB a request",
    "monitoring": "the services' own CloudWatch metrics on ECS (cloudwatch:PutMetricData)",
    # Read once per task start by the ECS agent (the `secrets` of the collector sidecar):
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html
    "ssm": "the ADOT collector sidecar's config on ECS (an SSM parameter, read at task start)",
}
# Why a spec endpoint has no caller at all.
NO_CALLER: dict[str, str] = {
    "sts": f"no workload calls STS: task, instance and function roles get credentials without it ({_STS_UNUSED})",
}


def callers(config: EnvironmentConfig, service: str) -> list[Caller]:
    """The callers of an endpoint's service on this environment's backends."""
    return [caller for caller in TABLE.get(service, ()) if caller.applies(config)]


def needed(config: EnvironmentConfig, service: str) -> bool:
    """By need: a steady caller uses it, or an occasional one and the profile gives those endpoints."""
    found = callers(config, service)
    return any(c.steady for c in found) or (bool(found) and config.network.endpoints_for_occasional_callers)


def chosen(config: EnvironmentConfig) -> tuple[InterfaceEndpoint, ...]:
    """The interface endpoints network/vpc.py creates in the data subnets (apprunner.requests is the
    private ai service's own, created beside it: see `needs_apprunner_requests`)."""
    if config.network.interface_endpoints is not None:
        return config.network.interface_endpoints
    return tuple(service for service in SPEC_ENDPOINTS if needed(config, service))


def needs_apprunner_requests(config: EnvironmentConfig) -> bool:
    return bool(callers(config, APPRUNNER_REQUESTS))


def reason(config: EnvironmentConfig, service: str) -> str:
    """Why an endpoint exists or not on this environment, in one line (verify's evidence, cost's advice)."""
    found = callers(config, service)
    if config.network.interface_endpoints is not None and service in SPEC_ENDPOINTS:
        state = "set" if service in config.network.interface_endpoints else "left out"
        return f"{service}: {state} by network.interface_endpoints (the profile's own list)"
    if not found:
        return f"{service}: {NO_CALLER.get(service, 'no caller on these backends')}"
    who = "; ".join(c.describe() for c in found)
    if needed(config, service):
        return f"{service}: called by {who} ({found[0].source})"
    return (
        f"{service}: only occasional callers ({who}), which go through the NAT: cents a month against "
        f"the endpoint's hours; network.endpoints_for_occasional_callers=true gives them one ({found[0].source})"
    )


def deviations(config: EnvironmentConfig) -> list[str]:
    """The spec's endpoints this environment leaves out, each with its reason."""
    created = chosen(config)
    return [reason(config, service) for service in SPEC_ENDPOINTS if service not in created]
