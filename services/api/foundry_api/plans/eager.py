"""Awaitable completions run at once, up to their first real wait.

graphql-core hands every awaitable completion to the event loop: a coroutine per field, a Task per
list item (gather), each scheduled and stepped through the loop once it runs. Most of this api's
async resolvers never wait: `downloadUrl` of a pending upload returns None, `info.context.viewer()`
is cached after the first field that asks. So the plan steps each completion's coroutine itself, as
Python 3.12's eager tasks step a new task's coroutine (asyncio.eager_task_factory,
https://docs.python.org/3.12/library/asyncio-task.html#eager-task-factory): one that finishes
without waiting is a plain value, and the fields and lists above it complete without a coroutine,
Task or gather of their own. One that waits is resumed by whoever awaits it, from where it stopped.

What changes is when a resolver's body runs (at once, not when its Task is first scheduled) and in
what order siblings run (one after another up to each one's first wait), not what any of them
returns: the differential tests hold every plan equal to graphql-core's execution, data and errors.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import Any


def run_eagerly(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """`coroutine`'s result if it finishes without waiting, else an awaitable of the rest of it.
    What it raises before its first wait, it raises here."""
    try:
        waiting_on = coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    return _resume(coroutine, waiting_on)


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """The rest of `coroutine`, which stopped by yielding `waiting_on` (a future, for asyncio) to its
    first caller: yields it on to whoever awaits this (the Task running it), passes what comes back
    (a value, or an exception such as the Task's cancellation) to `coroutine`, until it returns.
    A generator-based coroutine is what `yield from` was before `await`; asyncio's Task steps it the
    same way (https://docs.python.org/3/library/types.html#types.coroutine)."""
    while True:
        try:
            sent = yield waiting_on
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as thrown:
            try:
                waiting_on = coroutine.throw(thrown)
            except StopIteration as finished:
                return finished.value
        else:
            try:
                waiting_on = coroutine.send(sent)
            except StopIteration as finished:
                return finished.value
