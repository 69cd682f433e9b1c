"""The first-deploy rehearsal (issue 20): the steps run in order against moto (CloudFormation, ECR),
with the CDK CLI and docker replaced by a recorder that does to moto what they would do to AWS; a
stack a failed create left in ROLLBACK_COMPLETE is deleted before the retry (botocore Stubber)."""

import json
from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from foundry_tools.deploy.first import FirstDeploy, FirstDeployError, Image

REGION = "eu-west-1"
ACCOUNT = "123456789012"
MANIFEST = json.dumps(
    {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
)
REPOS = {"api": "foundry/dev/api", "ai": "foundry/dev/ai", "web": "foundry/dev/web"}
# As foundry_tools.synth.assembly_stacks reads them from a synthesized app with the platform here.
STACKS = {
    "Foundry-dev-registry": REGION,
    "Foundry-dev-edge": "us-east-1",
    "Foundry-dev-platform": REGION,
    "Foundry-dev-edge-alarms": "us-east-1",
}


class Account:
    """What each command does to the (moto) account, and the order they ran in."""

    def __init__(self, *, fail: str | None = None) -> None:
        self.commands: list[str] = []
        self.fail = fail
        self.ecr = boto3.client("ecr", region_name=REGION)

    def run(self, command: Sequence[str]) -> int:
        text = " ".join(command)
        self.commands.append(text)
        if self.fail and self.fail in text:
            return 1
        if " bootstrap " in f" {text} ":
            for target in command[2:]:
                region = target.rsplit("/", 1)[-1]
                _stack(region, "CDKToolkit")
        elif "deploy Foundry-dev-registry" in text:
            # An update of the stack that has them already changes nothing.
            existing = {r["repositoryName"] for r in self.ecr.describe_repositories()["repositories"]}
            for name in set(REPOS.values()) - existing:
                self.ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
        elif text.startswith("docker buildx build"):
            reference = command[command.index("--tag") + 1]
            repository, tag = reference.split("/", 1)[1].rsplit(":", 1)
            # A repository that does not exist yet fails the push, as ECR would.
            self.ecr.put_image(repositoryName=repository, imageManifest=MANIFEST, imageTag=tag)
        return 0


def _stack(region: str, name: str) -> None:
    template = {
        "Resources": {
            "Marker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": f"/{name}", "Type": "String", "Value": "x"},
            }
        }
    }
    boto3.client("cloudformation", region_name=region).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


def _plan(
    account: Account, *, cloudformation: Any = None, stacks: dict[str, str] | None = None
) -> FirstDeploy:
    images = [
        Image(
            service=service,
            repository=repository,
            tag="initial",
            build=[
                "docker",
                "buildx",
                "build",
                "--platform",
                "linux/amd64,linux/arm64",
                "--tag",
                f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}:initial",
                "--push",
                ".",
            ],
        )
        for service, repository in REPOS.items()
    ]
    return FirstDeploy(
        account=ACCOUNT,
        region=REGION,
        stack_prefix="Foundry-dev",
        stacks=stacks or STACKS,
        cdk=["cdk", "--app", "cdk.out/dev"],
        images=images,
        migrate=["foundry", "migrate", "apply", "--env", "dev"],
        cloudformation=cloudformation or (lambda region: boto3.client("cloudformation", region_name=region)),
        ecr=account.ecr,
        run=account.run,
        report=lambda _: None,
    )


def _kind(command: str) -> str:
    for marker, kind in (
        ("bootstrap", "bootstrap"),
        ("deploy Foundry-dev-registry", "registry"),
        ("docker buildx", "push"),
        ("deploy --all", "all"),
        ("migrate apply", "migrate"),
    ):
        if marker in command:
            return kind
    raise AssertionError(command)


def test_an_empty_account_goes_bootstrap_registry_push_everything_migrate(aws: None) -> None:
    account = Account()
    _plan(account).execute()
    assert [_kind(c) for c in account.commands] == [
        "bootstrap",
        "registry",
        "push",
        "push",
        "push",
        "all",
        "migrate",
    ]
    assert account.commands[0] == f"cdk bootstrap aws://{ACCOUNT}/{REGION} aws://{ACCOUNT}/us-east-1"
    tags = account.ecr.describe_images(repositoryName="foundry/dev/api")["imageDetails"][0]["imageTags"]
    assert tags == ["initial"]


