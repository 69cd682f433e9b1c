"""`foundry`: one command for the platform's whole life cycle."""

import json
import os
import shutil
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import tomli_w
import typer
from foundry_infra.config import EnvironmentConfig

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli import cost_cmd, diagram_cmd, images_cmd, migrate_cmd, twin_cmd, verify_cmd, web_cmd
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config

app = typer.Typer(
    name="foundry",
    help="Foundry: synthesize, check, deploy and run the Universal AI Foundry platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect environment configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

REPO_ROOT = Path(__file__).resolve().parents[3]


class OutputFormat(StrEnum):
    TOML = "toml"
    JSON = "json"


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


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


def _default_out(env: str) -> Path:
    return Path("cdk.out") / env


@app.command()
def synth(
    env: EnvOption,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder [default: cdk.out/ENV].")] = None,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
) -> None:
    """Write the CloudFormation templates and the cdk-nag report; exit 1 on any unacknowledged finding."""
    config = resolve_config(env, config_file, overrides)
    out_dir = out or _default_out(env)
    _synth_or_exit(config_env=config.name, config=config, out_dir=out_dir)


def _synth_or_exit(*, config_env: str, config: object, out_dir: Path) -> None:
    from foundry_infra.config import EnvironmentConfig

    from foundry_tools.synth import synthesize

    assert isinstance(config, EnvironmentConfig)
    started = time.monotonic()
    _echo_err(f"synthesizing {config_env} into {out_dir}/ (about 10 s) ...")
    result = synthesize(config=config, out_dir=out_dir)
    elapsed = time.monotonic() - started
    if not result.ok:
        _echo_err(f"cdk-nag: {len(result.findings)} unacknowledged finding(s) in {config_env}:")
        for finding in result.findings:
            _echo_err(f"  {finding.rule} [{finding.severity}] {finding.construct_path}")
            _echo_err(f"      {finding.description.split('. ')[0]}.")
        _echo_err(
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


def _cdk_cli() -> str:
    cli = os.environ.get("FOUNDRY_CDK_CLI") or str(REPO_ROOT / "node_modules" / ".bin" / "cdk")
    if not Path(cli).exists() and not shutil.which(cli):
        raise UserError(f"the pinned CDK CLI is missing at {cli}; run `make setup` (npm ci) first")
    return cli


def _run_cdk(*, action: list[str], env: str, config_file: Path | None, overrides: list[str] | None) -> None:
    config = resolve_config(env, config_file, overrides)
    try:
        require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    cli = _cdk_cli()
    out_dir = _default_out(env)
    _synth_or_exit(config_env=env, config=config, out_dir=out_dir)
    command = [cli, *action, "--app", str(out_dir), "--all"]
    _echo_err("running: " + " ".join(command))
    completed = subprocess.run(command, check=False)  # noqa: S603 - fixed argv, no shell
    raise typer.Exit(completed.returncode)


@app.command()
def diff(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Show what a deploy would change in the account (runs the pinned CDK CLI)."""
    _run_cdk(action=["diff"], env=env, config_file=config_file, overrides=overrides)


def _preflight_or_exit(config: EnvironmentConfig) -> None:
    """Refuse a configuration that would deploy a broken or unowned environment: one line per key."""
    from foundry_infra.config.placeholders import placeholders

    found = placeholders(config)
    if found:
        lines = "\n".join(f"  {placeholder.line()}" for placeholder in found)
        raise UserError(
            f"{config.name} still has {len(found)} placeholder value(s) that must not deploy:\n{lines}"
        )
    if not config.auth.authorized_parties and not config.edge.domain_name:
        _echo_err(
            "warning: auth.authorized_parties is unset and there is no edge.domain_name, so api refuses "
            "every token until you set auth.authorized_parties to the SiteUrl output and deploy again"
        )


@app.command()
def preflight(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Check, offline, that no placeholder would deploy (what `foundry deploy` checks first)."""
    config = resolve_config(env, config_file, overrides)
    _preflight_or_exit(config)
    typer.echo(f"preflight: {config.name} has no placeholder values; it may deploy")


@app.command()
def deploy(
    env: EnvOption,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before security-broadening changes.")
    ] = False,
    first: Annotated[
        bool,
        typer.Option(
            "--first",
            help="First deploy into an empty account: bootstrap, registry stack, push the images, "
            "every stack, migrate apply (needs docker buildx and VITE_CLERK_PUBLISHABLE_KEY).",
        ),
    ] = False,
) -> None:
    """Deploy the environment's stacks with the pinned CDK CLI (asks before broadening changes)."""
    config = resolve_config(env, config_file, overrides)
    _preflight_or_exit(config)
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    if first:
        from foundry_tools.cli.first_cmd import first_deploy

        first_deploy(
            config=config,
            session=session,
            cdk_cli=_cdk_cli(),
            config_file=config_file,
            overrides=overrides or [],
        )
        return
    # Services whose tag the caller did not name keep the image they run now (the stack's outputs),
    # not the profile's `initial`, which the ECR lifecycle rule eventually deletes.
    running = images_cmd.read_running(
        session=session, region=config.region, stack_name=f"{config.stack_prefix}-platform"
    )
    kept = images_cmd.keep_running_overrides(running=running, config_file=config_file, overrides=overrides)
    if kept:
        _echo_err("keeping the running images: " + ", ".join(item.split(".", 1)[1] for item in kept))
    approval = "never" if yes else "broadening"
    _run_cdk(
        action=["deploy", "--require-approval", approval],
        env=env,
        config_file=config_file,
        overrides=[*kept, *(overrides or [])],
    )


for command_module in (twin_cmd, cost_cmd, diagram_cmd, images_cmd, migrate_cmd, verify_cmd, web_cmd):
    command_module.register(app)


def main() -> None:
    try:
        app()
    except UserError as error:
        _echo_err(f"error: {error}")
        sys.exit(2)


if __name__ == "__main__":
    main()
