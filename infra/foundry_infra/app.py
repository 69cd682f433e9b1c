"""The composition root: one environment's stacks, with cdk-nag over the whole app."""

import os

# jsii prints a large end-of-life banner on Node 20; the pinned toolchain is known to work there.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Stack, Tags

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.nag import add_nag
from foundry_infra.stacks.edge_alarms import EdgeAlarmsStack
from foundry_infra.stacks.edge_global import EDGE_REGION, EdgeGlobalStack
from foundry_infra.stacks.platform import PlatformStack
from foundry_infra.stacks.registry import RegistryStack


class FoundryApp:
    """Builds the app for one environment; `stacks` lists them in deployment order."""

    def __init__(self, *, config: EnvironmentConfig, outdir: str | None = None, nag: bool = True) -> None:
        self.config = config
        self.app = App(
            outdir=outdir,
            context={
                # Synth must not depend on stack traces or on lookups (offline, reproducible).
                "aws:cdk:disable-stack-trace": True,
            },
        )
        self.nag = add_nag(self.app) if nag else None
        prefix = config.stack_prefix
        # Deployment order: the registry first (the images are pushed into it before anything runs
        # them), then the edge, then the platform, which depends on both.
        self.registry = RegistryStack(self.app, f"{prefix}-registry", config=config)
        self.edge = EdgeGlobalStack(self.app, f"{prefix}-edge", config=config)
        self.platform = PlatformStack(self.app, f"{prefix}-platform", config=config, edge=self.edge)
        self.platform.add_stack_dependency(self.registry, "the services pull images from its repositories")
        # CloudFront's metrics exist only in us-east-1: elsewhere its alarms get a stack there.
        self.edge_alarms = (
            EdgeAlarmsStack(
                self.app,
                f"{prefix}-edge-alarms",
                config=config,
                distribution=self.platform.distribution,
            )
            if config.region != EDGE_REGION
            else None
        )
        if self.edge_alarms is not None:
            # It reads the distribution by parameter name (edge/references.py), so the order is stated.
            self.edge_alarms.add_stack_dependency(self.platform, "it reads the distribution's SSM parameters")
        for key, value in {"project": "foundry", "environment": config.name}.items():
            Tags.of(self.app).add(key, value)

    @property
    def deployed(self) -> list[Stack]:
        """Every stack of the environment, in deployment order."""
        extra = [self.edge_alarms] if self.edge_alarms is not None else []
        return [self.registry, self.edge, self.platform, *extra]

    @property
    def stacks(self) -> list[str]:
        return [stack.stack_name for stack in self.deployed]
