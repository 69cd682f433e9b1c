"""Spec §10 and §14 (and issue 17): tracing, service logs key, dashboard, alarms with their SNS actions, cost guards."""

import json
from typing import Any

import pytest
from foundry_contract import Service
from foundry_contract.metrics import AI_METRICS_NAMESPACE, UPSTREAM_ERRORS, UPSTREAM_REQUESTS
from foundry_infra.config import load_config
from foundry_infra.data.database import default_max_connections
from foundry_infra.observability.tracing import tracing_environment
from foundry_infra.scenarios import MATRIX
from foundry_infra.services.environment import ServiceEnvironment
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template

GIB = 1024**3


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in template.of_type("AWS::CloudWatch::Alarm").values()
    }


def _topic_ref(template: Template) -> dict[str, str]:
    (topic_id,) = template.of_type("AWS::SNS::Topic")
    return {"Ref": topic_id}


def _metric(props: dict[str, Any], name: str) -> dict[str, Any]:
    """The MetricStat of one metric of a metric-math alarm."""
    for query in props["Metrics"]:
        stat = query.get("MetricStat")
        if stat and stat["Metric"]["MetricName"] == name:
            return dict(stat)
    raise LookupError(name)


PLATFORM_ALARMS = {
    "api-5xx-rate",
    "ai-upstream-error-rate",
    "rds-cpu",
    "rds-free-storage",
    "rds-connections",
    "cloudfront-5xx-rate",
    "site-health",
}


@pytest.mark.parametrize(("scenario", "nats"), [("dev", 1), ("staging", 1), ("prod", 2)])
def test_every_platform_alarm_notifies_the_encrypted_topic(
    synths: dict[str, Synth], scenario: str, nats: int
) -> None:
    template = synths[scenario].platform
    alarms = _alarms(template)
    expected = PLATFORM_ALARMS | {f"nat-egress-spike-{n + 1}" for n in range(nats)}
    if load_config(env=scenario).edge.domain_name:
        expected -= {"site-health"}  # with a custom domain it lives in the edge stack (us-east-1)
    assert set(alarms) == {f"foundry-{scenario}-{key}" for key in expected}
    topic = _topic_ref(template)
    for props in alarms.values():
        assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
    (topic_props,) = (r["Properties"] for r in template.of_type("AWS::SNS::Topic").values())
    assert "Fn::GetAtt" in topic_props["KmsMasterKeyId"]
    (subscription,) = template.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == load_config(env=scenario).ops.alarm_email


def test_api_5xx_rate_alarm(dev: Synth, prod: Synth) -> None:
    for synth, threshold in ((dev, 5.0), (prod, 2.0)):
        props = _alarms(synth.platform)[f"foundry-{synth.out_dir.name}-api-5xx-rate"]
        assert props["Threshold"] == threshold
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        (expression,) = [q["Expression"] for q in props["Metrics"] if "Expression" in q]
        assert expression == "IF(total > 0, 100 * errors / total, 0)"
        errors = _metric(props, "5xxStatusResponses")
        assert errors["Stat"] == "Sum" and errors["Metric"]["Namespace"] == "AWS/AppRunner"
        dimensions = {d["Name"]: d["Value"] for d in errors["Metric"]["Dimensions"]}
        assert dimensions["ServiceName"].endswith("-api")
        assert dimensions["ServiceID"]["Fn::GetAtt"][1] == "ServiceId"
        assert _metric(props, "Requests")["Stat"] == "Sum"


def _emf_metrics(environment: str) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """The (metric, dimensions) CloudWatch extracts from the EMF lines ai prints in `environment`."""
    from foundry_ai.core.metrics import Metrics

    lines: list[str] = []
    emitter = Metrics(environment=environment, write=lines.append)
    emitter.upstream_attempt(latency_ms=1.0, status=200, request_id="r")
    emitter.upstream_error(code="UPSTREAM_ERROR", status=502, request_id="r")
    found = set()
    for document in map(json.loads, lines):
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, str(document[name])) for name in dimension_set)
                found |= {(m["Name"], dimensions) for m in directive["Metrics"]}
    return found


