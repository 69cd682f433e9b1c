"""What CloudFront requires in us-east-1 whatever the environment's region: the web ACL and the
certificate, which the platform stack reads by name from SSM parameters (edge/references.py); and
the alarms on metrics AWS publishes only there (WAF, a custom domain's Route 53 health check)."""

from aws_cdk import Environment, Stack
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.edge import references
from foundry_infra.edge.dns import edge_certificate, hosted_zone
from foundry_infra.edge.references import EDGE, WEB_ACL_ARN, ParameterReferences, certificate_key
from foundry_infra.edge.waf import EdgeWebAcl
from foundry_infra.observability.alarms import EdgeAlarms
from foundry_infra.observability.alerts import AlarmTopic

EDGE_REGION = "us-east-1"


class EdgeGlobalStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=EDGE_REGION),
            description=f"Foundry {config.name}: CloudFront web ACL, certificate and us-east-1 alarms",
        )
        # The web ACL's name is also its CloudWatch metric name (the WebACL dimension).
        self.web_acl_name = f"foundry-{config.name}-edge"
        self.web_acl = EdgeWebAcl(self, "Waf", config=config.waf, name=self.web_acl_name)
        self.certificate: acm.ICertificate | None = None
        self.environment_name, edge = config.name, config.edge
        self.domain_name = edge.domain_name
        if edge.domain_name and edge.hosted_zone_id and edge.hosted_zone_name:
            zone = hosted_zone(self, "Zone", zone_id=edge.hosted_zone_id, zone_name=edge.hosted_zone_name)
            self.certificate = edge_certificate(self, "Certificate", domain_name=edge.domain_name, zone=zone)
        # Read by name by the platform stack (edge/references.py): no export binds the two stacks, so a
        # new domain name can replace the certificate.
        self.references = ParameterReferences(
            self,
            "References",
            environment=config.name,
            writer=EDGE,
            reader="platform",
            reader_region=config.region,
            values={
                WEB_ACL_ARN: self.web_acl.arn,
                **(
                    {certificate_key(domain_name=edge.domain_name): self.certificate.certificate_arn}
                    if self.certificate and edge.domain_name
                    else {}
                ),
            },
        )
        # Spec §10: alarms on metrics published only in us-east-1 live here, with their own topic.
        self.alerts = AlarmTopic(
            self,
            "Alerts",
            name=f"foundry-{config.name}-edge-alarms",
            alias_prefix=f"foundry/{config.name}/edge",
            email=config.ops.alarm_email,
        )
        self.alarms = EdgeAlarms(
            self,
            "Alarms",
            config=config.ops,
            topic=self.alerts.topic,
            prefix=f"foundry-{config.name}",
            web_acl_metric_name=self.web_acl_name,
        )
        if config.ops.health_check and edge.domain_name:
            self.alarms.site_health(domain_name=edge.domain_name, regions=config.health_check_regions)

    def certificate_in(self, scope: Construct) -> acm.ICertificate | None:
        """The certificate as the platform stack sees it, by the ARN its parameter holds (no export)."""
        if self.certificate is None or not self.domain_name:
            return None
        return references.certificate(
            scope, "EdgeCertificate", environment=self.environment_name, domain_name=self.domain_name
        )
