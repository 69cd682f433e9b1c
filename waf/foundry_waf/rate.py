"""Rate-based rules: requests per aggregation key (the viewer IP) over the rule's evaluation window.

https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html:
"when AWS WAF checks the rate, it counts the requests for the [window] immediately preceding the
current time" (EvaluationWindowSec 60, 120, 300 or 600; 300 the default); "When this limit is
breached, AWS WAF applies the rule action setting to additional requests matching your criteria";
with a scope-down statement the rule aggregates, counts and limits only the requests that match it
(same page). AWS estimates the rate and "does not guarantee an exact limit match",
detecting a burst "usually" within 30 seconds
(https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-caveats.html);
the emulation is the exact reading (the first request over the limit is the first one limited), so
a test of "blocked after the limit" is the strictest one AWS could meet.
"""

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from foundry_waf.errors import InvalidWebAclError, NotEmulatedError
from foundry_waf.labels import Labels
from foundry_waf.request import WafRequest
from foundry_waf.statements import Context, matches

WINDOWS = (60, 120, 300, 600)
DEFAULT_WINDOW_SECONDS = 300
MAX_TRACKED_KEYS = 100_000  # a bound on memory, far above what a local twin sees


class RateTracker:
    """Request times per (rule, key), on an injectable clock (tests move time instead of sleeping)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def count(self, *, rule: str, key: str, window: float) -> int:
        """Record one request for `key` now; answer how many fall within the last `window` seconds."""
        now = self.clock()
        times = self._seen.setdefault((rule, key), deque())
        while times and times[0] <= now - window:
            times.popleft()
        times.append(now)
        if len(self._seen) > MAX_TRACKED_KEYS:
            self._seen.pop(next(iter(self._seen)))
        return len(times)


def rate_matches(
    statement: Mapping[str, Any],
    request: WafRequest,
    context: Context,
    *,
    rule: str,
    tracker: RateTracker,
    labels: Labels | None = None,
) -> bool:
    """Whether a RateBasedStatement matches: the request counts, and its key is over the limit."""
    aggregate = statement.get("AggregateKeyType", "IP")
    if aggregate == "IP":
        key = request.client_ip
    elif aggregate == "CONSTANT":
        key = ""
    else:
        raise NotEmulatedError(f"RateBasedStatement AggregateKeyType {aggregate}")
    window = int(statement.get("EvaluationWindowSec", DEFAULT_WINDOW_SECONDS))
    if window not in WINDOWS:
        raise InvalidWebAclError(f"EvaluationWindowSec {window} is not one of {WINDOWS}")
    scope_down = statement.get("ScopeDownStatement")
    if scope_down is not None and not matches(scope_down, request, context, labels):
        return False  # not counted, not limited
    return tracker.count(rule=rule, key=key, window=window) > int(statement["Limit"])
