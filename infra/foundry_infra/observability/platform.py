"""What watches one environment (spec §10, §14): the services' log key, the alarm topic, the dashboard,
the alarms and the cost guards, wired to what the platform stack built."""

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.database import Database
from foundry_infra.edge.distribution import Distribution
from foundry_infra.network.vpc import Network
from foundry_infra.observability.alarms import PlatformAlarms, checks_the_distribution_name
from foundry_infra.observability.alerts import AlarmTopic
from foundry_infra.observability.cost import CostGuards
from foundry_infra.observability.dashboard import Dashboard
from foundry_infra.observability.logs import ServiceLogs
from foundry_infra.observability.metrics import GLOBAL_METRICS_REGION, Service, nat_gateway_ids


@dataclass(frozen=True, kw_only=True)
class PlatformObservability:
    service_logs: ServiceLogs
    alerts: AlarmTopic
    dashboard: Dashboard
    alarms: PlatformAlarms
    cost_guards: CostGuards


def platform_observability(
    scope: Construct,
    *,
    config: EnvironmentConfig,
    services: Sequence[Service],
    api: Service,
    network: Network,
    database: Database,
    distribution: Distribution,
    web_acl_metric_name: str,
    slow_traces_group: str | None = None,
) -> PlatformObservability:
    """Created in `scope` itself, the stack, so each construct keeps its path and logical ids."""
    prefix, name = f"foundry/{config.name}", f"foundry-{config.name}"
    nats = nat_gateway_ids(network.vpc)
    database_id = database.instance.instance_identifier
    distribution_id = distribution.distribution.distribution_id
    service_logs = ServiceLogs(
        scope,
        "ServiceLogs",
        alias_prefix=prefix,
        service_name_prefix=f"{name}-",
        retention_days=config.ops.log_retention_days,
    )
    alerts = AlarmTopic(
        scope, "Alerts", name=f"{name}-alarms", alias_prefix=prefix, email=config.ops.alarm_email
    )
    dashboard = Dashboard(
        scope,
        "Dashboard",
        name=name,
        services=services,
        nat_gateway_ids=nats,
        database_instance_id=database_id,
        distribution_id=distribution_id,
        web_acl_metric_name=web_acl_metric_name,
        environment=config.name,
        slow_traces_group=slow_traces_group,
        region=config.region,
    )
    alarms = PlatformAlarms(
        scope,
        "Alarms",
        config=config.ops,
        topic=alerts.topic,
        prefix=name,
        api=api,
        services=services,
        nat_gateway_ids=nats,
        database_instance_id=database_id,
        max_connections=database.max_connections,
        storage=config.database,
        environment=config.name,
    )
    # CloudFront and Route 53 publish metrics in us-east-1 only (observability/alarms.py); elsewhere
    # the edge-alarms stack holds these (stacks/edge_alarms.py).
    if config.region == GLOBAL_METRICS_REGION:
        alarms.cloudfront(config=config.ops, distribution_id=distribution_id)
        if checks_the_distribution_name(config=config):
            alarms.site_health(domain_name=distribution.domain_name, regions=config.health_check_regions)
    cost_guards = CostGuards(
        scope, "CostGuards", config=config.ops, environment=config.name, topic=alerts.topic, name=name
    )
    return PlatformObservability(
        service_logs=service_logs, alerts=alerts, dashboard=dashboard, alarms=alarms, cost_guards=cost_guards
    )
