"""Spec §13 "IAM: no wildcards": across every template of every environment."""

from collections.abc import Iterator
from typing import Any

import pytest
from foundry_infra.security.iam import STAR_RESOURCE_ACTIONS
from foundry_templates import SynthesizedEnvironment as Synth

# The ECS agent on the GPU instances (spec §9) polls for work on a container instance that does not
# exist before it registers: ecs:Poll and StartTelemetrySession on "*" under an ecs:cluster condition,
# as AWS's managed AmazonEC2ContainerServiceforEC2Role grants them. Accepted on that one role only.
ECS_AGENT_STAR_ACTIONS = {"ecs:Poll", "ecs:StartTelemetrySession"}
ECS_AGENT_POLICY = "GpuInstanceRoleDefaultPolicy"


def _allow_statements(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack in ("edge", "platform"):
        template = synth.template(stack)
        for key, resource in template.resources.items():
            documents = []
            props = resource.get("Properties", {})
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(props["PolicyDocument"])
            if resource["Type"] == "AWS::IAM::Role":
                documents += [policy["PolicyDocument"] for policy in props.get("Policies", [])]
            for document in documents:
                for statement in document["Statement"]:
                    if statement["Effect"] == "Allow":
                        yield key, statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_problems(statements: list[tuple[str, dict[str, Any]]]) -> list[str]:
    problems = []
    for key, statement in statements:
        for action in _as_list(statement["Action"]):
            if action == "*" or action.endswith(":*"):
                problems.append(f"{key}: wildcard action {action}")
        if "*" in _as_list(statement.get("Resource", [])):
            allowed = STAR_RESOURCE_ACTIONS | (
                ECS_AGENT_STAR_ACTIONS if key.startswith(ECS_AGENT_POLICY) else set()
            )
            extra = set(_as_list(statement["Action"])) - allowed
            if extra:
                problems.append(f"{key}: Resource '*' for {sorted(extra)}")
    return problems


@pytest.mark.parametrize(
    "scenario",
    ["dev", "staging", "prod", "complete", "minimal", "dev-ecs-gpu", "prod-ecs-gpu", "dev-mixed-gpu"],
)
def test_no_wildcard_actions_and_star_resources_only_where_aws_requires(
    synths: dict[str, Synth], scenario: str
) -> None:
    statements = list(_allow_statements(synths[scenario]))
    assert len(statements) > 10
    assert wildcard_problems(statements) == []


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}, "wildcard action *"),
        ({"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"}, "wildcard action s3:*"),
        (
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
            "Resource '*' for ['s3:GetObject']",
        ),
    ],
)
def test_the_check_catches_each_kind_of_wildcard(statement: dict[str, Any], problem: str) -> None:
    assert wildcard_problems([("Broken", statement)]) == [f"Broken: {problem}"]
