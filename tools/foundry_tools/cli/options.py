"""Options shared by every command that works on one environment."""

from pathlib import Path
from typing import Annotated

import typer
from foundry_infra.config import ConfigError, EnvironmentConfig, load_config

EnvOption = Annotated[
    str,
    typer.Option("--env", "-e", help="Environment profile: dev, staging or prod.", show_default=False),
]
ConfigFileOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file with overrides (same keys as `foundry config show`)."),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override one key, e.g. --set network.nat_gateways=2 (repeatable)."),
]


class UserError(Exception):
    """A problem the user can fix; printed as one message, never as a traceback."""


def resolve_config(env: str, config_file: Path | None, overrides: list[str] | None) -> EnvironmentConfig:
    try:
        return load_config(env=env, config_file=config_file, overrides=overrides or ())
    except ConfigError as error:
        raise UserError(str(error)) from None


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
