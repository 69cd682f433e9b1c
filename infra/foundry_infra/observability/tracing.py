"""Traces (spec §10): App Runner's observability configuration sends X-Ray traces from api and ai."""

from aws_cdk import aws_apprunner as apprunner
from aws_cdk import aws_iam as iam
from constructs import Construct

from foundry_infra.nag import acknowledge

TRACE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


class Tracing(Construct):
    def __init__(self, scope: Construct, id_: str, *, name: str) -> None:
        super().__init__(scope, id_)
        self.configuration = apprunner.CfnObservabilityConfiguration(
            self,
            "Configuration",
            observability_configuration_name=name[:32],
            trace_configuration=apprunner.CfnObservabilityConfiguration.TraceConfigurationProperty(
                vendor="AWSXRAY"
            ),
        )

    @property
    def arn(self) -> str:
        return self.configuration.attr_observability_configuration_arn

    def allow(self, *policies: iam.Policy) -> None:
        """Let services' instance roles send the segments their OpenTelemetry SDK records."""
        for policy in policies:
            policy.add_statements(
                iam.PolicyStatement(sid="SendTraces", actions=TRACE_ACTIONS, resources=["*"])
            )
            acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments and PutTelemetryRecords define no resource type, so AWS "
                "accepts only '*'; the statement grants nothing else.",
            )
