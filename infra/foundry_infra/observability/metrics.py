"""The metrics the dashboard draws and the alarms watch, each in the namespace and region AWS puts it."""

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ec2 as ec2
from foundry_contract.metrics import (
    AI_METRICS_NAMESPACE,
    AI_SERVICE_DIMENSION_VALUE,
    ENVIRONMENT_DIMENSION,
    SERVICE_DIMENSION,
    UPSTREAM_ERRORS,
    UPSTREAM_REQUESTS,
)

from foundry_infra.services.apprunner import AppRunnerService
from foundry_infra.services.backends import RunningService
from foundry_infra.services.ecs import FargateWebService

# A service on either backend, as the dashboard and the alarms call it.
Service = RunningService

FIVE_MINUTES = Duration.minutes(5)
# CloudFront and Route 53 publish only in us-east-1; so does WAF for a CLOUDFRONT-scope web ACL.
GLOBAL_METRICS_REGION = "us-east-1"


def apprunner(service: AppRunnerService, metric: str, *, statistic: str = "Sum") -> cw.Metric:
    return cw.Metric(
        namespace="AWS/AppRunner",
        metric_name=metric,
        dimensions_map={"ServiceName": service.name, "ServiceID": service.service.attr_service_id},
        statistic=statistic,
        period=FIVE_MINUTES,
        label=f"{service.name.rsplit('-', 1)[-1]} {metric} {statistic}",
    )


def error_rate(*, errors: cw.IMetric, total: cw.IMetric, label: str) -> cw.MathExpression:
    """Errors as a percentage of the total; 0 when there was no traffic (idle is not an incident)."""
    return cw.MathExpression(
        expression="IF(total > 0, 100 * errors / total, 0)",
        using_metrics={"errors": errors, "total": total},
        label=label,
        period=FIVE_MINUTES,
    )


def _short(service: Service) -> str:
    return service.name.rsplit("-", 1)[-1]


def ecs(service: FargateWebService, metric: str, *, statistic: str = "Average") -> cw.Metric:
    """CPUUtilization / MemoryUtilization of the ECS service (AWS/ECS)."""
    return cw.Metric(
        namespace="AWS/ECS",
        metric_name=metric,
        dimensions_map={
            "ClusterName": service.service.cluster.cluster_name,
            "ServiceName": service.service.service_name,
        },
        statistic=statistic,
        period=FIVE_MINUTES,
        label=f"{_short(service)} {metric} {statistic}",
    )


def running_tasks(service: FargateWebService) -> cw.Metric:
    return cw.Metric(
        namespace="ECS/ContainerInsights",
        metric_name="RunningTaskCount",
        dimensions_map={
            "ClusterName": service.service.cluster.cluster_name,
            "ServiceName": service.service.service_name,
        },
        statistic="Maximum",
        period=FIVE_MINUTES,
        label=f"{_short(service)} running tasks",
    )


def target(service: FargateWebService, metric: str, *, statistic: str = "Sum") -> cw.Metric:
    """A metric of the service's ALB target group (AWS/ApplicationELB, TargetGroup + LoadBalancer)."""
    return service.target_group.metrics.custom(
        metric, statistic=statistic, period=FIVE_MINUTES, label=f"{_short(service)} {metric} {statistic}"
    )


def requests(service: Service) -> cw.Metric:
    if isinstance(service, AppRunnerService):
        return apprunner(service, "Requests")
    return target(service, "RequestCount")


def responses_5xx(service: Service) -> cw.Metric:
    """Responses the service itself answered with 5xx (App Runner's 5xxStatusResponses; the ALB's
    HTTPCode_Target_5XX_Count)."""
    if isinstance(service, AppRunnerService):
        return apprunner(service, "5xxStatusResponses")
    return target(service, "HTTPCode_Target_5XX_Count")


def api_5xx_rate(api: Service) -> cw.MathExpression:
    return error_rate(errors=responses_5xx(api), total=requests(api), label="api 5xx %")


