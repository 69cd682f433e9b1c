"""The foundry command through its real entry point (subprocess) or Typer's runner where a hook is needed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_infra.config import PLACEHOLDER_ACCOUNT, load_config
from foundry_tools.testing.synthesized import offline_env
from typer.testing import CliRunner

FOUNDRY = str(Path(sys.executable).with_name("foundry"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FOUNDRY, *args], capture_output=True, text=True, env=offline_env(), timeout=120, check=False
    )


@pytest.mark.parametrize("command", [[], ["config"], ["config", "show"], ["synth"], ["diff"], ["deploy"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: foundry" in result.stdout


def test_config_show_json_is_the_resolved_config() -> None:
    result = run("config", "show", "--env", "prod", "--set", "database.proxy=true", "--format", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    expected = load_config(env="prod", overrides=["database.proxy=true"]).model_dump(mode="json")
    assert shown == expected


def test_config_show_toml_round_trips(tmp_path: Path) -> None:
    result = run("config", "show", "--env", "staging")
    assert result.returncode == 0
    path = tmp_path / "staging.toml"
    path.write_text(result.stdout)
    assert load_config(env="staging", config_file=path) == load_config(env="staging")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config", "show", "--env", "qa"], "choose one of: dev, staging, prod"),
        (["config", "show", "--env", "dev", "--set", "network.nat_gateways=9"], "network.nat_gateways"),
        (["synth", "--env", "dev", "--set", "colour=blue"], "unknown key 'colour'"),
        (["deploy", "--env", "prod"], f"account = '{PLACEHOLDER_ACCOUNT}' is a placeholder"),
        (["deploy", "--env", "dev", "--set", "account=111122223333"], "auth.clerk_issuer = "),
    ],
)
def test_user_errors_are_one_message_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# Values no profile ships: what an owner sets before `foundry deploy`.
REAL_DEV = [
    "account=111122223333",
    "auth.clerk_issuer=https://clerk.acme-corp.com",
    "ops.alarm_email=oncall@acme-corp.com",
    "delivery.github_repo=acme-corp/foundry",
]
REAL_PROD = [
    *REAL_DEV,
    "edge.domain_name=app.acme-corp.com",
    "edge.hosted_zone_id=Z08123456ABCDEFGHIJK",
    "edge.hosted_zone_name=acme-corp.com",
]


def _set(values: list[str]) -> list[str]:
    return [arg for value in values for arg in ("--set", value)]


@pytest.mark.parametrize(
    "command",
    [["diff", "--env", "dev"], ["deploy", "--env", "dev", *_set(REAL_DEV)], ["images", "--env", "dev"]],
)
def test_without_credentials_aws_commands_stop_at_once(command: list[str]) -> None:
    result = run(*command)
    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert "synthesizing" not in result.stderr, "credentials are checked before any slow work"


def test_synth_fails_listing_an_introduced_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import foundry_tools.synth as synth_module
    from aws_cdk import aws_s3 as s3
    from foundry_tools.cli.main import app

    real = synth_module.synthesize

    def with_insecure_bucket(**kwargs):  # type: ignore[no-untyped-def]
        def add_bucket(foundry):  # type: ignore[no-untyped-def]
            s3.Bucket(foundry.platform, "NoTlsBucket", block_public_access=s3.BlockPublicAccess.BLOCK_ALL)

        return real(**kwargs, extend=add_bucket)

    monkeypatch.setattr(synth_module, "synthesize", with_insecure_bucket)
    result = CliRunner().invoke(app, ["synth", "--env", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "AwsSolutions-S10 [error] Foundry-dev-platform/NoTlsBucket/Resource" in result.output
    assert "AwsSolutions-S1 [error] Foundry-dev-platform/NoTlsBucket/Resource" in result.output
    report = json.loads((tmp_path / "nag-report.json").read_text())
    assert {item["rule"] for item in report["unacknowledged"]} == {"AwsSolutions-S1", "AwsSolutions-S10"}
    assert not list(tmp_path.glob("*.template.json")), "no templates are written while findings remain"


def test_deploy_with_the_example_domain_and_issuer_refuses_naming_each_key() -> None:
    result = run("deploy", "--env", "prod", "--set", "account=111122223333")
    assert result.returncode == 2
    refusals = [line.strip() for line in result.stderr.splitlines() if "is a placeholder" in line]
    assert [line.split(" = ")[0] for line in refusals] == [
        "edge.domain_name",
        "edge.hosted_zone_name",
        "edge.hosted_zone_id",
        "auth.clerk_issuer",
        "ops.alarm_email",
        "delivery.github_repo",
    ]
    assert "--set auth.clerk_issuer=" in result.stderr
    assert "no AWS credentials" not in result.stderr, "placeholders are refused before anything else"
    assert "Traceback" not in result.stderr


def test_preflight_passes_real_values_and_deploy_then_goes_on() -> None:
    passed = run("preflight", "--env", "prod", *_set(REAL_PROD))
    assert passed.returncode == 0, passed.stderr
    assert "no placeholder values" in passed.stdout
    refused = run("preflight", "--env", "prod", *_set(REAL_PROD), "--set", "ops.alarm_email=ops@example.com")
    assert refused.returncode == 2
    assert "ops.alarm_email = 'ops@example.com' is a placeholder" in refused.stderr
    deploy = run("deploy", "--env", "prod", *_set(REAL_PROD))
    assert deploy.returncode == 2
    assert "no AWS credentials found" in deploy.stderr  # past the preflight, at the next step
