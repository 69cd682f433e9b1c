"""The part `traces` of `foundry up`: Phoenix on two loopback ports, its data in the twin's folder."""

from dataclasses import dataclass
from pathlib import Path

from foundry_twin.supervisor import Part, http_probe

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
# Phoenix runs from its own venv, which `make setup` creates beside the development venv.
PHOENIX_PYTHON = HERE.parents[2] / ".venv-phoenix" / "bin" / "python"
# Phoenix's first start creates its database (migrations), later ones import a large application:
# about 30 s of CPU, measured on this 2-core machine; far longer while other work holds both cores.
READY_TIMEOUT_SECONDS = 300.0


class TraceBackendMissingError(RuntimeError):
    """Phoenix's venv is not there; the message says how to create it."""


@dataclass(frozen=True, kw_only=True)
class TraceBackend:
    http_port: int
    grpc_port: int
    data_dir: Path
    python: Path = PHOENIX_PYTHON

    @property
    def url(self) -> str:
        """The trace UI, its REST (/v1) and GraphQL APIs, and OTLP over HTTP (/v1/traces)."""
        return f"http://{HOST}:{self.http_port}"

    @property
    def otlp_endpoint(self) -> str:
        """OTEL_EXPORTER_OTLP_ENDPOINT for http/protobuf: the base URL the exporter appends /v1/traces to."""
        return self.url

    def env(self) -> dict[str, str]:
        """Phoenix's settings (phoenix/config.py): loopback, the twin's folder, nothing phoned home."""
        return {
            "PHOENIX_HOST": HOST,
            "PHOENIX_PORT": str(self.http_port),
            "PHOENIX_GRPC_PORT": str(self.grpc_port),
            "PHOENIX_WORKING_DIR": str(self.data_dir),
            # No analytics pixels, no web fonts or sandbox downloads: the twin runs offline.
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
            # Neither the LLM assistant nor the MCP server has a use here; both would only add surface.
            "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
            "PHOENIX_ENABLE_MCP_SERVER": "false",
            "PHOENIX_LOG_MIGRATIONS": "false",
            "PHOENIX_FASTAPI_MIDDLEWARE_PATHS": f"{HERE / 'service_names.py'}:ServiceNameMiddleware",
        }

    def part(self) -> Part:
        if not self.python.exists():
            raise TraceBackendMissingError(
                f"the trace backend's venv is missing ({self.python}); run `make setup` first"
            )
        return Part(
            name="traces",
            argv=[str(self.python), str(HERE / "launch.py")],
            env=self.env(),
            ready=http_probe(f"{self.url}/healthz"),
            ready_timeout=READY_TIMEOUT_SECONDS,
            # The services' spans only start with requests, after everything is up: the others start
            # while Phoenix does, and `foundry up` says it is up once Phoenix is ready too.
            ready_before_next=False,
            detail=f"{self.url} (trace UI; OTLP/HTTP {self.url}/v1/traces, OTLP/gRPC {HOST}:{self.grpc_port}; "
            f"data in {self.data_dir})",
        )
