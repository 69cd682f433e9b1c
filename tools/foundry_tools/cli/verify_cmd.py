"""`foundry verify`: the spec's acceptance checklist as proofs, on the synthesized templates."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config


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
    from foundry_infra.synthesized import SynthesizedEnvironment

    from foundry_tools.verify.checks import Status, run_checks
    from foundry_tools.verify.offline import read_synth
    from foundry_tools.verify.report import as_json, junit, table

    config = resolve_config(env, config_file, overrides)
    if live:
        from foundry_tools.aws import NoCredentialsError, require_credentials

        try:
            require_credentials()
        except NoCredentialsError as error:
            raise UserError(str(error)) from None
        raise UserError(
            "--live is not available yet: run the offline checks, and the runbook's AWS CLI probes"
        )
    if from_dir is None:
        from foundry_tools.cli.main import _default_out, _synth_or_exit

        from_dir = _default_out(env)
        _synth_or_exit(config_env=env, config=config, out_dir=from_dir)
    try:
        model = read_synth(SynthesizedEnvironment(from_dir))
    except FileNotFoundError as error:
        raise UserError(str(error)) from None
    results = run_checks(model, config)
    render = {VerifyFormat.TABLE: table, VerifyFormat.JSON: as_json, VerifyFormat.JUNIT: junit}[output]
    typer.echo(render(results, environment=env))
    if any(result.status is Status.FAIL for result in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(verify)
