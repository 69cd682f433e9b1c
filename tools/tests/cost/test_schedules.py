"""Active hours read from the sleep schedules' cron expressions, and priced."""

import json
from typing import Any

import pytest
from foundry_templates import Template
from foundry_tools.cost.estimate import estimate
from foundry_tools.cost.prices import load_prices
from foundry_tools.cost.schedules import (
    ScheduleError,
    awake_hours_per_week,
    awake_resources,
    weekly_events,
)
from foundry_tools.cost.traffic import Traffic

PRICES = load_prices()
ZERO = Traffic(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
WEEKDAYS = "MON,TUE,WED,THU,FRI"


def test_weekly_events_and_awake_hours() -> None:
    wake = weekly_events(f"cron(0 8 ? * {WEEKDAYS} *)", "w")
    sleep = weekly_events(f"cron(0 18 ? * {WEEKDAYS} *)", "s")
    assert wake == [8, 32, 56, 80, 104]
    assert awake_hours_per_week(wake=wake, sleep=sleep) == 50
    # Ranges, minutes, a stretch that crosses midnight and the end of the week.
    assert weekly_events("cron(30 7 ? * MON-WED *)", "r") == [7.5, 31.5, 55.5]
    assert weekly_events("cron(0 1 ? * SAT-MON *)", "r") == [1, 121, 145]
    night = awake_hours_per_week(
        wake=weekly_events("cron(0 22 ? * SUN *)", "w"), sleep=weekly_events("cron(0 2 ? * MON *)", "s")
    )
    assert night == 4
    assert awake_hours_per_week(wake=[], sleep=sleep) == 0
    assert awake_hours_per_week(wake=wake, sleep=[]) == 168


@pytest.mark.parametrize(
    "expression", ["rate(1 hour)", "cron(0 8 * * ? *)", "cron(0 25 ? * MON *)", "cron(0 8 ? * MONDAY *)"]
)
def test_expressions_it_cannot_read_are_named(expression: str) -> None:
    with pytest.raises(ScheduleError, match="schedule x"):
        weekly_events(expression, "x")


def _schedule(name: str, action: str, expression: str, target: str, extra: str = "") -> dict[str, Any]:
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Name": name,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": "Europe/Berlin",
            "Target": {
                "Arn": f"arn:aws:scheduler:::aws-sdk:{action}",
                "Input": {
                    "Fn::Join": ["", ['{"ServiceArn":"', {"Fn::GetAtt": [target, "Arn"]}, f'"{extra}}}']]
                },
            },
        },
    }


def _sleepy(wake_hour: int = 8, sleep_hour: int = 18, days: str = WEEKDAYS) -> dict[str, Any]:
    wake, sleep = f"cron(0 {wake_hour} ? * {days} *)", f"cron(0 {sleep_hour} ? * {days} *)"
    return {
        "Resources": {
            "Api": {
                "Type": "AWS::AppRunner::Service",
                "Properties": {
                    "ServiceName": "foundry-t-api",
                    "InstanceConfiguration": {"Cpu": "1024", "Memory": "2048"},
                },
            },
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {"DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20"},
            },
            "ApiSleep": _schedule("api-sleep", "apprunner:pauseService", sleep, "Api"),
            "ApiWake": _schedule("api-wake", "apprunner:resumeService", wake, "Api"),
            "DbSleep": _schedule("database-sleep", "rds:stopDBInstance", sleep, "Db"),
            "DbWake": _schedule("database-wake", "rds:startDBInstance", wake, "Db"),
        }
    }


def test_app_runner_and_rds_are_priced_for_the_awake_hours() -> None:
    result = estimate({"t": Template(_sleepy())}, ZERO, PRICES)
    rows = {(row.resource, row.item.split(",")[0]): row for row in result.rows}
    awake = 730 * 50 / 168  # 217.26 h
    provisioned = rows[("Api", "foundry-t-api: 1 × 2 GB provisioned")]
    assert provisioned.quantity == pytest.approx(awake * 2)
    assert "awake 50 h/week" in provisioned.item
    assert rows[("Db", "db.t4g.micro Single-AZ hours")].quantity == pytest.approx(awake)
    # Storage bills while the instance is stopped.
    assert rows[("Db", "gp3 storage")].quantity == 20
    assert any("awake 50 h/week = 217.3 h/month of 730" in note for note in result.notes)
    assert any("USER_StopInstance" in note and "apprunner/pricing" in note for note in result.notes)
    always = estimate(
        {
            "t": Template(
                {
                    "Resources": {
                        k: v
                        for k, v in _sleepy()["Resources"].items()
                        if "Sleep" not in k and "Wake" not in k
                    }
                }
            )
        },
        ZERO,
        PRICES,
    )
    saved = always.total("fixed") - result.total("fixed")
    assert saved == pytest.approx((730 - awake) * (2 * 0.007 + 0.016), abs=0.01)


