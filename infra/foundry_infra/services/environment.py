"""What each service receives at run time, checked against the shared contract at synth time."""

from dataclasses import dataclass, field

from aws_cdk import aws_secretsmanager as sm
from foundry_contract import API_DATABASE_USER, Service, env_vars_for

from foundry_infra.data.database import DATABASE_NAME

# RDS PostgreSQL's default port (the instance and RDS Proxy both listen on it).
DATABASE_PORT = 5432


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
