"""`foundry up`, `foundry token` and `foundry logs`: the local twin from the command line."""

from pathlib import Path
from typing import Annotated

import typer

from foundry_tools.cli.options import UserError
from foundry_tools.paths import REPO_ROOT

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
    env: Annotated[
        str,
        typer.Option(
            "--env",
            "-e",
            help="Mirror this environment's edge: staging and prod apply their web ACL; dev applies none.",
        ),
    ] = "dev",
    acl_from: Annotated[
        Path | None,
        typer.Option(
            "--from", help="A `foundry synth --out` folder to take the web ACL from [default: synthesize]."
        ),
    ] = None,
) -> None:
    """Run the whole system locally (Postgres, S3 emulator, AI stub, ai, api, web behind an edge)."""
    from foundry_twin.state import TwinPaths
    from foundry_twin.up import TwinError, run_twin

    web_acl_template = None if env == "dev" and acl_from is None else _edge_template(env, data_dir, acl_from)
    try:
        code = run_twin(
            paths=TwinPaths(data_dir),
            port=port,
            web_root=web_root,
            reset=reset,
            report=_report,
            web_acl_template=web_acl_template,
        )
    except TwinError as error:
        raise UserError(str(error)) from None
    raise typer.Exit(code)


def _edge_template(env: str, data_dir: Path, acl_from: Path | None) -> Path:
    """The edge stack template whose web ACL the twin's edge applies, synthesized if not given."""
    from foundry_twin.edge_waf import load_web_acl

    from foundry_tools.cli.options import resolve_config

    config = resolve_config(env, None, None)
    out_dir = acl_from or data_dir / "synth" / config.name
    if acl_from is None:
        from foundry_tools.synth import synthesize

        _report(f"synthesizing {config.name} for its web ACL into {out_dir}/ (about a minute) ...")
        result = synthesize(config=config, out_dir=out_dir)
        if not result.ok:
            raise UserError(f"`foundry synth --env {config.name}` has cdk-nag findings; fix them first")
    template = out_dir / f"{config.stack_prefix}-edge.template.json"
    if not template.is_file():
        raise UserError(
            f"no {template.name} in {out_dir}; run `foundry synth --env {config.name} --out {out_dir}`"
        )
    try:
        acl = load_web_acl(template)
    except ValueError as error:
        raise UserError(str(error)) from None
    _report(f"the edge applies {config.name}'s web ACL {acl.name} ({len(acl.rules)} rules) from {template}")
    return template


def token(
    user: Annotated[str, typer.Option("--user", help="User name; the same name is the same user.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Print a dev sign-in token for the running twin (last line of output), for scripts and curl."""
    from foundry_twin.issuer import LocalIssuer
    from foundry_twin.state import TwinPaths, read_state

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
        str | None, typer.Argument(help="traces, postgres, s3, ai-upstream, issuer, ai, api or edge.")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines per part.")] = 40,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Show the last lines of the twin's logs (all parts, or one)."""
    from foundry_twin.state import TwinPaths

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
