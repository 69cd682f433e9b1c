"""Which images a deployed environment runs, read from its platform stack's outputs.

`foundry deploy` without image tags keeps these (rather than falling back to the profile's `initial`,
which the ECR lifecycle rule eventually deletes), and the deploy workflow records them as its
rollback target. Only "stack does not exist" means a first deploy: CloudFormation answers
DescribeStacks for a missing stack with a ValidationError "Stack with id NAME does not exist"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html); any other
error (throttling, a denied permission) is raised, never mistaken for an empty account.
"""

from dataclasses import dataclass
from typing import Any

import botocore.exceptions
from foundry_contract import Service
from foundry_infra import outputs

SERVICES: tuple[str, ...] = tuple(service.value for service in Service)


class StackReadError(RuntimeError):
    """The stack's state could not be read; the message says why."""


@dataclass(frozen=True, kw_only=True)
class RunningImages:
    """The image tag each service runs (None: the stack does not exist yet)."""

    stack_exists: bool
    tags: dict[str, str]

    def github_output(self) -> str:
        """Lines for $GITHUB_OUTPUT: first_deploy=..., then SERVICE_tag=TAG for each service."""
        lines = [f"first_deploy={'false' if self.stack_exists else 'true'}"]
        lines += [f"{service}_tag={tag}" for service, tag in sorted(self.tags.items())]
        return "\n".join(lines) + "\n"


def stack_outputs(cloudformation: Any, *, stack_name: str) -> dict[str, str] | None:
    """The outputs of a stack, or None when it does not exist."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except botocore.exceptions.ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if error.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in message:
            return None
        raise StackReadError(f"cannot read stack {stack_name}: {error}") from None
    if not stacks:
        return None
    return {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}


def running_images(cloudformation: Any, *, stack_name: str) -> RunningImages:
    found = stack_outputs(cloudformation, stack_name=stack_name)
    if found is None:
        return RunningImages(stack_exists=False, tags={})
    tags = {
        service: found[outputs.image_tag(service)]
        for service in SERVICES
        if outputs.image_tag(service) in found
    }
    return RunningImages(stack_exists=True, tags=tags)
