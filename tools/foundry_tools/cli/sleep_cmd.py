"""`foundry sleep|wake --env ENV`: put an environment to sleep or wake it by hand (issue 18)."""

import typer

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config


def _run(action: str, env: str, config_file: ConfigFileOption, overrides: SetOption) -> None:
    from foundry_tools.sleep import Clients, run

    config = resolve_config(env, config_file, overrides)
    if config.name == "prod":
        raise UserError(f"`foundry {action}` is for dev and staging: prod serves around the clock")
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    region = config.region
    clients = Clients(
        apprunner=session.client("apprunner", region_name=region),
        ecs=session.client("ecs", region_name=region),
        rds=session.client("rds", region_name=region),
    )
    outcome = run(config, clients=clients, action="sleep" if action == "sleep" else "wake")
    for line in outcome.lines:
        typer.echo(line)
    for problem in outcome.problems:
        typer.echo(f"problem: {problem}", err=True)
    if not outcome.ok:
        raise UserError(f"{len(outcome.problems)} part(s) of {config.name} did not {action}; see above")
    typer.echo(f"{config.name}: {'asleep' if action == 'sleep' else 'awake'} (changes take a few minutes)")


def sleep(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Pause App Runner, scale ECS to 0, stop RDS: what the sleep schedule does after hours."""
    _run("sleep", env, config_file, overrides)


def wake(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Start RDS, resume App Runner, restore ECS: what the wake schedule does each working morning."""
    _run("wake", env, config_file, overrides)


def register(app: typer.Typer) -> None:
    app.command("sleep")(sleep)
    app.command("wake")(wake)
