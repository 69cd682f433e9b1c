"""The first deploy of an environment into an empty account (`foundry deploy --first`), in the one
order that works (issue 20):

1. CDK bootstrap of the region and of us-east-1 (CloudFront's web ACL and certificate live there),
   unless the CDKToolkit stack is there already;
2. the registry stack alone (stacks/registry.py): the ECR repositories;
3. the three images, built for every platform the backends run and pushed at the configured tags,
   unless a tag is in the repository already (its tags are IMMUTABLE: a second push fails,
   https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html);
4. every stack (the edge, then the platform, then the edge alarms where the platform is outside
   us-east-1);
5. `foundry migrate apply`: the new database's schema.

A stack left in ROLLBACK_COMPLETE by a failed create can only be deleted, never updated
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-update-rollback-failed),
so before steps 2 and 4 such a stack is deleted, in the region the synthesized app puts it; its named
retained resources were removed by the rollback (RetainExceptOnCreate), so the retry creates them again.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from foundry_tools.deploy.running import stack_outputs

BOOTSTRAP_STACK = "CDKToolkit"
EDGE_REGION = "us-east-1"
# What the bootstrap, the registry, the images and the rest each need; a step's command is argv.
Command = Sequence[str]
Runner = Callable[[Command], int]


class FirstDeployError(RuntimeError):
    """A step failed; the message names it and what to do."""


@dataclass(frozen=True, kw_only=True)
class Image:
    service: str
    repository: str
    tag: str
    build: Command  # docker buildx build ... --push


@dataclass(frozen=True, kw_only=True)
class FirstDeploy:
    account: str
    region: str
    stack_prefix: str
    # Every stack of the synthesized app and its region (foundry_tools.synth.assembly_stacks): the
    # edge's and, with the platform outside us-east-1, the edge alarms' are in us-east-1.
    stacks: Mapping[str, str]
    cdk: Command  # e.g. [node_modules/.bin/cdk, --app, cdk.out/dev]
    images: Sequence[Image]
    migrate: Command  # foundry migrate apply --env ...
    cloudformation: Callable[[str], Any]  # region -> client
    ecr: Any
    run: Runner
    report: Callable[[str], None]

    @property
    def registry_stack(self) -> str:
        return f"{self.stack_prefix}-registry"

    def execute(self) -> None:
        self._bootstrap()
        self._clear_failed_create([self.registry_stack])
        self._step(
            "deploy the registry stack",
            [*self.cdk, "deploy", self.registry_stack, "--exclusively", "--require-approval", "never"],
        )
        for image in self.images:
            if self._has_tag(image):
                self.report(
                    f"{image.repository}:{image.tag} is in the registry already: not built, not pushed"
                )
                continue
            self._step(f"build and push {image.service}", image.build)
        self._clear_failed_create([name for name in self.stacks if name != self.registry_stack])
        self._step("deploy every stack", [*self.cdk, "deploy", "--all", "--require-approval", "never"])
        self._step("apply the database migrations", self.migrate)

    def _step(self, what: str, command: Command) -> None:
        self.report(f"first deploy: {what}: {' '.join(command)}")
        code = self.run(command)
        if code != 0:
            raise FirstDeployError(
                f"{what} failed (exit {code}); fix the cause and run `foundry deploy --first` again: "
                "steps already done are skipped or repeated safely"
            )

    def _bootstrap(self) -> None:
        missing = [
            region
            for region in dict.fromkeys([self.region, EDGE_REGION])
            if stack_outputs(self.cloudformation(region), stack_name=BOOTSTRAP_STACK) is None
        ]
        if missing:
            self._step(
                "CDK bootstrap",
                [*self.cdk[:1], "bootstrap", *(f"aws://{self.account}/{region}" for region in missing)],
            )
        else:
            self.report(
                "first deploy: CDK bootstrap is there already in "
                + ", ".join(dict.fromkeys([self.region, EDGE_REGION]))
            )

    def _clear_failed_create(self, stacks: Sequence[str]) -> None:
        for name in stacks:
            client = self.cloudformation(self.stacks.get(name, self.region))
            try:
                (stack,) = client.describe_stacks(StackName=name)["Stacks"]
            except botocore.exceptions.ClientError as error:
                if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                    continue
                raise
            if stack["StackStatus"] == "ROLLBACK_COMPLETE":
                self.report(
                    f"first deploy: {name} is ROLLBACK_COMPLETE from a failed create: deleting it first"
                )
                client.delete_stack(StackName=name)
                client.get_waiter("stack_delete_complete").wait(
                    StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
                )

    def _has_tag(self, image: Image) -> bool:
        try:
            self.ecr.describe_images(repositoryName=image.repository, imageIds=[{"imageTag": image.tag}])
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ImageNotFoundException":
                return False
            raise
        return True
