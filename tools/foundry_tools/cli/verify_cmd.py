"""`foundry verify`: the spec's acceptance checklist as proofs, on the synthesized templates or, with
--live, on the deployed account (read-only calls plus HTTP probes)."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config
from foundry_tools.cli.synthesis import default_out, synth_or_exit

if TYPE_CHECKING:
    from foundry_infra.config.model import EnvironmentConfig
    from foundry_templates.model import EnvironmentModel


class VerifyFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"


def verify(
    env: EnvOption,
    from_dir: Annotated[
        Path | None, typer.Option("--from", help="Read existing templates (a `foundry synth --out` folder).")
    ] = None,
    output: Annotated[VerifyFormat, typer.Option("--format", help="Output format.")] = VerifyFormat.TABLE,
    live: Annotated[bool, typer.Option("--live", help="Check the deployed account (read-only).")] = False,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
) -> None:
    """Prove each line of the spec's §15 checklist and §13 posture: PASS, FAIL or DEVIATION, with evidence."""
    from foundry_tools.verify.checks import run_checks
    from foundry_tools.verify.report import as_json, junit, table
    from foundry_tools.verify.results import Status

    config = resolve_config(env, config_file, overrides)
    if live and from_dir is not None:
        raise UserError("--live reads the deployed account; --from reads templates: choose one")
    model = _read_live(config) if live else _read_offline(env, config, from_dir)
    results = run_checks(model, config)
    render = {VerifyFormat.TABLE: table, VerifyFormat.JSON: as_json, VerifyFormat.JUNIT: junit}[output]
    typer.echo(render(results, environment=env))
    if any(result.status is Status.FAIL for result in results):
        raise typer.Exit(1)


def _read_offline(env: str, config: "EnvironmentConfig", from_dir: Path | None) -> "EnvironmentModel":
    from foundry_templates import SynthesizedEnvironment

    from foundry_tools.verify.offline import read_synth

    if from_dir is None:
        from_dir = default_out(env)
        synth_or_exit(config=config, out_dir=from_dir)
    try:
        return read_synth(SynthesizedEnvironment(from_dir))
    except FileNotFoundError as error:
        raise UserError(str(error)) from None


def _read_live(config: "EnvironmentConfig") -> "EnvironmentModel":
    """The same model from the deployed account: credentials first (fail at once), then read-only calls."""
    from botocore.exceptions import BotoCoreError, ClientError

    from foundry_tools.aws import NoCredentialsError, require_credentials
    from foundry_tools.verify.live import LiveError, read_live, session_clients

    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    try:
        return read_live(config, clients=session_clients(session))
    except LiveError as error:
        raise UserError(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise UserError(f"cannot read the {config.name} environment: {error}") from None


def register(app: typer.Typer) -> None:
    app.command()(verify)
