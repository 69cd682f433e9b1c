"""`foundry`: one command for the platform's whole life cycle.

This module only registers the commands; each lives in a module of its own (`<name>_cmd.py`).
"""

import sys

import typer

from foundry_tools.cli import (
    config_cmd,
    cost_cmd,
    deploy_cmd,
    diagram_cmd,
    diff_cmd,
    images_cmd,
    migrate_cmd,
    sleep_cmd,
    synth_cmd,
    twin_cmd,
    verify_cmd,
    web_cmd,
)
from foundry_tools.cli.options import UserError, echo_err

app = typer.Typer(
    name="foundry",
    help="Foundry: synthesize, check, deploy and run the Universal AI Foundry platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `foundry --help` lists them.
for command_module in (
    config_cmd,
    synth_cmd,
    diff_cmd,
    deploy_cmd,
    twin_cmd,
    cost_cmd,
    diagram_cmd,
    images_cmd,
    migrate_cmd,
    sleep_cmd,
    verify_cmd,
    web_cmd,
):
    command_module.register(app)


def main() -> None:
    try:
        app()
    except UserError as error:
        echo_err(f"error: {error}")
        sys.exit(2)


if __name__ == "__main__":
    main()
