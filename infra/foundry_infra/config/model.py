"""The typed configuration of one environment.

Every field has a type, a default and a one-line description; the README's configuration table is
generated from these models. Constructs receive the part they need as a keyword argument and never
read the process environment.
"""

from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from foundry_contract.postgres import (
    IDLE_IN_TRANSACTION_TIMEOUT_MS,
    LOG_MIN_DURATION_MS,
    STATEMENT_TIMEOUT_MS,
    server_parameters,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from foundry_infra.config.health_checks import checker_regions

EnvironmentName = Literal["dev", "staging", "prod"]
InterfaceEndpoint = Literal["secretsmanager", "ecr.api", "ecr.dkr", "logs", "sts"]
# Issue 18: the NAT kinds, the NAT instance's sizes (Graviton: the AMI is arm64) and the weekdays.
NatKind = Literal["gateway", "instance"]
NatInstanceType = Literal["t4g.nano", "t4g.micro", "t4g.small"]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
AppRunnerCpu = Literal[256, 512, 1024, 2048, 4096]
AppRunnerMemory = Literal[512, 1024, 2048, 3072, 4096, 6144, 8192, 10240, 12288]
Compute = Literal["apprunner", "ecs"]
CpuArchitecture = Literal["arm64", "x86_64"]
GpuInstanceType = Literal["g5.xlarge", "g5.2xlarge", "g6.xlarge", "g6.2xlarge", "g6e.xlarge", "g6e.2xlarge"]
PriceClass = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_ZONE_NAME = "foundry.example"
PLACEHOLDER_ZONE_ID = "Z0PLACEHOLDER0FOUNDRY0"
# Defaults that keep synth offline but would deploy an environment nobody can use or own; the one
# list of them, with how to set each, is foundry_infra.config.placeholders.
PLACEHOLDER_CLERK_ISSUER = "https://clerk.foundry.invalid"
PLACEHOLDER_GITHUB_REPO = "universal-ai-foundry/foundry"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class NetworkConfig(_Model):
    cidr: str = Field("10.40.0.0/16", description="VPC IPv4 range.")
    availability_zones: tuple[str, str] = Field(
        ("us-east-1a", "us-east-1b"),
        description="The two AZs, fixed so that synth needs no context lookup.",
    )
    nat_gateways: int = Field(1, ge=1, le=2, description="NAT gateways (1: single-AZ egress; 2: one per AZ).")
    # Issue 18: NAT kind and endpoints by need (foundry_infra.network.endpoints holds the table).
    nat: NatKind = Field(
        "gateway",
        description="NAT gateways (default, prod's only choice) or NAT instances (dev: a t4g.nano each).",
    )
    nat_instance_type: NatInstanceType = Field(
        "t4g.nano", description="Size of a NAT instance (nat=instance)."
    )
    interface_endpoints: tuple[InterfaceEndpoint, ...] | None = Field(
        None,
        description="Interface endpoints in the data subnets (each costs per AZ-hour); none = by need of the backends.",
    )
    endpoints_for_occasional_callers: bool = Field(
        False,
        description="By need, also give one-off callers (migration task, rotation) endpoints instead of the NAT.",
    )
    interface_endpoint_azs: int = Field(2, ge=1, le=2, description="AZs that get an endpoint ENI.")
    flow_log_retention_days: int = Field(30, ge=1, description="Retention of the VPC flow-log group.")


class DatabaseConfig(_Model):
    instance_class: str = Field("t4g.micro", description="RDS instance class without the 'db.' prefix.")
    engine_version: str = Field("17.6", description="PostgreSQL version (16.x or 17.x).")
    multi_az: bool = Field(False, description="Standby in the second AZ.")
    allocated_storage_gib: int = Field(20, ge=20, description="Initial gp3 storage.")
    max_allocated_storage_gib: int = Field(100, ge=20, description="Storage autoscaling ceiling.")
    backup_retention_days: int = Field(7, ge=7, le=35, description="Automated backups and PITR window.")
    weekly_snapshot_retention_days: int = Field(35, ge=7, description="AWS Backup weekly snapshot retention.")
    deletion_protection: bool = Field(False, description="Refuse deletion of the instance.")
    proxy: bool = Field(False, description="Put RDS Proxy between the services and the database.")
    allow_from_ai: bool = Field(False, description="Also admit the ai service to the database (spec §4).")
    max_connections: int | None = Field(None, ge=20, description="Override; default sized to the class.")
    statement_timeout_ms: int = Field(
        STATEMENT_TIMEOUT_MS, ge=0, description="Server-side statement_timeout."
    )
    idle_in_transaction_timeout_ms: int = Field(
        IDLE_IN_TRANSACTION_TIMEOUT_MS, ge=0, description="Kill idle-in-transaction sessions."
    )
    log_min_duration_ms: int = Field(
        LOG_MIN_DURATION_MS, ge=-1, description="Log statements slower than this."
    )
    migrations_image_tag: str | None = Field(
        None, description="api image the migration runner uses; default services.api.image_tag."
    )

    def server_parameters(self) -> dict[str, str]:
        """What the parameter group sets and the twin's Postgres runs with (foundry_contract.postgres)."""
        return server_parameters(
            statement_timeout_ms=self.statement_timeout_ms,
            idle_in_transaction_timeout_ms=self.idle_in_transaction_timeout_ms,
            log_min_duration_ms=self.log_min_duration_ms,
        )

    @field_validator("engine_version")
    @classmethod
    def _supported_major(cls, value: str) -> str:
        major = value.split(".")[0]
        if major not in {"16", "17"} or len(value.split(".")) != 2:
            raise ValueError(f"use a PostgreSQL 16.x or 17.x version such as 17.6, not {value!r}")
        return value

    @model_validator(mode="after")
    def _storage_ceiling_above_floor(self) -> "DatabaseConfig":
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("max_allocated_storage_gib must be at least allocated_storage_gib")
        return self


# The CPU/memory pairs each backend accepts (MiB per CPU units); the two differ, so a profile that moves
# a service between backends is checked against the one it moves to.
APP_RUNNER_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024),
    512: (1024,),
    1024: (2048, 3072, 4096),
    2048: (4096,),
    4096: (8192, 10240, 12288),
}
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
SIZES: dict[Compute, dict[int, tuple[int, ...]]] = {"apprunner": APP_RUNNER_SIZES, "ecs": FARGATE_SIZES}

