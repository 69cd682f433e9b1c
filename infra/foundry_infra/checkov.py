"""checkov skips, written into the template next to the resource they excuse, each with its reason.

checkov reads `Metadata.checkov.skip` from CloudFormation resources; a test fails when a skip has no
reason, so every exception is explained where a reviewer sees it.
"""

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct


def skip_checkov(construct: IConstruct, check_id: str, *, reason: str) -> None:
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to carry a checkov skip")
    if len(reason.strip()) < 20:
        raise ValueError(f"checkov skip {check_id} on {construct.node.path} needs a real reason")
    metadata: dict[str, Any] = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"] = [*metadata["skip"], {"id": check_id, "comment": reason}]
    resource.add_metadata("checkov", metadata)
