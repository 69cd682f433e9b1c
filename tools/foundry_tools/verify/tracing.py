"""Issue 17: every service with tracing on really has its instrumentation configured.

With ops.tracing, api and ai must each carry the OTEL_* variables their OpenTelemetry SDK reads
(foundry_contract.TRACING_ENV_VARS), coherent with one another and with the profile; a collector on the
address they export to (App Runner's X-Ray observability configuration, or the ADOT sidecar of their
ECS task, whose configuration must receive that protocol on that port, tail-sample and export to
X-Ray); and a role that may call the two X-Ray actions that collector calls. The environment's X-Ray
sampling rule and slow-traces group must cover them, at the profile's ratio.
"""

from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from foundry_contract import Service
from foundry_infra.config.model import EnvironmentConfig, ServiceConfig
from foundry_infra.observability.tracing import (
    PROPAGATORS,
    SAMPLER,
    TRACE_ACTIONS,
    TRACED_SERVICES,
    XRAY_ID_GENERATOR,
    traced_service_name,
)
from foundry_templates.model import AppService, EnvironmentModel

from foundry_tools.verify.results import CheckResult, allows

# The OTLP ports by protocol: https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-default-port
OTLP_PORTS = {"grpc": 4317, "http/protobuf": 4318}
OTLP_RECEIVER_PROTOCOL = {"grpc": "grpc", "http/protobuf": "http"}
LOOPBACK = {"localhost", "127.0.0.1"}


