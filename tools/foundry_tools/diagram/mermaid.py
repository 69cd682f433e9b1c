"""Mermaid flowchart text for a Diagram."""

from foundry_tools.diagram.model import Cluster, Diagram, Node

SHAPES = {
    "database": ('[("', '")]'),
    "bucket": ('[("', '")]'),
    "user": ('(["', '"])'),
    "external": ('(["', '"])'),
    "nat": ('{{"', '"}}'),
}
ARROWS = {"flow": "-->", "sg": "==>", "attach": "-.-"}
CLASSES = {
    "nat": "fill:#fde68a,stroke:#b45309,color:#111",
    "endpoint": "fill:#d1fae5,stroke:#065f46,color:#111",
    "database": "fill:#bfdbfe,stroke:#1d4ed8,color:#111",
    "bucket": "fill:#bfdbfe,stroke:#1d4ed8,color:#111",
    "service": "fill:#fbcfe8,stroke:#9d174d,color:#111",
    "connector": "fill:#f5f5f4,stroke:#57534e,color:#111",
}


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")


def _node_line(node: Node, indent: str) -> str:
    start, end = SHAPES.get(node.kind, ('["', '"]'))
    return f"{indent}{node.id}{start}{_escape(node.label)}{end}"


def render(diagram: Diagram) -> str:
    lines = ["flowchart LR"]
    children: dict[str | None, list[Cluster]] = {}
    for cluster in diagram.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    used = {node.cluster for node in diagram.nodes}

    def non_empty(cluster: Cluster) -> bool:
        return cluster.id in used or any(non_empty(child) for child in children.get(cluster.id, []))

    def emit(parent: str | None, depth: int) -> None:
        indent = "  " * depth
        for node in diagram.nodes:
            if node.cluster == parent:
                lines.append(_node_line(node, indent))
        for cluster in children.get(parent, []):
            if not non_empty(cluster):
                # An empty subnet still shows, so that every AZ shows its three tiers.
                lines.append(f'{indent}subgraph {cluster.id}["{_escape(cluster.label)}"]')
                lines.append(f'{indent}  {cluster.id}_empty[" "]:::empty')
                lines.append(f"{indent}end")
                continue
            lines.append(f'{indent}subgraph {cluster.id}["{_escape(cluster.label)}"]')
            emit(cluster.id, depth + 1)
            lines.append(f"{indent}end")

    emit(None, 1)
    for edge in diagram.edges:
        label = f"|{_escape(edge.label)}|" if edge.label else ""
        lines.append(f"  {edge.source} {ARROWS[edge.style]}{label} {edge.target}")
    for kind, style in CLASSES.items():
        members = [node.id for node in diagram.nodes if node.kind == kind]
        if members:
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(members)} {kind}")
    lines.append("  classDef empty fill:none,stroke:none")
    return "\n".join(lines) + "\n"
