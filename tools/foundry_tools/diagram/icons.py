"""The Diagram drawn with AWS's architecture icons, through the `diagrams` package (Graphviz).

https://diagrams.mingrammer.com/docs/getting-started/installation · the icons are AWS's Architecture
Icons as the package ships them. Nodes get their model id as Graphviz id (the package would draw a
random one), so the same templates give the same picture.
"""

import tempfile
from pathlib import Path
from typing import Any

from diagrams import Cluster as IconCluster
from diagrams import Diagram as IconDiagram
from diagrams import Edge as IconEdge
from diagrams.aws.compute import AppRunner as AppRunnerIcon
from diagrams.aws.compute import EC2Instance, Lambda
from diagrams.aws.database import RDS, RDSPostgresqlInstance
from diagrams.aws.network import CloudFront, Endpoint, NATGateway, VPCElasticNetworkInterface
from diagrams.aws.storage import SimpleStorageServiceS3Bucket
from diagrams.generic.blank import Blank
from diagrams.onprem.client import Users
from diagrams.onprem.network import Internet

from foundry_tools.diagram.model import Cluster, Diagram, Node

ICONS: dict[str, Any] = {
    "user": Users,
    "external": Internet,
    "edge": CloudFront,
    "nat": NATGateway,
    "endpoint": Endpoint,
    "database": RDSPostgresqlInstance,
    "bucket": SimpleStorageServiceS3Bucket,
    "service": AppRunnerIcon,
    "connector": VPCElasticNetworkInterface,
    "other": Lambda,
}
EDGES = {
    "flow": {"style": "solid"},
    "sg": {"style": "bold", "color": "#9d174d"},
    "attach": {"style": "dashed", "color": "#57534e"},
}
FORMATS = ("png", "svg")


def _icon(node: Node) -> Any:
    if node.kind == "nat" and node.label.startswith("NAT instance"):
        return EC2Instance
    if node.kind == "database" and node.label == "RDS Proxy":
        return RDS
    return ICONS.get(node.kind, Blank)


def render_icons(diagram: Diagram, out: Path) -> None:
    """Write `out` (.png or .svg, by its suffix) with an icon per node, clusters as the model nests them."""
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"icons render {', '.join(FORMATS)}, not {out.suffix}")
    children: dict[str | None, list[Cluster]] = {}
    for cluster in diagram.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    drawn: dict[str, Any] = {}

    def emit(parent: str | None) -> None:
        for node in diagram.nodes:
            if node.cluster == parent:
                drawn[node.id] = _icon(node)(node.label, nodeid=node.id)
        for cluster in children.get(parent, []):
            with IconCluster(cluster.label):
                emit(cluster.id)
                if not any(n.cluster == cluster.id for n in diagram.nodes) and not children.get(cluster.id):
                    # An empty subnet still shows, so that every AZ shows its three tiers.
                    Blank("", nodeid=f"{cluster.id}_empty", width="0.3", height="0.3")

    with tempfile.TemporaryDirectory(prefix="foundry-diagram-") as work:
        # The package writes FILENAME (the DOT source, removed afterwards) and FILENAME.FORMAT.
        filename = Path(work) / "diagram"
        with IconDiagram(
            diagram.title,
            filename=str(filename),
            outformat=fmt,
            show=False,
            direction="LR",
            curvestyle="curved",
            graph_attr={"fontsize": "20", "pad": "0.4", "nodesep": "0.5", "ranksep": "1.2"},
            node_attr={"fontsize": "12"},
            edge_attr={"fontsize": "11"},
        ):
            emit(None)
            for edge in diagram.edges:
                line = IconEdge(label=edge.label, **EDGES[edge.style])
                if edge.style == "attach":  # no direction: the connector is the service's, in the VPC
                    drawn[edge.source] - line - drawn[edge.target]
                else:
                    drawn[edge.source] >> line >> drawn[edge.target]
        out.write_bytes(filename.with_suffix(f".{fmt}").read_bytes())
