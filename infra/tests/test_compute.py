"""Issue 6: the same platform on App Runner, on ECS or mixed, with or without the GPU path (spec §8, §9).

The invariants are stated once and checked on every scenario of the matrix (conftest.MATRIX), so a
backend cannot quietly weaken them: ai only from api, the database only from api, no load balancer
reachable from the internet except through CloudFront's range, the same role permissions.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from foundry_contract import ALB_IDLE_TIMEOUT_SECONDS, SERVER_KEEP_ALIVE_SECONDS
from foundry_infra.config import load_config
from foundry_infra.outputs import image_tag
from foundry_infra.scenarios import BACKENDS, MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template

ALL = ["dev", "prod", *MATRIX]
CLOUDFRONT_PREFIX_LIST = "pl-3b927c52"  # us-east-1's com.amazonaws.global.cloudfront.origin-facing


def _group(template: Template, prefix: str) -> str:
    return template.logical_id(prefix, "AWS::EC2::SecurityGroup")


def _ingress(template: Template, group: str) -> list[tuple[str, int]]:
    """(source, port) of every ingress rule of a group: a group's logical id or a prefix list / CIDR."""
    rules = [
        r["Properties"]
        for r in template.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    rules += template.props(group).get("SecurityGroupIngress", [])
    found = []
    for rule in rules:
        source = rule.get("SourceSecurityGroupId", {}).get("Fn::GetAtt", [None])[0]
        found.append((source or rule.get("SourcePrefixListId") or rule.get("CidrIp"), rule.get("FromPort")))
    return sorted(found, key=str)


def _on_ecs(template: Template, service: str) -> bool:
    return any(key.startswith(f"{service}Tasks") for key in template.of_type("AWS::ECS::Service"))


@pytest.mark.parametrize("scenario", ALL)
def test_every_combination_synthesizes_without_unacknowledged_findings(
    synths: dict[str, Synth], scenario: str
) -> None:
    report = json.loads((synths[scenario].out_dir / "nag-report.json").read_text())
    assert report["unacknowledged"] == []
    assert all(len(item["reason"].split()) >= 6 for item in report["acknowledged"])


def test_the_matrix_covers_every_backend_gpu_and_environment(synths: dict[str, Synth]) -> None:
    seen = set()
    for backend, scenarios in BACKENDS.items():
        for scenario in scenarios:
            platform = synths[scenario].platform
            gpu = bool(platform.of_type("AWS::AutoScaling::AutoScalingGroup"))
            env = scenario.split("-")[0]
            ecs = {name for name in ("Web", "Api", "Ai") if _on_ecs(platform, name)}
            expected = {"apprunner": set(), "ecs": {"Web", "Api", "Ai"}}.get(backend)
            assert ecs == expected if expected is not None else 0 < len(ecs) < 3, scenario
            seen.add((backend, gpu, env))
    assert len(seen) == 12


@pytest.mark.parametrize("scenario", ALL)
def test_ai_is_reachable_only_from_api(synths: dict[str, Synth], scenario: str) -> None:
    template = synths[scenario].platform
    api = _group(template, "SecurityGroupsApi")
    if _on_ecs(template, "Ai"):
        alb = _group(template, "InternalLbSg")
        assert _ingress(template, _group(template, "SecurityGroupsAi")) == [(alb, 8080)]
        # The ai listener (port 80) admits sg-api alone; vLLM's port (8000) is the only other one.
        assert [source for source, port in _ingress(template, alb) if port == 80] == [api]
        assert {port for _, port in _ingress(template, alb)} <= {80, 8000}
        (listener,) = [
            r["Properties"]
            for r in template.of_type("AWS::ElasticLoadBalancingV2::Listener").values()
            if r["Properties"]["Port"] == 80
            and r["Properties"]["LoadBalancerArn"]["Ref"].startswith("InternalLb")
        ]
        assert listener["DefaultActions"][0]["TargetGroupArn"]["Ref"].startswith("AiTasksTargets")
    else:
        assert _ingress(template, _group(template, "SecurityGroupsAi")) == []
        assert _ingress(template, _group(template, "AiIngressSg")) == [(api, 443)]


@pytest.mark.parametrize("scenario", ALL)
def test_the_database_is_reachable_only_from_api(synths: dict[str, Synth], scenario: str) -> None:
    template = synths[scenario].platform
    sources = {source for source, _ in _ingress(template, _group(template, "SecurityGroupsDatabase"))}
    # Besides api: the migration runner and the secret-rotation function, both platform-owned.
    assert sources == {
        _group(template, "SecurityGroupsApi"),
        _group(template, "MigrationsSg"),
        _group(template, "DatabaseRotationSg"),
    }


@pytest.mark.parametrize("scenario", ALL)
def test_no_load_balancer_is_reachable_except_through_cloudfront(
    synths: dict[str, Synth], scenario: str
) -> None:
    template = synths[scenario].platform
    balancers = template.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert all(lb["Properties"]["Scheme"] == "internal" for lb in balancers.values())
    for group in template.of_type("AWS::EC2::SecurityGroup"):
        for source, _port in _ingress(template, group):
            assert not str(source).startswith(("0.0.0.0", "::")), (group, source)
            if str(source).startswith("pl-"):
                assert (group, source) == (_group(template, "OriginLbSg"), CLOUDFRONT_PREFIX_LIST)
    if _on_ecs(template, "Api") or _on_ecs(template, "Web"):
        origin = _group(template, "OriginLbSg")
        assert _ingress(template, origin) == [(CLOUDFRONT_PREFIX_LIST, 80)]
        (vpc_origin,) = template.of_type("AWS::CloudFront::VpcOrigin").values()
        config = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
        assert (
            config["Arn"]["Ref"].startswith("OriginLbAlb") and config["OriginProtocolPolicy"] == "http-only"
        )


def _origin_verify_on_api_origin(synth: Synth) -> bool:
    (distribution,) = synth.platform.of_type("AWS::CloudFront::Distribution").values()
    origins = distribution["Properties"]["DistributionConfig"]["Origins"]
    return any(
        header["HeaderName"] == "X-Origin-Verify"
        for origin in origins
        for header in origin.get("OriginCustomHeaders", [])
    )


@pytest.mark.parametrize("scenario", ALL)
def test_api_origin_carries_the_origin_verify_header_on_either_backend(
    synths: dict[str, Synth], scenario: str
) -> None:
    assert _origin_verify_on_api_origin(synths[scenario])


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    role = template.logical_id(role_prefix, "AWS::IAM::Role")
    found = []
    for policy in template.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"].get("Roles", []):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _trust(template: Template, role_prefix: str) -> str:
    role = template.props(template.logical_id(role_prefix, "AWS::IAM::Role"))
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    return str(statement["Principal"]["Service"])


@pytest.mark.parametrize(("apprunner", "ecs"), [("dev", "dev-ecs"), ("prod", "prod-ecs")])
@pytest.mark.parametrize("role", ["ApiRole", "AiRole", "WebRole"])
def test_task_roles_have_the_instance_roles_permissions(
    synths: dict[str, Synth], apprunner: str, ecs: str, role: str
) -> None:
    on_apprunner, on_ecs = synths[apprunner].platform, synths[ecs].platform
    assert _statements(on_ecs, role) == _statements(on_apprunner, role)
    assert (_trust(on_apprunner, role), _trust(on_ecs, role)) == (
        "tasks.apprunner.amazonaws.com",
        "ecs-tasks.amazonaws.com",
    )
    service = role.removesuffix("Role")
    (task,) = [
        r["Properties"]
        for k, r in on_ecs.of_type("AWS::ECS::TaskDefinition").items()
        if k.startswith(f"{service}Tasks")
    ]
    assert task["TaskRoleArn"] == {"Fn::GetAtt": [on_ecs.logical_id(role, "AWS::IAM::Role"), "Arn"]}


def _task(template: Template, service: str) -> dict[str, Any]:
    return template.props(template.logical_id(f"{service}TasksTask", "AWS::ECS::TaskDefinition"))


@pytest.mark.parametrize(("scenario", "spot"), [("dev-ecs", True), ("prod-ecs", False)])
@pytest.mark.parametrize("service", ["Web", "Api", "Ai"])
def test_fargate_services(synths: dict[str, Synth], scenario: str, spot: bool, service: str) -> None:
    template = synths[scenario].platform
    ecs = template.props(template.logical_id(f"{service}TasksService", "AWS::ECS::Service"))
    assert ecs["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert ecs["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert all(
        s["Ref"].startswith("NetworkVpcappSubnet")
        for s in ecs["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    )
    assert [s["CapacityProvider"] for s in ecs["CapacityProviderStrategy"]] == [
        "FARGATE_SPOT" if spot else "FARGATE"
    ]
    task = _task(template, service)
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    # The app first; api and ai also carry the ADOT collector (test_observability.py).
    container, *sidecars = task["ContainerDefinitions"]
    assert [c["Name"] for c in sidecars] == ([] if service == "Web" else ["collector"])
    log = container["LogConfiguration"]
    assert log["LogDriver"] == "awslogs"
    group = template.props(log["Options"]["awslogs-group"]["Ref"])
    assert "KmsKeyId" in group and group["RetentionInDays"] > 0
    assert group["LogGroupName"].startswith("/foundry/")
    targets = template.props(
        template.logical_id(f"{service}TasksTargets", "AWS::ElasticLoadBalancingV2::TargetGroup")
    )
    assert (targets["HealthCheckPath"], targets["TargetType"], targets["Port"]) == ("/healthz", "ip", 8080)
    (cluster,) = template.of_type("AWS::ECS::Cluster").values()
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["Properties"]["ClusterSettings"]


def test_services_scale_on_cpu_and_requests_per_target(synths: dict[str, Synth]) -> None:
    template = synths["prod-ecs"].platform
    target = template.props(
        template.logical_id("ApiTasksServiceTaskCountTarget", "AWS::ApplicationAutoScaling::ScalableTarget")
    )
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    policies = {
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]: p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
        for k, p in template.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").items()
        if k.startswith("ApiTasks")
    }
    assert policies == {"ECSServiceAverageCPUUtilization": 60, "ALBRequestCountPerTarget": 60 * 80}


def test_secrets_reach_tasks_through_the_execution_role_only_for_their_own_secrets(
    synths: dict[str, Synth],
) -> None:
    template = synths["dev-ecs"].platform
    container = _task(template, "Ai")["ContainerDefinitions"][0]  # the app; [1] is the collector
    injected = sorted(s["ValueFrom"]["Ref"] for s in container["Secrets"])
    assert {e["Name"] for e in container["Environment"]}.isdisjoint({s["Name"] for s in container["Secrets"]})
    statements = _statements(template, "AiTasksTaskExecutionRole")
    reads = [s["Resource"] for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert sorted(r["Ref"] for r in reads) == injected
    pulls = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pulls] == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":ecr:us-east-1:123456789012:repository/foundry/dev/ai"],
            ]
        }
    ]


