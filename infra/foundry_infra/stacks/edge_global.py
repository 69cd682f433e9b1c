"""What CloudFront requires in us-east-1 whatever the environment's region: the web ACL and the
certificate. The platform stack reads them through cross-region references."""

from aws_cdk import Environment, Stack
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.edge.dns import edge_certificate, hosted_zone
from foundry_infra.edge.waf import EdgeWebAcl

EDGE_REGION = "us-east-1"


class EdgeGlobalStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=EDGE_REGION),
            description=f"Foundry {config.name}: CloudFront web ACL and certificate (us-east-1)",
        )
        self.web_acl = EdgeWebAcl(self, "Waf", config=config.waf, name=f"foundry-{config.name}-edge")
        self.certificate: acm.ICertificate | None = None
        edge = config.edge
        if edge.domain_name and edge.hosted_zone_id and edge.hosted_zone_name:
            zone = hosted_zone(self, "Zone", zone_id=edge.hosted_zone_id, zone_name=edge.hosted_zone_name)
            self.certificate = edge_certificate(self, "Certificate", domain_name=edge.domain_name, zone=zone)
