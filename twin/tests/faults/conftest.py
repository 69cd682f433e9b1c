"""Fault suites run the real api and ai processes (foundry_twin.faults.stack) and break things."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import pytest
from foundry_twin.faults.stack import Stack, running_stack
from foundry_twin.testing import twin_data_dir

StackFactory = Callable[..., Stack]


@pytest.fixture(scope="module")
def start_stack() -> Iterator[StackFactory]:
    """Start a stack (keywords as `running_stack`); stopped and removed when the module ends."""
    with ExitStack() as stack:

        def start(**options: Any) -> Stack:
            root = stack.enter_context(twin_data_dir())
            running: AbstractContextManager[Stack] = running_stack(root, **options)
            return stack.enter_context(running)

        yield start
