"""The VPC's network resources as the templates declare them."""

from collections.abc import Iterable
from typing import Any

from foundry_templates.template import Template, resources_of_type


def nat_gateways(templates: Iterable[Template]) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every NAT gateway, stack after stack in template order.

    How many there are decides the environment's egress (one per AZ, or one shared) and its NAT bill:
    verify, cost and diagram all count them here.
    """
    return {
        logical_id: props for _, logical_id, props in resources_of_type(templates, "AWS::EC2::NatGateway")
    }
