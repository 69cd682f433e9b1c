"""Running the pinned CDK CLI (node_modules/.bin/cdk) over a fresh synth: what diff and deploy share."""

import os
import shutil
import subprocess
from pathlib import Path

import typer

from foundry_tools.aws import NoCredentialsError, require_credentials
from foundry_tools.cli.options import UserError, echo_err, resolve_config
from foundry_tools.cli.synthesis import default_out, synth_or_exit
from foundry_tools.paths import REPO_ROOT


def cdk_cli() -> str:
    cli = os.environ.get("FOUNDRY_CDK_CLI") or str(REPO_ROOT / "node_modules" / ".bin" / "cdk")
    if not Path(cli).exists() and not shutil.which(cli):
        raise UserError(f"the pinned CDK CLI is missing at {cli}; run `make setup` (npm ci) first")
    return cli


def run_cdk(*, action: list[str], env: str, config_file: Path | None, overrides: list[str] | None) -> None:
    """Synthesize the environment into cdk.out/ENV and run `cdk ACTION` over all of its stacks; exits
    with the CDK CLI's status."""
    config = resolve_config(env, config_file, overrides)
    try:
        require_credentials()
    except NoCredentialsError as error:
        raise UserError(str(error)) from None
    cli = cdk_cli()
    out_dir = default_out(env)
    synth_or_exit(config=config, out_dir=out_dir)
    command = [cli, *action, "--app", str(out_dir), "--all"]
    echo_err("running: " + " ".join(command))
    completed = subprocess.run(command, check=False)  # noqa: S603 - fixed argv, no shell
    raise typer.Exit(completed.returncode)
