"""`foundry synth`: the templates and the cdk-nag report of an environment, offline."""

from pathlib import Path
from typing import Annotated

import typer

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, resolve_config
from foundry_tools.cli.synthesis import default_out, synth_or_exit


def synth(
    env: EnvOption,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder [default: cdk.out/ENV].")] = None,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
) -> None:
    """Write the CloudFormation templates and the cdk-nag report; exit 1 on any unacknowledged finding."""
    config = resolve_config(env, config_file, overrides)
    out_dir = out or default_out(env)
    synth_or_exit(config=config, out_dir=out_dir)


def register(app: typer.Typer) -> None:
    app.command()(synth)
