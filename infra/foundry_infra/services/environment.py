"""What each service receives at run time, checked against the shared contract at synth time.

One builder per service (`web_environment`, `api_environment`, `ai_environment`): each writes the
variables foundry_contract.env names for it, and `ServiceEnvironment` refuses any the contract does not.
"""

from dataclasses import dataclass, field

from aws_cdk import aws_secretsmanager as sm
from foundry_contract import (
    API_DATABASE_USER,
    DATABASE_TLS,
    UNSET_AUTHORIZED_PARTY,
    Service,
    env_vars_for,
)

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import Buckets
from foundry_infra.data.database import DATABASE_NAME, DATABASE_PORT, Database
from foundry_infra.data.secrets import AppSecrets
from foundry_infra.edge.dns import custom_domain_origin
from foundry_infra.observability.tracing import tracing_environment

# The port every service's container listens on, on App Runner and on Fargate alike (PORT).
CONTAINER_PORT = 8080


@dataclass(frozen=True, kw_only=True)
class ServiceEnvironment:
    service: Service
    plain: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, sm.ISecret] = field(default_factory=dict)

    def __post_init__(self) -> None:
        contract = {var.name: var for var in env_vars_for(self.service)}
        for name in [*self.plain, *self.secrets]:
            if name not in contract:
                raise ValueError(f"{self.service} does not read {name}; add it to foundry_contract.env first")
        for name in self.plain:
            if contract[name].secret:
                raise ValueError(f"{name} is a secret for {self.service}; deliver it from Secrets Manager")
        for name in self.secrets:
            if not contract[name].secret:
                raise ValueError(f"{name} is not a secret in the contract; pass it as a plain value")
        missing = [
            var.name
            for var in contract.values()
            if var.required and var.name not in self.plain | self.secrets
        ]
        if missing:
            raise ValueError(f"{self.service} needs {', '.join(missing)} (required in foundry_contract.env)")


def api_database_login(*, region: str) -> dict[str, str]:
    """The api's database login in AWS: its own role with RDS IAM tokens, never the master secret.

    The token is signed per new connection for DATABASE_HOST:DATABASE_PORT (the instance or its
    proxy): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
    """
    return {
        "DATABASE_AUTH": "iam",
        "DATABASE_USER": API_DATABASE_USER,
        "DATABASE_NAME": DATABASE_NAME,
        "DATABASE_PORT": str(DATABASE_PORT),
        "DATABASE_REGION": region,
    }


def web_environment(*, config: EnvironmentConfig, secrets: AppSecrets) -> ServiceEnvironment:
    """web's nginx compares CloudFront's origin-verify header with the secret."""
    return ServiceEnvironment(
        service=Service.WEB,
        plain={"PORT": str(CONTAINER_PORT), "FOUNDRY_ENV": config.name},
        secrets={"ORIGIN_VERIFY_SECRET": secrets.origin_verify},
    )


def ai_environment(
    *, config: EnvironmentConfig, secrets: AppSecrets, vllm_url: str | None
) -> ServiceEnvironment:
    """ai's upstream: the external provider through the NAT (spec §3.3) or, with the GPU path on,
    vLLM's OpenAI-compatible API at `vllm_url` on the internal load balancer (spec §9)."""
    base_url, model = (
        (f"{vllm_url}/v1", config.gpu.model)
        if vllm_url is not None
        else (config.ai.base_url, config.ai.model)
    )
    return ServiceEnvironment(
        service=Service.AI,
        plain={
            "PORT": str(CONTAINER_PORT),
            "FOUNDRY_ENV": config.name,
            "AI_UPSTREAM_BASE_URL": base_url,
            "AI_UPSTREAM_MODEL": model,
            **tracing_environment(config=config, service=Service.AI),
        },
        secrets={
            "AI_INTERNAL_API_KEY": secrets.internal_api_key,
            "AI_UPSTREAM_API_KEY": secrets.ai_provider_key,
        },
    )


def api_environment(
    *,
    config: EnvironmentConfig,
    secrets: AppSecrets,
    database: Database,
    buckets: Buckets,
    ai_url: str,
) -> ServiceEnvironment:
    """api's database (IAM login, TLS), uploads bucket, Clerk issuer and parties, and ai's URL.

    CloudFront needs the api's URL, so the api cannot also take the distribution's domain (a cycle).
    With a custom domain the site origin is known up front; without one, the operator sets
    auth.authorized_parties to the SiteUrl output after the first deploy, and until then
    UNSET_AUTHORIZED_PARTY admits no token (foundry verify reports it).
    """
    region, site_origin = config.region, custom_domain_origin(config.edge)
    return ServiceEnvironment(
        service=Service.API,
        plain={
            "PORT": str(CONTAINER_PORT),
            "FOUNDRY_ENV": config.name,
            "DATABASE_HOST": database.endpoint_address,
            **DATABASE_TLS,
            **api_database_login(region=region),
            "DATABASE_PROXY": "true" if database.proxy is not None else "false",
            "UPLOADS_BUCKET": buckets.uploads_bucket_name,
            "UPLOADS_BUCKET_REGION": region,
            "CLERK_ISSUER": config.auth.clerk_issuer,
            "CLERK_JWKS_URL": f"{config.auth.clerk_issuer.rstrip('/')}/.well-known/jwks.json",
            "AI_SERVICE_URL": ai_url,
            "CLERK_AUTHORIZED_PARTIES": ",".join(config.auth.authorized_parties)
            or site_origin
            or UNSET_AUTHORIZED_PARTY,
            "GRAPHQL_DOCUMENTS": config.graphql.documents,
            **tracing_environment(config=config, service=Service.API),
        },
        secrets={
            "CLERK_SECRET_KEY": secrets.clerk_secret_key,
            "ORIGIN_VERIFY_SECRET": secrets.origin_verify,
            "AI_INTERNAL_API_KEY": secrets.internal_api_key,
        },
    )
