"""`foundry config show`: the resolved configuration of an environment."""

import json
from enum import StrEnum
from typing import Annotated

import tomli_w
import typer

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, resolve_config

config_app = typer.Typer(help="Inspect environment configuration.", no_args_is_help=True)


class OutputFormat(StrEnum):
    TOML = "toml"
    JSON = "json"


@config_app.command("show")
def config_show(
    env: EnvOption,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.TOML,
) -> None:
    """Print the resolved configuration of an environment (profile + --config + --set)."""
    config = resolve_config(env, config_file, overrides)
    data = config.model_dump(mode="json", exclude_none=output is OutputFormat.TOML)
    typer.echo(json.dumps(data, indent=2) if output is OutputFormat.JSON else tomli_w.dumps(data), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