def test_ai_upstream_error_rate_alarm_reads_the_metrics_ai_emits(dev: Synth) -> None:
    """The alarm reads dev's own data points: the ones ai prints with FOUNDRY_ENV=dev, and not prod's,
    which share the namespace when both environments run in one account."""
    props = _alarms(dev.platform)["foundry-dev-ai-upstream-error-rate"]
    assert props["Threshold"] == load_config(env="dev").ops.ai_upstream_error_percent
    for name in (UPSTREAM_ERRORS, UPSTREAM_REQUESTS):
        stat = _metric(props, name)
        assert stat["Metric"]["Namespace"] == AI_METRICS_NAMESPACE and stat["Stat"] == "Sum"
        read = (name, frozenset((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"]))
        assert read in _emf_metrics("dev")
        assert read not in _emf_metrics("prod")


def test_rds_alarms(each_env: Synth) -> None:
    name = each_env.out_dir.name
    config = load_config(env=name)
    alarms = _alarms(each_env.platform)
    cpu = alarms[f"foundry-{name}-rds-cpu"]
    assert (cpu["Namespace"], cpu["MetricName"], cpu["Statistic"]) == ("AWS/RDS", "CPUUtilization", "Average")
    assert cpu["Threshold"] == 80 and cpu["ComparisonOperator"] == "GreaterThanThreshold"
    storage = alarms[f"foundry-{name}-rds-free-storage"]
    assert (storage["MetricName"], storage["Statistic"]) == ("FreeStorageSpace", "Minimum")
    # Storage autoscaling acts at 10% free of the allocation; below 10% of the first allocation for 15
    # minutes it could not (USER_PIOPS.Autoscaling.html). Not a fixed 5 GiB that fires at every step.
    database = config.database
    assert storage["Threshold"] == database.allocated_storage_gib * GIB / 10
    assert storage["ComparisonOperator"] == "LessThanThreshold"
    assert storage["EvaluationPeriods"] == storage["DatapointsToAlarm"] == 3
    assert f"max_allocated_storage ({database.max_allocated_storage_gib} GiB" in storage["AlarmDescription"]
    assert "ceiling?" not in storage["AlarmDescription"]
    connections = alarms[f"foundry-{name}-rds-connections"]
    assert (connections["MetricName"], connections["Statistic"]) == ("DatabaseConnections", "Maximum")
    assert connections["Threshold"] == int(default_max_connections(config.database.instance_class) * 0.8)
    for props in (cpu, storage, connections):
        assert props["Dimensions"][0]["Name"] == "DBInstanceIdentifier"


def test_nat_egress_alarm_is_an_anomaly_band_per_gateway(prod: Synth) -> None:
    template = prod.platform
    nat_ids = {f"{key}" for key in template.of_type("AWS::EC2::NatGateway")}
    seen = set()
    for index in (1, 2):
        props = _alarms(template)[f"foundry-prod-nat-egress-spike-{index}"]
        assert props["ComparisonOperator"] == "GreaterThanUpperThreshold"
        band = next(q for q in props["Metrics"] if "Expression" in q)
        assert band["Id"] == props["ThresholdMetricId"]
        assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(") and band["Expression"].endswith(
            ", 3)"
        )
        stat = _metric(props, "BytesOutToDestination")
        assert stat["Metric"]["Namespace"] == "AWS/NATGateway" and stat["Stat"] == "Sum"
        seen.add(stat["Metric"]["Dimensions"][0]["Value"]["Ref"])
    assert seen == nat_ids


def test_site_health_check_through_cloudfront(dev: Synth) -> None:
    (check,) = dev.platform.of_type("AWS::Route53::HealthCheck").values()
    config = check["Properties"]["HealthCheckConfig"]
    assert (config["Type"], config["ResourcePath"], config["Port"]) == ("HTTPS", "/api/readyz", 443)
    assert config["FullyQualifiedDomainName"]["Fn::GetAtt"][1] == "DomainName"
    props = _alarms(dev.platform)["foundry-dev-site-health"]
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/Route53",
        "HealthCheckStatus",
        "Minimum",
    )
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "LessThanThreshold"
    assert props["TreatMissingData"] == "breaching"


def test_cloudfront_5xx_alarm(dev: Synth) -> None:
    props = _alarms(dev.platform)["foundry-dev-cloudfront-5xx-rate"]
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/CloudFront",
        "5xxErrorRate",
        "Average",
    )
    assert props["Threshold"] == 5.0
    assert {d["Name"]: d.get("Value") for d in props["Dimensions"]}["Region"] == "Global"


def test_edge_alarms_live_in_us_east_1_with_their_own_topic(each_env: Synth, complete: Synth) -> None:
    edge = each_env.edge
    name = each_env.out_dir.name
    alarms = _alarms(edge)
    waf = alarms[f"foundry-{name}-waf-blocked-spike"]
    assert (waf["Namespace"], waf["MetricName"], waf["Statistic"]) == ("AWS/WAFV2", "BlockedRequests", "Sum")
    assert {d["Name"]: d["Value"] for d in waf["Dimensions"]} == {
        "WebACL": f"foundry-{name}-edge",
        "Rule": "ALL",
    }
    assert waf["Threshold"] == 1000 and waf["AlarmActions"] == [_topic_ref(edge)]
    # With a custom domain (complete, eu-west-1) the health check moves to the edge stack, and the
    # platform keeps no alarm on a us-east-1-only metric.
    complete_edge = _alarms(complete.edge)
    assert set(complete_edge) == {"foundry-prod-waf-blocked-spike", "foundry-prod-site-health"}
    (check,) = complete.edge.of_type("AWS::Route53::HealthCheck").values()
    assert check["Properties"]["HealthCheckConfig"]["FullyQualifiedDomainName"] == "app.example.com"
    platform = _alarms(complete.platform)
    assert not any(key.endswith(("site-health", "cloudfront-5xx-rate")) for key in platform)
    assert not complete.platform.of_type("AWS::Route53::HealthCheck")


def test_outside_us_east_1_the_cloudfront_alarm_has_its_own_us_east_1_stack(
    complete: Synth, dev: Synth
) -> None:
    """CloudFront's metrics exist only in us-east-1; the platform in eu-west-1 cannot alarm on them,
    yet the runbook names foundry-$ENV-cloudfront-5xx-rate."""
    stack = complete.edge_alarms
    assert stack is not None and dev.edge_alarms is None
    manifest = json.loads((complete.out_dir / "manifest.json").read_text())
    artifact = manifest["artifacts"]["Foundry-prod-edge-alarms"]
    assert artifact["environment"].endswith("/us-east-1")
    assert "Foundry-prod-platform" in artifact["dependencies"]
    props = _alarms(stack)["foundry-prod-cloudfront-5xx-rate"]
    assert (props["Namespace"], props["MetricName"]) == ("AWS/CloudFront", "5xxErrorRate")
    assert props["AlarmActions"] == [_topic_ref(stack)]
    # With a custom domain the health check is the edge stack's; none here.
    assert not stack.of_type("AWS::Route53::HealthCheck")


def test_health_checkers_stand_where_the_geo_allowlist_admits_them(complete: Synth, dev: Synth) -> None:
    """complete allows DE, FR and US: only the three US checker regions can pass CloudFront."""
    (check,) = complete.edge.of_type("AWS::Route53::HealthCheck").values()
    assert check["Properties"]["HealthCheckConfig"]["Regions"] == ["us-east-1", "us-west-1", "us-west-2"]
    (open_check,) = dev.platform.of_type("AWS::Route53::HealthCheck").values()
    assert len(open_check["Properties"]["HealthCheckConfig"]["Regions"]) == 8


def test_alarm_topics_accept_their_publishers(each_env: Synth) -> None:
    for template in (each_env.platform, each_env.edge):
        (policy,) = template.of_type("AWS::SNS::TopicPolicy").values()
        (statement,) = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s.get("Sid") == "AlertPublishers"
        ]
        assert set(statement["Principal"]["Service"]) == {
            "cloudwatch.amazonaws.com",
            "budgets.amazonaws.com",
            "costalerts.amazonaws.com",
        }
        key_statements = [
            s
            for key in template.of_type("AWS::KMS::Key").values()
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if s.get("Sid") == "AlertPublishersEncrypt"
        ]
        assert len(key_statements) == 1


