"""Graphviz DOT text for a Diagram, rendered to SVG or PNG by the `dot` binary."""

import shutil
import subprocess
from pathlib import Path

from foundry_tools.diagram.icons import render_icons
from foundry_tools.diagram.mermaid import CLASSES
from foundry_tools.diagram.model import Cluster, Diagram

SHAPES = {"database": "cylinder", "bucket": "cylinder", "nat": "hexagon", "user": "oval", "external": "oval"}
EDGE_STYLES = {
    "flow": 'style="solid"',
    "sg": 'style="bold", color="#9d174d"',
    "attach": 'style="dashed", arrowhead="none"',
}


class GraphvizMissingError(RuntimeError):
    """`dot` is not installed."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fill(kind: str) -> str:
    style = dict(part.split(":", 1) for part in CLASSES.get(kind, "fill:#ffffff,stroke:#333333").split(","))
    return f'style="filled", fillcolor="{style["fill"]}", color="{style["stroke"]}"'


def render_dot(diagram: Diagram) -> str:
    lines = [
        f"digraph {_quote(diagram.title)} {{",
        '  graph [rankdir="LR", fontname="Helvetica", fontsize=11, compound=true];',
        '  node [shape="box", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    children: dict[str | None, list[Cluster]] = {}
    for cluster in diagram.clusters:
        children.setdefault(cluster.parent, []).append(cluster)

    def emit(parent: str | None, depth: int) -> None:
        indent = "  " * depth
        for node in diagram.nodes:
            if node.cluster == parent:
                shape = SHAPES.get(node.kind, "box")
                lines.append(
                    f"{indent}{node.id} [label={_quote(node.label)}, shape={shape}, {_fill(node.kind)}];"
                )
        for cluster in children.get(parent, []):
            lines.append(f"{indent}subgraph cluster_{cluster.id} {{")
            lines.append(f"{indent}  label={_quote(cluster.label)};")
            if not any(n.cluster == cluster.id for n in diagram.nodes) and not children.get(cluster.id):
                lines.append(f'{indent}  {cluster.id}_empty [label="", shape=point, style=invis];')
            emit(cluster.id, depth + 1)
            lines.append(f"{indent}}}")

    emit(None, 1)
    for edge in diagram.edges:
        lines.append(
            f"  {edge.source} -> {edge.target} [label={_quote(edge.label)}, {EDGE_STYLES[edge.style]}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_file(diagram: Diagram, out: Path) -> None:
    """Write `out` through Graphviz's `dot`: PNG with AWS's architecture icons (foundry_tools.diagram.icons),
    SVG with the clean shapes above (self-contained: an icon SVG would link the icon files on this disk)."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissingError(
            "Graphviz's `dot` is not installed; install it with `apt-get install graphviz` "
            "(or write Mermaid with --out FILE.mmd)"
        )
    fmt = out.suffix.lstrip(".").lower()
    if fmt == "png":
        render_icons(diagram, out)
        return
    completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [dot, f"-T{fmt}", "-o", str(out)],
        input=render_dot(diagram),
        text=True,
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dot failed: {completed.stderr.strip()}")