def ai_metric(metric: str, *, environment: str) -> cw.Metric:
    """One of ai's EMF metrics, this environment's only (foundry_contract.metrics)."""
    return cw.Metric(
        namespace=AI_METRICS_NAMESPACE,
        metric_name=metric,
        dimensions_map={SERVICE_DIMENSION: AI_SERVICE_DIMENSION_VALUE, ENVIRONMENT_DIMENSION: environment},
        statistic="Sum",
        period=FIVE_MINUTES,
    )


def ai_upstream_error_rate(*, environment: str) -> cw.MathExpression:
    return error_rate(
        errors=ai_metric(UPSTREAM_ERRORS, environment=environment),
        total=ai_metric(UPSTREAM_REQUESTS, environment=environment),
        label="ai upstream error %",
    )


@dataclass(frozen=True)
class Nat:
    """A NAT gateway's id, or a NAT instance's (network.nat=instance, issue 18)."""

    id: str
    instance: bool = False


def nat_bytes_out(nat: Nat, *, label: str) -> cw.Metric:
    """What a NAT sends out: a gateway's BytesOutToDestination, an instance's NetworkOut (both bytes)."""
    namespace, name, dimension = (
        ("AWS/EC2", "NetworkOut", "InstanceId")
        if nat.instance
        else ("AWS/NATGateway", "BytesOutToDestination", "NatGatewayId")
    )
    return cw.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map={dimension: nat.id},
        statistic="Sum",
        period=FIVE_MINUTES,
        label=label,
    )


def rds(instance_id: str, metric: str, *, statistic: str = "Average") -> cw.Metric:
    return cw.Metric(
        namespace="AWS/RDS",
        metric_name=metric,
        dimensions_map={"DBInstanceIdentifier": instance_id},
        statistic=statistic,
        period=FIVE_MINUTES,
    )


def cloudfront(distribution_id: str, metric: str, *, statistic: str = "Average") -> cw.Metric:
    return cw.Metric(
        namespace="AWS/CloudFront",
        metric_name=metric,
        dimensions_map={"DistributionId": distribution_id, "Region": "Global"},
        statistic=statistic,
        period=FIVE_MINUTES,
        region=GLOBAL_METRICS_REGION,
    )


def waf_blocked(web_acl_metric_name: str) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/WAFV2",
        metric_name="BlockedRequests",
        dimensions_map={"WebACL": web_acl_metric_name, "Rule": "ALL"},
        statistic="Sum",
        period=FIVE_MINUTES,
        region=GLOBAL_METRICS_REGION,
    )


def health_check_status(health_check_id: str) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/Route53",
        metric_name="HealthCheckStatus",
        dimensions_map={"HealthCheckId": health_check_id},
        statistic="Minimum",
        period=Duration.minutes(1),
        region=GLOBAL_METRICS_REGION,
    )


def nat_gateway_ids(vpc: ec2.Vpc) -> list[Nat]:
    """The VPC's NATs (one per public subnet that holds one): gateways, or NAT instances."""
    found = []
    for subnet in vpc.public_subnets:
        gateway, instance = (
            subnet.node.try_find_child("NATGateway"),
            subnet.node.try_find_child("NatInstance"),
        )
        if isinstance(gateway, ec2.CfnNatGateway):
            found.append(Nat(gateway.ref))
        elif isinstance(instance, ec2.Instance):
            found.append(Nat(instance.instance_id, instance=True))
    return found


def xray_group_traces(group_name: str) -> cw.Metric:
    """The traces an X-Ray group matched a minute (ApproximateTraceCount, AWS/X-Ray, GroupName):
    https://docs.aws.amazon.com/xray/latest/devguide/xray-console-groups.html#xray-console-group-cloudwatch"""
    return cw.Metric(
        namespace="AWS/X-Ray",
        metric_name="ApproximateTraceCount",
        dimensions_map={"GroupName": group_name},
        statistic="Sum",
        period=FIVE_MINUTES,
        label=f"{group_name} traces",
    )
