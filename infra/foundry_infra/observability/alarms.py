"""The alarms of spec §10, each with its threshold from the profile (`ops.*`) and the SNS topic as
alarm and OK action.

CloudWatch alarms must sit in their metric's region. The platform's alarms (App Runner, ai, NAT,
RDS) sit in the platform stack; WAF's and, with a custom domain, the Route 53 health check's sit in
the edge stack (us-east-1). The CloudFront alarm and, without a custom domain, the health check of
the distribution's name need the distribution, made in the platform stack: they sit there when the
platform is in us-east-1, and in the small us-east-1 stack of stacks/edge_alarms.py otherwise.
"""

from collections.abc import Sequence

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from constructs import Construct
from foundry_contract import READY_PATH

from foundry_infra.config.model import DatabaseConfig, EnvironmentConfig, OpsConfig
from foundry_infra.observability import metrics
from foundry_infra.services.ecs import FargateWebService

# The api answers its health check under /api as well, so CloudFront routes it to api (spec §1).
# Readiness, not liveness: api's /readyz answers 200 only when it reaches its database at the current
# schema. Through CloudFront the origin-verify header is added, so the checkers may ask for it; the
# deploy gate (tools/foundry_tools/health_gate.py) reads the same checkers' verdict.
PUBLIC_READY_PATH = "/api" + READY_PATH
GIB = 1024**3
AUTOSCALING_FREE_FRACTION = 0.1


def checks_the_distribution_name(*, config: EnvironmentConfig) -> bool:
    """Whether the site health check watches the distribution's own name (no custom domain); with a
    custom domain the edge stack checks that domain instead."""
    return config.ops.health_check and not config.edge.domain_name


class _Alarms(Construct):
    def __init__(self, scope: Construct, id_: str, *, topic: sns.ITopic, prefix: str) -> None:
        super().__init__(scope, id_)
        self.topic, self.prefix = topic, prefix
        self.alarms: dict[str, cw.Alarm] = {}

    def _notify(self, key: str, alarm: cw.Alarm) -> cw.Alarm:
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms[key] = alarm
        return alarm

    def threshold(
        self,
        key: str,
        *,
        metric: cw.IMetric,
        threshold: float,
        description: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods: int = 3,
        datapoints_to_alarm: int = 2,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        return self._notify(
            key,
            cw.Alarm(
                self,
                key,
                alarm_name=f"{self.prefix}-{key}",
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                comparison_operator=comparison,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=datapoints_to_alarm,
                treat_missing_data=missing,
            ),
        )

    def cloudfront(self, *, config: OpsConfig, distribution_id: str) -> None:
        """CloudFront's 5xx rate; its metrics exist in us-east-1 only, so this sits in a us-east-1
        stack (the platform's there, EdgeAlarmsStack elsewhere)."""
        self.threshold(
            "cloudfront-5xx-rate",
            metric=metrics.cloudfront(distribution_id, "5xxErrorRate"),
            threshold=config.cloudfront_5xx_percent,
            description=f"CloudFront answers more than {config.cloudfront_5xx_percent}% with 5xx. "
            "Runbook: CloudFront 502s.",
        )

    def site_health(self, *, domain_name: str, regions: Sequence[str]) -> route53.CfnHealthCheck:
        """A Route 53 check of https://<site>/api/readyz through CloudFront (which adds the
        origin-verify header api requires), and an alarm when it fails. `regions`: the checker
        regions inside the geo allowlist (config/health_checks.py), or CloudFront refuses them."""
        check = route53.CfnHealthCheck(
            self,
            "SiteHealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=domain_name,
                resource_path=PUBLIC_READY_PATH,
                port=443,
                request_interval=30,
                failure_threshold=3,
                enable_sni=True,
                regions=list(regions),
            ),
            health_check_tags=[
                route53.CfnHealthCheck.HealthCheckTagProperty(key="Name", value=f"{self.prefix}-site")
            ],
        )
        # The deploy gate reads it (tools/foundry_tools/health_gate.py): Route 53's verdict holds from
        # any CI runner, a curl from outside edge.geo_allowlist gets CloudFront's 403.
        CfnOutput(Stack.of(self), "SiteHealthCheckId", value=check.attr_health_check_id)
        self.threshold(
            "site-health",
            metric=metrics.health_check_status(check.attr_health_check_id),
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            description=f"https://<site>{PUBLIC_READY_PATH} fails from Route 53's checkers. Runbook: CloudFront 502s.",
            # A check that stops reporting is as bad as a failing one.
            missing=cw.TreatMissingData.BREACHING,
        )
        return check


