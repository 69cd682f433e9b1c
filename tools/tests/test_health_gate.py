"""The deploy gate judges the site as Route 53 does (more than 18% of checkers healthy), through
Route 53's API, which answers from any CI runner (botocore Stubber, no network)."""

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from foundry_tools.health_gate import checker_verdict, stack_outputs, wait_until_healthy

REGIONS = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "sa-east-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
]


def _status(passing: int) -> dict[str, Any]:
    return {
        "HealthCheckObservations": [
            {
                "Region": region,
                "IPAddress": "192.0.2.1",
                "StatusReport": {
                    "Status": "Success: HTTP Status Code 200, OK"
                    if index < passing
                    else "Failure: HTTP Status Code 403, Forbidden"
                },
            }
            for index, region in enumerate(REGIONS)
        ]
    }


@pytest.mark.parametrize(("passing", "healthy"), [(0, False), (1, False), (2, True), (8, True)])
def test_more_than_18_percent_of_checkers_make_the_site_healthy(passing: int, healthy: bool) -> None:
    verdict, detail = checker_verdict(_status(passing))
    assert verdict is healthy
    assert f"{passing} of 8" in detail
    if not healthy:
        assert "failing from" in detail


def test_no_observation_is_not_healthy() -> None:
    assert checker_verdict({"HealthCheckObservations": []})[0] is False


def _route53() -> Any:
    return boto3.client("route53", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def test_waits_a_bounded_number_of_times_then_gives_up() -> None:
    client = _route53()
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_response("get_health_check_status", _status(1), {"HealthCheckId": "abc"})
        lines: list[str] = []
        ok = wait_until_healthy(
            client,
            health_check_id="abc",
            attempts=3,
            interval_seconds=5,
            report=lines.append,
            sleep=sleeps.append,
        )
        stub.assert_no_pending_responses()
    assert ok is False and sleeps == [5, 5] and len(lines) == 3


def test_passes_once_route_53_sees_the_site_healthy_for_longer_than_one_checker_interval() -> None:
    """30 s apart (the check's interval) after a failure: a single healthy answer could predate the
    deploy, so with 10 s between polls four healthy answers in a row are needed."""
    client = _route53()
    with Stubber(client) as stub:
        for passing in (3, 0, 3, 3, 3, 3):
            stub.add_response("get_health_check_status", _status(passing), {"HealthCheckId": "abc"})
        assert wait_until_healthy(
            client, health_check_id="abc", attempts=6, interval_seconds=10, report=print, sleep=lambda _: None
        )
        stub.assert_no_pending_responses()


def test_a_missing_stack_has_no_outputs() -> None:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id Foundry-dev-edge-alarms does not exist"
        )
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "Foundry-dev-edge",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": "SiteHealthCheckId", "OutputValue": "abc"}],
                    }
                ]
            },
        )
        assert stack_outputs(client, "Foundry-dev-edge-alarms") == {}
        assert stack_outputs(client, "Foundry-dev-edge") == {"SiteHealthCheckId": "abc"}