def test_ecs_services_asleep_at_zero_tasks() -> None:
    template = {
        "Resources": {
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "1024", "Memory": "2048"}},
            "Svc": {
                "Type": "AWS::ECS::Service",
                "Properties": {"LaunchType": "FARGATE", "DesiredCount": 1, "TaskDefinition": {"Ref": "Task"}},
            },
            "SvcSleep": _schedule(
                "api-sleep", "ecs:updateService", "cron(0 18 ? * MON-FRI *)", "Svc", ',"DesiredCount":0'
            ),
            "SvcWake": _schedule(
                "api-wake", "ecs:updateService", "cron(0 8 ? * MON-FRI *)", "Svc", ',"DesiredCount":1'
            ),
        }
    }
    awake, notes = awake_resources([Template(template)])
    assert awake["Svc"].hours_per_week == 50 and notes == []
    (vcpu,) = [r for r in estimate({"t": Template(template)}, ZERO, PRICES).rows if r.item.endswith("vCPU")]
    assert vcpu.quantity == pytest.approx(730 * 50 / 168)


def test_an_unreadable_schedule_leaves_the_resource_always_awake_and_says_so() -> None:
    template = _sleepy()
    template["Resources"]["ApiSleep"]["Properties"]["ScheduleExpression"] = "rate(12 hours)"
    result = estimate({"t": Template(json.loads(json.dumps(template)))}, ZERO, PRICES)
    (provisioned,) = [r for r in result.rows if r.resource == "Api" and "GB provisioned" in r.item]
    assert provisioned.quantity == 730 * 2
    assert any("schedule api-sleep: 'rate(12 hours)'" in note for note in result.notes)


NAT_INSTANCE: dict[str, Any] = {
    "Resources": {
        "Nat": {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "InstanceType": "t4g.nano",
                "SourceDestCheck": False,
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3"}}
                ],
                "NetworkInterfaces": [{"AssociatePublicIpAddress": True, "DeviceIndex": "0"}],
            },
        }
    }
}


def test_a_nat_instance_costs_its_hours_volume_and_address() -> None:
    traffic = Traffic(5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    result = estimate({"t": Template(NAT_INSTANCE)}, traffic, PRICES)
    by_item = {row.item: row.usd_month for row in result.rows}
    assert by_item == {
        "NAT instance t4g.nano hours": pytest.approx(730 * 0.0042),  # 3.07
        "NAT instance GB forwarded": 0,
        "8 GB gp3 root volume": pytest.approx(8 * 0.08),  # 0.64
        "public IPv4 address": pytest.approx(730 * 0.005),  # 3.65
    }
    assert result.total("fixed") == pytest.approx(7.36, abs=0.01)
    assert any("no per-GB processing fee" in note for note in result.notes)


def test_xray_traces_are_priced_from_the_sampling_rule() -> None:
    rule = {
        "Type": "AWS::XRay::SamplingRule",
        "Properties": {"SamplingRule": {"FixedRate": 0.1, "ReservoirSize": 1}},
    }
    group = {"Type": "AWS::XRay::Group", "Properties": {}}
    template = Template({"Resources": {"Rule": rule, "Group": group}})
    quiet = Traffic(0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0)  # 0.5M requests: under 1 a second, all traced
    (row,) = estimate({"t": template}, quiet, PRICES).rows
    assert row.quantity == pytest.approx(0.5) and row.usd_month == pytest.approx(2.5)
    busy = Traffic(0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0)  # the reservoir's 2.628M, then 10% of the rest
    (row,) = estimate({"t": template}, busy, PRICES).rows
    assert row.quantity == pytest.approx(2.628 + 0.1 * (10 - 2.628))
    assert estimate({"t": template}, busy, PRICES).unpriced == []