class PlatformAlarms(_Alarms):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: OpsConfig,
        topic: sns.ITopic,
        prefix: str,
        api: metrics.Service,
        services: Sequence[metrics.Service],
        nat_gateway_ids: Sequence[metrics.Nat],
        database_instance_id: str,
        max_connections: int,
        storage: DatabaseConfig,
        environment: str,
    ) -> None:
        super().__init__(scope, id_, topic=topic, prefix=prefix)
        self.threshold(
            "api-5xx-rate",
            metric=metrics.api_5xx_rate(api),
            threshold=config.api_5xx_percent,
            description=f"api answers more than {config.api_5xx_percent}% of requests with 5xx. "
            "Runbook: CloudFront 502s.",
        )
        # Spec §10 "failing health checks": App Runner replaces failing instances itself; on ECS the
        # target group says when a service has fewer healthy targets than it runs.
        for service in services:
            if isinstance(service, FargateWebService):
                short = service.name.rsplit("-", 1)[-1]
                self.threshold(
                    f"{short}-unhealthy-targets",
                    metric=metrics.target(service, "UnHealthyHostCount", statistic="Maximum"),
                    threshold=0,
                    description=f"{short} has targets failing the /healthz check of its load balancer. "
                    "Runbook: CloudFront 502s.",
                )
        self.threshold(
            "ai-upstream-error-rate",
            metric=metrics.ai_upstream_error_rate(environment=environment),
            threshold=config.ai_upstream_error_percent,
            description=f"More than {config.ai_upstream_error_percent}% of ai's upstream calls fail "
            "(ai's UpstreamErrors / UpstreamRequests). Runbook: AI upstream errors.",
        )
        self.threshold(
            "rds-cpu",
            metric=metrics.rds(database_instance_id, "CPUUtilization"),
            threshold=config.rds_cpu_percent,
            description=f"RDS CPU above {config.rds_cpu_percent}% for 10 of 15 minutes.",
        )
        # Storage autoscaling adds space once free space is <= 10% of the allocated storage for 5
        # minutes (and 6 hours after the last change), up to max_allocated_storage:
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
        # Allocated storage never shrinks below its initial size, so autoscaling keeps free space
        # above 10% of that size at every step. Free space below it for 15 minutes means autoscaling
        # could not act: the instance is at its ceiling (or inside the 6-hour pause). A threshold above
        # 10% of the allocation would fire at every ordinary growth step instead.
        floor_gib = storage.allocated_storage_gib * AUTOSCALING_FREE_FRACTION
        self.threshold(
            "rds-free-storage",
            metric=metrics.rds(database_instance_id, "FreeStorageSpace", statistic="Minimum"),
            threshold=floor_gib * GIB,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            description=f"RDS free storage below {floor_gib:g} GiB (10% of the {storage.allocated_storage_gib} GiB "
            "first allocated) for 15 minutes: storage autoscaling, which adds space at 10% free, has not. "
            f"Either it reached max_allocated_storage ({storage.max_allocated_storage_gib} GiB: raise "
            "database.max_allocated_storage_gib) or it grew less than 6 hours ago. Runbook: RDS CPU high or "
            "free storage low.",
        )
        connections = int(max_connections * config.rds_connections_percent / 100)
        self.threshold(
            "rds-connections",
            metric=metrics.rds(database_instance_id, "DatabaseConnections", statistic="Maximum"),
            threshold=connections,
            description=f"More than {connections} connections ({config.rds_connections_percent}% of "
            f"max_connections={max_connections}). Runbook: RDS connection exhaustion.",
        )
        for index, nat in enumerate(nat_gateway_ids):
            key = f"nat-egress-spike-{index + 1}"
            self._notify(
                key,
                cw.AnomalyDetectionAlarm(
                    self,
                    key,
                    alarm_name=f"{prefix}-{key}",
                    alarm_description=f"NAT gateway {index + 1} sends more than its usual band "
                    f"({config.nat_egress_band_stddev} standard deviations). Runbook: High NAT bill.",
                    metric=metrics.nat_bytes_out(nat, label=f"NAT {index + 1}"),
                    std_devs=config.nat_egress_band_stddev,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                    evaluation_periods=3,
                    datapoints_to_alarm=2,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                ),
            )


class EdgeMetricAlarms(_Alarms):
    """The distribution's alarms in stacks/edge_alarms.py (CloudFront 5xx, site health)."""


class EdgeAlarms(_Alarms):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: OpsConfig,
        topic: sns.ITopic,
        prefix: str,
        web_acl_metric_name: str,
    ) -> None:
        super().__init__(scope, id_, topic=topic, prefix=prefix)
        self.threshold(
            "waf-blocked-spike",
            metric=metrics.waf_blocked(web_acl_metric_name),
            threshold=config.waf_blocked_per_5min,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            description=f"The web ACL blocked more than {config.waf_blocked_per_5min} requests in 5 minutes.",
        )
