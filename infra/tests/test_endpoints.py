"""Issue 18: interface endpoints by need. Each scenario's template creates exactly the table's choice
(network/endpoints.py), and the table names a caller for every AWS API a workload in the template
really calls (the needs foundry_templates derives from each resource), so neither can drift."""

import pytest
from foundry_infra.config import load_config
from foundry_infra.network import endpoints
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates.endpoints import endpoint_service
from foundry_tools.verify.offline import read_synth

ALL = {**SCENARIOS, **MATRIX}
ECS_PULL = {"secretsmanager", "ecr.api", "ecr.dkr", "logs"}


def _interface_endpoints(synth: Synth) -> dict[str, int]:
    """Service -> number of ENIs (subnets) of each interface endpoint in the platform template."""
    return {
        endpoint_service(r["Properties"]["ServiceName"]): len(r["Properties"]["SubnetIds"])
        for r in synth.platform.of_type("AWS::EC2::VPCEndpoint").values()
        if r["Properties"].get("VpcEndpointType") == "Interface"
    }


@pytest.mark.parametrize("scenario", sorted(ALL))
def test_template_creates_the_tables_choice(synths: dict[str, Synth], scenario: str) -> None:
    env, overrides = ALL[scenario]
    config = load_config(env=env, overrides=overrides)
    wanted = set(endpoints.chosen(config)) | (
        {endpoints.APPRUNNER_REQUESTS} if endpoints.needs_apprunner_requests(config) else set()
    )
    found = _interface_endpoints(synths[scenario])
    assert set(found) == wanted
    # Every endpoint, apprunner.requests too, in interface_endpoint_azs AZs.
    assert set(found.values()) <= {config.network.interface_endpoint_azs}


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        # App Runner pulls, injects secrets and ships logs outside the connector: only ai's way in.
        ("dev", {"apprunner.requests"}),
        ("staging", {"apprunner.requests"}),
        ("minimal", {"apprunner.requests"}),
        # Fargate tasks pull, read secrets and log through their own interface.
        ("dev-ecs", ECS_PULL),
        ("dev-mixed", ECS_PULL | {"apprunner.requests"}),
        # App Runner and GPU instances: the agent fetches the vLLM key and writes its logs.
        ("dev-gpu", {"secretsmanager", "logs", "apprunner.requests"}),
        # prod keeps the spec's list for its one-off callers too; sts has no caller.
        ("prod", ECS_PULL | {"apprunner.requests"}),
        ("prod-ecs", ECS_PULL),
    ],
)
def test_choice_per_profile(synths: dict[str, Synth], scenario: str, expected: set[str]) -> None:
    assert set(_interface_endpoints(synths[scenario])) == expected


@pytest.mark.parametrize("scenario", sorted(ALL))
def test_every_aws_api_a_workload_calls_has_a_caller_in_the_table(
    synths: dict[str, Synth], scenario: str
) -> None:
    env, overrides = ALL[scenario]
    config = load_config(env=env, overrides=overrides)
    model = read_synth(synths[scenario])
    needed = {need.service for w in model.workloads for need in w.needs} - {"s3", "internet"}
    documented = set(endpoints.TABLE) | set(endpoints.THROUGH_NAT)
    assert needed <= documented, f"add {sorted(needed - documented)} to network/endpoints.py's table"
    # And the other way: the table claims no caller the template does not have.
    claimed = {service for service in endpoints.SPEC_ENDPOINTS if endpoints.callers(config, service)}
    assert claimed == needed & set(endpoints.SPEC_ENDPOINTS)


def test_the_table_fails_on_a_caller_it_does_not_know(synths: dict[str, Synth]) -> None:
    """The check above is shown to fail: a workload that needs an API the table never names."""
    from dataclasses import replace

    from foundry_templates.model import Need

    model = read_synth(synths["dev"])
    workload = model.workloads[0]
    model.workloads[0] = replace(workload, needs=(*workload.needs, Need("kinesis", "stream write")))
    needed = {need.service for w in model.workloads for need in w.needs} - {"s3", "internet"}
    assert not needed <= set(endpoints.TABLE) | set(endpoints.THROUGH_NAT)


def test_every_caller_cites_aws_documentation() -> None:
    for service, callers in endpoints.TABLE.items():
        for caller in callers:
            assert caller.source.startswith("https://docs.aws.amazon.com/"), (service, caller.who)
    for service in endpoints.SPEC_ENDPOINTS:
        assert endpoints.TABLE[service] or service in endpoints.NO_CALLER


def test_reasons_name_the_callers_and_the_deviation() -> None:
    dev, prod = load_config(env="dev"), load_config(env="prod")
    assert endpoints.deviations(prod) == [endpoints.reason(prod, "sts")]
    assert "no workload calls STS" in endpoints.reason(prod, "sts")
    assert "migration task" in endpoints.reason(prod, "ecr.api")
    dev_lines = endpoints.deviations(dev)
    assert len(dev_lines) == 5
    assert "only occasional callers" in endpoints.reason(dev, "secretsmanager")
    assert "rotation function" in endpoints.reason(dev, "secretsmanager")
    explicit = load_config(env="dev", overrides=('network.interface_endpoints=["logs"]',))
    assert endpoints.chosen(explicit) == ("logs",)
    assert "network.interface_endpoints" in endpoints.reason(explicit, "ecr.api")


def test_the_documented_table_is_the_code_table() -> None:
    from pathlib import Path

    from foundry_infra.network.endpoints_doc import render_into

    doc = Path(__file__).resolve().parents[2] / "docs" / "cost-aware.md"
    text = doc.read_text()
    assert render_into(text) == text, (
        "stale: run `.venv/bin/python -m foundry_infra.network.endpoints_doc docs/cost-aware.md`"
    )
    # Shown to fail: a document whose table lost a row is stale.
    row = next(line for line in text.splitlines() if line.startswith("| `sts`"))
    assert render_into(text.replace(row + "\n", "")) != text.replace(row + "\n", "")
