from __future__ import annotations

import json

import pytest
from foundry_ai.core.metrics import Metrics
from foundry_contract.metrics import (
    AI_METRICS_NAMESPACE,
    REJECTED_REQUESTS,
    UPSTREAM_ERRORS,
    UPSTREAM_LATENCY,
    UPSTREAM_REQUESTS,
)


def _assert_valid_emf(document: dict[str, object]) -> None:
    """The EMF rules CloudWatch applies: every dimension and metric named must be a root member."""
    aws = document["_aws"]
    assert isinstance(aws, dict)
    assert isinstance(aws["Timestamp"], int)
    for directive in aws["CloudWatchMetrics"]:
        assert directive["Namespace"] == AI_METRICS_NAMESPACE
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for dimension in dimension_set:
                assert isinstance(document[dimension], str)
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], int | float)


def test_lines_are_valid_emf() -> None:
    lines: list[str] = []
    metrics = Metrics(environment="prod", write=lines.append)
    metrics.upstream_attempt(latency_ms=12.34, status=200, request_id="r1")
    metrics.upstream_error(code="UPSTREAM_TIMEOUT", status=None, request_id="r1")
    metrics.rejected(code="CIRCUIT_OPEN", request_id=None)
    documents = [json.loads(line) for line in lines]
    for document in documents:
        _assert_valid_emf(document)
    attempt, error, rejected = documents
    assert attempt[UPSTREAM_REQUESTS] == 1
    assert attempt[UPSTREAM_LATENCY] == 12.3
    assert error[UPSTREAM_ERRORS] == 1
    assert error["ErrorCode"] == "UPSTREAM_TIMEOUT"
    # The environment is a dimension of every metric: environments sharing an account stay apart.
    assert error["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["Service", "Environment"],
        ["Service", "Environment", "ErrorCode"],
    ]
    assert all(document["Environment"] == "prod" for document in documents)
    assert rejected["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service", "Environment", "ErrorCode"]]
    assert rejected[REJECTED_REQUESTS] == 1


def test_default_writer_prints_one_line_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    Metrics(environment="dev").upstream_error(code="UPSTREAM_ERROR", status=502, request_id="r")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out)["Service"] == "ai"
