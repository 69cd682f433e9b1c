"""Traces (spec §10, issue 17): the OpenTelemetry SDK set up once for api, ai and the twin's edge.

Configuration is OpenTelemetry's standard environment variables (foundry_contract.TRACING_ENV_VARS),
read here rather than left to the SDK so a bad value stops the service with one clear line instead of
a warning and a silent fallback. With no OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_SDK_DISABLED=true)
tracing is off: `Tracing.off()` instruments nothing, so the request path pays nothing.

Nothing here imports `opentelemetry.propagate` before the configuration is read: that module reads
OTEL_PROPAGATORS when first imported and raises on a name it does not know, so an entry point calls
`configure_tracing` before it imports its app (FastAPI imports it too).

A `Tracing` holds its own TracerProvider (service.name and the rest of the resource) and instruments
what it is handed: an ASGI app (`instrument_app`: the outermost layer, so every route and every
middleware's early answer is inside the server span), an httpx client (`instrument_httpx`: a client
span per call, `traceparent` injected), a tracer for spans of the app's own (the ai's GenAI span).
Several services can therefore run traced in one process (the tests), each with its own resource;
`configure_tracing` also installs it as the process's global provider, for a service's entry point.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from foundry_runtime.head_sampling import FollowsDropped, HeadSampled, PresetIdGenerator, send_only_headers

if TYPE_CHECKING:
    import httpx
    from opentelemetry.propagators.textmap import TextMapPropagator
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

Protocol = Literal["http/protobuf", "grpc"]
PROTOCOLS: tuple[Protocol, ...] = ("http/protobuf", "grpc")
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
PROPAGATORS = ("tracecontext", "baggage", "xray", "none")
ID_GENERATORS = ("random", "xray")
# The variables this module reads: exactly the contract's TRACING_ENV_VARS (its test holds it so).
READS = (
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_PROPAGATORS",
    "OTEL_PYTHON_ID_GENERATOR",
    "OTEL_RESOURCE_ATTRIBUTES",
)
ENVIRONMENT_ATTRIBUTE = "deployment.environment"
# Semantic conventions 1.27 renamed deployment.environment; both are set, for readers of either.
ENVIRONMENT_NAME_ATTRIBUTE = "deployment.environment.name"


class TracingConfigError(ValueError):
    """An OTEL_* variable holds a value this setup cannot use; the message names it and the fix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TracingConfig:
    """What the environment asks for. `endpoint` None: tracing off."""

    service_name: str
    endpoint: str | None
    protocol: Protocol = "http/protobuf"
    sampler: str = "parentbased_always_on"
    sampler_ratio: float = 1.0
    propagators: tuple[str, ...] = ("tracecontext", "baggage")
    id_generator: str = "random"
    resource_attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.endpoint is not None

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, service_name: str, environment: str, version: str
    ) -> TracingConfig:
        """The environment's tracing configuration; `service_name`, `environment` and `version` fill
        service.name, deployment.environment and service.version where the environment leaves them out."""

        def value(name: str) -> str | None:
            raw = environ.get(name, "").strip()
            return raw or None

        disabled = (value("OTEL_SDK_DISABLED") or "false").lower()
        if disabled not in ("true", "false"):
            raise TracingConfigError(f"OTEL_SDK_DISABLED must be 'true' or 'false', not {disabled!r}")
        endpoint = None if disabled == "true" else value("OTEL_EXPORTER_OTLP_ENDPOINT")
        if endpoint is not None:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise TracingConfigError(
                    f"OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://localhost:4317, "
                    f"not {endpoint!r}"
                )
        protocol = value("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
        if protocol not in PROTOCOLS:
            raise TracingConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL must be one of {', '.join(PROTOCOLS)}, not {protocol!r}"
            )
        sampler = (value("OTEL_TRACES_SAMPLER") or "parentbased_always_on").lower()
        if sampler not in SAMPLERS:
            raise TracingConfigError(
                f"OTEL_TRACES_SAMPLER must be one of {', '.join(SAMPLERS)}, not {sampler!r}"
            )
        ratio = _ratio(value("OTEL_TRACES_SAMPLER_ARG"))
        propagators = tuple(
            name.strip().lower() for name in (value("OTEL_PROPAGATORS") or "tracecontext,baggage").split(",")
        )
        unknown = [name for name in propagators if name not in PROPAGATORS]
        if unknown:
            raise TracingConfigError(
                f"OTEL_PROPAGATORS: {', '.join(map(repr, unknown))} unknown; use a comma-separated list "
                f"of {', '.join(PROPAGATORS)}"
            )
        id_generator = (value("OTEL_PYTHON_ID_GENERATOR") or "random").lower()
        if id_generator not in ID_GENERATORS:
            raise TracingConfigError(
                f"OTEL_PYTHON_ID_GENERATOR must be one of {', '.join(ID_GENERATORS)}, not {id_generator!r}"
            )
        attributes = {
            "service.version": version,
            ENVIRONMENT_ATTRIBUTE: environment,
            **parse_resource_attributes(value("OTEL_RESOURCE_ATTRIBUTES") or ""),
        }
        attributes.setdefault(ENVIRONMENT_NAME_ATTRIBUTE, attributes[ENVIRONMENT_ATTRIBUTE])
        # OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES, as the spec says.
        attributes["service.name"] = value("OTEL_SERVICE_NAME") or attributes.get(
            "service.name", service_name
        )
        return cls(
            service_name=attributes["service.name"],
            endpoint=endpoint,
            protocol=protocol,
            sampler=sampler,
            sampler_ratio=ratio,
            propagators=propagators,
            id_generator=id_generator,
            resource_attributes=attributes,
        )


