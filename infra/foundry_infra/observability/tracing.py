"""Traces (spec §10, §18, issue 17): api and ai record OpenTelemetry spans and send them to X-Ray.

On App Runner, AWS's documented route: an observability configuration with the X-Ray vendor runs a
collector beside each instance, and the service, instrumented with the AWS Distro for OpenTelemetry
(ADOT) Python SDK, sends OTLP to it on localhost:4317 with the X-Ray propagator and id generator:
https://docs.aws.amazon.com/apprunner/latest/dg/monitor-xray.html
https://aws-otel.github.io/docs/getting-started/python-sdk
On ECS, an ADOT collector sidecar in each task plays that part (services/collector.py).

The services read only the standard OTEL_* variables (foundry_contract.TRACING_ENV_VARS);
`tracing_environment` writes them. The sampling ratio is typed config (tracing.sample_ratio): App
Runner's collector is managed, so there the services' parent-based head sampler applies the ratio. On
ECS the head sampler keeps every trace and the sidecar's tail sampler applies the ratio, keeping every
failed or slow trace too (spec §18).

Beside the services: X-Ray sampling rules for this environment's services, at the same ratio, for any
client that asks X-Ray for its sampling decision (an X-Ray SDK, ADOT's remote sampler), and a trace
group of the slow and failed traces, whose CloudWatch metric the dashboard graphs.
"""

from aws_cdk import aws_apprunner as apprunner
from aws_cdk import aws_iam as iam
from aws_cdk import aws_xray as xray
from constructs import Construct
from foundry_contract import Service

from foundry_infra.config.model import EnvironmentConfig, ServiceConfig
from foundry_infra.nag import acknowledge

# The X-Ray actions the collectors call (App Runner's, the sidecar's awsxray exporter). Neither
# defines a resource type, so IAM accepts only "*" for them:
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
TRACE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
# Where each backend's collector listens for OTLP: on App Runner the documented localhost:4317 (gRPC);
# the ECS sidecar binds the same address (services/collector.py), so the services see one setting.
OTLP_PROTOCOL = "grpc"
OTLP_GRPC_PORT = 4317
OTLP_ENDPOINT = f"http://localhost:{OTLP_GRPC_PORT}"
SAMPLER = "parentbased_traceidratio"
# X-Amzn-Trace-Id (what App Runner's and the load balancers' front ends add) and the W3C traceparent
# the browser and the edge send; the later one wins when both are present.
PROPAGATORS = "xray,tracecontext"
XRAY_ID_GENERATOR = "xray"
# The services that record spans (web's nginx does not).
TRACED_SERVICES = (Service.API, Service.AI)
# Priority of this environment's sampling rule among the account's (lower wins; the default is 10000).
SAMPLING_RULE_PRIORITY = 100


def traced_service_name(*, environment: str, service: Service) -> str:
    """service.name of a service's spans: its App Runner / ECS name, one X-Ray node per environment."""
    return f"foundry-{environment}-{service.value}"


def slow_traces_filter(*, config: EnvironmentConfig) -> str:
    """This environment's failed or slow traces, in X-Ray's filter expression language:
    https://docs.aws.amazon.com/xray/latest/devguide/xray-console-filters.html"""
    services = " OR ".join(
        f'service("{traced_service_name(environment=config.name, service=service)}")'
        for service in TRACED_SERVICES
    )
    seconds = config.tracing.slow_request_ms / 1000
    return f"({services}) AND (fault = true OR responsetime > {seconds:g})"


def tracing_environment(*, config: EnvironmentConfig, service: Service) -> dict[str, str]:
    """The OTEL_* variables of a traced service (api, ai) on its backend; with ops.tracing off, only
    OTEL_SDK_DISABLED=true, so the SDK records nothing and exports to no collector."""
    if not config.ops.tracing:
        return {"OTEL_SDK_DISABLED": "true"}
    service_config: ServiceConfig = getattr(config.services, service.value)
    # On ECS the sidecar's tail sampler decides, so it must see every trace; on App Runner the head
    # sampler is the only one.
    ratio = 1.0 if service_config.compute == "ecs" else config.tracing.sample_ratio
    return {
        "OTEL_SDK_DISABLED": "false",
        "OTEL_SERVICE_NAME": traced_service_name(environment=config.name, service=service),
        "OTEL_EXPORTER_OTLP_ENDPOINT": OTLP_ENDPOINT,
        "OTEL_EXPORTER_OTLP_PROTOCOL": OTLP_PROTOCOL,
        "OTEL_TRACES_SAMPLER": SAMPLER,
        "OTEL_TRACES_SAMPLER_ARG": f"{ratio:g}",
        "OTEL_PROPAGATORS": PROPAGATORS,
        "OTEL_PYTHON_ID_GENERATOR": XRAY_ID_GENERATOR,
        "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment={config.name},"
        f"service.version={service_config.image_tag}",
    }


class Tracing(Construct):
    def __init__(self, scope: Construct, id_: str, *, name: str, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.configuration = apprunner.CfnObservabilityConfiguration(
            self,
            "Configuration",
            observability_configuration_name=name[:32],
            trace_configuration=apprunner.CfnObservabilityConfiguration.TraceConfigurationProperty(
                vendor="AWSXRAY"
            ),
        )
        prefix = f"foundry-{config.name}"
        # https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html
        self.sampling_rule = xray.CfnSamplingRule(
            self,
            "SamplingRule",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=prefix[:32],
                priority=SAMPLING_RULE_PRIORITY,
                fixed_rate=config.tracing.sample_ratio,
                # One request a second is always traced per service, whatever the ratio.
                reservoir_size=1,
                service_name=f"{prefix}-*",
                service_type="*",
                host="*",
                http_method="*",
                url_path="*",
                resource_arn="*",
                version=1,
            ),
        )
        # https://docs.aws.amazon.com/xray/latest/devguide/xray-console-groups.html
        self.slow_group_name = f"{prefix}-slow"[:32]
        self.slow_group = xray.CfnGroup(
            self,
            "SlowTraces",
            group_name=self.slow_group_name,
            filter_expression=slow_traces_filter(config=config),
            insights_configuration=xray.CfnGroup.InsightsConfigurationProperty(
                insights_enabled=False, notifications_enabled=False
            ),
        )

    @property
    def arn(self) -> str:
        return self.configuration.attr_observability_configuration_arn

    def allow(self, *policies: iam.Policy) -> None:
        """Let services' roles (App Runner instance role, ECS task role: the sidecar's) send segments."""
        for policy in policies:
            policy.add_statements(
                iam.PolicyStatement(sid="SendTraces", actions=TRACE_ACTIONS, resources=["*"])
            )
            acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments and PutTelemetryRecords define no resource type, so AWS "
                "accepts only '*' (https://docs.aws.amazon.com/service-authorization/latest/reference/"
                "list_awsx-ray.html); the statement grants nothing else.",
            )
