"""The ADOT collector sidecar of a traced Fargate task (issue 17, spec §10, §18).

App Runner runs a collector for its observability configuration; on ECS each traced task (api, ai)
carries its own: the AWS Distro for OpenTelemetry collector, from AWS's public ECR repository, pinned
by tag (tracing.collector_image). That image is multi-arch (linux/amd64 and linux/arm64), so it runs on
whichever CPU the task's RuntimePlatform names (services.ecs_cpu_architecture), like our images:
https://gallery.ecr.aws/aws-observability/aws-otel-collector

Its configuration is ours and small (`collector_config`): an OTLP receiver on localhost only (the
containers of a Fargate task share its network namespace, so nothing outside the task can send to
it), the tail sampling processor, and the awsxray exporter, which calls X-Ray with the task role (the
platform grants that role the two X-Ray actions, observability/tracing.py). ADOT reads a whole
configuration from the AOT_CONFIG_CONTENT variable; the task takes it from an SSM parameter, the
documented ECS route (https://aws-otel.github.io/docs/setup/ecs), so the task definition holds a
reference, not the YAML. Processors and exporter are among ADOT's supported components:
https://aws-otel.github.io/docs/components/processors

Tail sampling (https://aws-otel.github.io/docs/getting-started/advanced-sampling) keeps a trace when
any policy matches: an error status, a duration over tracing.slow_request_ms, or the trace id falling
in the tracing.sample_ratio share. The share hashes the trace id, so the api's and ai's sidecars keep
the same traces; the error and latency policies see one task's spans, so a trace kept because api
failed keeps ai's spans only when ai's own sidecar also kept them (a central collector would see
both; one per task costs no extra service).
"""

import json
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from foundry_infra.config.model import TracingConfig
from foundry_infra.observability.tracing import OTLP_GRPC_PORT

COLLECTOR_CONTAINER = "collector"
CONFIG_VARIABLE = "AOT_CONFIG_CONTENT"
HEALTH_PORT = 13133
# Spans held while the tail sampler waits for the rest of their trace; beyond this, the oldest go.
TRACES_IN_MEMORY = 20000
DECISION_WAIT_SECONDS = 10


def collector_config(*, config: TracingConfig) -> dict[str, Any]:
    """The collector's configuration (JSON is YAML, so ADOT reads it as it is)."""
    return {
        "extensions": {"health_check": {"endpoint": f"localhost:{HEALTH_PORT}"}},
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"localhost:{OTLP_GRPC_PORT}"}}}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_mib": 100, "spike_limit_mib": 20},
            # https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/processor/tailsamplingprocessor
            "tail_sampling": {
                "decision_wait": f"{DECISION_WAIT_SECONDS}s",
                "num_traces": TRACES_IN_MEMORY,
                "policies": [
                    {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
                    {"name": "slow", "type": "latency", "latency": {"threshold_ms": config.slow_request_ms}},
                    {
                        "name": "share",
                        "type": "probabilistic",
                        "probabilistic": {"sampling_percentage": round(config.sample_ratio * 100, 4)},
                    },
                ],
            },
            # After the tail sampler, never before it (a batch could split a trace):
            # https://aws-otel.github.io/docs/components/processors
            "batch": {"timeout": "1s"},
        },
        "exporters": {"awsxray": {}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "tail_sampling", "batch"],
                    "exporters": ["awsxray"],
                }
            },
        },
    }


class CollectorSidecar(Construct):
    """The collector container in a task definition, its configuration parameter and its logs."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        task_definition: ecs.FargateTaskDefinition,
        config: TracingConfig,
        parameter_name: str,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, id_)
        self.parameter = ssm.StringParameter(
            self,
            "Config",
            parameter_name=parameter_name,
            description="ADOT collector configuration of the ECS sidecar (issue 17)",
            string_value=json.dumps(collector_config(config=config), sort_keys=True),
        )
        self.container = task_definition.add_container(
            "Collector",
            container_name=COLLECTOR_CONTAINER,
            image=ecs.ContainerImage.from_registry(config.collector_image),
            # The execution role reads the parameter when the task starts (CDK grants it on this
            # parameter alone).
            secrets={CONFIG_VARIABLE: ecs.Secret.from_ssm_parameter(self.parameter)},
            # Tracing must never take the service down: a failed collector loses spans, not requests.
            essential=False,
            memory_reservation_mib=128,
            readonly_root_filesystem=True,
            # The image's own probe of the health_check extension:
            # https://aws-otel.github.io/docs/setup/ecs
            health_check=ecs.HealthCheck(
                command=["CMD", "/healthcheck"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(10),
            ),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=COLLECTOR_CONTAINER, log_group=log_group),
        )
