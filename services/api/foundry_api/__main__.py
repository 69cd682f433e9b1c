"""`foundry-api serve` runs the api under uvicorn on $PORT; `foundry-api migrate plan|apply`."""

from __future__ import annotations

import argparse
import gc
import sys

import psycopg
from foundry_runtime import configure_logging
from foundry_runtime.server import DrainingServer, uvicorn_config
from foundry_runtime.tracing import TracingConfigError, configure_tracing, package_version

from foundry_api.core import migrate
from foundry_api.core.config import ConfigError, DatabaseSettings, Settings, load_settings
from foundry_api.core.db import connection_kwargs

# App Runner gives no documented grace period; ECS defaults to 30 s. Finish in-flight work in less.
GRACEFUL_SHUTDOWN_SECONDS = 25
# A GraphQL response allocates thousands of short-lived objects; Python's default first-generation
# threshold (700) then runs the collector several times per request. 50,000 keeps pauses short and
# memory bounded (measured: about 7% more page queries per second, bench/README.md).
GC_GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Call once the app is built: what start-up allocated moves out of the collector's sight."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def serve(settings: Settings) -> int:
    try:
        tracing = configure_tracing(
            service_name="api",
            environment=settings.foundry_env,
            version=package_version("foundry-api"),
        )
    except TracingConfigError as exc:
        print(f"foundry-api: invalid configuration: {exc}", file=sys.stderr)
        return 2
    # Imported here so `migrate` does not pay for loading the whole GraphQL app, and once tracing is
    # configured (its libraries read OTEL_PROPAGATORS as they load: foundry_runtime.tracing).
    from foundry_api.main import Lifecycle, create_app

    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle=lifecycle, tracing=tracing)
    config = uvicorn_config(
        app, host=settings.host, port=settings.port, graceful_shutdown_seconds=GRACEFUL_SHUTDOWN_SECONDS
    )
    tune_gc()
    DrainingServer(config, lifecycle=lifecycle, after_drain=tracing.shutdown).run()
    return 0


def migrate_command(settings: DatabaseSettings, action: str) -> int:
    kwargs = connection_kwargs(settings)
    kwargs.pop("options", None)
    conninfo = str(kwargs.pop("conninfo", ""))
    with psycopg.connect(conninfo, autocommit=True, **kwargs) as conn:
        if action == "plan":
            pending = migrate.plan(conn)
            if not pending:
                print("schema is up to date; nothing to apply")
            for migration in pending:
                print(f"-- pending: {migration.label}\n{migration.sql.rstrip()}\n")
            return 0
        try:
            applied = migrate.apply(conn)
        except migrate.MigrationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print("applied: " + ", ".join(m.label for m in applied) if applied else "schema is up to date")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="foundry-api")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP server on $PORT")
    migrate_parser = commands.add_parser("migrate", help="database migrations")
    migrate_parser.add_argument("action", choices=["plan", "apply"])
    args = parser.parse_args(argv)
    try:
        # The migration runner gets the database secret only, so it must not ask for anything else.
        settings = load_settings(Settings if args.command == "serve" else DatabaseSettings)
    except ConfigError as exc:
        # One line, no traceback: this is what an operator reads in the service's log stream.
        print(f"foundry-api: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level)
    try:
        if isinstance(settings, Settings):
            return serve(settings)
        return migrate_command(settings, args.action)
    except psycopg.OperationalError as exc:
        print(f"foundry-api: cannot reach the database: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
