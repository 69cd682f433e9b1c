"""`foundry migrate --env ENV plan|apply`: database migrations inside the VPC, prod snapshot first."""

from enum import StrEnum
from typing import Annotated

import typer

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config


class MigrateAction(StrEnum):
    PLAN = "plan"
    APPLY = "apply"


def migrate(
    action: Annotated[
        MigrateAction, typer.Argument(help="plan: show pending SQL, change nothing; apply: run it.")
    ],
    env: EnvOption,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
) -> None:
    """Plan or apply the api's database migrations with a one-off task in the private subnets."""
    from foundry_tools.migrate import MigrateError, read_target, run_migrations, take_snapshot

    config = resolve_config(env, config_file, overrides)
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    region = config.region
    try:
        target = read_target(
            session.client("cloudformation", region_name=region), stack_name=f"{config.stack_prefix}-platform"
        )
        if action is MigrateAction.APPLY and config.name == "prod":
            typer.echo(f"taking a manual snapshot of {target.database_instance} before applying ...")
            snapshot = take_snapshot(
                session.client("rds", region_name=region), instance=target.database_instance, env=env
            )
            typer.echo(
                f"snapshot {snapshot} is available: the way back is in docs/runbooks.md ('Undo a migration')"
            )
        result = run_migrations(
            ecs=session.client("ecs", region_name=region),
            logs=session.client("logs", region_name=region),
            target=target,
            action=action.value,
            report=typer.echo,
        )
    except MigrateError as error:
        raise UserError(str(error)) from None
    for line in result.log_lines:
        typer.echo(f"  | {line}")
    if not result.succeeded:
        typer.echo(
            f"migration {action.value} failed (exit {result.exit_code}): {result.stopped_reason}", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"migration {action.value} finished")


def register(app: typer.Typer) -> None:
    app.command()(migrate)
