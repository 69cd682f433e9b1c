"""The origin-header and keep-alive-order checks (foundry_tools.verify.hops): every scenario passes
them, and each breakage of a synthesized template fails exactly that check, naming the resource."""

import copy
from typing import Any

import pytest
from foundry_contract import ORIGIN_VERIFY_HEADER, SERVER_KEEP_ALIVE_SECONDS
from foundry_infra.config import load_config
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment, Template
from foundry_tools.verify.checks import run_checks
from foundry_tools.verify.offline import read_templates
from foundry_tools.verify.results import Status

ALL = {**SCENARIOS, **MATRIX}


def _run(
    synth: SynthesizedEnvironment, scenario: str, platform: dict[str, Any] | None = None
) -> dict[str, Any]:
    env, overrides = ALL[scenario]
    model = read_templates(platform=Template(platform or synth.platform.body), edge=synth.edge)
    return {r.name: r for r in run_checks(model, load_config(env=env, overrides=overrides))}


def _resources(platform: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in platform["Resources"].items() if v["Type"] == kind}


@pytest.mark.parametrize("scenario", ["dev", "prod", "dev-ecs", "prod-mixed", "dev-mixed", "minimal"])
def test_every_scenario_passes_both_checks(synths: dict[str, SynthesizedEnvironment], scenario: str) -> None:
    results = _run(synths[scenario], scenario)
    for name in ("origin-header", "keep-alive-order"):
        assert results[name].status is Status.PASS, results[name].evidence


def test_web_on_app_runner_gets_and_checks_the_header(synths: dict[str, SynthesizedEnvironment]) -> None:
    evidence = " ".join(_run(synths["prod"], "prod")["origin-header"].evidence)
    assert "WebService" in evidence and "ApiService" in evidence


def _web_origin_without_header(platform: dict[str, Any]) -> str:
    (dist,) = _resources(platform, "AWS::CloudFront::Distribution").values()
    config = dist["Properties"]["DistributionConfig"]
    web = next(o for o in config["Origins"] if o["Id"] == config["DefaultCacheBehavior"]["TargetOriginId"])
    web.pop("OriginCustomHeaders")
    return str(web["Id"])


def _web_without_secret(platform: dict[str, Any]) -> str:
    ((key, web),) = [
        (k, v) for k, v in _resources(platform, "AWS::AppRunner::Service").items() if k.startswith("Web")
    ]
    image = web["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    image["RuntimeEnvironmentSecrets"] = [
        s for s in image["RuntimeEnvironmentSecrets"] if s["Name"] != "ORIGIN_VERIFY_SECRET"
    ]
    return key


def _web_task_without_secret(platform: dict[str, Any]) -> str:
    (task,) = [
        v for k, v in _resources(platform, "AWS::ECS::TaskDefinition").items() if k.startswith("WebTasks")
    ]
    container = task["Properties"]["ContainerDefinitions"][0]
    container["Secrets"] = [s for s in container["Secrets"] if s["Name"] != "ORIGIN_VERIFY_SECRET"]
    return "WebTasksService"


def _alb_idle_raised(platform: dict[str, Any]) -> str:
    key, lb = next(
        (k, v)
        for k, v in _resources(platform, "AWS::ElasticLoadBalancingV2::LoadBalancer").items()
        if k.startswith("OriginLb")
    )
    attributes = lb["Properties"]["LoadBalancerAttributes"]
    attributes[:] = [a for a in attributes if a["Key"] != "idle_timeout.timeout_seconds"]
    attributes.append({"Key": "idle_timeout.timeout_seconds", "Value": str(SERVER_KEEP_ALIVE_SECONDS)})
    return key


MUTATIONS = {
    "web origin without the header (App Runner)": ("prod", _web_origin_without_header, "origin-header"),
    "web service without the secret (App Runner)": ("prod", _web_without_secret, "origin-header"),
    "web origin without the header (ECS)": ("prod-mixed", _web_origin_without_header, "origin-header"),
    "web task without the secret (ECS)": ("prod-mixed", _web_task_without_secret, "origin-header"),
    "origin ALB idle timeout up to the servers' keep-alive": (
        "dev-ecs",
        _alb_idle_raised,
        "keep-alive-order",
    ),
}


@pytest.mark.parametrize("breakage", sorted(MUTATIONS))
def test_each_breakage_fails_exactly_its_check(
    synths: dict[str, SynthesizedEnvironment], breakage: str
) -> None:
    scenario, mutate, expected = MUTATIONS[breakage]
    platform = copy.deepcopy(synths[scenario].platform.body)
    named = mutate(platform)
    results = _run(synths[scenario], scenario, platform)
    assert {n for n, r in results.items() if r.status is Status.FAIL} == {expected}
    assert any(named in line for line in results[expected].evidence if line.startswith("FAIL"))
    if expected == "origin-header":
        assert any(ORIGIN_VERIFY_HEADER in line for line in results[expected].evidence)


def test_an_alb_without_the_attribute_is_judged_by_aws_default(
    synths: dict[str, SynthesizedEnvironment],
) -> None:
    """AWS's default idle timeout (60 s) applies when the attribute is absent."""
    platform = copy.deepcopy(synths["dev-ecs"].platform.body)
    for lb in _resources(platform, "AWS::ElasticLoadBalancingV2::LoadBalancer").values():
        lb["Properties"]["LoadBalancerAttributes"] = [
            a
            for a in lb["Properties"]["LoadBalancerAttributes"]
            if a["Key"] != "idle_timeout.timeout_seconds"
        ]
    model = read_templates(platform=Template(platform), edge=synths["dev-ecs"].edge)
    assert set(model.load_balancer_idle_timeouts.values()) == {60}
