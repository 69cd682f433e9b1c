"""CPU time per request of each process on the request path, from the processes' own counters.

Each part's CPU is read from /proc/<pid>/stat before and after a run: utime + stime (the process's
own user and system time) plus cutime + cstime (that of its children it has waited for), summed over
the part's whole process tree. Postgres is one process per connection under the postmaster: a
backend still running is counted in the tree, one that ended in the postmaster's cutime/cstime, so
every backend's work is counted once (proc(5): https://man7.org/linux/man-pages/man5/proc.5.html).
"""

from __future__ import annotations

import os
from pathlib import Path

# The parts on the path of a request, as `foundry up` names them (state.json "pids"); `traces` is the
# twin's trace backend, which receives the spans (a collector's work in AWS, not the services'), and
# `collector` the receiver the tracing-cost runs send them to instead (bench/otlp_sink.py).
PARTS = ("edge", "api", "ai", "postgres", "ai-upstream", "traces", "collector")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))  # field 4: ppid
    return tree


def descendants(pid: int, *, tree: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and every process under it, running now (parents first)."""
    tree = _children() if tree is None else tree
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop(0)
        if current in found:
            continue
        found.append(current)
        pending.extend(tree.get(current, []))
    return found


def tree_cpu_ms(pid: int, *, tree: dict[int, list[int]] | None = None) -> float:
    """CPU milliseconds of `pid` and all its descendants, those it has reaped included."""
    total_ticks = 0
    for current in descendants(pid, tree=tree):
        fields = _stat_fields(current)
        if fields is None:
            continue
        # Fields 14-17 of proc(5): utime, stime, cutime, cstime (after the name: indexes 11-14).
        total_ticks += sum(int(value) for value in fields[11:15])
    return total_ticks * 1000 / TICKS_PER_SECOND


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU ms so far of each part on the path that is running."""
    tree = _children()
    return {name: tree_cpu_ms(pids[name], tree=tree) for name in PARTS if name in pids}


def per_request(before: dict[str, float], after: dict[str, float], *, requests: int) -> dict[str, float]:
    """CPU ms per request of each part over one run (0 requests: nothing to divide)."""
    if requests <= 0:
        return {}
    return {name: round((after[name] - before[name]) / requests, 3) for name in before if name in after}
