"""The optional GPU inference path of spec §9 (`gpu.enabled`): vLLM's OpenAI-compatible server on ECS
on EC2 GPU instances, which `ai` then calls instead of an external provider.

- An Auto Scaling group of g5/g6-class instances from the ECS GPU-optimized AMI (Amazon Linux 2023),
  whose id CloudFormation reads from AWS's public SSM parameter at deploy time (synth stays offline),
  is the cluster's capacity provider with managed scaling: ECS starts instances for the tasks it
  places. With `gpu.spot`, Spot instances with capacity rebalancing and Spot draining.
- One vLLM task per instance, reserving its GPU, with the model cache on the instance's disk (a host
  volume), so a restarted task does not download the model again.
- The task is a target of the internal ALB on its own port with vLLM's `/health` check; the ALB's
  listener admits only sg-ai and sg-api. Optionally an internal NLB (TCP) for gRPC or raw throughput.
- vLLM requires the same key ai sends upstream (`VLLM_API_KEY` from the ai provider secret), so the
  network rule is not the only thing between a caller and the model.
"""

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from foundry_infra.config.model import GpuConfig
from foundry_infra.nag import acknowledge
from foundry_infra.services.ecs import EcsCompute

VLLM_PORT = 8000
VLLM_HEALTH_PATH = "/health"
MODEL_CACHE = "/root/.cache/huggingface"
HOST_MODEL_CACHE = "/var/lib/foundry/model-cache"
# Memory left to the instance's own agents: the task reserves the rest of a g5/g6 xlarge (16 GiB).
TASK_MEMORY_MIB = 12288


