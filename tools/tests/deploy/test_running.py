"""What an environment runs now: the stack's outputs on moto; errors other than "does not exist" on Stubber."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from foundry_infra import outputs
from foundry_tools.cli.images_cmd import keep_running_overrides
from foundry_tools.deploy.running import RunningImages, StackReadError, running_images

REGION = "us-east-1"
STACK = "Foundry-dev-platform"


def _stack(tags: dict[str, str]) -> None:
    template = {
        "Resources": {
            "Marker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/foundry/test/marker", "Type": "String", "Value": "x"},
            }
        },
        "Outputs": {outputs.image_tag(service): {"Value": tag} for service, tag in tags.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=STACK, TemplateBody=json.dumps(template)
    )


def test_the_running_tags_come_from_the_stack_outputs(aws: None) -> None:
    _stack({"web": "aaa", "api": "bbb", "ai": "ccc"})
    running = running_images(boto3.client("cloudformation", region_name=REGION), stack_name=STACK)
    assert running == RunningImages(stack_exists=True, tags={"web": "aaa", "api": "bbb", "ai": "ccc"})
    assert running.github_output() == "first_deploy=false\nai_tag=ccc\napi_tag=bbb\nweb_tag=aaa\n"


def test_only_a_missing_stack_is_a_first_deploy(aws: None) -> None:
    running = running_images(boto3.client("cloudformation", region_name=REGION), stack_name=STACK)
    assert running == RunningImages(stack_exists=False, tags={})
    assert running.github_output() == "first_deploy=true\n"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDenied", "not authorized to perform: cloudformation:DescribeStacks"),
        ("Throttling", "Rate exceeded"),
    ],
)
def test_any_other_error_is_raised_not_taken_for_a_first_deploy(code: str, message: str) -> None:
    client = boto3.client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_client_error("describe_stacks", service_error_code=code, service_message=message)
        with pytest.raises(StackReadError, match=code):
            running_images(client, stack_name=STACK)


def test_deploy_keeps_the_running_image_of_every_service_it_was_not_told_about(tmp_path: Path) -> None:
    running = RunningImages(stack_exists=True, tags={"web": "w1", "api": "a1", "ai": "i1"})
    file = tmp_path / "dev.toml"
    file.write_text('[services.ai]\nimage_tag = "from-file"\n')
    kept = keep_running_overrides(
        running=running, config_file=file, overrides=["services.api.image_tag=new", "network.nat_gateways=2"]
    )
    assert kept == ["services.web.image_tag=w1"]
    assert keep_running_overrides(running=running, config_file=None, overrides=None) == [
        "services.ai.image_tag=i1",
        "services.api.image_tag=a1",
        "services.web.image_tag=w1",
    ]
    first = RunningImages(stack_exists=False, tags={})
    assert keep_running_overrides(running=first, config_file=None, overrides=None) == []
