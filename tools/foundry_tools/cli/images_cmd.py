"""`foundry images --env ENV`: the image tag each service of a deployed environment runs."""

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config
from foundry_tools.deploy.running import SERVICES, RunningImages, StackReadError, running_images


class ImagesFormat(StrEnum):
    TEXT = "text"
    GITHUB = "github"


def read_running(*, session: Any, region: str, stack_name: str) -> RunningImages:
    try:
        return running_images(session.client("cloudformation", region_name=region), stack_name=stack_name)
    except StackReadError as error:
        raise UserError(str(error)) from None


def explicit_image_tags(*, config_file: Path | None, overrides: list[str] | None) -> set[str]:
    """The services whose image tag the caller chose (--set services.NAME.image_tag=... or the file)."""
    chosen = {
        service
        for service in SERVICES
        for item in overrides or ()
        if item.split("=", 1)[0].strip() == f"services.{service}.image_tag"
    }
    if config_file is not None and config_file.exists():
        try:
            services = tomllib.loads(config_file.read_text()).get("services", {})
        except tomllib.TOMLDecodeError:
            services = {}  # resolve_config reports the file's error
        chosen |= {service for service in SERVICES if "image_tag" in services.get(service, {})}
    return chosen


def keep_running_overrides(
    *, running: RunningImages, config_file: Path | None, overrides: list[str] | None
) -> list[str]:
    """--set items that keep each running image the caller did not name a tag for."""
    chosen = explicit_image_tags(config_file=config_file, overrides=overrides)
    return [
        f"services.{service}.image_tag={tag}"
        for service, tag in sorted(running.tags.items())
        if service not in chosen
    ]


def images(
    env: EnvOption,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
    output: Annotated[
        ImagesFormat, typer.Option("--format", help="text, or github: lines for $GITHUB_OUTPUT.")
    ] = ImagesFormat.TEXT,
) -> None:
    """Print the image tag each service runs, from the platform stack's outputs (none before the first
    deploy; any error other than "stack does not exist" exits 2)."""
    config = resolve_config(env, config_file, overrides)
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    running = read_running(
        session=session, region=config.region, stack_name=f"{config.stack_prefix}-platform"
    )
    if output is ImagesFormat.GITHUB:
        typer.echo(running.github_output(), nl=False)
        return
    if not running.stack_exists:
        typer.echo(f"{config.stack_prefix}-platform does not exist: nothing deployed yet")
        return
    for service, tag in sorted(running.tags.items()):
        typer.echo(f"{service:<4} {tag}")


def register(app: typer.Typer) -> None:
    app.command()(images)
