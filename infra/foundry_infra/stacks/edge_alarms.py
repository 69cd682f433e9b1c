"""The alarms on the distribution's own metrics when the platform runs outside us-east-1.

CloudFront publishes its metrics in us-east-1 only, and an alarm can watch only metrics of its own
region, so the CloudFront 5xx alarm (and, without a custom domain, the Route 53 health check of the
distribution's name, whose metric is also us-east-1's) cannot sit in a platform stack in eu-west-1.
The edge stack cannot hold them either: it deploys first, before the distribution exists. This small
stack deploys after the platform and reads the distribution's id and name through cross-region
references.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/monitoring-using-cloudwatch.html
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
"""

from aws_cdk import Environment, Stack
from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.observability.alarms import EdgeMetricAlarms
from foundry_infra.observability.alerts import AlarmTopic
from foundry_infra.stacks.edge_global import EDGE_REGION


class EdgeAlarmsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        distribution_id: str,
        distribution_domain_name: str,
    ) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=EDGE_REGION),
            cross_region_references=True,
            description=f"Foundry {config.name}: CloudFront 5xx alarm and site health check (us-east-1 metrics)",
        )
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
        self.alarms.cloudfront(config=config.ops, distribution_id=distribution_id)
        # With a custom domain the edge stack checks that name already.
        if config.ops.health_check and not config.edge.domain_name:
            self.alarms.site_health(domain_name=distribution_domain_name, regions=config.health_check_regions)
