"""The workloads of the platform template and the AWS APIs each calls from its own network interface.

- App Runner services with a VPC connector. App Runner pulls the image with the access role, resolves
  RuntimeEnvironmentSecrets when an instance starts and ships the logs itself, outside the connector;
  the connector carries the application's own outbound traffic, so it needs what the instance role
  lets the application call.
  https://docs.aws.amazon.com/apprunner/latest/dg/network-vpc.html ·
  https://docs.aws.amazon.com/apprunner/latest/dg/security_iam_service-with-iam.html#security_iam_service-with-iam-roles-service.access
- ECS services and the one-off migration task (its network is the one `foundry migrate` passes to
  RunTask: the stack's MigrationsSubnetIds and MigrationsSecurityGroupId outputs).
- ECS tasks on EC2 (the GPU path): the instances fetch the image, secrets and logs for their tasks and
  run the ECS agent; the task's own interface carries the application's calls.
- Lambda functions in the VPC, and the Secrets Manager rotation application (its `endpoint` parameter
  names the interface endpoint the function calls, by the endpoint's own DNS name).
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-secrets-manager-vpc.html
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from foundry_templates.model import Need, Workload
from foundry_templates.needs import (
    container_needs,
    is_ecr_image,
    merge,
    role_needs,
    secret_source,
)
from foundry_templates.references import as_list, ref_id
from foundry_templates.template import Template

Statements = list[tuple[Sequence[str], Mapping[str, Any] | None]]


@dataclass(frozen=True)
class OneOffTask:
    """The names of the stack outputs that give a task definition no service runs its network: the
    migration runner's, which `foundry migrate` passes to RunTask. The stack owns the names
    (foundry_infra.outputs); the caller passes them, since this package reads JSON and imports no infra.
    """

    task_definition: str
    security_group: str
    subnets: str


def read_workloads(platform: Template, *, one_off_task: OneOffTask) -> list[Workload]:
    return _Workloads(platform, one_off_task).read()


def _refs(values: Any) -> tuple[str, ...]:
    """Logical ids from a list of Ref/GetAtt, or from a Fn::Join of them (a comma-separated parameter)."""
    if isinstance(values, dict) and "Fn::Join" in values:
        values = values["Fn::Join"][1]
    return tuple(filter(None, (ref_id(v) for v in as_list(values))))


class _Workloads:
    def __init__(self, platform: Template, one_off_task: OneOffTask) -> None:
        self.t = platform
        self.one_off_task = one_off_task
        self.statements: dict[str, Statements] = {}  # role -> its Allow statements
        for policy in platform.of_type("AWS::IAM::Policy").values():
            props = policy["Properties"]
            for role in _refs(props.get("Roles", [])):
                for statement in as_list(props["PolicyDocument"]["Statement"]):
                    if statement.get("Effect") == "Allow":
                        self.statements.setdefault(role, []).append(
                            (as_list(statement.get("Action", [])), statement.get("Condition"))
                        )

    def role_of(self, value: Any) -> str | None:
        return ref_id(value)

    def sdk(self, value: Any, *, label: str) -> list[Need]:
        role = self.role_of(value)
        if role is None:
            return []
        return role_needs(role=f"{label} role {role}", statements=self.statements.get(role, []))

    def read(self) -> list[Workload]:
        return [*self._apprunner(), *self._ecs(), *self._functions()]

    # -- App Runner

    def _apprunner(self) -> list[Workload]:
        found = []
        for key, service in self.t.of_type("AWS::AppRunner::Service").items():
            props = service["Properties"]
            egress = props.get("NetworkConfiguration", {}).get("EgressConfiguration", {})
            connector = ref_id(egress.get("VpcConnectorArn"))
            if egress.get("EgressType") != "VPC" or connector is None:
                continue
            connector_props = self.t.props(connector)
            role = props.get("InstanceConfiguration", {}).get("InstanceRoleArn")
            found.append(
                Workload(
                    id=connector,
                    kind=f"App Runner VPC connector of {key}",
                    groups=_refs(connector_props.get("SecurityGroups", [])),
                    subnets=_refs(connector_props.get("Subnets", [])),
                    needs=merge(self.sdk(role, label="instance")),
                )
            )
        return found

    # -- ECS

    def _containers(self, task: Mapping[str, Any]) -> list[Need]:
        needs = []
        for container in task.get("ContainerDefinitions", []):
            image = container.get("Image")
            name = container.get("Name", "?")
            needs += container_needs(
                image=image if isinstance(image, str) else f"of container {name}",
                from_ecr=is_ecr_image(image),
                secret_sources=[secret_source(s.get("ValueFrom")) for s in container.get("Secrets", [])],
                log_driver=container.get("LogConfiguration", {}).get("LogDriver"),
            )
        return needs

    def _ecs(self) -> list[Workload]:
        found: list[Workload] = []
        instance_needs: dict[str, list[Need]] = {}  # capacity provider -> what its instances fetch
        used: set[str] = set()
        for key, service in self.t.of_type("AWS::ECS::Service").items():
            props = service["Properties"]
            task_id = ref_id(props.get("TaskDefinition")) or "?"
            used.add(task_id)
            task = self.t.props(task_id) if task_id in self.t.resources else {}
            awsvpc = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
            sdk = self.sdk(task.get("TaskRoleArn"), label="task")
            providers = [ref_id(s.get("CapacityProvider")) for s in props.get("CapacityProviderStrategy", [])]
            on_ec2 = "EC2" in task.get("RequiresCompatibilities", []) and any(providers)
            if on_ec2:
                for provider in filter(None, providers):
                    instance_needs.setdefault(provider, []).extend(self._containers(task))
                needs, kind = sdk, f"ECS service {key} on EC2 (awsvpc task interface)"
            else:
                needs, kind = [*self._containers(task), *sdk], f"ECS service {key} on Fargate"
            found.append(
                Workload(
                    id=key,
                    kind=kind,
                    groups=_refs(awsvpc.get("SecurityGroups", [])),
                    subnets=_refs(awsvpc.get("Subnets", [])),
                    needs=merge(needs),
                )
            )
        found += self._one_off_tasks(used)
        found += self._instances(instance_needs)
        return found

    def _one_off_tasks(self, used: set[str]) -> list[Workload]:
        """Task definitions no service runs: the migration runner, on the network its outputs name."""
        stack_outputs = self.t.body.get("Outputs", {})
        task_id = ref_id(stack_outputs.get(self.one_off_task.task_definition, {}).get("Value"))
        found = []
        for key, task in self.t.of_type("AWS::ECS::TaskDefinition").items():
            if key in used:
                continue
            props = task["Properties"]
            groups: tuple[str, ...] = ()
            subnets: tuple[str, ...] = ()
            if key == task_id:
                groups = _refs(stack_outputs.get(self.one_off_task.security_group, {}).get("Value"))
                subnets = _refs(stack_outputs.get(self.one_off_task.subnets, {}).get("Value"))
            found.append(
                Workload(
                    id=key,
                    kind=f"ECS task {key} on Fargate (run by foundry migrate)"
                    if key == task_id
                    else f"ECS task {key} (no service runs it)",
                    groups=groups,
                    subnets=subnets,
                    needs=merge(
                        [*self._containers(props), *self.sdk(props.get("TaskRoleArn"), label="task")]
                    ),
                )
            )
        return found

    def _instances(self, task_needs: dict[str, list[Need]]) -> list[Workload]:
        """Container instances of an EC2 capacity provider: the ECS agent's own calls (its instance
        role) plus the images, secrets and logs of the tasks placed on them."""
        found = []
        for key, provider in self.t.of_type("AWS::ECS::CapacityProvider").items():
            group_id = ref_id(
                provider["Properties"].get("AutoScalingGroupProvider", {}).get("AutoScalingGroupArn")
            )
            if group_id is None or group_id not in self.t.resources:
                continue
            asg = self.t.props(group_id)
            spec = asg.get("LaunchTemplate") or asg.get("MixedInstancesPolicy", {}).get(
                "LaunchTemplate", {}
            ).get("LaunchTemplateSpecification", {})
            template_id = ref_id(spec.get("LaunchTemplateId"))
            data = self.t.props(template_id).get("LaunchTemplateData", {}) if template_id else {}
            profile = ref_id(data.get("IamInstanceProfile", {}).get("Arn"))
            roles = _refs(self.t.props(profile).get("Roles", [])) if profile else ()
            agent = [n for role in roles for n in self.sdk({"Ref": role}, label="instance")]
            found.append(
                Workload(
                    id=group_id,
                    kind=f"EC2 container instances of {key} (ECS agent, image pulls, secrets, logs)",
                    groups=_refs(data.get("SecurityGroupIds", [])),
                    subnets=_refs(asg.get("VPCZoneIdentifier", [])),
                    needs=merge([*agent, *task_needs.get(key, [])]),
                )
            )
        return found

    # -- Lambda

    def _functions(self) -> list[Workload]:
        found = []
        for key, function in self.t.of_type("AWS::Lambda::Function").items():
            props = function["Properties"]
            vpc = props.get("VpcConfig")
            if not vpc:
                continue
            # Lambda writes the function's logs itself, outside the function's interface.
            # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
            needs = [n for n in self.sdk(props.get("Role"), label="function") if n.service != "logs"]
            found.append(
                Workload(
                    id=key,
                    kind=f"Lambda function {key} in the VPC",
                    groups=_refs(vpc.get("SecurityGroupIds", [])),
                    subnets=_refs(vpc.get("SubnetIds", [])),
                    needs=merge(needs),
                )
            )
        for key, application in self.t.of_type("AWS::Serverless::Application").items():
            parameters = application["Properties"].get("Parameters", {})
            if "vpcSecurityGroupIds" not in parameters:
                continue
            endpoint = next((r for r in _refs(parameters.get("endpoint", "")) if r in self.t.resources), None)
            reason = (
                f"rotates the secret through {endpoint} (its endpoint parameter)"
                if endpoint
                else "rotates the secret through Secrets Manager's public name"
            )
            found.append(
                Workload(
                    id=key,
                    kind=f"Secrets Manager rotation function {key} in the VPC",
                    groups=_refs(parameters.get("vpcSecurityGroupIds")),
                    subnets=_refs(parameters.get("vpcSubnetIds")),
                    needs=(Need("secretsmanager", reason, endpoint),),
                )
            )
        return found
