"""`foundry preflight` and `foundry deploy`: refuse placeholders, then deploy with the pinned CDK CLI."""

from typing import Annotated

import typer
from foundry_infra.config import EnvironmentConfig

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli import images_cmd
from foundry_tools.cli.cdk import cdk_cli, run_cdk
from foundry_tools.cli.options import (
    ConfigFileOption,
    EnvOption,
    SetOption,
    UserError,
    echo_err,
    resolve_config,
)


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


def preflight(env: EnvOption, config_file: ConfigFileOption = None, overrides: SetOption = None) -> None:
    """Check, offline, that no placeholder would deploy (what `foundry deploy` checks first)."""
    config = resolve_config(env, config_file, overrides)
    _preflight_or_exit(config)
    typer.echo(f"preflight: {config.name} has no placeholder values; it may deploy")


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
            cdk_cli=cdk_cli(),
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
    run_cdk(
        action=["deploy", "--require-approval", approval],
        env=env,
        config_file=config_file,
        overrides=[*kept, *(overrides or [])],
    )


def register(app: typer.Typer) -> None:
    app.command()(preflight)
    app.command()(deploy)
