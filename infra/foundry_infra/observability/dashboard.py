"""One CloudWatch dashboard per environment (spec §10), a row per part of the spec's diagram.

The dashboard lives in the platform's region; CloudFront and WAF rows read us-east-1 (cross-region
widgets), because those services publish their metrics only there.
"""

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from foundry_infra.observability import metrics
from foundry_infra.observability.metrics import Service
from foundry_infra.services.apprunner import AppRunnerService
from foundry_infra.services.ecs import FargateWebService

WIDTH = 24


def _graph(
    title: str, left: Sequence[cw.IMetric], *, right: Sequence[cw.IMetric] = (), width: int = 8
) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=list(left), right=list(right), width=width, height=6)


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        services: Sequence[Service],
        nat_gateway_ids: Sequence[metrics.Nat],
        database_instance_id: str,
        distribution_id: str,
        web_acl_metric_name: str,
        environment: str,
        slow_traces_group: str | None = None,
        region: str = "us-east-1",
    ) -> None:
        super().__init__(scope, id_)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=name)
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"# {name}\nSpec §10. Runbooks: docs/runbooks.md", width=WIDTH, height=2)
        )
        for service in services:
            short = service.name.rsplit("-", 1)[-1]
            if not isinstance(service, AppRunnerService):
                self._ecs_row(short, service)
                continue
            self.dashboard.add_widgets(
                _graph(
                    f"{short}: latency p50/p95/p99 (ms)",
                    [
                        metrics.apprunner(service, "RequestLatency", statistic=p)
                        for p in ("p50", "p95", "p99")
                    ],
                    width=6,
                ),
                _graph(
                    f"{short}: responses 2xx/4xx/5xx",
                    [metrics.apprunner(service, f"{code}StatusResponses") for code in ("2xx", "4xx", "5xx")],
                    width=6,
                ),
                _graph(
                    f"{short}: CPU and memory (%)",
                    [
                        metrics.apprunner(service, "CPUUtilization", statistic="Average"),
                        metrics.apprunner(service, "MemoryUtilization", statistic="Average"),
                    ],
                    width=6,
                ),
                _graph(
                    f"{short}: active instances and concurrency",
                    [metrics.apprunner(service, "ActiveInstances", statistic="Maximum")],
                    right=[metrics.apprunner(service, "Concurrency", statistic="Maximum")],
                    width=6,
                ),
            )
        self.dashboard.add_widgets(
            _graph(
                "NAT: BytesOutToDestination per gateway",
                [
                    metrics.nat_bytes_out(nat, label=f"NAT {index + 1}")
                    for index, nat in enumerate(nat_gateway_ids)
                ],
            ),
            _graph("AI: upstream error rate (%)", [metrics.ai_upstream_error_rate(environment=environment)]),
            _graph("WAF: blocked requests (us-east-1)", [metrics.waf_blocked(web_acl_metric_name)]),
        )
        self.dashboard.add_widgets(
            _graph(
                "RDS: CPU (%) and connections",
                [metrics.rds(database_instance_id, "CPUUtilization")],
                right=[metrics.rds(database_instance_id, "DatabaseConnections", statistic="Maximum")],
            ),
            _graph(
                "RDS: read/write IOPS",
                [
                    metrics.rds(database_instance_id, "ReadIOPS"),
                    metrics.rds(database_instance_id, "WriteIOPS"),
                ],
            ),
            _graph(
                "RDS: free storage (bytes)",
                [metrics.rds(database_instance_id, "FreeStorageSpace", statistic="Minimum")],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "CloudFront: requests (us-east-1)",
                [metrics.cloudfront(distribution_id, "Requests", statistic="Sum")],
                width=12,
            ),
            _graph(
                "CloudFront: error rates (%)",
                [
                    metrics.cloudfront(distribution_id, metric)
                    for metric in ("4xxErrorRate", "5xxErrorRate", "TotalErrorRate")
                ],
                width=12,
            ),
        )
        if slow_traces_group is not None:
            self._traces_row(slow_traces_group, region=region)

    def _traces_row(self, group: str, *, region: str) -> None:
        """Issue 17: how many slow or failed traces X-Ray gathered, and the way to them."""
        console = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#xray:traces/query"
        self.dashboard.add_widgets(
            _graph("Traces: slow or failed (X-Ray group)", [metrics.xray_group_traces(group)], width=12),
            cw.TextWidget(
                markdown=f"## Slow and failed traces\nOpen [X-Ray traces]({console}) and choose the group "
                f"`{group}` (its filter: faults, and responses slower than tracing.slow_request_ms). "
                "Runbooks: docs/runbooks.md",
                width=12,
                height=6,
            ),
        )

    def _ecs_row(self, short: str, service: FargateWebService) -> None:
        """The same four graphs for a service on ECS, from its target group and the ECS service."""
        self.dashboard.add_widgets(
            _graph(
                f"{short}: target response time p50/p95/p99 (s)",
                [metrics.target(service, "TargetResponseTime", statistic=p) for p in ("p50", "p95", "p99")],
                width=6,
            ),
            _graph(
                f"{short}: target responses 2xx/4xx/5xx",
                [metrics.target(service, f"HTTPCode_Target_{code}_Count") for code in ("2XX", "4XX", "5XX")],
                width=6,
            ),
            _graph(
                f"{short}: CPU and memory (%)",
                [metrics.ecs(service, "CPUUtilization"), metrics.ecs(service, "MemoryUtilization")],
                width=6,
            ),
            _graph(
                f"{short}: running tasks and requests per target",
                [metrics.running_tasks(service)],
                right=[metrics.target(service, "RequestCountPerTarget")],
                width=6,
            ),
        )
