"""The one reader of synthesized CloudFormation templates, as plain JSON (no CDK, no Node).

`foundry verify`, `foundry cost`, `foundry diagram` and the tests read templates through this package:
the stack templates of a synthesized folder (`synthesized`), resources by type (`template`), what a
Ref or GetAtt names (`references`), VPC endpoint services (`endpoints`), NAT gateways (`network`) and
the typed environment model the spec's checks question (`model`, built by `environment`).
"""

from foundry_templates.synthesized import SynthesizedEnvironment, read_region, read_stacks
from foundry_templates.template import Template

__all__ = ["SynthesizedEnvironment", "Template", "read_region", "read_stacks"]
