"""Spec §6 and §12: GitHub OIDC trust pinned to one repository and environment, least-privilege deploy."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from foundry_infra.config import ConfigError, load_config
from foundry_infra.delivery.github import (
    APPRUNNER_DEPLOY_ACTIONS,
    ECR_PUSH_ACTIONS,
    UntrustworthySubjectError,
    github_subject,
    github_trust,
)
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template

OIDC = "token.actions.githubusercontent.com"
FOUNDRY = Path(sys.executable).with_name("foundry")


def _role(template: Template, name: str) -> dict[str, Any]:
    return template.props(template.logical_id(f"Delivery{name}", "AWS::IAM::Role"))


def _statements(template: Template, name: str) -> dict[str, dict[str, Any]]:
    policy = template.props(template.logical_id(f"Delivery{name}", "AWS::IAM::Policy"))
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_github_oidc_provider_for_sts(dev: Synth) -> None:
    (provider,) = dev.platform.of_type("AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == f"https://{OIDC}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    # Kept on delete, but removed when the first create rolls back (one provider per account and URL).
    assert provider["DeletionPolicy"] == "RetainExceptOnCreate"
    # The native resource: no custom-resource Lambda behind it.
    assert not dev.platform.of_type("Custom::AWSCDKOpenIdConnectProvider")


@pytest.mark.parametrize("scenario", ["dev", "staging", "prod"])
def test_deploy_role_trusts_one_repository_and_environment_exactly(
    synths: dict[str, Synth], scenario: str
) -> None:
    template = synths[scenario].platform
    (provider_id,) = template.of_type("AWS::IAM::OIDCProvider")
    (statement,) = _role(template, "DeployRole")["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": {"Ref": provider_id}}
    assert statement["Condition"] == {
        "StringEquals": {
            f"{OIDC}:aud": "sts.amazonaws.com",
            f"{OIDC}:sub": f"repo:universal-ai-foundry/foundry:environment:{scenario}",
        }
    }


def test_pull_requests_get_a_read_only_diff_role(dev: Synth) -> None:
    (statement,) = _role(dev.platform, "DiffRole")["AssumeRolePolicyDocument"]["Statement"]
    assert (
        statement["Condition"]["StringEquals"][f"{OIDC}:sub"]
        == "repo:universal-ai-foundry/foundry:pull_request"
    )
    assert _statements(dev.platform, "DiffPolicy") == {
        "CdkLookupRole": {
            "Sid": "CdkLookupRole",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-us-east-1",
        }
    }


def test_deploy_permissions_are_the_three_repositories_services_and_bootstrap_roles(dev: Synth) -> None:
    template = dev.platform
    statements = _statements(template, "DeployPolicy")
    assert set(statements) == {
        "EcrLogin",
        "PushImages",
        "DeployServices",
        "CdkBootstrapRoles",
        "ReadStackOutputs",
        "ServiceLogGroupSettings",
        # foundry migrate (issue 10): run and follow the runner task, read its log, snapshot first.
        "RunMigrationTask",
        "FollowMigrationTask",
        "PassMigrationRoles",
        "ReadMigrationLog",
        "SnapshotBeforeMigrating",
    }
    assert statements["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"
    assert statements["PushImages"]["Action"] == ECR_PUSH_ACTIONS
    # The repositories live in the registry stack; the platform names them (no export between the two).
    repositories = {
        ref["Fn::Join"][1][-1].rsplit(":repository/", 1)[1] for ref in statements["PushImages"]["Resource"]
    }
    assert repositories == {
        props["Properties"]["RepositoryName"]
        for props in dev.registry.of_type("AWS::ECR::Repository").values()
    }
    assert statements["DeployServices"]["Action"] == APPRUNNER_DEPLOY_ACTIONS
    services = {ref["Fn::GetAtt"][0] for ref in statements["DeployServices"]["Resource"]}
    assert services == set(template.of_type("AWS::AppRunner::Service"))
    assert sorted(statements["CdkBootstrapRoles"]["Resource"]) == sorted(
        f"arn:aws:iam::123456789012:role/cdk-hnb659fds-{role}-123456789012-us-east-1"
        for role in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")
    )
    # The platform's outputs, and the registry stack's (foundry deploy --first reads both states).
    assert statements["ReadStackOutputs"]["Resource"] == [
        f"arn:aws:cloudformation:us-east-1:123456789012:stack/Foundry-dev-{stack}/*"
        for stack in ("platform", "registry")
    ]
    assert statements["ServiceLogGroupSettings"]["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apprunner/foundry-dev-*"
    )


def test_outside_us_east_1_the_role_may_also_deploy_the_edge_stack(complete: Synth) -> None:
    resources = _statements(complete.platform, "DeployPolicy")["CdkBootstrapRoles"]["Resource"]
    assert {arn.split("123456789012-")[-1] for arn in resources} == {"eu-west-1", "us-east-1"}
    assert len(resources) == 8


@pytest.mark.parametrize(
    ("repo", "environment", "branch"),
    [
        ("*", "dev", None),
        ("universal-ai-foundry/*", "dev", None),
        ("universal-ai-foundry/foundry", "*", None),
        ("universal-ai-foundry/foundry", None, "*"),
        ("universal-ai-foundry/foundry", None, "release/*"),
        ("universal-ai-foundry/foundry", None, None),
        ("universal-ai-foundry/foundry", "dev", "main"),
    ],
)
def test_subjects_with_patterns_are_refused(repo: str, environment: str | None, branch: str | None) -> None:
    with pytest.raises(UntrustworthySubjectError):
        github_subject(repo=repo, environment=environment, branch=branch)


def test_literal_subjects() -> None:
    assert github_subject(repo="o/r", environment="prod") == "repo:o/r:environment:prod"
    assert github_subject(repo="o/r", branch="main") == "repo:o/r:ref:refs/heads/main"


def test_a_trust_for_every_repository_is_refused_at_synth() -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_iam as iam

    provider = iam.OidcProviderNative.from_oidc_provider_arn(
        Stack(), "Provider", f"arn:aws:iam::123456789012:oidc-provider/{OIDC}"
    )
    with pytest.raises(UntrustworthySubjectError, match=r"repo:\*"):
        github_trust(provider, subject="repo:*")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("delivery.github_repo=*", "delivery.github_repo"),
        ("delivery.github_repo=universal-ai-foundry/*", "delivery.github_repo"),
        ("delivery.github_environment=*", "delivery.github_environment"),
    ],
)
def test_config_refuses_wildcard_repositories_naming_the_key(override: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(env="dev", overrides=[override])


def test_the_cli_refuses_repo_star() -> None:
    result = subprocess.run(
        [str(FOUNDRY), "config", "show", "--env", "dev", "--set", "delivery.github_repo=*"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "delivery.github_repo" in result.stderr + result.stdout
