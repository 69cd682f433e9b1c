"""`foundry up`, `foundry token` and `foundry logs`: the local twin from the command line."""

from pathlib import Path
from typing import Annotated

import typer

from foundry_tools.cli.options import UserError

REPO_ROOT = Path(__file__).resolve().parents[3]
DataDirOption = Annotated[
    Path, typer.Option("--data-dir", help="Where the twin keeps its database, objects, keys and logs.")
]
DEFAULT_DATA_DIR = REPO_ROOT / ".foundry"


def up(
    port: Annotated[int, typer.Option("--port", help="Port of the edge on 127.0.0.1.")] = 8080,
    reset: Annotated[
        bool, typer.Option("--reset", help="Start empty: forget database rows and uploads.")
    ] = False,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    web_root: Annotated[Path, typer.Option("--web-root", help="The built web app.")] = REPO_ROOT
    / "services"
    / "web"
    / "dist",
) -> None:
    """Run the whole system locally (Postgres, S3 emulator, AI stub, ai, api, web behind an edge)."""
    from foundry_tools.twin.state import TwinPaths
    from foundry_tools.twin.up import TwinError, run_twin

    try:
        code = run_twin(paths=TwinPaths(data_dir), port=port, web_root=web_root, reset=reset, report=_report)
    except TwinError as error:
        raise UserError(str(error)) from None
    raise typer.Exit(code)


def token(
    user: Annotated[str, typer.Option("--user", help="User name; the same name is the same user.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Print a dev sign-in token for the running twin (last line of output), for scripts and curl."""
    from foundry_tools.twin.issuer import LocalIssuer
    from foundry_tools.twin.state import TwinPaths, read_state

    paths = TwinPaths(data_dir)
    state = read_state(paths)
    if state is None:
        raise UserError(f"the local twin is not running on {data_dir}; start it with `make up`")
    issuer = LocalIssuer.from_key_file(
        paths.issuer_key, issuer=state["urls"]["issuer"], default_azp=state["url"]
    )
    try:
        minted, expires_at = issuer.mint_for_user(user)
    except ValueError as error:
        raise UserError(f"--user {user!r}: {error}") from None
    typer.echo(
        f"token for user_{user}, valid until {expires_at} (unix time); use: curl -H 'Authorization: Bearer …' {state['url']}/graphql",
        err=True,
    )
    typer.echo(minted)


def logs(
    part: Annotated[
        str | None, typer.Argument(help="postgres, s3, ai-upstream, issuer, ai, api or edge.")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines per part.")] = 40,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Show the last lines of the twin's logs (all parts, or one)."""
    from foundry_tools.twin.state import TwinPaths

    paths = TwinPaths(data_dir)
    available = sorted(path.stem for path in paths.logs.glob("*.log"))
    if not available:
        raise UserError(f"no logs under {paths.logs}; start the twin with `make up`")
    if part is not None and part not in available:
        raise UserError(f"no log for {part!r}; parts with logs: {', '.join(available)}")
    for name in [part] if part else available:
        typer.echo(f"==> {paths.log(name)} <==")
        typer.echo("\n".join(paths.log(name).read_text(errors="replace").splitlines()[-lines:]))


def _report(line: str) -> None:
    typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(token)
    app.command()(logs)
