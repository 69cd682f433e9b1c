"""FOUNDRY_TRACES chooses how the twin's services trace: every request by default, off, or a ratio;
FOUNDRY_TRACES_ENDPOINT where their spans go instead of the twin's trace backend."""

import pytest
from foundry_twin.parts import TracingChoice


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", TracingChoice()),
        ("on", TracingChoice()),
        ("off", TracingChoice(enabled=False, backend=False)),
        ("0.05", TracingChoice(sample_ratio=0.05)),
        ("1", TracingChoice()),
        ("0", TracingChoice(sample_ratio=0.0)),
    ],
)
def test_foundry_traces(value: str, expected: TracingChoice, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES", value)
    assert TracingChoice.from_environment() == expected


@pytest.mark.parametrize("value", ["sometimes", "1.5", "-0.1"])
def test_a_bad_value_says_what_it_takes(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES", value)
    with pytest.raises(ValueError, match="FOUNDRY_TRACES must be on, off or a sampling ratio from 0 to 1"):
        TracingChoice.from_environment()


@pytest.mark.parametrize(("keep", "backend"), [("on", True), ("off", False), ("", False)])
def test_the_backend_may_stay_up_with_tracing_off(
    keep: str, backend: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES", "off")
    monkeypatch.setenv("FOUNDRY_TRACE_BACKEND", keep)
    assert TracingChoice.from_environment() == TracingChoice(enabled=False, backend=backend)


def test_a_bad_backend_value_says_what_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES", "off")
    monkeypatch.setenv("FOUNDRY_TRACE_BACKEND", "maybe")
    with pytest.raises(ValueError, match="FOUNDRY_TRACE_BACKEND must be on or off"):
        TracingChoice.from_environment()


@pytest.mark.parametrize(
    ("traces", "expected"),
    [
        ("0.05", TracingChoice(sample_ratio=0.05, backend=False, endpoint="http://127.0.0.1:4318")),
        ("off", TracingChoice(enabled=False, backend=False, endpoint="http://127.0.0.1:4318")),
    ],
)
def test_spans_may_go_to_a_collector_of_ones_own_and_the_backend_stays_down(
    traces: str, expected: TracingChoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES", traces)
    monkeypatch.setenv("FOUNDRY_TRACE_BACKEND", "on")
    monkeypatch.setenv("FOUNDRY_TRACES_ENDPOINT", "http://127.0.0.1:4318/")
    assert TracingChoice.from_environment() == expected


@pytest.mark.parametrize("endpoint", ["127.0.0.1:4318", "grpc://127.0.0.1:4317", "http://"])
def test_a_bad_endpoint_says_what_it_takes(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOUNDRY_TRACES_ENDPOINT", endpoint)
    with pytest.raises(ValueError, match="FOUNDRY_TRACES_ENDPOINT must be an OTLP/HTTP base URL"):
        TracingChoice.from_environment()