def _ratio(raw: str | None) -> float:
    if raw is None:
        return 1.0
    try:
        ratio = float(raw)
    except ValueError:
        ratio = math.nan
    if not 0.0 <= ratio <= 1.0:
        raise TracingConfigError(f"OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, not {raw!r}")
    return ratio


def parse_resource_attributes(raw: str) -> dict[str, str]:
    """OTEL_RESOURCE_ATTRIBUTES: `key=value` pairs, comma-separated, values percent-encoded."""
    attributes: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise TracingConfigError(
                f"OTEL_RESOURCE_ATTRIBUTES: {item.strip()!r} is not key=value "
                "(e.g. deployment.environment=prod,service.version=1.2.3)"
            )
        attributes[key.strip()] = unquote(val.strip())
    return attributes


def sampler_for(config: TracingConfig) -> Sampler:
    ratio = TraceIdRatioBased(config.sampler_ratio)
    return {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": ratio,
        "parentbased_always_on": ParentBased(ALWAYS_ON),
        "parentbased_always_off": ParentBased(ALWAYS_OFF),
        "parentbased_traceidratio": ParentBased(ratio),
    }[config.sampler]


def propagator_for(names: tuple[str, ...]) -> TextMapPropagator:
    from opentelemetry.propagators.composite import CompositePropagator

    chosen: list[TextMapPropagator] = []
    for name in names:
        if name == "tracecontext":
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

            chosen.append(TraceContextTextMapPropagator())
        elif name == "baggage":
            from opentelemetry.baggage.propagation import W3CBaggagePropagator

            chosen.append(W3CBaggagePropagator())
        elif name == "xray":
            # App Runner's documented route to X-Ray: https://docs.aws.amazon.com/apprunner/latest/dg/monitor-xray.html
            from opentelemetry.propagators.aws import AwsXRayPropagator

            chosen.append(AwsXRayPropagator())
    return CompositePropagator(chosen)


def id_generator_for(name: str) -> IdGenerator:
    if name == "xray":
        # X-Ray reads the first 32 bits of a trace id as its start time (epoch seconds).
        from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

        return AwsXRayIdGenerator()
    return RandomIdGenerator()


def exporter_for(config: TracingConfig) -> SpanExporter:
    endpoint = str(config.endpoint).rstrip("/")
    if config.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    # The spec: the generic endpoint is a base URL, to which the signal's path is appended.
    return HttpExporter(endpoint=endpoint + "/v1/traces")


def _span_name(scope: Scope) -> str:
    # "METHOD /path": the services' paths are a handful of fixed routes (no ids in paths), and the
    # edge's are the viewer's; a 404 scan still names one span per path, which the sampler bounds.
    return f"{scope.get('method', 'HTTP')} {scope.get('path', '')}"


def _route_span_name(scope: Scope) -> tuple[str, dict[str, Any]]:
    return _span_name(scope), {}


