"""CloudWatch Embedded Metric Format lines on stdout; names from foundry_contract.metrics (spec §10).

CloudWatch Logs turns each line into metric data points, so the service needs no agent and no
PutMetricData permission; the AI upstream error-rate alarm is built on these.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from foundry_contract.metrics import (
    AI_METRICS_NAMESPACE,
    AI_SERVICE_DIMENSION_VALUE,
    ENVIRONMENT_DIMENSION,
    ERROR_CODE_DIMENSION,
    REJECTED_REQUESTS,
    SERVICE_DIMENSION,
    UPSTREAM_ERRORS,
    UPSTREAM_LATENCY,
    UPSTREAM_REQUESTS,
)

# Every metric carries the environment: environments sharing an account would mix their data otherwise.
_BY_ENVIRONMENT = [SERVICE_DIMENSION, ENVIRONMENT_DIMENSION]


def _write_stdout(line: str) -> None:
    # Looked up per call, not bound at import, so a redirected stdout (tests, tools) is honoured.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def emf_document(
    *,
    metrics: Mapping[str, tuple[float, str]],
    dimension_sets: list[list[str]],
    values: Mapping[str, Any],
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """One EMF object: `metrics` maps name -> (value, unit); `values` holds dimensions and properties."""
    return {
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": AI_METRICS_NAMESPACE,
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
                }
            ],
        },
        **values,
        **{name: value for name, (value, _) in metrics.items()},
    }


class Metrics:
    def __init__(self, *, environment: str, write: Callable[[str], None] = _write_stdout) -> None:
        self._environment = environment
        self._write = write

    def _emit(
        self,
        metrics: Mapping[str, tuple[float, str]],
        dimension_sets: list[list[str]],
        **values: Any,
    ) -> None:
        values = {
            SERVICE_DIMENSION: AI_SERVICE_DIMENSION_VALUE,
            ENVIRONMENT_DIMENSION: self._environment,
            "environment": self._environment,
            **values,
        }
        document = emf_document(metrics=metrics, dimension_sets=dimension_sets, values=values)
        self._write(json.dumps(document, separators=(",", ":"), default=str))

    def upstream_attempt(self, *, latency_ms: float, status: int | None, request_id: str | None) -> None:
        self._emit(
            {UPSTREAM_REQUESTS: (1, "Count"), UPSTREAM_LATENCY: (round(latency_ms, 1), "Milliseconds")},
            [_BY_ENVIRONMENT],
            status=status,
            request_id=request_id,
        )

    def upstream_error(self, *, code: str, status: int | None, request_id: str | None) -> None:
        self._emit(
            {UPSTREAM_ERRORS: (1, "Count")},
            [_BY_ENVIRONMENT, [*_BY_ENVIRONMENT, ERROR_CODE_DIMENSION]],
            **{ERROR_CODE_DIMENSION: code},
            status=status,
            request_id=request_id,
        )

    def rejected(self, *, code: str, request_id: str | None) -> None:
        self._emit(
            {REJECTED_REQUESTS: (1, "Count")},
            [[*_BY_ENVIRONMENT, ERROR_CODE_DIMENSION]],
            **{ERROR_CODE_DIMENSION: code},
            request_id=request_id,
        )
