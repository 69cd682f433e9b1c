"""`foundry deploy --first`: the glue between the CLI and foundry_tools.deploy.first."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from foundry_infra.config import EnvironmentConfig
from foundry_infra.services.architecture import required_platforms
from foundry_infra.services.registry import repository_names

from foundry_tools.cli.options import UserError
from foundry_tools.cli.synthesis import default_out, synth_or_exit
from foundry_tools.deploy.first import Command, FirstDeploy, FirstDeployError, Image
from foundry_tools.paths import REPO_ROOT
from foundry_tools.synth import assembly_stacks

KEY = "VITE_CLERK_PUBLISHABLE_KEY"


def _run(command: Command) -> int:
    return subprocess.run(list(command), check=False, cwd=REPO_ROOT).returncode  # noqa: S603 - argv, no shell


def image_builds(*, config: EnvironmentConfig, registry: str) -> list[Image]:
    """The three images at their configured tags, for every platform this environment's backends run."""
    platforms = ",".join(sorted(required_platforms(config)))
    contexts = {"api": ["-f", "services/api/Dockerfile", "."], "ai": ["-f", "services/ai/Dockerfile", "."]}
    # web: the deployed build mode (dev sign-in compiled out; the build fails without the key), from
    # the repository root like the others (relay-compiler reads services/api/schema.graphql).
    web_args = ["--build-arg", "WEB_BUILD_MODE=deployed", "--build-arg", KEY]
    contexts["web"] = ["-f", "services/web/Dockerfile", *web_args, "."]
    images = []
    for service, repository in repository_names(f"foundry/{config.name}").items():
        tag = getattr(config.services, service.value).image_tag
        build = [
            "docker",
            "buildx",
            "build",
            "--platform",
            platforms,
            "--tag",
            f"{registry}/{repository}:{tag}",
        ]
        images.append(
            Image(
                service=service.value,
                repository=repository,
                tag=tag,
                build=[*build, "--push", *contexts[service.value]],
            )
        )
    return images


def first_deploy(
    *, config: EnvironmentConfig, session: Any, cdk_cli: str, config_file: Path | None, overrides: list[str]
) -> None:
    if config.edge.web_origin != "s3" and not os.environ.get(KEY):
        raise UserError(f"{KEY} is not set: the web image needs the environment's Clerk publishable key")
    out_dir = default_out(config.name)
    synth_or_exit(config=config, out_dir=out_dir)
    registry = f"{config.account}.dkr.ecr.{config.region}.amazonaws.com"
    ecr = session.client("ecr", region_name=config.region)
    password = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    import base64

    login = subprocess.run(  # noqa: S603 - fixed argv
        ["docker", "login", "--username", "AWS", "--password-stdin", registry],  # noqa: S607
        input=base64.b64decode(password).decode().split(":", 1)[1],
        text=True,
        capture_output=True,
        check=False,
    )
    if login.returncode != 0:
        raise UserError(f"docker login to {registry} failed: {login.stderr.strip()}")
    migrate = [
        str(Path(sys.executable).with_name("foundry")),
        "migrate",
        "apply",
        "--env",
        config.name,
        "--set",
        f"account={config.account}",
    ]
    if config_file is not None:
        migrate += ["--config", str(config_file)]
    for item in overrides:
        migrate += ["--set", item]
    plan = FirstDeploy(
        account=config.account,
        region=config.region,
        stack_prefix=config.stack_prefix,
        stacks=assembly_stacks(out_dir),
        cdk=[cdk_cli, "--app", str(out_dir)],
        images=image_builds(config=config, registry=registry)
        if config.edge.web_origin != "s3"
        else [image for image in image_builds(config=config, registry=registry) if image.service != "web"],
        migrate=migrate,
        cloudformation=lambda region: session.client("cloudformation", region_name=region),
        ecr=ecr,
        run=_run,
        report=typer.echo,
    )
    try:
        plan.execute()
    except FirstDeployError as error:
        raise UserError(str(error)) from None
    typer.echo(
        "first deploy done. Next: put the real secrets (docs/runbooks.md, 'Set the application secrets')"
        + ("; then `foundry web publish` the web build" if config.edge.web_origin == "s3" else "")
    )
