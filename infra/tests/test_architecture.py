"""One architecture story (issue 20): every task definition that runs one of our images, on every
scenario, runs a CPU the deploy workflow builds for, and so does every App Runner service."""

import json
from pathlib import Path
from typing import Any

import pytest
from foundry_infra.config import load_config
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_infra.services.architecture import APP_RUNNER_PLATFORM, DOCKER_PLATFORM, required_platforms
from foundry_templates import SynthesizedEnvironment as Synth
from ruamel.yaml import YAML

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "deploy-environment.yml"
ALL = {**SCENARIOS, **MATRIX}


def workflow_platforms() -> set[str]:
    (job,) = YAML(typ="safe").load(WORKFLOW.read_text())["jobs"].values()
    return set(job["env"]["IMAGE_PLATFORMS"].split(","))


def _uses_our_image(container: dict[str, Any]) -> bool:
    """An image from one of the environment's ECR repositories (not the public vLLM image)."""
    return ".dkr.ecr." in json.dumps(container.get("Image", ""))


def missing_platforms(synth: Synth, *, platforms: set[str]) -> list[str]:
    """What runs our images on a CPU the workflow does not build for: '<logical id>: <platform>'."""
    missing = []
    for path in sorted(synth.out_dir.glob("*.template.json")):
        resources = json.loads(path.read_text()).get("Resources", {})
        for logical_id, resource in resources.items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::ECS::TaskDefinition":
                if not any(_uses_our_image(c) for c in props.get("ContainerDefinitions", [])):
                    continue
                # ECS's default without a RuntimePlatform is X86_64 (Linux).
                cpu = props.get("RuntimePlatform", {}).get("CpuArchitecture", "X86_64")
                if DOCKER_PLATFORM[cpu] not in platforms:
                    missing.append(f"{logical_id}: {DOCKER_PLATFORM[cpu]}")
            if resource["Type"] == "AWS::AppRunner::Service" and APP_RUNNER_PLATFORM not in platforms:
                missing.append(f"{logical_id}: {APP_RUNNER_PLATFORM}")
    return missing


@pytest.mark.parametrize("scenario", sorted(ALL))
def test_every_task_definition_runs_a_cpu_the_workflow_builds(
    synths: dict[str, Synth], scenario: str
) -> None:
    synth = synths[scenario]
    assert missing_platforms(synth, platforms=workflow_platforms()) == []
    env, overrides = ALL[scenario]
    assert required_platforms(load_config(env=env, overrides=overrides)) <= workflow_platforms()


def test_the_migration_runner_follows_the_configured_architecture(synths: dict[str, Synth]) -> None:
    (task,) = [
        props
        for props in (
            synths["dev"].platform.props(key)
            for key in synths["dev"].platform.of_type("AWS::ECS::TaskDefinition")
        )
        if props.get("Family") == "foundry-dev-migrations"
    ]
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"  # services.ecs_cpu_architecture's default
    x86 = load_config(env="dev", overrides=["services.ecs_cpu_architecture=x86_64"])
    assert required_platforms(x86) == {"linux/amd64"}


def test_the_tie_fails_when_the_workflow_builds_amd64_only(synths: dict[str, Synth]) -> None:
    # Today's arm64 Fargate tasks (services on ECS and the migration runner) need linux/arm64.
    ecs = missing_platforms(synths["dev-ecs"], platforms={"linux/amd64"})
    assert len(ecs) >= 4 and all(item.endswith("linux/arm64") for item in ecs), ecs
    assert missing_platforms(synths["dev"], platforms={"linux/arm64"}), "App Runner needs linux/amd64"
