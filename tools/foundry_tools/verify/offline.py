"""`foundry verify`'s offline reader: the template reader's environment model, with the migration
runner's network read from the stack outputs foundry_infra names (foundry_templates imports no infra,
so the names come from here)."""

from foundry_infra import outputs
from foundry_templates import SynthesizedEnvironment, Template
from foundry_templates.environment import read_environment
from foundry_templates.model import EnvironmentModel
from foundry_templates.workloads import OneOffTask

MIGRATION_TASK = OneOffTask(
    task_definition=outputs.MIGRATIONS_TASK_DEFINITION,
    security_group=outputs.MIGRATIONS_SECURITY_GROUP,
    subnets=outputs.MIGRATIONS_SUBNETS,
)


def read_synth(synth: SynthesizedEnvironment) -> EnvironmentModel:
    return read_templates(platform=synth.platform, edge=synth.edge)


def read_templates(*, platform: Template, edge: Template) -> EnvironmentModel:
    return read_environment(platform=platform, edge=edge, one_off_task=MIGRATION_TASK)
