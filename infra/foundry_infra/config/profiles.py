"""The three environment profiles. Each departs from the model's defaults only where the spec says so."""

from collections.abc import Callable

from foundry_infra.config.model import (
    PLACEHOLDER_ZONE_ID,
    PLACEHOLDER_ZONE_NAME,
    DatabaseConfig,
    DeliveryConfig,
    EdgeConfig,
    EnvironmentConfig,
    EnvironmentName,
    GraphqlConfig,
    NetworkConfig,
    OpsConfig,
    ServiceConfig,
    ServicesConfig,
    TracingConfig,
    WafConfig,
)


def dev() -> EnvironmentConfig:
    # Spec §7/§14: one NAT and a single-AZ database in dev; endpoints in one AZ because two-AZ
    # interface endpoints cost more than the NAT traffic they save at dev volumes. Endpoints by need
    # (issue 18): on App Runner that is apprunner.requests alone (network/endpoints.py).
    return EnvironmentConfig(
        name="dev",
        network=NetworkConfig(nat_gateways=1, interface_endpoint_azs=1, flow_log_retention_days=14),
        database=DatabaseConfig(instance_class="t4g.micro", multi_az=False, backup_retention_days=7),
        # Services on ECS run on Fargate Spot in dev: an interruption costs a restart, not an outage.
        services=ServicesConfig(fargate_spot=True),
        ops=OpsConfig(
            alarm_email="foundry-dev-alerts@example.com", monthly_budget_usd=250, log_retention_days=14
        ),
        # Every trace in dev (issue 17): traffic is low and each one helps.
        tracing=TracingConfig(sample_ratio=1.0),
        delivery=DeliveryConfig(github_environment="dev"),
        # Query text too, for GraphiQL and curl; staging and prod run the web app's documents only.
        graphql=GraphqlConfig(documents="any"),
    )


def staging() -> EnvironmentConfig:
    return EnvironmentConfig(
        name="staging",
        network=NetworkConfig(nat_gateways=1, interface_endpoint_azs=2),
        database=DatabaseConfig(instance_class="t4g.small", multi_az=True, backup_retention_days=7),
        waf=WafConfig(block_introspection=True),
        ops=OpsConfig(alarm_email="foundry-staging-alerts@example.com", monthly_budget_usd=400),
        tracing=TracingConfig(sample_ratio=0.25),
        delivery=DeliveryConfig(github_environment="staging"),
    )


def prod() -> EnvironmentConfig:
    return EnvironmentConfig(
        name="prod",
        # Issue 18: prod keeps the spec's endpoints for every caller, the one-off ones too (the migration
        # task, the rotation function), so its AWS API traffic stays off the NAT; sts has no caller at
        # all and is left out (network/endpoints.py says why).
        network=NetworkConfig(
            nat_gateways=2,
            interface_endpoint_azs=2,
            flow_log_retention_days=90,
            endpoints_for_occasional_callers=True,
        ),
        database=DatabaseConfig(
            instance_class="t4g.medium",
            multi_az=True,
            backup_retention_days=14,
            deletion_protection=True,
            max_allocated_storage_gib=200,
        ),
        services=ServicesConfig(
            web=ServiceConfig(cpu=256, memory=512, concurrency=200, min_instances=1, max_instances=4),
            api=ServiceConfig(min_instances=2, max_instances=10),
            ai=ServiceConfig(cpu=512, memory=1024, min_instances=1, max_instances=6),
        ),
        # Spec §15: prod serves under a custom domain with TLS. The reserved .example names keep synth
        # working offline; `foundry deploy` refuses them until the real domain and zone are set.
        edge=EdgeConfig(
            domain_name=f"app.{PLACEHOLDER_ZONE_NAME}",
            hosted_zone_id=PLACEHOLDER_ZONE_ID,
            hosted_zone_name=PLACEHOLDER_ZONE_NAME,
        ),
        waf=WafConfig(block_introspection=True),
        # Prod pages earlier: a smaller share of 5xx is already an incident there.
        ops=OpsConfig(
            alarm_email="foundry-prod-alerts@example.com",
            monthly_budget_usd=600,
            log_retention_days=90,
            api_5xx_percent=2.0,
            cloudfront_5xx_percent=2.0,
            ai_upstream_error_percent=10.0,
        ),
        # Prod keeps 5% of traces, and on ECS every failed or slow one (tail sampling, spec §18).
        tracing=TracingConfig(sample_ratio=0.05),
        delivery=DeliveryConfig(github_environment="prod"),
    )


PROFILES: dict[EnvironmentName, Callable[[], EnvironmentConfig]] = {
    "dev": dev,
    "staging": staging,
    "prod": prod,
}
