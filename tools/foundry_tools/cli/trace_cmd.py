"""`foundry trace [TRACE_ID | --last N] [--format table|json]`: one request across every hop of the
running twin, read from its trace backend."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from foundry_tools.cli.options import UserError
from foundry_tools.cli.twin_cmd import DEFAULT_DATA_DIR, DataDirOption
from foundry_tools.traces.phoenix import PhoenixReader, TraceReadError, normalize_trace_id
from foundry_tools.traces.spans import TraceSpan
from foundry_tools.traces.waterfall import waterfall

# A request that just ended: each service sends its spans within about a second (the twin sets
# OTEL_BSP_SCHEDULE_DELAY), so a few seconds cover a busy machine too.
DEFAULT_WAIT_SECONDS = 10.0


class TraceFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def trace(
    trace_id: Annotated[
        str | None, typer.Argument(help="The trace's id: 32 hex digits (a log line's trace_id).")
    ] = None,
    last: Annotated[int | None, typer.Option("--last", help="The latest N traces instead.", min=1)] = None,
    output: Annotated[
        TraceFormat, typer.Option("--format", help="table (a waterfall) or json.")
    ] = TraceFormat.TABLE,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for a trace that has not arrived yet.", min=0)
    ] = DEFAULT_WAIT_SECONDS,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Show one request as a waterfall: service, span, start offset and duration, by parentage."""
    if (trace_id is None) == (last is None):
        raise UserError("give a trace id or --last N (not both); `foundry trace --last 5` lists the latest")
    reader = PhoenixReader(base_url=_backend_url(data_dir))
    try:
        if trace_id is not None:
            try:
                wanted = normalize_trace_id(trace_id)
            except ValueError as error:
                raise UserError(str(error)) from None
            traces = [reader.wait_for(wanted, timeout=wait)]
        else:
            assert last is not None
            ids = reader.last_trace_ids(last)
            if not ids:
                raise UserError(
                    f"the trace backend ({reader.base_url}) holds no trace yet; send a request first"
                )
            traces = [reader.spans(found) for found in ids]
    except TraceReadError as error:
        raise UserError(str(error)) from None
    _print(traces, output=output, reader=reader)


def _backend_url(data_dir: Path) -> str:
    from foundry_twin.state import TwinPaths, read_state

    state = read_state(TwinPaths(data_dir))
    if state is None:
        raise UserError(f"the local twin is not running on {data_dir}; start it with `make up`")
    url = state.get("urls", {}).get("traces")
    if not url:
        raise UserError(
            "the running twin has no trace backend (it was started with FOUNDRY_TRACES=off, or before it had "
            "one); restart it with `make up`"
        )
    return str(url)


def _print(traces: list[list[TraceSpan]], *, output: TraceFormat, reader: PhoenixReader) -> None:
    if output is TraceFormat.JSON:
        typer.echo(json.dumps([span.as_json() for spans in traces for span in spans], indent=2))
        return
    for index, spans in enumerate(traces):
        if index:
            typer.echo("")
        typer.echo(waterfall(spans))
        if spans:
            typer.echo(f"in the trace UI: {reader.ui_url(spans[0].trace_id)}")


def register(app: typer.Typer) -> None:
    app.command()(trace)