def traced_services_instrumented(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    services = [(s, m.services[s.value]) for s in TRACED_SERVICES if s.value in m.services]
    if not config.ops.tracing:
        for _, service in services:
            if service.plain_env.get("OTEL_SDK_DISABLED") != "true":
                r.fail(f"{service.id}: tracing is off but OTEL_SDK_DISABLED is not 'true'")
        r.deviate("ops.tracing=false: api and ai record no span")
        return
    for name, service in services:
        before = len(r.evidence)
        port = _environment(service, name=name, config=config, r=r)
        _collector(service, port=port, config=config, r=r)
        _permissions(m, service, r=r)
        if len(r.evidence) == before:
            collector = service.collector.kind if service.collector else "?"
            r.note(f"{service.id}: OTEL_* coherent, {collector} collector, X-Ray actions granted")
    _xray_resources(m, config=config, names=[n for n, _ in services], r=r)


def _environment(
    service: AppService, *, name: Service, config: EnvironmentConfig, r: CheckResult
) -> int | None:
    """Checks the OTEL_* variables; returns the port the service exports to (None when unusable)."""
    env, sid = service.plain_env, service.id
    service_config: ServiceConfig = getattr(config.services, name.value)
    expected = {
        "OTEL_SDK_DISABLED": "false",
        "OTEL_SERVICE_NAME": traced_service_name(environment=config.name, service=name),
        "OTEL_TRACES_SAMPLER": SAMPLER,
        "OTEL_PYTHON_ID_GENERATOR": XRAY_ID_GENERATOR,
    }
    for variable, value in expected.items():
        if env.get(variable) != value:
            r.fail(f"{sid}: {variable} is {env.get(variable)!r}, not {value!r}")
    propagators = set((env.get("OTEL_PROPAGATORS") or "").split(","))
    if not set(PROPAGATORS.split(",")) <= propagators:
        r.fail(f"{sid}: OTEL_PROPAGATORS {env.get('OTEL_PROPAGATORS')!r} lacks {PROPAGATORS!r}")
    # On ECS the sidecar's tail sampler applies the ratio, so the head sampler must keep everything.
    ratio = 1.0 if service_config.compute == "ecs" else config.tracing.sample_ratio
    try:
        argument = float(env.get("OTEL_TRACES_SAMPLER_ARG", ""))
    except ValueError:
        argument = -1.0
    if argument != ratio:
        r.fail(
            f"{sid}: OTEL_TRACES_SAMPLER_ARG is {env.get('OTEL_TRACES_SAMPLER_ARG')!r}, not {ratio:g} "
            f"(tracing.sample_ratio={config.tracing.sample_ratio:g}, compute={service_config.compute})"
        )
    attributes = dict(
        pair.split("=", 1) for pair in (env.get("OTEL_RESOURCE_ATTRIBUTES") or "").split(",") if "=" in pair
    )
    for key, value in (
        ("deployment.environment", config.name),
        ("service.version", service_config.image_tag),
    ):
        if attributes.get(key) != value:
            r.fail(f"{sid}: OTEL_RESOURCE_ATTRIBUTES has {key}={attributes.get(key)!r}, not {value!r}")
    protocol = env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    endpoint = urlsplit(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "")
    if protocol not in OTLP_PORTS:
        r.fail(f"{sid}: OTEL_EXPORTER_OTLP_PROTOCOL {protocol!r} is not grpc or http/protobuf")
        return None
    if endpoint.hostname not in LOOPBACK or endpoint.port != OTLP_PORTS[protocol]:
        r.fail(
            f"{sid}: OTEL_EXPORTER_OTLP_ENDPOINT {endpoint.geturl()!r} is not the collector beside it "
            f"(localhost:{OTLP_PORTS[protocol]} for {protocol})"
        )
        return None
    return endpoint.port


def _collector(service: AppService, *, port: int | None, config: EnvironmentConfig, r: CheckResult) -> None:
    collector, sid = service.collector, service.id
    if service.backend != "ecs":
        if collector is None or collector.kind != "apprunner" or collector.vendor != "AWSXRAY":
            r.fail(f"{sid}: no observability configuration with the AWSXRAY vendor (App Runner's collector)")
        return
    if collector is None or collector.kind != "sidecar":
        r.fail(f"{sid}: its task has no ADOT collector sidecar")
        return
    if collector.config is None:
        r.fail(f"{sid}: the {collector.id} sidecar has no readable AOT_CONFIG_CONTENT")
        return
    settings: dict[str, Any] = collector.config
    protocol = "grpc" if port == OTLP_PORTS["grpc"] else "http"
    receiver = _dig(settings, "receivers", "otlp", "protocols", protocol, "endpoint")
    host, _, listen = str(receiver).rpartition(":")
    if host not in LOOPBACK or listen != str(port):
        r.fail(
            f"{sid}: the {collector.id} sidecar's OTLP {protocol} receiver is {receiver!r}, not localhost:{port}"
        )
    pipeline = _dig(settings, "service", "pipelines", "traces") or {}
    for part, component in (("receivers", "otlp"), ("processors", "tail_sampling"), ("exporters", "awsxray")):
        if component not in (pipeline.get(part) or []):
            r.fail(f"{sid}: the {collector.id} sidecar's traces pipeline has no {component} in {part}")
    policies = {p.get("type"): p for p in _dig(settings, "processors", "tail_sampling", "policies") or []}
    if "ERROR" not in (_dig(policies, "status_code", "status_code", "status_codes") or []):
        r.fail(f"{sid}: the {collector.id} sidecar's tail sampling does not keep errors")
    threshold = _dig(policies, "latency", "latency", "threshold_ms")
    if not isinstance(threshold, int) or threshold > config.tracing.slow_request_ms:
        r.fail(
            f"{sid}: the {collector.id} sidecar keeps slow traces from {threshold!r} ms, not "
            f"tracing.slow_request_ms={config.tracing.slow_request_ms}"
        )
    share = _dig(policies, "probabilistic", "probabilistic", "sampling_percentage")
    if not isinstance(share, int | float) or abs(share - 100 * config.tracing.sample_ratio) > 1e-6:
        r.fail(
            f"{sid}: the {collector.id} sidecar keeps {share!r}% of the rest, not "
            f"tracing.sample_ratio={config.tracing.sample_ratio:g}"
        )


def _permissions(m: EnvironmentModel, service: AppService, *, r: CheckResult) -> None:
    granted = [a for s in m.statements if service.role and service.role in s.roles for a in s.actions]
    missing = [action for action in TRACE_ACTIONS if not allows(granted, action)]
    if missing:
        r.fail(f"{service.id}: its role {service.role} may not call {missing}")


def _xray_resources(
    m: EnvironmentModel, *, config: EnvironmentConfig, names: list[Service], r: CheckResult
) -> None:
    for name in names:
        traced = traced_service_name(environment=config.name, service=name)
        rules = sorted(
            (rule for rule in m.sampling_rules if fnmatchcase(traced, rule.service_name)),
            key=lambda rule: rule.priority,
        )
        if not rules:
            r.fail(f"no X-Ray sampling rule matches {traced}")
        elif rules[0].fixed_rate != config.tracing.sample_ratio:
            r.fail(
                f"{rules[0].id}: X-Ray samples {traced} at {rules[0].fixed_rate:g}, not "
                f"tracing.sample_ratio={config.tracing.sample_ratio:g}"
            )
        if not any(f'service("{traced}")' in expression for expression in m.trace_groups.values()):
            r.fail(f"no X-Ray group gathers the slow traces of {traced}")
    if names and r.evidence == [e for e in r.evidence if not e.startswith("FAIL")]:
        r.note(f"X-Ray sampling at {config.tracing.sample_ratio:g}; groups {sorted(m.trace_groups)}")


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