def test_pushing_before_the_registry_stack_fails_as_ecr_would(aws: None) -> None:
    # The order matters: the same push against an account without the repositories fails.
    account = Account()
    with pytest.raises(Exception, match=r"not a repository|RepositoryNotFound"):  # moto's wording
        account.run(_plan(account).images[0].build)


def test_a_retry_skips_what_is_done_and_a_failed_step_stops_the_sequence(aws: None) -> None:
    failing = Account(fail="services/ai")  # the ai push fails halfway
    plan = _plan(failing)
    failing_images = [
        Image(
            service=i.service,
            repository=i.repository,
            tag=i.tag,
            build=[*i.build[:-1], f"services/{i.service}"],
        )
        for i in plan.images
    ]
    plan = FirstDeploy(**{**plan.__dict__, "images": failing_images})
    with pytest.raises(FirstDeployError, match="build and push ai failed"):
        plan.execute()
    assert [_kind(c) for c in failing.commands] == ["bootstrap", "registry", "push", "push"]
    retry = Account()
    _plan(retry).execute()
    # Bootstrap is there, api is pushed: only the registry (idempotent), ai, web, the rest, migrate.
    assert [_kind(c) for c in retry.commands] == ["registry", "push", "push", "all", "migrate"]
    assert all("foundry/dev/api" not in c for c in retry.commands if c.startswith("docker"))


def test_a_stack_left_by_a_failed_create_is_deleted_before_the_retry(aws: None) -> None:
    """Each in its own region: the platform here, the edge alarms in us-east-1."""
    account = Account()
    for region in (REGION, "us-east-1"):
        _stack(region, "CDKToolkit")
    for name in REPOS.values():
        account.ecr.create_repository(repositoryName=name)
        account.ecr.put_image(repositoryName=name, imageManifest=MANIFEST, imageTag="initial")
    regional = boto3.client("cloudformation", region_name=REGION)
    edge = boto3.client("cloudformation", region_name="us-east-1")

    def missing(stub: Stubber) -> None:
        stub.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message="Stack with id X does not exist",
        )

    def found(stub: Stubber, name: str, status: str) -> None:
        stack = {"StackName": name, "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": status}
        stub.add_response("describe_stacks", {"Stacks": [stack]})

    def deleted(stub: Stubber, name: str) -> None:
        stub.add_response("delete_stack", {}, {"StackName": name})
        missing(stub)  # the waiter: gone

    with Stubber(regional) as stub, Stubber(edge) as edge_stub:
        found(stub, "CDKToolkit", "CREATE_COMPLETE")
        found(edge_stub, "CDKToolkit", "CREATE_COMPLETE")
        missing(stub)  # the registry stack: none
        missing(edge_stub)  # the edge stack: none
        found(stub, "Foundry-dev-platform", "ROLLBACK_COMPLETE")
        deleted(stub, "Foundry-dev-platform")
        found(edge_stub, "Foundry-dev-edge-alarms", "ROLLBACK_COMPLETE")
        deleted(edge_stub, "Foundry-dev-edge-alarms")
        plan = _plan(account, cloudformation=lambda region: edge if region == "us-east-1" else regional)
        plan.execute()
        edge_stub.assert_no_pending_responses()
        stub.assert_no_pending_responses()
    assert [_kind(c) for c in account.commands] == ["registry", "all", "migrate"]


DOC_MARKERS = {
    "bootstrap": "cdk bootstrap",
    "registry": "--exclusively",
    "push": "docker buildx build",
    "all": "cdk deploy --all",
    "migrate": "foundry migrate apply",
}


def test_the_readme_lists_the_steps_in_the_order_the_rehearsal_runs_them(aws: None) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    steps = readme[readme.index("`--first` runs, in order") : readme.index("Run it again after a failure")]
    documented = sorted(DOC_MARKERS, key=lambda kind: steps.index(DOC_MARKERS[kind]))
    account = Account()
    _plan(account).execute()
    ran = list(dict.fromkeys(_kind(command) for command in account.commands))
    assert documented == ran
    runbook = (Path(__file__).resolve().parents[3] / "docs" / "runbooks.md").read_text()
    assert "foundry deploy --first" in runbook
