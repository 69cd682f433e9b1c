"""`foundry diff`: what a deploy would change in the account."""

import typer

from foundry_tools.cli.cdk import run_cdk
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption


def diff(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Show what a deploy would change in the account (runs the pinned CDK CLI)."""
    run_cdk(action=["diff"], env=env, config_file=config_file, overrides=overrides)


def register(app: typer.Typer) -> None:
    app.command()(diff)