@pytest.mark.parametrize("scenario", ["dev-ecs", "prod-mixed"])
def test_every_load_balancer_closes_idle_connections_before_the_servers_behind_it(
    synths: dict[str, Synth], scenario: str
) -> None:
    """The target's keep-alive must exceed the ALB's idle timeout or the ALB answers 502; the servers'
    side is tested in services/{api,ai}/tests (their uvicorn config)."""
    for lb in synths[scenario].platform.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").values():
        if lb["Properties"].get("Type") == "network":
            continue
        attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
        assert int(attributes["idle_timeout.timeout_seconds"]) == ALB_IDLE_TIMEOUT_SECONDS
        assert ALB_IDLE_TIMEOUT_SECONDS < SERVER_KEEP_ALIVE_SECONDS


@pytest.mark.parametrize("scenario", ["dev-ecs", "prod-mixed"])
def test_load_balancers_log_to_the_logs_bucket(synths: dict[str, Synth], scenario: str) -> None:
    for lb in synths[scenario].platform.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").values():
        attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
        assert attributes["access_logs.s3.enabled"] == "true"


def test_one_origin_load_balancer_routes_api_paths_and_sends_the_rest_to_web(
    synths: dict[str, Synth],
) -> None:
    template = synths["dev-ecs"].platform
    assert len(template.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")) == 2
    (rule,) = template.of_type("AWS::ElasticLoadBalancingV2::ListenerRule").values()
    assert rule["Properties"]["Conditions"][0]["PathPatternConfig"]["Values"] == ["/graphql", "/api/*"]
    assert rule["Properties"]["Actions"][0]["TargetGroupArn"]["Ref"].startswith("ApiTasksTargets")
    (listener,) = [
        r["Properties"]
        for k, r in template.of_type("AWS::ElasticLoadBalancingV2::Listener").items()
        if k.startswith("OriginLb")
    ]
    assert listener["DefaultActions"][0]["TargetGroupArn"]["Ref"].startswith("WebTasksTargets")


@pytest.mark.parametrize("scenario", ALL)
def test_the_api_5xx_alarm_exists_on_either_backend(synths: dict[str, Synth], scenario: str) -> None:
    template = synths[scenario].platform
    names = [a["Properties"]["AlarmName"] for a in template.of_type("AWS::CloudWatch::Alarm").values()]
    assert any("api-5xx" in name for name in names)
    if _on_ecs(template, "Api"):
        (alarm,) = [
            a
            for a in template.of_type("AWS::CloudWatch::Alarm").values()
            if "api-5xx" in a["Properties"]["AlarmName"]
        ]
        namespaces = {
            m.get("MetricStat", {}).get("Metric", {}).get("Namespace") for m in alarm["Properties"]["Metrics"]
        }
        assert "AWS/ApplicationELB" in namespaces
        assert any("api-unhealthy-targets" in name for name in names)


@pytest.mark.parametrize("scenario", ALL)
def test_one_cluster_that_the_migration_runner_shares(synths: dict[str, Synth], scenario: str) -> None:
    template = synths[scenario].platform
    (cluster,) = template.of_type("AWS::ECS::Cluster")
    assert cluster.startswith("ComputeCluster")


# The GPU path (spec §9).


@pytest.mark.parametrize(
    ("scenario", "spot"), [("dev-gpu", True), ("prod-gpu", False), ("prod-ecs-gpu", False)]
)
def test_gpu_capacity(synths: dict[str, Synth], scenario: str, spot: bool) -> None:
    template = synths[scenario].platform
    (provider,) = template.of_type("AWS::ECS::CapacityProvider").values()
    assert provider["Properties"]["AutoScalingGroupProvider"]["ManagedScaling"]["Status"] == "ENABLED"
    (group,) = template.of_type("AWS::AutoScaling::AutoScalingGroup").values()
    props = group["Properties"]
    assert ("MixedInstancesPolicy" in props, props.get("CapacityRebalance", False)) == (spot, spot)
    (launch_template,) = template.of_type("AWS::EC2::LaunchTemplate").values()
    data = launch_template["Properties"]["LaunchTemplateData"]
    assert data["InstanceType"] == "g6.xlarge"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    parameter = template.body["Parameters"][data["ImageId"]["Ref"]]
    assert parameter["Default"] == "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"


@pytest.mark.parametrize("scenario", ["dev-gpu", "prod-ecs-gpu"])
def test_gpu_instances_hold_only_the_agents_calls_on_this_cluster(
    synths: dict[str, Synth], scenario: str
) -> None:
    """CDK's capacity provider would add logs writes on every log group to the instance role; the
    instances get the agent's calls on this cluster and writes to the vllm log group only."""
    template = synths[scenario].platform
    policy = template.props(template.logical_id("GpuInstanceRoleDefaultPolicy", "AWS::IAM::Policy"))
    cluster = {"Fn::GetAtt": [template.logical_id("ComputeCluster", "AWS::ECS::Cluster"), "Arn"]}
    log_group = {"Fn::GetAtt": [template.logical_id("GpuLogs", "AWS::Logs::LogGroup"), "Arn"]}
    star = {
        action
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Resource"] == "*" and "Condition" not in statement
        for action in statement["Action"]
    }
    assert star == {"ecs:DiscoverPollEndpoint", "ecr:GetAuthorizationToken"}
    by_resource = {
        json.dumps(statement["Resource"], sort_keys=True): statement
        for statement in policy["PolicyDocument"]["Statement"]
    }
    assert "ecs:RegisterContainerInstance" in by_resource[json.dumps(cluster, sort_keys=True)]["Action"]
    assert sorted(by_resource[json.dumps(log_group, sort_keys=True)]["Action"]) == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    conditioned = [s for s in policy["PolicyDocument"]["Statement"] if "Condition" in s]
    assert [s["Condition"] for s in conditioned] == [{"ArnEquals": {"ecs:cluster": cluster}}]
    (launch_template,) = template.of_type("AWS::EC2::LaunchTemplate").values()
    user_data = json.dumps(launch_template["Properties"]["LaunchTemplateData"]["UserData"])
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in user_data
    assert "ECS_CLUSTER=" in user_data


def test_vllm_task_reserves_a_gpu_and_caches_the_model(synths: dict[str, Synth]) -> None:
    template = synths["prod-gpu"].platform
    task = template.props(template.logical_id("GpuTask", "AWS::ECS::TaskDefinition"))
    (container,) = task["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert container["Image"].startswith("vllm/vllm-openai:")
    command = container["Command"]
    assert command[command.index("--model") + 1] == "Qwen/Qwen2.5-7B-Instruct"
    assert command[command.index("--port") + 1] == "8000"
    assert container["PortMappings"] == [{"ContainerPort": 8000, "Protocol": "tcp"}]
    assert [s["Name"] for s in container["Secrets"]] == ["VLLM_API_KEY"]
    assert container["MountPoints"][0]["SourceVolume"] == "model-cache"
    assert task["Volumes"][0]["Host"]["SourcePath"].startswith("/var/lib/")
    service = template.props(template.logical_id("GpuService", "AWS::ECS::Service"))
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    targets = template.props(template.logical_id("GpuTargets", "AWS::ElasticLoadBalancingV2::TargetGroup"))
    assert (targets["HealthCheckPath"], targets["Port"]) == ("/health", 8000)


@pytest.mark.parametrize("scenario", ["dev-gpu", "prod-gpu", "dev-ecs-gpu", "prod-mixed-gpu"])
def test_vllm_admits_only_ai_and_api_and_ai_calls_it(synths: dict[str, Synth], scenario: str) -> None:
    template = synths[scenario].platform
    alb = _group(template, "InternalLbSg")
    callers = {source for source, port in _ingress(template, alb) if port == 8000}
    assert callers == {_group(template, "SecurityGroupsAi"), _group(template, "SecurityGroupsApi")}
    sources = {source for source, _ in _ingress(template, _group(template, "GpuTaskSg"))}
    assert sources <= {alb, *([_group(template, "GpuNlbSg")] if scenario.startswith("dev") else [])}
    assert _ingress(template, _group(template, "GpuInstanceSg")) == []
    if _on_ecs(template, "Ai"):
        container = _task(template, "Ai")["ContainerDefinitions"][0]  # the app; [1] is the collector
        env = {e["Name"]: e["Value"] for e in container["Environment"]}
    else:
        ai = template.props(template.logical_id("AiService", "AWS::AppRunner::Service"))
        image = ai["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        env = {e["Name"]: e["Value"] for e in image["RuntimeEnvironmentVariables"]}
    assert env["AI_UPSTREAM_BASE_URL"] == {
        "Fn::Join": [
            "",
            [
                "http://",
                {
                    "Fn::GetAtt": [
                        template.logical_id("InternalLbAlb", "AWS::ElasticLoadBalancingV2::LoadBalancer"),
                        "DNSName",
                    ]
                },
                ":8000/v1",
            ],
        ]
    }
    assert env["AI_UPSTREAM_MODEL"] == "Qwen/Qwen2.5-7B-Instruct"


def test_nlb_only_when_asked(synths: dict[str, Synth]) -> None:
    def network_balancers(scenario: str) -> int:
        balancers = synths[scenario].platform.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        return sum(lb["Properties"].get("Type") == "network" for lb in balancers)

    assert (network_balancers("dev-gpu"), network_balancers("prod-gpu")) == (1, 0)


def test_without_gpu_ai_calls_the_configured_provider(synths: dict[str, Synth]) -> None:
    container = _task(synths["dev-ecs"].platform, "Ai")["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["AI_UPSTREAM_BASE_URL"] == "https://api.openai.com/v1"


@pytest.mark.parametrize("scenario", ["dev", "dev-ecs", "prod-mixed"])
def test_the_deploy_workflow_finds_its_rollback_target_on_either_backend(
    synths: dict[str, Synth], scenario: str
) -> None:
    """The workflow records the running images with `foundry images`, which reads the `<Service>ImageTag`
    outputs every backend writes (it used to ask App Runner, which an ECS service is not)."""
    workflow = (Path(__file__).resolve().parents[2] / ".github/workflows/deploy-environment.yml").read_text()
    assert "foundry images --env" in workflow
    assert "aws apprunner" not in workflow
    env, overrides = {**SCENARIOS, **MATRIX}[scenario]
    services = load_config(env=env, overrides=overrides).services
    template_outputs = synths[scenario].platform.body["Outputs"]
    for name in ("web", "api", "ai"):
        assert template_outputs[image_tag(name)]["Value"] == getattr(services, name).image_tag
