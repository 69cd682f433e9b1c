"""Optional custom domain (spec §1): ACM certificate in us-east-1 and Route 53 alias records."""

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from foundry_infra.config.model import EdgeConfig


def custom_domain_origin(config: EdgeConfig) -> str | None:
    """The site's origin when the profile names a domain; without one it is CloudFront's domain,
    known only once the distribution exists."""
    return f"https://{config.domain_name}" if config.domain_name else None


def hosted_zone(scope: Construct, id_: str, *, zone_id: str, zone_name: str) -> route53.IHostedZone:
    # From attributes, never from_lookup: synth stays offline.
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, id_, hosted_zone_id=zone_id, zone_name=zone_name
    )


def edge_certificate(
    scope: Construct, id_: str, *, domain_name: str, zone: route53.IHostedZone
) -> acm.Certificate:
    return acm.Certificate(
        scope, id_, domain_name=domain_name, validation=acm.CertificateValidation.from_dns(zone)
    )


class AliasRecords(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        zone: route53.IHostedZone,
        domain_name: str,
        distribution: cloudfront.IDistribution,
    ) -> None:
        super().__init__(scope, id_)
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(distribution))
        self.a = route53.ARecord(self, "A", zone=zone, record_name=domain_name, target=target)
        self.aaaa = route53.AaaaRecord(self, "Aaaa", zone=zone, record_name=domain_name, target=target)


def custom_domain_aliases(
    scope: Construct, *, config: EdgeConfig, distribution: cloudfront.IDistribution
) -> AliasRecords | None:
    """The domain's A and AAAA aliases to the distribution, when the profile names a domain and its
    zone; created in `scope` itself (the zone as "Zone", the records as "Aliases")."""
    if not (config.domain_name and config.hosted_zone_id and config.hosted_zone_name):
        return None
    zone = hosted_zone(scope, "Zone", zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name)
    return AliasRecords(
        scope, "Aliases", zone=zone, domain_name=config.domain_name, distribution=distribution
    )
