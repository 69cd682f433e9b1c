"""The deploy gate: is the site healthy, as Route 53's health checkers see it?

A CI runner that curls the site may stand outside `edge.geo_allowlist`, where CloudFront's geo
restriction answers 403 whatever the site's health, so every deploy would fail. The checkers stand
inside the list (config/health_checks.py chooses their regions), and Route 53's API answers from
anywhere, so the gate asks Route 53. It calls the site healthy as Route 53 does: when more than 18% of
the checkers report it healthy.
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html

Without a health check (ops.health_check=false) it falls back to GET <SiteUrl>/api/readyz.

    python -m foundry_tools.health_gate --env dev --region eu-west-1
"""

import argparse
import math
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

import botocore.exceptions

from foundry_tools.aws import NoCredentialsError, require_credentials

HEALTHY_SHARE = 0.18
SITE_HEALTH_CHECK_OUTPUT = "SiteHealthCheckId"
SITE_URL_OUTPUT = "SiteUrl"
EDGE_REGION = "us-east-1"
# The site health check's RequestInterval (observability/alarms.py).
CHECKER_INTERVAL_SECONDS = 30


def checker_verdict(status: dict[str, Any]) -> tuple[bool, str]:
    """Route 53's rule over one GetHealthCheckStatus answer, and a line saying why."""
    observations = status.get("HealthCheckObservations", [])
    passing = [
        o for o in observations if str(o.get("StatusReport", {}).get("Status", "")).startswith("Success")
    ]
    healthy = bool(observations) and len(passing) / len(observations) > HEALTHY_SHARE
    failing = sorted({o.get("Region", "?") for o in observations} - {o.get("Region", "?") for o in passing})
    detail = f"{len(passing)} of {len(observations)} Route 53 checkers see the site healthy"
    return healthy, detail + (f" (failing from {', '.join(failing)})" if failing and not healthy else "")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """A stack's outputs, or {} when the stack does not exist (the us-east-1 alarm stack is optional)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except botocore.exceptions.ClientError:
        return {}
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def wait_until_healthy(
    route53: Any,
    *,
    health_check_id: str,
    attempts: int,
    interval_seconds: float,
    report: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Healthy on consecutive answers spanning more than one checker interval: an observation may
    still be the last one from before the deploy, the next ones are the new release's."""
    needed = math.ceil(CHECKER_INTERVAL_SECONDS / interval_seconds) + 1 if interval_seconds > 0 else 1
    streak = 0
    for attempt in range(1, attempts + 1):
        healthy, detail = checker_verdict(route53.get_health_check_status(HealthCheckId=health_check_id))
        streak = streak + 1 if healthy else 0
        report(f"attempt {attempt}: {detail}")
        if streak >= needed:
            return True
        if attempt < attempts:
            sleep(interval_seconds)
    return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the stack's https SiteUrl
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foundry_tools.health_gate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--env", required=True, help="environment name (dev, staging, prod)")
    parser.add_argument("--region", required=True, help="the platform stack's region")
    parser.add_argument("--path", default="/api/readyz", help="fallback path without a health check")
    parser.add_argument("--attempts", type=int, default=30)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between attempts")
    args = parser.parse_args(argv)
    try:
        session = require_credentials()
    except NoCredentialsError as error:
        print(f"health gate: {error}", file=sys.stderr)
        return 2
    prefix = f"Foundry-{args.env}"
    platform = stack_outputs(session.client("cloudformation", region_name=args.region), f"{prefix}-platform")
    us_east_1 = session.client("cloudformation", region_name=EDGE_REGION)
    # The check sits in the platform stack (us-east-1), the edge stack (custom domain) or the
    # us-east-1 alarm stack (platform elsewhere): whichever has the output.
    found = [
        outputs[SITE_HEALTH_CHECK_OUTPUT]
        for outputs in (
            platform,
            stack_outputs(us_east_1, f"{prefix}-edge"),
            stack_outputs(us_east_1, f"{prefix}-edge-alarms"),
        )
        if SITE_HEALTH_CHECK_OUTPUT in outputs
    ]
    if found:
        route53 = session.client("route53", region_name=EDGE_REGION)
        if wait_until_healthy(
            route53, health_check_id=found[0], attempts=args.attempts, interval_seconds=args.interval
        ):
            return 0
        print(f"health gate: the site is not healthy after {args.attempts} attempts", file=sys.stderr)
        return 1
    site = platform.get(SITE_URL_OUTPUT)
    if not site:
        print(
            f"health gate: {prefix}-platform has no {SITE_URL_OUTPUT} output; deploy it first",
            file=sys.stderr,
        )
        return 2
    print(f"no Route 53 health check (ops.health_check=false): GET {site}{args.path} from here")
    for attempt in range(1, args.attempts + 1):
        if _http_ok(site + args.path):
            return 0
        print(f"attempt {attempt}: {site}{args.path} is not healthy yet")
        if attempt < args.attempts:
            time.sleep(args.interval)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
