"""`foundry diagram`: the architecture picture, derived from the synthesized templates."""

from pathlib import Path
from typing import Annotated

import typer
from foundry_templates import read_stacks

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError
from foundry_tools.cli.synthesis import FromOption, synthesized_dir
from foundry_tools.diagram.graphviz import GraphvizMissingError, render_dot, render_file
from foundry_tools.diagram.mermaid import render
from foundry_tools.diagram.model import build

FORMATS = (".mmd", ".dot", ".svg", ".png")


def diagram(
    env: EnvOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output file: .mmd (Mermaid), .dot, .svg (plain shapes) or .png (AWS icons)."
        ),
    ],
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
    from_dir: FromOption = None,
) -> None:
    """Draw the edge, both AZs with their tiers, NATs, endpoints, services, data stores and SG edges."""
    if out.suffix.lower() not in FORMATS:
        raise UserError(f"--out must end in one of {', '.join(FORMATS)} (got {out.name})")
    templates = read_stacks(
        synthesized_dir(env=env, config_file=config_file, overrides=overrides, from_dir=from_dir)
    )
    model = build(templates, title=f"Foundry {env}")
    suffix = out.suffix.lower()
    if suffix == ".mmd":
        out.write_text(render(model))
    elif suffix == ".dot":
        out.write_text(render_dot(model))
    else:
        try:
            render_file(model, out)
        except GraphvizMissingError as error:
            raise UserError(str(error)) from None
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("diagram")(diagram)