# CloudFront's origin-facing managed prefix list (com.amazonaws.global.cloudfront.origin-facing) has a
# different id in each region. Synth never looks it up; check a region's with
# `aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`.
CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS: dict[str, str] = {
    "us-east-1": "pl-3b927c52",
    "us-east-2": "pl-b6a144df",
    "us-west-1": "pl-4ea04527",
    "us-west-2": "pl-82a045eb",
    "eu-west-1": "pl-4fa04526",
    "eu-west-2": "pl-93a247fa",
    "eu-central-1": "pl-a3a144ca",
    "ap-southeast-1": "pl-31a34658",
    "ap-southeast-2": "pl-b8a742d1",
    "ap-northeast-1": "pl-58a04531",
}


class ServiceConfig(_Model):
    compute: Compute = Field("apprunner", description="Compute backend: App Runner (spec) or ECS Fargate.")
    cpu: AppRunnerCpu = Field(1024, description="CPU units (1024 = 1 vCPU).")
    memory: AppRunnerMemory = Field(2048, description="Memory in MiB.")
    min_instances: int = Field(1, ge=1, le=25, description="Instances kept provisioned.")
    max_instances: int = Field(2, ge=1, le=25, description="Scaling ceiling.")
    concurrency: int = Field(80, ge=1, le=200, description="Requests per instance before scaling out.")
    image_tag: str = Field(
        "initial", min_length=1, description="Image tag deployed (the pipeline sets the git SHA)."
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> "ServiceConfig":
        if self.min_instances > self.max_instances:
            raise ValueError("min_instances must not exceed max_instances")
        return self

    @model_validator(mode="after")
    def _size_fits_backend(self) -> "ServiceConfig":
        allowed = [size for size in SIZES[self.compute][self.cpu] if size in get_args(AppRunnerMemory)]
        if self.memory not in allowed:
            backend = "App Runner" if self.compute == "apprunner" else "Fargate"
            raise ValueError(
                f"memory={self.memory} does not fit cpu={self.cpu} on {backend} (compute={self.compute}); "
                f"memory must be one of {', '.join(map(str, allowed))}"
            )
        return self

    @property
    def requests_per_target_per_minute(self) -> int:
        """The ALB RequestCountPerTarget that ECS scales on, from `concurrency`: a target that serves
        `concurrency` requests at once at about a second each answers 60 × concurrency a minute. Faster
        requests reach that rate at a lower concurrency, so the estimate scales out early, not late."""
        return 60 * self.concurrency


class ServicesConfig(_Model):
    web: ServiceConfig = Field(
        ServiceConfig(cpu=256, memory=512, concurrency=200), description="Static React build."
    )
    api: ServiceConfig = Field(ServiceConfig(), description="GraphQL api.")
    ai: ServiceConfig = Field(ServiceConfig(cpu=512, memory=1024), description="Private ai service.")
    ecr_keep_images: int = Field(20, ge=1, description="Images kept per ECR repository.")
    ecr_registry_scanning: bool = Field(
        True,
        description="Own the account-region ECR enhanced-scanning configuration (one environment per account).",
    )
    ecs_cpu_architecture: CpuArchitecture = Field(
        "arm64",
        description="CPU of every Fargate task, services and migration runner (the workflow builds amd64 and arm64; arm64 costs 20% less).",
    )
    fargate_spot: bool = Field(
        False, description="Run ECS services on Fargate Spot (interruptible, about 70% cheaper)."
    )
    ecs_cpu_target_percent: int = Field(
        60, ge=10, le=90, description="Average CPU that ECS target tracking keeps each service at."
    )

    def on(self, compute: Compute) -> list[str]:
        """The names of the services that run on a backend."""
        return [name for name in ("web", "api", "ai") if getattr(self, name).compute == compute]


class GpuConfig(_Model):
    enabled: bool = Field(
        False, description="Serve a model with vLLM on ECS GPU instances (spec §9); ai calls it."
    )
    instance_type: GpuInstanceType = Field("g6.xlarge", description="GPU instance type (g6: L4, g5: A10G).")
    min_instances: int = Field(1, ge=0, le=10, description="GPU instances kept running (0: scale to zero).")
    max_instances: int = Field(1, ge=1, le=10, description="GPU instances at most (one vLLM task each).")
    spot: bool = Field(False, description="Spot instances with capacity rebalancing (stateless inference).")
    model: str = Field(
        "Qwen/Qwen2.5-7B-Instruct", min_length=1, description="Model vLLM serves (Hugging Face id)."
    )
    image: str = Field("vllm/vllm-openai:v0.33.0", description="vLLM OpenAI-compatible server image.")
    max_model_len: int = Field(8192, ge=512, description="vLLM --max-model-len (context window).")
    root_volume_gib: int = Field(
        200, ge=100, description="Instance disk: image layers plus the model cache volume."
    )
    nlb: bool = Field(False, description="Add an internal NLB (TCP) in front of vLLM, e.g. for gRPC.")
    requests_per_minute: int = Field(
        120, ge=1, description="Requests per vLLM task a minute that ECS scales out at (min..max instances)."
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> "GpuConfig":
        if self.min_instances > self.max_instances:
            raise ValueError("min_instances must not exceed max_instances")
        return self


class EdgeConfig(_Model):
    domain_name: str | None = Field(
        None, description="Custom domain; without it CloudFront's domain is used."
    )
    hosted_zone_id: str | None = Field(None, description="Route 53 public zone for domain_name.")
    hosted_zone_name: str | None = Field(None, description="Name of that zone.")
    web_origin: Literal["s3", "apprunner"] = Field(
        "apprunner",
        description="Serve web from App Runner (spec §3.1) or from the assets bucket through OAC.",
    )
    price_class: PriceClass = Field("PriceClass_100", description="CloudFront price class.")
    geo_allowlist: tuple[str, ...] = Field((), description="ISO country codes allowed; empty = everywhere.")
    origin_facing_prefix_list_id: Annotated[str, Field(pattern=r"^pl-[0-9a-f]+$")] | None = Field(
        None,
        description="CloudFront origin-facing prefix list the ECS load balancer admits; none = the region's known id.",
    )

    @model_validator(mode="after")
    def _zone_with_domain(self) -> "EdgeConfig":
        if self.domain_name and not (self.hosted_zone_id and self.hosted_zone_name):
            raise ValueError("domain_name needs hosted_zone_id and hosted_zone_name")
        return self


class AuthConfig(_Model):
    clerk_issuer: str = Field(
        PLACEHOLDER_CLERK_ISSUER,
        description="Clerk Frontend API URL: the tokens' `iss`; JWKS is read below it.",
    )
    authorized_parties: tuple[str, ...] = Field(
        (), description="Origins accepted in `azp`; empty = the site's own origin."
    )


class GraphqlConfig(_Model):
    documents: Literal["trusted", "any"] = Field(
        "trusted",
        description="Documents api runs: trusted (the web app's manifest, by id) or any (query text too; dev only).",
    )


class AiUpstreamConfig(_Model):
    base_url: str = Field(
        "https://api.openai.com/v1", description="OpenAI-compatible base URL ai calls via NAT."
    )
    model: str = Field("gpt-4o-mini", description="Model name sent upstream.")


class WafConfig(_Model):
    rate_limit: int = Field(2000, ge=10, description="Requests per IP per 5 minutes before blocking.")
    block_introspection: bool = Field(False, description="Block __schema/__type in /graphql bodies.")


class OpsConfig(_Model):
    alarm_email: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="E-mail subscribed to the alarm topics and the budget; none = no subscription.",
    )
    monthly_budget_usd: int = Field(300, ge=1, description="AWS Budgets monthly limit.")
    budget: bool = Field(True, description="Create this environment's monthly budget (filtered by its tag).")
    cost_anomaly_monitor: bool = Field(
        True, description="Own the account's Cost Anomaly Detection monitor (one environment per account)."
    )
    cost_anomaly_usd: int = Field(50, ge=1, description="Anomaly impact (USD) that notifies.")
    log_retention_days: int = Field(30, ge=1, description="Service log retention.")
    tracing: bool = Field(
        True, description="OpenTelemetry traces from api and ai to X-Ray (settings under tracing.*)."
    )
    api_5xx_percent: float = Field(5.0, gt=0, le=100, description="API 5xx share of requests that alarms.")
    ai_upstream_error_percent: float = Field(
        20.0, gt=0, le=100, description="AI upstream error share of attempts that alarms."
    )
    cloudfront_5xx_percent: float = Field(5.0, gt=0, le=100, description="CloudFront 5xx error rate alarm.")
    rds_cpu_percent: int = Field(80, ge=1, le=100, description="RDS CPU that alarms (spec §10: 80).")
    rds_connections_percent: int = Field(
        80, ge=1, le=100, description="Connections, as a share of max_connections, that alarm."
    )
    nat_egress_band_stddev: float = Field(
        3.0, gt=0, description="Width of the NAT BytesOutToDestination anomaly band (standard deviations)."
    )
    waf_blocked_per_5min: int = Field(
        1000, ge=1, description="WAF blocked requests per 5 minutes that alarm."
    )
    health_check: bool = Field(True, description="Route 53 health check on the site's /api/healthz.")


# -- tracing (issue 17): how much of the traffic api and ai trace, by environment.
# The ADOT collector image the ECS sidecar runs, pinned by tag (a multi-arch image: arm64 and amd64).
ADOT_COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"


class TracingConfig(_Model):
    sample_ratio: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of new traces kept: the parent-based ratio sampler on App Runner, the tail sampler's probabilistic share on ECS.",
    )
    slow_request_ms: int = Field(
        1000,
        ge=1,
        description="Traces slower than this are always kept by the ECS collector and gathered in the X-Ray slow-traces group.",
    )
    collector_image: Annotated[str, Field(pattern=r"^[^\s:]+:v?\d+\.\d+\.\d+$")] = Field(
        ADOT_COLLECTOR_IMAGE, description="ADOT collector image of the ECS sidecar, pinned by version tag."
    )


