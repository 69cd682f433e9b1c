"""What each service receives at run time, checked against the shared contract at synth time."""

from dataclasses import dataclass, field

from aws_cdk import aws_secretsmanager as sm
from foundry_contract import Service, env_vars_for


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
