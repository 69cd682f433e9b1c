"""Issue 20: every workload in the VPC reaches each AWS API it needs, through an interface endpoint
whose group admits it or through the NAT where no endpoint with private DNS exists, on every scenario.

The invariant is `foundry verify`'s own check (verify/reachability.py) over the templates; what each
workload needs is derived from its resource (verify/needs.py), and these tests pin that derivation
for the workloads the issue names, so an empty reading cannot pass.
"""

import pytest
from foundry_infra.config import load_config
from foundry_infra.network import endpoints
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates.model import EnvironmentModel
from foundry_tools.verify.offline import read_synth
from foundry_tools.verify.reachability import workloads_reach_their_apis
from foundry_tools.verify.results import CheckResult, Status

ALL = {**SCENARIOS, **MATRIX}
ECR = {"ecr.api", "ecr.dkr", "s3"}


def _kinds(model: EnvironmentModel) -> dict[str, set[str]]:
    return {w.id: {n.service for n in w.needs} for w in model.workloads}


@pytest.mark.parametrize("scenario", sorted(ALL))
def test_every_workload_reaches_the_aws_apis_it_needs(synths: dict[str, Synth], scenario: str) -> None:
    env, overrides = ALL[scenario]
    config = load_config(env=env, overrides=overrides)
    model = read_synth(synths[scenario])
    result = CheckResult("workloads-reach-aws-apis", "", "")
    workloads_reach_their_apis(model, config, result)
    assert result.status is Status.PASS, [e for e in result.evidence if e.startswith("FAIL")]

    needs = _kinds(model)
    # The migration runner pulls the api image from ECR, reads DATABASE_SECRET and logs with awslogs.
    (migrations,) = [w for w in needs if w.startswith("MigrationsTask")]
    assert needs[migrations] == ECR | {"secretsmanager", "logs"}
    # The rotation function calls Secrets Manager (through the endpoint it names, where there is one).
    (rotation,) = [w for w in model.workloads if w.id.startswith("DatabaseInstanceRotation")]
    assert [n.service for n in rotation.needs] == ["secretsmanager"]
    assert (rotation.needs[0].endpoint is not None) is ("secretsmanager" in endpoints.chosen(config))
    for name in ("web", "api", "ai"):
        service = getattr(config.services, name)
        if service.compute == "ecs":
            (task,) = [w for w in needs if w.startswith(f"{name.capitalize()}Tasks")]
            assert ECR | {"logs"} <= needs[task]
        elif name != "web":  # App Runner's web has no VPC connector
            (connector,) = [
                w for w in model.workloads if w.kind.startswith("App Runner") and name.capitalize() in w.kind
            ]
            # App Runner pulls the image and resolves secrets itself: only the app's own calls remain.
            assert not {"ecr.api", "ecr.dkr", "logs"} & {n.service for n in connector.needs}
    gpu = [w for w in model.workloads if w.kind.startswith("EC2 container instances")]
    assert len(gpu) == int(config.gpu.enabled)
    if gpu:
        # The instances fetch the vLLM task's secret and write its logs; the image comes from outside AWS.
        assert {"secretsmanager", "logs", "ecs", "ecs-agent", "internet"} <= needs[gpu[0].id]


def test_endpoints_admit_exactly_the_workloads_that_use_them(synths: dict[str, Synth]) -> None:
    """No group is admitted to the interface endpoints without a need for them (least privilege)."""
    for scenario in ("dev", "dev-ecs-gpu", "prod-mixed-gpu"):
        model = read_synth(synths[scenario])
        (endpoint_group,) = {g for e in model.endpoints.values() if e.service == "ecr.api" for g in e.groups}
        admitted = {rule.source for rule in model.who_can_reach(endpoint_group, 443)}
        interface = {e.service for e in model.endpoints.values() if e.kind == "Interface" and e.private_dns}
        users = {
            group
            for w in model.workloads
            if {n.service for n in w.needs} & interface or any(n.endpoint for n in w.needs)
            for group in w.groups
        }
        assert admitted == users, scenario
