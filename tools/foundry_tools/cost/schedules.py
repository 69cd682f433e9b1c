"""Active hours from the sleep schedules in the templates (issue 18): pure functions, no I/O.

infra's SleepSchedule (foundry_infra.services.sleep) gives each target two EventBridge Scheduler
schedules, `<target>-sleep` and `<target>-wake`, with `cron(M H ? * DAYS *)` in a time zone and a
universal target (`arn:aws:scheduler:::aws-sdk:SERVICE:ACTION`) whose input names the resource. The
weekly awake time is read from the two crons: a week walked event by event (a wake starts an awake
stretch, the next sleep ends it). Clock changes shift a schedule by an hour twice a year in the given
time zone and leave the weekly hours as they are, so the time zone is reported and not computed with.
Cron syntax: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
"""

import re
from dataclasses import dataclass
from typing import Any

from foundry_templates import Template
from foundry_templates.references import references
from foundry_templates.template import resources_of_type

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
HOURS_PER_WEEK = 168
# cron(minutes hours day-of-month month day-of-week year), the shape a weekly schedule takes.
_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \? \* ([A-Z,\-]+|\*) \*\)$")
# Which universal-target actions put a resource to sleep and which wake it.
SLEEP_ACTIONS = {"apprunner:pauseService", "rds:stopDBInstance"}
WAKE_ACTIONS = {"apprunner:resumeService", "rds:startDBInstance"}


class ScheduleError(ValueError):
    """A schedule expression this reader does not understand; the message names the schedule."""


@dataclass(frozen=True)
class Awake:
    """The hours a week a resource is awake, and the schedules that say so."""

    resource: str
    hours_per_week: float
    timezone: str
    schedules: tuple[str, ...]

    def share(self) -> float:
        return self.hours_per_week / HOURS_PER_WEEK


def _days(field: str, name: str) -> list[int]:
    if field == "*":
        return list(range(7))
    days: list[int] = []
    for part in field.split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            if first not in DAYS or last not in DAYS:
                raise ScheduleError(f"schedule {name}: unknown day range {part!r}")
            start, end = DAYS.index(first), DAYS.index(last)
            days += [day % 7 for day in range(start, end + 1 if end >= start else end + 8)]
        elif part in DAYS:
            days.append(DAYS.index(part))
        else:
            raise ScheduleError(f"schedule {name}: unknown day {part!r} (use MON..SUN)")
    return sorted(set(days))


def weekly_events(expression: str, name: str) -> list[float]:
    """The hours of the week (0 = Monday 00:00) at which a weekly cron expression fires."""
    found = _CRON.match(expression.strip())
    if not found:
        raise ScheduleError(
            f"schedule {name}: {expression!r} is not a weekly cron(M H ? * DAYS *) expression; "
            "foundry cost prices it as always awake"
        )
    minute, hour = int(found.group(1)), int(found.group(2))
    if minute > 59 or hour > 23:
        raise ScheduleError(f"schedule {name}: {expression!r} has no such time of day")
    return [day * 24 + hour + minute / 60 for day in _days(found.group(3), name)]


def awake_hours_per_week(*, wake: list[float], sleep: list[float]) -> float:
    """Hours awake in a week that repeats: from each wake to the next sleep, wrapping round the week."""
    if not wake:
        return 0.0
    if not sleep:
        return float(HOURS_PER_WEEK)
    events = sorted([(at, "wake") for at in wake] + [(at, "sleep") for at in sleep])
    # The state at the start of the week is the one the last event of the week left.
    awake = events[-1][1] == "wake"
    total, since = 0.0, 0.0
    for at, kind in events:
        if awake:
            total += at - since
        awake, since = kind == "wake", at
    if awake:
        total += HOURS_PER_WEEK - since
    return total


def _action(props: dict[str, Any]) -> str:
    arn = str(props.get("Target", {}).get("Arn", ""))
    return arn.removeprefix("arn:aws:scheduler:::aws-sdk:")


def _input_targets(props: dict[str, Any], known: set[str]) -> set[str]:
    """The logical ids of the resources the schedule's input names (ServiceArn, instance id...)."""
    return references(props.get("Target", {}).get("Input")) & known


def _ecs_direction(props: dict[str, Any]) -> str | None:
    """ecs:updateService puts to sleep with DesiredCount 0 and wakes with more."""
    text = str(props.get("Target", {}).get("Input", ""))
    found = re.search(r'\\?"DesiredCount\\?"\s*:\s*(\d+)', text)
    if found is None:
        return None
    return "sleep" if int(found.group(1)) == 0 else "wake"


def awake_resources(templates: list[Template]) -> tuple[dict[str, Awake], list[str]]:
    """Resource logical id -> its awake hours a week, from the sleep/wake schedules; and notes on the
    schedules that could not be read (their resources are priced as always awake)."""
    known = {key for template in templates for key in template.resources}
    wake: dict[str, list[float]] = {}
    sleep: dict[str, list[float]] = {}
    names: dict[str, list[str]] = {}
    zones: dict[str, str] = {}
    notes: list[str] = []
    for _, logical_id, props in resources_of_type(templates, "AWS::Scheduler::Schedule"):
        action = _action(props)
        if action in SLEEP_ACTIONS:
            direction: str | None = "sleep"
        elif action in WAKE_ACTIONS:
            direction = "wake"
        elif action == "ecs:updateService":
            direction = _ecs_direction(props)
        else:
            direction = None
        if direction is None:
            continue  # a schedule that neither sleeps nor wakes anything
        name = str(props.get("Name", logical_id))
        try:
            events = weekly_events(str(props.get("ScheduleExpression", "")), name)
        except ScheduleError as error:
            notes.append(str(error))
            continue
        for target in sorted(_input_targets(props, known)):
            (wake if direction == "wake" else sleep).setdefault(target, []).extend(events)
            names.setdefault(target, []).append(name)
            zones[target] = str(props.get("ScheduleExpressionTimezone", "UTC"))
    awake = {
        target: Awake(
            resource=target,
            hours_per_week=awake_hours_per_week(wake=wake.get(target, []), sleep=sleep.get(target, [])),
            timezone=zones[target],
            schedules=tuple(sorted(names[target])),
        )
        for target in sorted(names)
        if target in sleep  # a resource that is only ever woken is always awake
    }
    return awake, notes