class GpuInference(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: GpuConfig,
        compute: EcsCompute,
        subnets: ec2.SubnetSelection,
        api_key: sm.ISecret,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        vpc = compute.cluster.vpc
        self.instance_security_group = ec2.SecurityGroup(
            self,
            "InstanceSg",
            vpc=vpc,
            description="GPU instances - no inbound; HTTPS out for the ECS agent and image pulls",
            allow_all_outbound=False,
        )
        self.instance_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "ECS, ECR and the image registry over HTTPS"
        )
        self.task_security_group = ec2.SecurityGroup(
            self,
            "TaskSg",
            vpc=vpc,
            description="vLLM tasks - from the internal load balancers only; HTTPS out for the model",
            allow_all_outbound=False,
        )
        self.task_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "Model download from the hub through the NAT"
        )
        user_data = ec2.UserData.for_linux()
        user_data.add_commands(
            "echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config",
            # awsvpc tasks could otherwise read the instance role's credentials from the metadata service.
            "echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config",
            f"mkdir -p {HOST_MODEL_CACHE}",
        )
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="GPU container instances: the ECS agent's own calls on this cluster and the vllm logs",
        )
        self.log_group = compute.log_group(self, "Logs", name="vllm")
        self._grant_agent_permissions(compute.cluster, self.log_group)
        launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=ec2.InstanceType(config.instance_type),
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(ecs.AmiHardwareType.GPU),
            security_group=self.instance_security_group,
            # The capacity provider adds CDK's agent statements to the instance role, among them logs
            # writes on every log group for a CloudWatch agent we do not run; it gets a view that takes no
            # statements, and _grant_agent_permissions writes the same calls scoped to this cluster.
            role=self.instance_role.without_policy_updates(),
            user_data=user_data,
            require_imdsv2=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        config.root_volume_gib, volume_type=ec2.EbsDeviceVolumeType.GP3, encrypted=True
                    ),
                )
            ],
        )
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Instances",
            vpc=vpc,
            vpc_subnets=subnets,
            min_capacity=config.min_instances,
            max_capacity=config.max_instances,
            capacity_rebalance=config.spot or None,
            **(
                {
                    "mixed_instances_policy": autoscaling.MixedInstancesPolicy(
                        launch_template=launch_template,
                        instances_distribution=autoscaling.InstancesDistribution(
                            on_demand_percentage_above_base_capacity=0,
                            spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
                        ),
                    )
                }
                if config.spot
                else {"launch_template": launch_template}
            ),
        )
        self.capacity_provider = ecs.AsgCapacityProvider(
            self,
            "CapacityProvider",
            auto_scaling_group=self.auto_scaling_group,
            enable_managed_scaling=True,
            enable_managed_termination_protection=False,
            target_capacity_percent=100,
            spot_instance_draining=config.spot,
            # ECS drains an instance's tasks before the group terminates it (no Lambda hook needed).
            enable_managed_draining=True,
        )
        compute.cluster.add_asg_capacity_provider(self.capacity_provider)
        acknowledge(
            self.auto_scaling_group,
            "AwsSolutions-AS3",
            reason="Scaling is ECS's: the capacity provider's managed scaling starts and stops instances for "
            "the tasks it places; the service alarms cover failures that notifications would report.",
        )
        acknowledge(
            self.auto_scaling_group,
            "AwsSolutions-EC26",
            reason="The root volume is encrypted (gp3, encrypted=True) in the launch template; the rule "
            "reads launch configurations only and cannot evaluate a launch template.",
        )

        self.task_definition = ecs.Ec2TaskDefinition(
            self,
            "Task",
            family=f"{name}-vllm",
            network_mode=ecs.NetworkMode.AWS_VPC,
            volumes=[ecs.Volume(name="model-cache", host=ecs.Host(source_path=HOST_MODEL_CACHE))],
        )
        self.container = self.task_definition.add_container(
            "vllm",
            image=ecs.ContainerImage.from_registry(config.image),
            command=[
                "--model",
                config.model,
                "--served-model-name",
                config.model,
                "--host",
                "0.0.0.0",  # noqa: S104 - the task's own interface; its security group admits the ALBs only
                "--port",
                str(VLLM_PORT),
                "--max-model-len",
                str(config.max_model_len),
            ],
            gpu_count=1,
            memory_reservation_mib=TASK_MEMORY_MIB,
            environment={"HF_HOME": MODEL_CACHE},
            secrets={"VLLM_API_KEY": ecs.Secret.from_secrets_manager(api_key)},
            port_mappings=[ecs.PortMapping(container_port=VLLM_PORT, protocol=ecs.Protocol.TCP)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="vllm", log_group=self.log_group),
        )
        self.container.add_mount_points(
            ecs.MountPoint(source_volume="model-cache", container_path=MODEL_CACHE, read_only=False)
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            reason="The plain environment is only HF_HOME, the model cache path; the API key vLLM requires "
            "arrives through `secrets` from Secrets Manager.",
        )
        self.service = ecs.Ec2Service(
            self,
            "Service",
            service_name=f"{name}-vllm",
            cluster=compute.cluster,
            task_definition=self.task_definition,
            desired_count=config.min_instances,
            vpc_subnets=subnets,
            security_groups=[self.task_security_group],
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(
                    capacity_provider=self.capacity_provider.capacity_provider_name, weight=1
                )
            ],
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            # One GPU per task: a rolling update may stop the old task before the new one starts
            # rather than need a spare GPU instance.
            min_healthy_percent=0,
            max_healthy_percent=100,
            # Downloading and loading the model takes minutes on the first start of an instance.
            health_check_grace_period=Duration.minutes(15),
        )
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "Targets",
            vpc=vpc,
            port=VLLM_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=Duration.seconds(60),
            health_check=elbv2.HealthCheck(
                path=VLLM_HEALTH_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(30),
                timeout=Duration.seconds(10),
                healthy_threshold_count=2,
                unhealthy_threshold_count=5,
            ),
            targets=[self.service],
        )
        self.nlb: elbv2.NetworkLoadBalancer | None = None
        self._access_logs = access_logs

    def scale(self) -> None:
        """Between gpu.min_instances and gpu.max_instances tasks on requests per task; the capacity
        provider then brings or retires the instances. Call once the target group has a listener."""
        scaling = self.service.auto_scale_task_count(
            min_capacity=self.config.min_instances, max_capacity=self.config.max_instances
        )
        scaling.scale_on_request_count(
            "Requests", requests_per_target=self.config.requests_per_minute, target_group=self.target_group
        )

    def _grant_agent_permissions(self, cluster: ecs.ICluster, log_group: logs.ILogGroup) -> None:
        """What the ECS agent on a GPU instance calls (CDK's capacity-provider set, minus its logs:* on
        every log group), each on this cluster or the vllm log group where AWS allows a resource."""
        role = self.instance_role
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ecs:RegisterContainerInstance",
                    "ecs:DeregisterContainerInstance",
                    "ecs:SubmitContainerStateChange",
                    "ecs:SubmitTaskStateChange",
                    "ecs:SubmitAttachmentStateChanges",
                ],
                resources=[cluster.cluster_arn],
            )
        )
        # The container instance these act on does not exist before the agent registers it, so the
        # cluster is named by condition rather than resource.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:Poll", "ecs:StartTelemetrySession"],
                resources=["*"],
                conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DiscoverPollEndpoint", "ecr:GetAuthorizationToken"], resources=["*"]
            )
        )
        # On EC2 the Docker daemon's awslogs driver writes with the instance's credentials.
        log_group.grant_write(role)
        policy = role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            reason="ecs:Poll and ecs:StartTelemetrySession act on a container instance that does not exist "
            "yet (scoped to this cluster by the ecs:cluster condition); ecs:DiscoverPollEndpoint and "
            "ecr:GetAuthorizationToken have no resource type, so AWS requires '*'.",
        )

    def add_nlb(
        self, *, subnets: ec2.SubnetSelection, callers: Sequence[tuple[str, ec2.ISecurityGroup]]
    ) -> None:
        """An internal NLB (TCP) in front of the same tasks, for gRPC or raw throughput (spec §9)."""
        vpc = self.service.cluster.vpc
        group = ec2.SecurityGroup(
            self,
            "NlbSg",
            vpc=vpc,
            description="vLLM NLB - TCP from sg-ai and sg-api only",
            allow_all_outbound=False,
        )
        for description, caller in callers:
            group.add_ingress_rule(caller, ec2.Port.tcp(VLLM_PORT), description)
            caller.add_egress_rule(group, ec2.Port.tcp(VLLM_PORT), "vLLM NLB")
        self.nlb = elbv2.NetworkLoadBalancer(
            self,
            "Nlb",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=False,
            security_groups=[group],
            cross_zone_enabled=True,
        )
        # NLBs write access logs for TLS listeners only; enabled so that a TLS listener added later logs.
        self.nlb.log_access_logs(self._access_logs, prefix="nlb/vllm")
        listener = self.nlb.add_listener("Tcp", port=VLLM_PORT, protocol=elbv2.Protocol.TCP)
        listener.add_targets(
            "Vllm",
            port=VLLM_PORT,
            protocol=elbv2.Protocol.TCP,
            targets=[self.service.load_balancer_target(container_name="vllm", container_port=VLLM_PORT)],
            health_check=elbv2.HealthCheck(
                protocol=elbv2.Protocol.HTTP, path=VLLM_HEALTH_PATH, interval=Duration.seconds(30)
            ),
        )
        self.task_security_group.add_ingress_rule(group, ec2.Port.tcp(VLLM_PORT), "From the vLLM NLB")
        group.add_egress_rule(self.task_security_group, ec2.Port.tcp(VLLM_PORT), "To the vLLM tasks")