class Tracing:
    """One service's tracing: a provider, or nothing at all when off (`Tracing.off()`)."""

    def __init__(self, *, provider: TracerProvider | None, config: TracingConfig | None = None) -> None:
        self.provider = provider
        self.config = config

    @classmethod
    def off(cls) -> Tracing:
        return cls(provider=None)

    @classmethod
    def start(cls, config: TracingConfig, *, exporter: SpanExporter | None = None) -> Tracing:
        """A provider for `config`; `exporter` replaces OTLP (tests: an InMemorySpanExporter, whose
        spans are then handed over as each ends, not in batches)."""
        if exporter is None and not config.enabled:
            return cls.off()
        processor: SpanProcessor = (
            SimpleSpanProcessor(exporter)
            if exporter is not None
            else BatchSpanProcessor(exporter_for(config))
        )
        provider = TracerProvider(
            resource=Resource.create(dict(config.resource_attributes)),
            sampler=FollowsDropped(sampler_for(config)),
            # HeadSampled picks a kept root request's trace id before its server span exists.
            id_generator=PresetIdGenerator(id_generator_for(config.id_generator)),
        )
        provider.add_span_processor(processor)
        # The propagator is process-wide in OpenTelemetry (instrumentations call propagate.inject).
        from opentelemetry import propagate

        propagate.set_global_textmap(propagator_for(config.propagators))
        return cls(provider=provider, config=config)

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def tracer(self, name: str) -> trace.Tracer:
        if self.provider is None:
            return trace.NoOpTracer()
        return self.provider.get_tracer(name)

    def instrument_app(self, app: Starlette) -> None:
        """The server span around everything `app` does when called: Starlette's own error handling
        (its 500s and their JSON bodies) and any path the app's class dispatches before Starlette's
        middleware stack (the api's lean route for trusted documents) are inside it.

        The app stays the same object (callers keep `app.state`, `app.router`): its class becomes a
        subclass whose `__call__` runs the original inside the ASGI server-span middleware, since
        Python looks `__call__` up on the class, not on the instance.
        """
        if self.provider is None:
            return
        original = type(app)
        untraced = original.__call__

        async def call_untraced(scope: Scope, receive: Receive, send: Send) -> None:
            await untraced(app, scope, receive, send)

        gate = self._gate(call_untraced)

        async def call_traced(_self: Starlette, scope: Scope, receive: Receive, send: Send) -> None:
            await gate(scope, receive, send)

        app.__class__ = type(f"Traced{original.__name__}", (original,), {"__call__": call_traced})

    def instrument_asgi(self, app: ASGIApp) -> ASGIApp:
        """`app` inside a server span, for an ASGI app that is not a Starlette one; a request the
        sampler drops skips the span's machinery (foundry_runtime.head_sampling)."""
        if self.provider is None:
            return app
        return self._gate(app)

    def _gate(self, app: ASGIApp) -> HeadSampled:
        provider = self.provider
        assert provider is not None, "only called with tracing on"
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        traced: ASGIApp = OpenTelemetryMiddleware(
            app,
            default_span_details=_route_span_name,
            tracer_provider=provider,
            # One span per request, not one more per ASGI message sent or received.
            exclude_spans=["receive", "send"],
        )
        ids, sampler = provider.id_generator, provider.sampler
        assert isinstance(ids, PresetIdGenerator), "Tracing.start builds the provider with one"
        assert isinstance(sampler, FollowsDropped), "and with this sampler"
        return HeadSampled(traced=traced, untraced=app, sampler=sampler.inner, ids=ids, span_name=_span_name)

    def instrument_httpx(self, client: httpx.AsyncClient) -> None:
        """A client span per request `client` sends inside a recorded span, and the trace context in
        its headers; inside a dropped one (head_sampling) only the headers, which carry the decision
        on, without a client span nobody keeps."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)
        send_only_headers(client)

    def shutdown(self) -> None:
        """Sends what is still buffered (bounded by the batch processor's export timeout)."""
        if self.provider is not None:
            self.provider.shutdown()


def package_version(distribution: str) -> str:
    """service.version when OTEL_RESOURCE_ATTRIBUTES names none (the platform sets the image tag)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def configure_tracing(
    *,
    service_name: str,
    environment: str,
    version: str,
    environ: Mapping[str, str] | None = None,
) -> Tracing:
    """A service's entry point: its tracing from the environment, installed as the global provider.
    Raises TracingConfigError (one line) on a bad OTEL_* value."""
    config = TracingConfig.from_environ(
        os.environ if environ is None else environ,
        service_name=service_name,
        environment=environment,
        version=version,
    )
    tracing = Tracing.start(config)
    if tracing.provider is not None:
        trace.set_tracer_provider(tracing.provider)
        log.info("tracing to %s (%s), sampler %s", config.endpoint, config.protocol, _sampler_text(config))
    return tracing


def _sampler_text(config: TracingConfig) -> str:
    return f"{config.sampler}({config.sampler_ratio:g})" if "ratio" in config.sampler else config.sampler
