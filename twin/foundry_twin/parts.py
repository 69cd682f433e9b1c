"""The twin's parts, in start order, configured through the same variables the platform injects in AWS.

Only the edge listens on the port the user chose. Every other part takes a free loopback port: `ai`
is reachable with the internal key only, and `api` answers only requests carrying the origin-verify
header that the edge adds, exactly as behind CloudFront.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from foundry_contract import HEALTH_PATH, ORIGIN_VERIFY_HEADER, READY_PATH
from foundry_contract.postgres import server_parameters

from foundry_twin.ai_stub import DEFAULT_MODEL
from foundry_twin.buckets import ensure_uploads_bucket
from foundry_twin.db_login import migrate_as_owner, rotate_api_password
from foundry_twin.postgres import PostgresServer, free_ports
from foundry_twin.service_env import ai_env, api_env, tracing_env
from foundry_twin.state import UPLOADS_BUCKET, TwinPaths, TwinSecrets, write_private
from foundry_twin.supervisor import Part, http_probe
from foundry_twin.trace_backend.part import TraceBackend

DATABASE = "foundry"
STUB_API_KEY = "stub-upstream-key"


@dataclass(frozen=True, kw_only=True)
class UpstreamChoice:
    """The built-in stub by default; a real provider when FOUNDRY_AI_* say so."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    stub_latency_ms: int = 0
    stub_failure_rate: float = 0.0

    @classmethod
    def from_environment(cls) -> "UpstreamChoice":
        base_url = os.environ.get("FOUNDRY_AI_BASE_URL")
        if not base_url:
            return cls(
                stub_latency_ms=int(os.environ.get("FOUNDRY_STUB_LATENCY_MS", "0")),
                stub_failure_rate=float(os.environ.get("FOUNDRY_STUB_FAILURE_RATE", "0")),
            )
        missing = [name for name in ("FOUNDRY_AI_API_KEY", "FOUNDRY_AI_MODEL") if not os.environ.get(name)]
        if missing:
            raise ValueError(f"FOUNDRY_AI_BASE_URL is set, so set {' and '.join(missing)} too")
        return cls(
            base_url=base_url, api_key=os.environ["FOUNDRY_AI_API_KEY"], model=os.environ["FOUNDRY_AI_MODEL"]
        )


@dataclass(frozen=True, kw_only=True)
class TracingChoice:
    """Every request traced, as in dev; FOUNDRY_TRACES=off turns the services' tracing off (and leaves
    the trace backend down) and FOUNDRY_TRACES=RATIO (0 to 1, e.g. prod's 0.05) samples that share of
    new traces: `make bench` measures what tracing costs with them."""

    enabled: bool = True
    sample_ratio: float | None = None
    # FOUNDRY_TRACE_BACKEND=on keeps the backend up with tracing off: bench's tracing-cost runs compare
    # off / prod / all with the same processes beside the services (Phoenix's own background CPU on the
    # load core cost the off-run nothing otherwise, and read as tracing overhead).
    backend: bool = True
    # FOUNDRY_TRACES_ENDPOINT=URL: spans go to that OTLP/HTTP receiver (a collector of your own) and
    # the twin's trace backend stays down; bench/'s tracing-cost runs send them to a bare receiver, as
    # the platform's services send theirs to a collector that is not on their CPU.
    endpoint: str | None = None

    @classmethod
    def from_environment(cls) -> "TracingChoice":
        chosen = cls._from_traces()
        endpoint = os.environ.get("FOUNDRY_TRACES_ENDPOINT", "").strip()
        if not endpoint:
            return chosen
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"FOUNDRY_TRACES_ENDPOINT must be an OTLP/HTTP base URL such as http://127.0.0.1:4318, "
                f"not {endpoint!r}"
            )
        return replace(chosen, backend=False, endpoint=endpoint.rstrip("/"))

    @classmethod
    def _from_traces(cls) -> "TracingChoice":
        raw = os.environ.get("FOUNDRY_TRACES", "").strip().lower()
        if raw in ("", "on", "1"):
            return cls()
        if raw == "off":
            keep = os.environ.get("FOUNDRY_TRACE_BACKEND", "").strip().lower()
            if keep not in ("", "on", "off"):
                raise ValueError(f"FOUNDRY_TRACE_BACKEND must be on or off, not {keep!r}")
            return cls(enabled=False, backend=keep == "on")
        try:
            ratio = float(raw)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"FOUNDRY_TRACES must be on, off or a sampling ratio from 0 to 1, not {raw!r}")
        return cls(sample_ratio=ratio)


