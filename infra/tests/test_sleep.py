"""Issue 18: dev asleep outside working hours (services/sleep.py): the schedules' shape that `foundry
cost` reads, their targets, and a scheduler role limited to the exact calls on the exact resources."""

import json
import re

import pytest
from foundry_infra.config import ConfigError, load_config
from foundry_templates import SynthesizedEnvironment as Synth

CRON = re.compile(r"^cron\(0 (\d+) \? \* ([A-Z,]+) \*\)$")


def _schedules(synth: Synth) -> dict[str, dict[str, object]]:
    return {
        r["Properties"]["Name"]: r["Properties"]
        for r in synth.platform.of_type("AWS::Scheduler::Schedule").values()
    }


def test_no_schedule_unless_opted_in(synths: dict[str, Synth]) -> None:
    for scenario in ("dev", "prod", "dev-ecs"):
        assert _schedules(synths[scenario]) == {}


@pytest.mark.parametrize(
    ("scenario", "targets"),
    [
        (
            "dev-lean",
            {
                "web": "apprunner:{}Service",
                "api": "apprunner:{}Service",
                "ai": "apprunner:{}Service",
                "database": "rds:{}DBInstance",
            },
        ),
        (
            "dev-ecs-lean",
            {
                "web": "ecs:updateService",
                "api": "ecs:updateService",
                "ai": "ecs:updateService",
                "database": "rds:{}DBInstance",
            },
        ),
    ],
)
def test_a_sleep_and_a_wake_schedule_per_target(
    synths: dict[str, Synth], scenario: str, targets: dict[str, str]
) -> None:
    config = load_config(env="dev", overrides=("sleep.enabled=true",))
    schedules = _schedules(synths[scenario])
    assert set(schedules) == {f"{name}-{kind}" for name in targets for kind in ("sleep", "wake")}
    verbs = {"apprunner": ("pause", "resume"), "rds": ("stop", "start")}
    for name, action in targets.items():
        for kind in ("sleep", "wake"):
            props = schedules[f"{name}-{kind}"]
            match = CRON.match(str(props["ScheduleExpression"]))
            assert match, props["ScheduleExpression"]
            hour = config.sleep.sleep_hour if kind == "sleep" else config.sleep.wake_hour
            assert int(match[1]) == hour and match[2] == "MON,TUE,WED,THU,FRI"
            assert props["ScheduleExpressionTimezone"] == config.sleep.timezone
            target = props["Target"]
            assert isinstance(target, dict)
            service = action.split(":")[0]
            verb = verbs.get(service, ("", ""))[0 if kind == "sleep" else 1]
            assert target["Arn"] == f"arn:aws:scheduler:::aws-sdk:{action.format(verb)}"
            body = json.dumps(target["Input"])
            if service == "ecs":
                assert ('\\"DesiredCount\\":0' in body) is (kind == "sleep")
    # 5 days from 08:00 to 18:00: the 50 active hours a week `foundry cost` prices.
    assert config.sleep.active_hours_per_week == 50


def test_scheduler_role_may_make_only_these_calls_on_these_resources(synths: dict[str, Synth]) -> None:
    t = synths["dev-lean"].platform
    (role,) = [k for k in t.of_type("AWS::IAM::Role") if k.startswith("SleepRole")]
    trust = t.props(role)["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceAccount" in json.dumps(trust["Condition"])
    (policy,) = [
        p["Properties"]
        for p in t.of_type("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role}]
    ]
    actions = set()
    for statement in policy["PolicyDocument"]["Statement"]:
        assert "*" not in json.dumps(statement["Resource"])
        actions |= (
            set(statement["Action"]) if isinstance(statement["Action"], list) else {statement["Action"]}
        )
    assert actions == {
        "apprunner:PauseService",
        "apprunner:ResumeService",
        "rds:StopDBInstance",
        "rds:StartDBInstance",
    }


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sleep.timezone=Mars/Olympus", "not an IANA time zone"),
        ("sleep.wake_hour=19", "must be before sleep.sleep_hour"),
        ('sleep.working_days=["MON","MON"]', "names a day twice"),
        ('sleep.working_days=["MONDAY"]', "working_days"),
    ],
)
def test_bad_sleep_settings_are_refused_clearly(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(env="dev", overrides=("sleep.enabled=true", override))


def test_prod_never_sleeps() -> None:
    with pytest.raises(ConfigError, match="prod serves around the clock"):
        load_config(env="prod", overrides=("sleep.enabled=true",))
