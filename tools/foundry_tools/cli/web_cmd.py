"""`foundry web publish --env ENV --dist DIR`: the web build into the assets bucket (edge.web_origin = s3)."""

from pathlib import Path
from typing import Annotated

import typer
from foundry_infra import outputs

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config

web_app = typer.Typer(help="The web build.", no_args_is_help=True)


@web_app.command("publish")
def publish(
    env: EnvOption,
    dist: Annotated[Path, typer.Option("--dist", help="The web build (services/web/dist).")],
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
) -> None:
    """Upload the build to the assets bucket (hashed assets first, index.html last) and invalidate
    index.html; does nothing when App Runner serves web (edge.web_origin = apprunner)."""
    from foundry_tools.deploy.running import StackReadError, stack_outputs
    from foundry_tools.deploy.web_publish import PublishError
    from foundry_tools.deploy.web_publish import publish as publish_build

    config = resolve_config(env, config_file, overrides)
    if config.edge.web_origin != "s3":
        typer.echo(
            f"edge.web_origin is {config.edge.web_origin}: the web service serves the app, nothing to publish"
        )
        return
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    stack = f"{config.stack_prefix}-platform"
    try:
        found = stack_outputs(session.client("cloudformation", region_name=config.region), stack_name=stack)
    except StackReadError as error:
        raise UserError(str(error)) from None
    if found is None or outputs.ASSETS_BUCKET not in found or outputs.DISTRIBUTION_ID not in found:
        raise UserError(
            f"{stack} has no {outputs.ASSETS_BUCKET}/{outputs.DISTRIBUTION_ID} outputs: deploy it first"
        )
    try:
        uploads = publish_build(
            s3=session.client("s3", region_name=config.region),
            cloudfront=session.client("cloudfront"),
            dist=dist,
            bucket=found[outputs.ASSETS_BUCKET],
            distribution_id=found[outputs.DISTRIBUTION_ID],
        )
    except PublishError as error:
        raise UserError(str(error)) from None
    typer.echo(
        f"published {len(uploads)} files to s3://{found[outputs.ASSETS_BUCKET]} (index.html last); "
        f"invalidated / and /index.html on {found[outputs.DISTRIBUTION_ID]}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(web_app, name="web")
