"""The alarms on the distribution's own metrics when the platform runs outside us-east-1.

CloudFront publishes its metrics in us-east-1 only, and an alarm can watch only metrics of its own
region, so the CloudFront 5xx alarm (and, without a custom domain, the Route 53 health check of the
distribution's name, whose metric is also us-east-1's) cannot sit in a platform stack in eu-west-1.
The edge stack cannot hold them either: it deploys first, before the distribution exists. This small
stack deploys after the platform and reads the distribution's id and name by SSM parameter name,
which the platform writes into us-east-1 (edge/references.py): no export or CDK cross-region
reference binds the two stacks.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/monitoring-using-cloudwatch.html
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
"""

from aws_cdk import Environment, Stack
from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.edge import references
from foundry_infra.edge.distribution import Distribution
from foundry_infra.observability.alarms import EdgeMetricAlarms, checks_the_distribution_name
from foundry_infra.observability.alerts import AlarmTopic
from foundry_infra.stacks.edge_global import EDGE_REGION


def published_values(*, config: EnvironmentConfig, distribution: Distribution) -> dict[str, str]:
    """What the platform stack writes for this stack to read: each parameter's key → its value (the
    domain name only when the health check watches it)."""
    values = {
        references.distribution_key(
            value=references.DISTRIBUTION_ID, distribution=distribution.distribution
        ): distribution.distribution.distribution_id
    }
    if checks_the_distribution_name(config=config):
        key = references.distribution_key(
            value=references.DISTRIBUTION_DOMAIN_NAME, distribution=distribution.distribution
        )
        values[key] = distribution.domain_name
    return values


class EdgeAlarmsStack(Stack):
    def __init__(
        self, scope: Construct, id_: str, *, config: EnvironmentConfig, distribution: Distribution
    ) -> None:
        """`distribution` is the platform stack's; this stack reads its values by parameter name only."""
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=EDGE_REGION),
            description=f"Foundry {config.name}: CloudFront 5xx alarm and site health check (us-east-1 metrics)",
        )

        def read(value: str) -> str:
            key = references.distribution_key(value=value, distribution=distribution.distribution)
            return references.read(self, environment=config.name, writer=references.PLATFORM, key=key)

        self.alerts = AlarmTopic(
            self,
            "Alerts",
            name=f"foundry-{config.name}-cdn-alarms",
            alias_prefix=f"foundry/{config.name}/cdn",
            email=config.ops.alarm_email,
        )
        self.alarms = EdgeMetricAlarms(
            self, "Alarms", topic=self.alerts.topic, prefix=f"foundry-{config.name}"
        )
        self.alarms.cloudfront(config=config.ops, distribution_id=read(references.DISTRIBUTION_ID))
        # With a custom domain the edge stack checks that name already.
        if checks_the_distribution_name(config=config):
            self.alarms.site_health(
                domain_name=read(references.DISTRIBUTION_DOMAIN_NAME), regions=config.health_check_regions
            )
