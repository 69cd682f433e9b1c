"""What must exist before any image is pushed (issue 20): the ECR repositories of the environment.

The first deploy runs in this order (`foundry deploy --first`, tools/foundry_tools/deploy/first.py):
CDK bootstrap, this stack, push the images, then every other stack, then `foundry migrate apply`.
With the repositories in the platform stack, App Runner and ECS would try to pull images from
repositories that this very deploy creates, and the create would fail and roll back.
"""

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.services.registry import Registry


class RegistryStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=config.region),
            description=f"Foundry {config.name}: ECR repositories, deployed before the images are pushed",
        )
        self.registry = Registry(
            self,
            "Registry",
            prefix=f"foundry/{config.name}",
            keep_images=config.services.ecr_keep_images,
            manage_registry_scanning=config.services.ecr_registry_scanning,
        )
        for service, repository in self.registry.repositories.items():
            CfnOutput(self, f"{service.value.capitalize()}RepositoryUri", value=repository.repository_uri)
