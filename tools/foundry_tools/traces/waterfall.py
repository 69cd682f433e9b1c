"""One trace as a waterfall for the terminal: service, span (indented by parentage), start offset from
the trace's first span, duration, and a bar on a shared time axis."""

from foundry_tools.traces.spans import TraceSpan, in_tree_order

BAR_WIDTH = 32
NAME_WIDTH = 48


def waterfall(spans: list[TraceSpan]) -> str:
    if not spans:
        return "(no spans)"
    ordered = in_tree_order(spans)
    first = min(span.start for span in spans)
    offsets = {span.span_id: (span.start - first).total_seconds() * 1000 for span in spans}
    total = max(offsets[span.span_id] + span.duration_ms for span in spans) or 1.0
    service_width = max(len("service"), *(len(span.service) for span in spans))
    lines = [
        f"trace {spans[0].trace_id}: {len(spans)} spans, {total:.1f} ms, "
        f"services {', '.join(sorted({span.service for span in spans}))}",
        f"{'service':<{service_width}}  {'span':<{NAME_WIDTH}} {'start ms':>9} {'duration ms':>11}  timeline",
    ]
    for depth, span in ordered:
        label = _fit("  " * depth + span.name, NAME_WIDTH)
        offset = offsets[span.span_id]
        lines.append(
            f"{span.service:<{service_width}}  {label:<{NAME_WIDTH}} {offset:>9.1f} {span.duration_ms:>11.1f}  "
            f"{_bar(offset, span.duration_ms, total)}"
        )
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _bar(offset: float, duration: float, total: float) -> str:
    start = min(BAR_WIDTH - 1, int(offset / total * BAR_WIDTH))
    length = max(1, round(duration / total * BAR_WIDTH))
    return (
        "|"
        + " " * start
        + "█" * min(length, BAR_WIDTH - start)
        + " " * max(0, BAR_WIDTH - start - length)
        + "|"
    )