def twin_server_parameters() -> dict[str, str]:
    """The twin stands in for dev: its Postgres runs with dev's parameter group settings (statement
    and idle-transaction timeouts). Dev keeps the contract's defaults, which the CDK app passes to the
    same function (infra/tests/test_data.py proves dev's profile yields exactly these), so the twin
    needs neither the infra package nor CDK."""
    return server_parameters()


def _python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _venv_script(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def twin_version() -> str:
    """service.version of the twin's services: the checkout's commit, as the image tag is in AWS."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - git from PATH, our own checkout
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "local"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "local"


@dataclass(frozen=True, kw_only=True)
class TwinPlan:
    site: str
    urls: dict[str, str]
    parts: list[Part]


def build_parts(
    *,
    paths: TwinPaths,
    secrets: TwinSecrets,
    port: int,
    web_root: Path,
    upstream: UpstreamChoice,
    web_acl_template: Path | None = None,
    tracing: TracingChoice | None = None,
) -> TwinPlan:
    site = f"http://127.0.0.1:{port}"
    listening = ("postgres", "s3", "upstream", "issuer", "ai", "api")
    # All at once and none the edge's: each part's port differs from every other's.
    *chosen, traces_http, traces_grpc = free_ports(len(listening) + 2, avoid=frozenset({port}))
    ports = dict(zip(listening, chosen, strict=True))
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in ports}
    version = twin_version()
    tracing = tracing or TracingChoice()
    # With tracing off nothing would send it a span, so the backend (about 30 s of CPU to start) stays down.
    traces = (
        TraceBackend(http_port=traces_http, grpc_port=traces_grpc, data_dir=paths.traces)
        if (tracing.enabled or tracing.backend) and tracing.endpoint is None
        else None
    )
    if traces is not None:
        urls["traces"] = traces.url
        urls["traces-grpc"] = f"http://127.0.0.1:{traces.grpc_port}"
    endpoint = (
        (tracing.endpoint or (traces.otlp_endpoint if traces is not None else None))
        if tracing.enabled
        else None
    )

    postgres = PostgresServer(
        data_dir=paths.postgres,
        port=ports["postgres"],
        password=secrets.postgres_password,
        ephemeral=False,
        parameters=twin_server_parameters(),
    )
    postgres.prepare()

    parts = [
        # First, and the others start while it does (it takes longest): it receives every part's spans.
        *([traces.part()] if traces is not None else []),
        Part(
            name="postgres",
            argv=postgres.foreground_argv(),
            run_as=postgres.run_as,
            # SIGINT is Postgres's "fast" shutdown; SIGTERM would wait for clients to leave.
            stop_signal=signal.SIGINT,
            ready=_postgres_probe(postgres),
            after_ready=lambda: _ensure_database(postgres, password_file=paths.api_db_password_file),
            detail=f"127.0.0.1:{ports['postgres']}, data in {paths.postgres}",
        ),
        Part(
            name="s3",
            argv=_python_module(
                "foundry_twin.s3",
                "--root",
                str(paths.s3),
                "--port",
                str(ports["s3"]),
            ),
            # Keys through the environment, so they never show in `ps`.
            env={
                "FOUNDRY_S3_ACCESS_KEY": secrets.s3_access_key,
                "FOUNDRY_S3_SECRET_KEY": secrets.s3_secret_key,
                "FOUNDRY_S3_NO_LIST_ACCESS_KEY": secrets.s3_api_access_key,
                "FOUNDRY_S3_NO_LIST_SECRET_KEY": secrets.s3_api_secret_key,
            },
            ready=http_probe(f"{urls['s3']}/__health"),
            after_ready=lambda: ensure_uploads_bucket(
                endpoint=urls["s3"],
                access_key=secrets.s3_access_key,
                secret_key=secrets.s3_secret_key,
                bucket=UPLOADS_BUCKET,
                site=site,
            ),
            detail=f"{urls['s3']}, bucket {UPLOADS_BUCKET}, objects in {paths.s3}",
        ),
    ]
    if upstream.base_url is None:
        parts.append(
            Part(
                name="ai-upstream",
                argv=_python_module(
                    "foundry_twin.ai_stub",
                    "--port",
                    str(ports["upstream"]),
                    "--latency-ms",
                    str(upstream.stub_latency_ms),
                    "--failure-rate",
                    str(upstream.stub_failure_rate),
                    "--api-key",
                    STUB_API_KEY,
                ),
                ready=http_probe(f"{urls['upstream']}/healthz"),
                detail=f"built-in stub (latency {upstream.stub_latency_ms} ms); "
                "set FOUNDRY_AI_BASE_URL/_API_KEY/_MODEL for a real provider",
            )
        )
    upstream_url = upstream.base_url or f"{urls['upstream']}/v1"
    parts.append(
        Part(
            name="issuer",
            argv=_python_module(
                "foundry_twin.issuer",
                "--key-file",
                str(paths.issuer_key),
                "--port",
                str(ports["issuer"]),
                "--azp",
                site,
            ),
            ready=http_probe(f"{urls['issuer']}/.well-known/jwks.json"),
            detail="dev sign-in (Clerk-shaped tokens), JWKS for api",
        )
    )
    parts.append(
        Part(
            name="ai",
            argv=[_venv_script("foundry-ai")],
            env=ai_env(
                port=ports["ai"],
                internal_api_key=secrets.internal_api_key,
                upstream_base_url=upstream_url,
                upstream_model=upstream.model or DEFAULT_MODEL,
                upstream_api_key=upstream.api_key or STUB_API_KEY,
                traces_endpoint=endpoint,
                version=version,
                sample_ratio=tracing.sample_ratio,
            ),
            ready=http_probe(f"{urls['ai']}{HEALTH_PATH}"),
            detail=f"{urls['ai']} (private: X-Internal-Api-Key only, no edge route)",
        )
    )
    parts.append(
        Part(
            name="api",
            argv=[_venv_script("foundry-api"), "serve"],
            env=api_env(
                port=ports["api"],
                postgres_port=ports["postgres"],
                database=DATABASE,
                password_file=paths.api_db_password_file,
                s3_url=urls["s3"],
                s3_api_keys=(secrets.s3_api_access_key, secrets.s3_api_secret_key),
                issuer_url=urls["issuer"],
                site=site,
                origin_verify_secret=secrets.origin_verify,
                ai_url=urls["ai"],
                internal_api_key=secrets.internal_api_key,
                traces_endpoint=endpoint,
                version=version,
                sample_ratio=tracing.sample_ratio,
            ),
            # /readyz answers only with the edge's header, as on App Runner.
            ready=http_probe(
                f"{urls['api']}{READY_PATH}", headers={ORIGIN_VERIFY_HEADER: secrets.origin_verify}
            ),
            detail=f"{urls['api']} (answers only with the edge's origin-verify header)",
        )
    )
    write_private(paths.origin_verify_file, secrets.origin_verify)
    parts.append(
        Part(
            name="edge",
            argv=_python_module(
                "foundry_twin.edge",
                "--port",
                str(port),
                "--api-origin",
                urls["api"],
                "--web-root",
                str(web_root),
                "--origin-verify-secret-file",
                str(paths.origin_verify_file),
                "--dev-token-url",
                f"{urls['issuer']}/token",
                *(("--web-acl-template", str(web_acl_template)) if web_acl_template else ()),
                # The CSP on, as CloudFront sends it, with the twin's S3 as the uploads bucket.
                "--uploads-origin",
                urls["s3"],
            ),
            env=tracing_env(
                service="edge",
                endpoint=endpoint,
                version=version,
                sample_ratio=tracing.sample_ratio,
            ),
            ready=http_probe(f"{site}/__edge/health"),
            detail=f"{site} (CloudFront's behaviors: /graphql, /api/* → api; the rest → web)",
        )
    )
    return TwinPlan(site=site, urls=urls, parts=parts)


def _postgres_probe(server: PostgresServer) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with psycopg.connect(server.url("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    return probe


def _ensure_database(server: PostgresServer, *, password_file: Path) -> None:
    with psycopg.connect(server.url("postgres"), autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    # The migration runner's part, then a fresh password for the api's role in the secret store.
    migrate_as_owner(admin_url=server.url(DATABASE))
    rotate_api_password(admin_url=server.url(DATABASE), password_file=password_file)