DASHBOARD_METRICS = [
    '"AWS/AppRunner","RequestLatency"',
    '"stat":"p50"',
    '"stat":"p95"',
    '"stat":"p99"',
    '"2xxStatusResponses"',
    '"4xxStatusResponses"',
    '"5xxStatusResponses"',
    '"CPUUtilization"',
    '"MemoryUtilization"',
    '"ActiveInstances"',
    '"Concurrency"',
    '"AWS/NATGateway","BytesOutToDestination"',
    '"AWS/RDS","CPUUtilization"',
    '"ReadIOPS"',
    '"WriteIOPS"',
    '"DatabaseConnections"',
    '"FreeStorageSpace"',
    '"AWS/CloudFront","Requests"',
    '"5xxErrorRate"',
    '"4xxErrorRate"',
    '"AWS/WAFV2","BlockedRequests"',
    f'"{AI_METRICS_NAMESPACE}","{UPSTREAM_ERRORS}"',
]


def _dashboard_body(template: Template) -> str:
    (dashboard,) = template.of_type("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else "<token>" for part in parts)


@pytest.mark.parametrize("scenario", ["dev", "prod", "complete"])
def test_dashboard_has_every_widget_group(synths: dict[str, Synth], scenario: str) -> None:
    body = _dashboard_body(synths[scenario].platform)
    missing = [metric for metric in DASHBOARD_METRICS if metric not in body]
    assert missing == []
    titles = [w["properties"].get("title") for w in json.loads(body.replace("<token>", "x"))["widgets"]]
    for service in ("web", "api", "ai"):
        assert f"{service}: latency p50/p95/p99 (ms)" in titles
    # CloudFront and WAF metrics are read from us-east-1 whatever the dashboard's region.
    widgets = json.loads(body.replace("<token>", "x"))["widgets"]
    edge_widgets = [w for w in widgets if "(us-east-1)" in str(w["properties"].get("title"))]
    assert len(edge_widgets) == 2
    for widget in edge_widgets:
        assert all(metric[-1]["region"] == "us-east-1" for metric in widget["properties"]["metrics"])


def test_prod_dashboard_draws_each_nat_gateway(prod: Synth) -> None:
    assert _dashboard_body(prod.platform).count('"BytesOutToDestination"') == 2


def test_budget_with_actual_and_forecast_notifications(each_env: Synth) -> None:
    template = each_env.platform
    name = each_env.out_dir.name
    config = load_config(env=name)
    (budget,) = template.of_type("AWS::Budgets::Budget").values()
    data = budget["Properties"]["Budget"]
    assert data["BudgetLimit"] == {"Amount": config.ops.monthly_budget_usd, "Unit": "USD"}
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["CostFilters"] == {"TagKeyValue": [f"user:environment${name}"]}
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert sorted(
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications
    ) == [("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 80), ("FORECASTED", 100)]
    for n in notifications:
        assert n["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert {s["SubscriptionType"]: s["Address"] for s in n["Subscribers"]} == {
            "SNS": _topic_ref(template),
            "EMAIL": config.ops.alarm_email,
        }


def test_cost_anomaly_monitor_and_subscription(dev: Synth) -> None:
    template = dev.platform
    (monitor_id, monitor) = next(iter(template.of_type("AWS::CE::AnomalyMonitor").items()))
    assert (monitor["Properties"]["MonitorType"], monitor["Properties"]["MonitorDimension"]) == (
        "DIMENSIONAL",
        "SERVICE",
    )
    (subscription,) = template.of_type("AWS::CE::AnomalySubscription").values()
    props = subscription["Properties"]
    assert props["MonitorArnList"] == [{"Fn::GetAtt": [monitor_id, "MonitorArn"]}]
    assert props["Subscribers"] == [{"Type": "SNS", "Address": _topic_ref(template)}]
    threshold = json.loads(props["ThresholdExpression"])["Dimensions"]
    assert threshold["Key"] == "ANOMALY_TOTAL_IMPACT_ABSOLUTE" and threshold["Values"] == ["50"]


def test_api_and_ai_send_xray_traces_web_does_not(each_env: Synth) -> None:
    template = each_env.platform
    (config_id, config) = next(iter(template.of_type("AWS::AppRunner::ObservabilityConfiguration").items()))
    assert config["Properties"]["TraceConfiguration"] == {"Vendor": "AWSXRAY"}
    for name, traced in (("Api", True), ("Ai", True), ("Web", False)):
        service = template.props(template.logical_id(f"{name}Service", "AWS::AppRunner::Service"))
        observability = service["ObservabilityConfiguration"]
        assert observability["ObservabilityEnabled"] is traced
        if traced:
            assert observability["ObservabilityConfigurationArn"]["Fn::GetAtt"][0] == config_id
    for role in ("ApiRole", "AiRole"):
        policy = template.props(template.logical_id(f"{role}Policy", "AWS::IAM::Policy"))
        actions = [s["Action"] for s in policy["PolicyDocument"]["Statement"] if s.get("Sid") == "SendTraces"]
        assert actions == [["xray:PutTraceSegments", "xray:PutTelemetryRecords"]]


@pytest.mark.parametrize(("scenario", "region"), [("dev", "us-east-1"), ("complete", "eu-west-1")])
def test_service_logs_key_is_usable_by_cloudwatch_logs_for_the_service_groups_only(
    synths: dict[str, Synth], scenario: str, region: str
) -> None:
    template = synths[scenario].platform
    statements = [
        s
        for logical, key in template.of_type("AWS::KMS::Key").items()
        if logical.startswith("ServiceLogs")
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "CloudWatchLogsForServiceGroups"
    ]
    (statement,) = statements
    assert statement["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    env = "prod" if scenario == "complete" else scenario
    assert statement["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:{region}:123456789012:log-group:/aws/apprunner/foundry-{env}-*"
            )
        }
    }
    outputs = template.body["Outputs"]
    assert outputs["ServiceLogRetentionDays"]["Value"] == str(load_config(env=env).ops.log_retention_days)


# -- issue 17: OpenTelemetry from api and ai to X-Ray, on either backend

OTEL_COMMON = {
    "OTEL_SDK_DISABLED": "false",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
    "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    "OTEL_PROPAGATORS": "xray,tracecontext",
    "OTEL_PYTHON_ID_GENERATOR": "xray",
}


def _otel(variables: list[dict[str, Any]]) -> dict[str, str]:
    return {v["Name"]: v["Value"] for v in variables if v["Name"].startswith("OTEL_")}


def test_app_runner_services_export_to_their_collector_at_the_profile_ratio(each_env: Synth) -> None:
    template, name = each_env.platform, each_env.out_dir.name
    ratio = load_config(env=name).tracing.sample_ratio
    for service in ("Api", "Ai"):
        props = template.props(template.logical_id(f"{service}Service", "AWS::AppRunner::Service"))
        image = props["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        assert _otel(image["RuntimeEnvironmentVariables"]) == {
            **OTEL_COMMON,
            "OTEL_SERVICE_NAME": f"foundry-{name}-{service.lower()}",
            "OTEL_TRACES_SAMPLER_ARG": f"{ratio:g}",
            "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment={name},service.version=initial",
        }
    web = template.props(template.logical_id("WebService", "AWS::AppRunner::Service"))
    assert (
        _otel(
            web["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentVariables"]
        )
        == {}
    )


def test_xray_sampling_rule_slow_group_and_dashboard_row(each_env: Synth) -> None:
    template, name = each_env.platform, each_env.out_dir.name
    config = load_config(env=name)
    (rule,) = template.of_type("AWS::XRay::SamplingRule").values()
    sampling = rule["Properties"]["SamplingRule"]
    assert (sampling["ServiceName"], sampling["FixedRate"], sampling["RuleName"]) == (
        f"foundry-{name}-*",
        config.tracing.sample_ratio,
        f"foundry-{name}",
    )
    (group,) = template.of_type("AWS::XRay::Group").values()
    assert group["Properties"]["GroupName"] == f"foundry-{name}-slow"
    assert group["Properties"]["FilterExpression"] == (
        f'(service("foundry-{name}-api") OR service("foundry-{name}-ai")) AND (fault = true OR responsetime > 1)'
    )
    body = _dashboard_body(template)
    assert f'"AWS/X-Ray","ApproximateTraceCount","GroupName","foundry-{name}-slow"' in body
    assert f"`foundry-{name}-slow`" in body


@pytest.mark.parametrize("scenario", ["dev-ecs", "prod-ecs", "prod-mixed", "dev-mixed"])
def test_traced_ecs_tasks_carry_an_adot_collector_sidecar(synths: dict[str, Synth], scenario: str) -> None:
    env, overrides = MATRIX[scenario]
    config = load_config(env=env, overrides=overrides)
    template = synths[scenario].platform
    on_ecs = config.services.on("ecs")
    for service in ("web", "api", "ai"):
        if service not in on_ecs:
            continue
        task = template.props(template.logical_id(f"{service.title()}Tasks", "AWS::ECS::TaskDefinition"))
        app, *sidecars = task["ContainerDefinitions"]
        if service == "web":
            assert sidecars == []
            continue
        (collector,) = sidecars
        # The pinned multi-arch image, in a task whose CPU is the profile's (one architecture per task).
        assert collector["Image"] == config.tracing.collector_image
        assert task["RuntimePlatform"]["CpuArchitecture"] == config.services.ecs_cpu_architecture.upper()
        assert collector["Essential"] is False and collector["ReadonlyRootFilesystem"] is True
        assert collector["HealthCheck"]["Command"] == ["CMD", "/healthcheck"]
        assert (
            collector["LogConfiguration"]["Options"]["awslogs-group"]
            == app["LogConfiguration"]["Options"]["awslogs-group"]
        )
        (secret,) = collector["Secrets"]
        assert secret["Name"] == "AOT_CONFIG_CONTENT"
        (parameter,) = [
            r
            for r in secret["ValueFrom"]["Fn::Join"][1]
            if isinstance(r, dict) and "Ref" in r and r["Ref"] != "AWS::Partition"
        ]
        settings = json.loads(template.props(parameter["Ref"])["Value"])
        assert settings["receivers"]["otlp"]["protocols"] == {"grpc": {"endpoint": "localhost:4317"}}
        assert settings["service"]["pipelines"]["traces"] == {
            "receivers": ["otlp"],
            "processors": ["memory_limiter", "tail_sampling", "batch"],
            "exporters": ["awsxray"],
        }
        policies = {p["name"]: p for p in settings["processors"]["tail_sampling"]["policies"]}
        assert policies["errors"]["status_code"] == {"status_codes": ["ERROR"]}
        assert policies["slow"]["latency"] == {"threshold_ms": config.tracing.slow_request_ms}
        assert policies["share"]["probabilistic"] == {
            "sampling_percentage": 100 * config.tracing.sample_ratio
        }
        # The head sampler keeps every trace, so the tail sampler sees the errors and slow ones.
        assert _otel(app["Environment"])["OTEL_TRACES_SAMPLER_ARG"] == "1"
        # Only the execution role reads the parameter, and only that one.
        execution = template.props(
            template.logical_id(f"{service.title()}TasksTaskExecutionRoleDefaultPolicy", "AWS::IAM::Policy")
        )
        reads = [s for s in execution["PolicyDocument"]["Statement"] if "ssm:GetParameters" in s["Action"]]
        assert [s["Resource"] for s in reads] == [secret["ValueFrom"]]


def test_tracing_off_disables_the_sdk_and_an_unknown_otel_variable_is_refused() -> None:
    off = load_config(env="prod", overrides=["ops.tracing=false"])
    assert tracing_environment(config=off, service=Service.API) == {"OTEL_SDK_DISABLED": "true"}
    ecs = load_config(env="prod", overrides=["services.ai.compute=ecs"])
    assert tracing_environment(config=ecs, service=Service.AI)["OTEL_TRACES_SAMPLER_ARG"] == "1"
    assert tracing_environment(config=ecs, service=Service.API)["OTEL_TRACES_SAMPLER_ARG"] == "0.05"
    with pytest.raises(ValueError, match="web does not read OTEL_SERVICE_NAME"):
        ServiceEnvironment(service=Service.WEB, plain={"OTEL_SERVICE_NAME": "x"})
