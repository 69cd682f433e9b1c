"""The step most commands share: synthesize the environment (stopping on cdk-nag findings), or read
templates already synthesized with `--from DIR`."""

import contextlib
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from foundry_infra.config import EnvironmentConfig

from foundry_tools.cli.options import UserError, echo_err, resolve_config

FromOption = Annotated[
    Path | None,
    typer.Option("--from", help="Read templates already synthesized in DIR instead of synthesizing."),
]


def default_out(env: str) -> Path:
    return Path("cdk.out") / env


def synth_or_exit(*, config: EnvironmentConfig, out_dir: Path) -> None:
    """Synthesize the environment into out_dir; on an unacknowledged cdk-nag finding list them and exit 1."""
    # Imported here: aws-cdk-lib takes seconds to load, and most commands never synthesize.
    from foundry_tools.synth import synthesize

    config_env = config.name
    started = time.monotonic()
    echo_err(f"synthesizing {config_env} into {out_dir}/ (about 10 s) ...")
    result = synthesize(config=config, out_dir=out_dir)
    elapsed = time.monotonic() - started
    if not result.ok:
        echo_err(f"cdk-nag: {len(result.findings)} unacknowledged finding(s) in {config_env}:")
        for finding in result.findings:
            echo_err(f"  {finding.rule} [{finding.severity}] {finding.construct_path}")
            echo_err(f"      {finding.description.split('. ')[0]}.")
        echo_err(
            "Fix the resource, or acknowledge the rule on that construct with a reason "
            "(foundry_infra.nag.acknowledge). Report: " + str(out_dir / "nag-report.json")
        )
        raise typer.Exit(1)
    for stack_name, path in result.templates.items():
        resources = len(result.template(stack_name).get("Resources", {}))
        typer.echo(f"  {stack_name:<28} {resources:>4} resources  {path}")
    typer.echo(
        f"cdk-nag AwsSolutions: 0 unacknowledged findings, {len(result.acknowledged)} acknowledged with "
        f"reasons ({out_dir / 'nag-report.json'}); {elapsed:.1f} s"
    )


def synthesized_dir(
    *, env: str, config_file: Path | None, overrides: list[str] | None, from_dir: Path | None
) -> Path:
    """The folder holding the environment's templates: `--from DIR`, or a fresh synth into cdk.out/ENV."""
    if from_dir is not None:
        if config_file or overrides:
            raise UserError(
                "--from reads existing templates; --config and --set need a synth, so drop --from"
            )
        if not any(from_dir.glob("*.template.json")):
            raise UserError(
                f"no *.template.json in {from_dir}; run `foundry synth --env {env} --out {from_dir}`"
            )
        return from_dir
    config = resolve_config(env, config_file, overrides)
    out_dir = default_out(env)
    # The synth's progress lines go to stderr so that stdout stays the command's own output (JSON).
    with contextlib.redirect_stdout(sys.stderr):
        synth_or_exit(config=config, out_dir=out_dir)
    return out_dir