# GitHub's OIDC `sub` claim is matched with StringEquals: only literal names, never patterns.
_GITHUB_NAME = r"^[A-Za-z0-9_.-]+$"


class DeliveryConfig(_Model):
    github_repo: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")] = Field(
        PLACEHOLDER_GITHUB_REPO,
        description="owner/name allowed to deploy through GitHub OIDC (literal: no * or patterns).",
    )
    github_environment: Annotated[str, Field(pattern=_GITHUB_NAME)] | None = Field(
        "dev", description="GitHub environment the deploy job runs in (the trusted `sub`)."
    )
    github_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9_./-]+$")] | None = Field(
        None, description="Trust this branch instead, when github_environment is empty."
    )
    create_oidc_provider: bool = Field(
        True, description="Create the account's GitHub OIDC provider (else import it; one per account)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> "DeliveryConfig":
        if (self.github_environment is None) == (self.github_branch is None):
            raise ValueError("set exactly one of github_environment and github_branch")
        return self


class SleepConfig(_Model):
    """Issue 18: dev asleep outside working hours (EventBridge Scheduler; foundry_infra.services.sleep)."""

    enabled: bool = Field(
        False, description="Pause App Runner, stop RDS and scale ECS to 0 outside working hours."
    )
    timezone: str = Field("Europe/Berlin", description="IANA time zone of the working hours.")
    working_days: tuple[Weekday, ...] = Field(
        ("MON", "TUE", "WED", "THU", "FRI"), min_length=1, description="Days the environment wakes."
    )
    wake_hour: int = Field(8, ge=0, le=23, description="Hour (local) the environment wakes on a working day.")
    sleep_hour: int = Field(18, ge=1, le=23, description="Hour (local) it goes to sleep that day.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"sleep.timezone {value!r} is not an IANA time zone; use one such as Europe/Berlin or UTC"
            ) from None
        return value

    @field_validator("working_days")
    @classmethod
    def _days_once_in_order(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"sleep.working_days {list(value)} names a day twice")
        return tuple(day for day in WEEKDAYS if day in value)

    @model_validator(mode="after")
    def _wake_before_sleep(self) -> "SleepConfig":
        if self.wake_hour >= self.sleep_hour:
            raise ValueError(
                f"sleep.wake_hour ({self.wake_hour}) must be before sleep.sleep_hour ({self.sleep_hour}) "
                "on the same day"
            )
        return self

    @property
    def active_hours_per_week(self) -> int:
        return len(self.working_days) * (self.sleep_hour - self.wake_hour)


class EnvironmentConfig(_Model):
    name: EnvironmentName = Field(description="Environment name.")
    account: Annotated[str, Field(pattern=r"^\d{12}$")] = Field(
        PLACEHOLDER_ACCOUNT, description="AWS account id (placeholder keeps synth offline)."
    )
    region: str = Field("us-east-1", description="Region of the regional stack.")
    network: NetworkConfig = Field(NetworkConfig(), description="VPC.")
    database: DatabaseConfig = Field(DatabaseConfig(), description="RDS PostgreSQL.")
    services: ServicesConfig = Field(ServicesConfig(), description="Services and registries.")
    edge: EdgeConfig = Field(EdgeConfig(), description="CloudFront and DNS.")
    auth: AuthConfig = Field(AuthConfig(), description="Clerk JWT verification in api.")
    graphql: GraphqlConfig = Field(GraphqlConfig(), description="api's GraphQL endpoint (GRAPHQL_DOCUMENTS).")
    ai: AiUpstreamConfig = Field(AiUpstreamConfig(), description="The AI provider behind ai.")
    gpu: GpuConfig = Field(GpuConfig(), description="Optional GPU inference path (spec §9).")
    waf: WafConfig = Field(WafConfig(), description="Web ACL.")
    ops: OpsConfig = Field(OpsConfig(), description="Alarms and budget.")
    tracing: TracingConfig = Field(TracingConfig(), description="Trace sampling and the ECS collector.")
    delivery: DeliveryConfig = Field(DeliveryConfig(), description="CI/CD.")
    sleep: SleepConfig = Field(SleepConfig(), description="Working-hours schedule (issue 18).")

    @model_validator(mode="after")
    def _prod_never_cuts_costs_on_availability(self) -> "EnvironmentConfig":
        # Issue 18: a NAT instance is one instance in one AZ and a sleeping environment serves nothing;
        # both are dev's trade-offs, never prod's.
        if self.name == "prod" and self.network.nat == "instance":
            raise ValueError(
                "network.nat=instance is for dev and staging: prod keeps NAT gateways (one per AZ, managed "
                "and highly available); remove the override or set network.nat=gateway"
            )
        if self.name == "prod" and self.sleep.enabled:
            raise ValueError(
                "sleep.enabled=true would pause prod outside working hours; prod serves around the clock, "
                "so remove the override (dev and staging may sleep)"
            )
        return self

    @model_validator(mode="after")
    def _azs_in_region(self) -> "EnvironmentConfig":
        wrong = [az for az in self.network.availability_zones if not az.startswith(self.region)]
        if wrong:
            raise ValueError(
                f"network.availability_zones {wrong} are not in region {self.region}; "
                f'set them too, e.g. --set network.availability_zones=\'["{self.region}a","{self.region}b"]\''
            )
        return self

    @model_validator(mode="after")
    def _origin_prefix_list_known(self) -> "EnvironmentConfig":
        public = [name for name in ("web", "api") if name in self.services.on("ecs")]
        known = self.edge.origin_facing_prefix_list_id or CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS.get(
            self.region
        )
        if public and known is None:
            raise ValueError(
                f"edge.origin_facing_prefix_list_id: no known CloudFront origin-facing prefix list for "
                f"{self.region} (services {', '.join(public)} run on ECS behind CloudFront); set it, e.g. "
                f"--set edge.origin_facing_prefix_list_id=pl-..., from `aws ec2 describe-managed-prefix-lists "
                f"--region {self.region} --filters Name=prefix-list-name,"
                "Values=com.amazonaws.global.cloudfront.origin-facing`"
            )
        return self

    @model_validator(mode="after")
    def _trusted_documents_where_users_are(self) -> "EnvironmentConfig":
        if self.name in ("staging", "prod") and self.graphql.documents != "trusted":
            raise ValueError(
                f"graphql.documents must be trusted in {self.name}: only the web app's own documents run "
                "where real users are (any accepts arbitrary queries; the api refuses it outside dev too)"
            )
        return self

    @model_validator(mode="after")
    def _health_checkers_admitted(self) -> "EnvironmentConfig":
        if self.ops.health_check:
            checker_regions(self.edge.geo_allowlist)  # raises with what to change
        return self

    @property
    def health_check_regions(self) -> tuple[str, ...]:
        """Route 53 checker regions inside edge.geo_allowlist (config/health_checks.py)."""
        return checker_regions(self.edge.geo_allowlist)

    @property
    def cloudfront_prefix_list_id(self) -> str:
        """The origin-facing prefix list of this region: the profile's, or the known default."""
        configured = self.edge.origin_facing_prefix_list_id
        return configured or CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS[self.region]

    @property
    def stack_prefix(self) -> str:
        return f"Foundry-{self.name}"
