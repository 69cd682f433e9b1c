"""`foundry`: one command for the platform's whole life cycle."""

import json
import os
import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import tomli_w
import typer
from foundry_infra.config import EnvironmentConfig

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli import cost_cmd, diagram_cmd, images_cmd, migrate_cmd, twin_cmd, verify_cmd, web_cmd
from foundry_tools.cli.options import (
    ConfigFileOption,
    EnvOption,
    SetOption,
    UserError,
    echo_err,
    resolve_config,
)
from foundry_tools.cli.synthesis import default_out, synth_or_exit

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


@app.command()
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
    out_dir = default_out(env)
    synth_or_exit(config=config, out_dir=out_dir)
    command = [cli, *action, "--app", str(out_dir), "--all"]
    echo_err("running: " + " ".join(command))
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
        echo_err(
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
        echo_err("keeping the running images: " + ", ".join(item.split(".", 1)[1] for item in kept))
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
        echo_err(f"error: {error}")
        sys.exit(2)


if __name__ == "__main__":
    main()
