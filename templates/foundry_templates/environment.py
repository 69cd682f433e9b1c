"""Build the environment model from the synthesized templates (platform and edge stacks).

Ref and GetAtt become logical ids; a reference to the edge stack, whether an SSM parameter read by
name (edge/references.py), a CloudFormation export or the CDK cross-region export writer/reader,
resolves to the edge resource's logical id.
"""

import json
from collections.abc import Iterator
from typing import Any

from foundry_templates.endpoints import endpoint_service
from foundry_templates.model import (
    INTERNET,
    Alarm,
    AppService,
    Bucket,
    BucketGrant,
    Connector,
    Database,
    Distribution,
    Egress,
    Endpoint,
    EnvironmentModel,
    Ingress,
    Key,
    Origin,
    PrivateIngress,
    Route,
    SamplingRule,
    Secret,
    Statement,
    TraceCollector,
    WebAcl,
)
from foundry_templates.network import nat_gateways
from foundry_templates.references import as_list, ref_id, references
from foundry_templates.synthesized import SynthesizedEnvironment
from foundry_templates.template import Template
from foundry_templates.workloads import OneOffTask, read_workloads

# An ALB without the attribute keeps idle connections 60 s:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
ALB_DEFAULT_IDLE_TIMEOUT_SECONDS = 60
# The variable ADOT's collector reads a whole configuration from:
# https://aws-otel.github.io/docs/setup/ecs
CONFIG_VARIABLE = "AOT_CONFIG_CONTENT"


def is_public_principal(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))


def read_synth(synth: SynthesizedEnvironment, *, one_off_task: OneOffTask) -> EnvironmentModel:
    return read_environment(platform=synth.platform, edge=synth.edge, one_off_task=one_off_task)


def read_environment(*, platform: Template, edge: Template, one_off_task: OneOffTask) -> EnvironmentModel:
    """The model of one environment from its platform and edge templates; `one_off_task` names the
    stack outputs that give a task no service runs its network (the migration runner's)."""
    reader = _TemplateReader(platform, edge, one_off_task)
    return reader.model


class _TemplateReader:
    def __init__(self, platform: Template, edge: Template, one_off_task: OneOffTask) -> None:
        self.platform, self.edge = platform, edge
        self.model = EnvironmentModel(source="templates")
        self._security_groups()
        self._network()
        self._services()
        self._ecs_services()
        self._edge()
        self._data()
        self._iam_and_keys()
        self._operations()
        self.model.workloads = read_workloads(platform, one_off_task=one_off_task)

    def _edge_ref(self, value: Any) -> str | None:
        """The edge-stack logical id behind a cross-stack reference (export or cross-region reader)."""
        if isinstance(value, dict) and "Fn::ImportValue" in value:
            name = value["Fn::ImportValue"]
            for output in self.edge.body.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == name:
                    return ref_id(output["Value"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            path = value["Fn::GetAtt"][1]
            for writer in self.edge.of_type("Custom::CrossRegionExportWriter").values():
                exports = writer["Properties"].get("WriterProps", {}).get("exports", {})
                if path in exports:
                    return ref_id(exports[path])
        if isinstance(value, dict) and "Ref" in value:
            # A weak reference (edge/references.py): a platform parameter of type
            # AWS::SSM::Parameter::Value<String> whose default names the edge stack's SSM parameter.
            parameter = self.platform.body.get("Parameters", {}).get(value["Ref"], {})
            if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                name = parameter.get("Default")
                for written in self.edge.of_type("AWS::SSM::Parameter").values():
                    if written["Properties"].get("Name") == name:
                        return ref_id(written["Properties"].get("Value"))
        return ref_id(value)

    # -- network

    def _security_groups(self) -> None:
        for group, rule, evidence in self._rules("Ingress"):
            self.model.ingress.append(_ingress(group, rule, evidence))
        for group, rule, evidence in self._rules("Egress"):
            self.model.egress.extend(_egress(group, rule, evidence))

    def _rules(self, direction: str) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(group, rule, evidence) of each Ingress or Egress rule: inline in a group, then standalone."""
        for key, group in self.platform.of_type("AWS::EC2::SecurityGroup").items():
            for rule in group.get("Properties", {}).get(f"SecurityGroup{direction}", []):
                yield key, rule, f"{key}.SecurityGroup{direction}"
        for key, resource in self.platform.of_type(f"AWS::EC2::SecurityGroup{direction}").items():
            rule = resource["Properties"]
            target = ref_id(rule["GroupId"])
            if target is not None:
                yield target, rule, key

    def _is_nat_instance(self, instance: str | None) -> bool:
        """An instance that forwards others' packets (source/destination check off): a NAT instance
        (network.nat=instance). https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html"""
        resource = self.platform.resources.get(instance or "", {})
        return (
            resource.get("Type") == "AWS::EC2::Instance"
            and resource.get("Properties", {}).get("SourceDestCheck") is False
        )

    def _network(self) -> None:
        m = self.model
        for key, subnet in self.platform.of_type("AWS::EC2::Subnet").items():
            tags = {tag["Key"]: tag["Value"] for tag in subnet["Properties"].get("Tags", [])}
            m.subnet_tiers[key] = tags.get("aws-cdk:subnet-name", "?")
            if isinstance(subnet["Properties"].get("CidrBlock"), str):
                m.subnet_cidrs[key] = subnet["Properties"]["CidrBlock"]
        for association in self.platform.of_type("AWS::EC2::SubnetRouteTableAssociation").values():
            link = association["Properties"]
            subnet_id, table = ref_id(link["SubnetId"]), ref_id(link["RouteTableId"])
            if subnet_id and table:
                m.subnet_tables[subnet_id] = table
        for route in self.platform.of_type("AWS::EC2::Route").values():
            props = route["Properties"]
            if "NatGatewayId" in props:
                kind, target = "nat", ref_id(props["NatGatewayId"]) or "?"
            elif "GatewayId" in props:
                kind, target = "igw", ref_id(props["GatewayId"]) or "?"
            elif self._is_nat_instance(ref_id(props.get("InstanceId"))):
                kind, target = "nat", ref_id(props["InstanceId"]) or "?"
            else:
                kind, target = "other", "?"
            destination = props.get("DestinationCidrBlock", props.get("DestinationIpv6CidrBlock"))
            m.routes.append(Route(ref_id(props["RouteTableId"]) or "?", str(destination), kind, target))
        m.nat_gateways = sorted(nat_gateways([self.platform]))
        for key, endpoint in self.platform.of_type("AWS::EC2::VPCEndpoint").items():
            props = endpoint["Properties"]
            m.endpoints[key] = Endpoint(
                id=key,
                service=endpoint_service(props.get("ServiceName")),
                kind=props.get("VpcEndpointType", "Gateway"),
                route_tables=frozenset(filter(None, (ref_id(t) for t in props.get("RouteTableIds", [])))),
                groups=tuple(filter(None, (ref_id(g) for g in props.get("SecurityGroupIds", [])))),
                private_dns=props.get("PrivateDnsEnabled") is True,
                subnets=tuple(filter(None, (ref_id(x) for x in props.get("SubnetIds", [])))),
            )

    # -- services

    def _services(self) -> None:
        m = self.model
        for key, connector in self.platform.of_type("AWS::AppRunner::VpcConnector").items():
            props = connector["Properties"]
            m.connectors[key] = Connector(
                id=key,
                subnets=tuple(filter(None, (ref_id(s) for s in props.get("Subnets", [])))),
                groups=tuple(filter(None, (ref_id(g) for g in props.get("SecurityGroups", [])))),
            )
        for key, service in self.platform.of_type("AWS::AppRunner::Service").items():
            props = service["Properties"]
            network = props.get("NetworkConfiguration", {})
            egress = network.get("EgressConfiguration", {})
            image = props["SourceConfiguration"]["ImageRepository"].get("ImageConfiguration", {})
            name = str(props.get("ServiceName", key)).rsplit("-", 1)[-1].lower()
            m.services[name] = AppService(
                id=key,
                name=name,
                public=network.get("IngressConfiguration", {}).get("IsPubliclyAccessible", True),
                egress_type=egress.get("EgressType", "DEFAULT"),
                connector=ref_id(egress.get("VpcConnectorArn")),
                plain_env={v["Name"]: str(v["Value"]) for v in image.get("RuntimeEnvironmentVariables", [])},
                secret_env=frozenset(v["Name"] for v in image.get("RuntimeEnvironmentSecrets", [])),
                role=ref_id(props.get("InstanceConfiguration", {}).get("InstanceRoleArn")),
                collector=self._observability(props.get("ObservabilityConfiguration", {})),
            )
        for key, ingress in self.platform.of_type("AWS::AppRunner::VpcIngressConnection").items():
            props = ingress["Properties"]
            m.private_ingress.append(
                PrivateIngress(
                    id=key,
                    service=ref_id(props.get("ServiceArn")) or "?",
                    endpoint=ref_id(props["IngressVpcConfiguration"].get("VpcEndpointId")) or "?",
                )
            )

    def _ecs_services(self) -> None:
        """Fargate services (services.<name>.compute=ecs) and the load balancers in front of them."""
        m = self.platform
        target_groups: dict[str, str] = {}  # target group -> ECS service
        for key, service in m.of_type("AWS::ECS::Service").items():
            if "Tasks" not in key:
                continue  # not one of web/api/ai (the GPU inference service)
            props = service["Properties"]
            name = key[: key.index("Tasks")].lower()
            awsvpc = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
            connector = f"{key}.AwsvpcConfiguration"
            self.model.connectors[connector] = Connector(
                id=connector,
                subnets=tuple(filter(None, (ref_id(s) for s in awsvpc.get("Subnets", [])))),
                groups=tuple(filter(None, (ref_id(g) for g in awsvpc.get("SecurityGroups", [])))),
            )
            task = m.props(ref_id(props.get("TaskDefinition")) or "")
            container = (task.get("ContainerDefinitions") or [{}])[0]
            self.model.services[name] = AppService(
                id=key,
                name=name,
                public=awsvpc.get("AssignPublicIp") == "ENABLED",
                egress_type="VPC",
                connector=connector,
                plain_env={e["Name"]: str(e.get("Value")) for e in container.get("Environment", [])},
                secret_env=frozenset(e["Name"] for e in container.get("Secrets", [])),
                backend="ecs",
                role=ref_id(task.get("TaskRoleArn")),
                collector=self._sidecar(task),
            )
            for attachment in props.get("LoadBalancers", []):
                group = ref_id(attachment.get("TargetGroupArn"))
                if group:
                    target_groups[group] = key
        listeners: dict[str, tuple[str, int]] = {}  # listener -> (load balancer, port)
        for key, listener in m.of_type("AWS::ElasticLoadBalancingV2::Listener").items():
            props = listener["Properties"]
            balancer = ref_id(props.get("LoadBalancerArn")) or "?"
            listeners[key] = (balancer, int(props.get("Port", 0)))
            forward = [ref_id(a.get("TargetGroupArn")) for a in props.get("DefaultActions", [])]
            served = [target_groups[g] for g in forward if g in target_groups]
            for service_id in served:
                routes = self.model.load_balancer_routes.setdefault(balancer, {})
                routes.setdefault("*", service_id)
                self._private_listener(key, balancer, int(props.get("Port", 0)), service_id)
        for rule in m.of_type("AWS::ElasticLoadBalancingV2::ListenerRule").values():
            props = rule["Properties"]
            balancer, _port = listeners.get(ref_id(props.get("ListenerArn")) or "", ("?", 0))
            forward = [ref_id(a.get("TargetGroupArn")) for a in props.get("Actions", [])]
            for condition in props.get("Conditions", []):
                for pattern in condition.get("PathPatternConfig", {}).get("Values", []):
                    for group in (g for g in forward if g in target_groups):
                        self.model.load_balancer_routes.setdefault(balancer, {})[pattern] = target_groups[
                            group
                        ]
        for key, resource in m.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
            props = resource["Properties"]
            if props.get("Type", "application") == "application":
                attributes = {a["Key"]: a["Value"] for a in props.get("LoadBalancerAttributes", [])}
                self.model.load_balancer_idle_timeouts[key] = int(
                    attributes.get("idle_timeout.timeout_seconds", ALB_DEFAULT_IDLE_TIMEOUT_SECONDS)
                )
            self.model.endpoints[key] = Endpoint(
                id=key,
                service="elasticloadbalancing",
                kind="LoadBalancer" if props.get("Scheme") == "internal" else "InternetFacingLoadBalancer",
                groups=tuple(filter(None, (ref_id(g) for g in props.get("SecurityGroups", [])))),
            )

    def _observability(self, settings: dict[str, Any]) -> TraceCollector | None:
        """An App Runner service's observability configuration, when it is on."""
        key = ref_id(settings.get("ObservabilityConfigurationArn"))
        if settings.get("ObservabilityEnabled") is not True or key not in self.platform.resources:
            return None
        vendor = self.platform.props(key).get("TraceConfiguration", {}).get("Vendor")
        return TraceCollector(id=key, kind="apprunner", vendor=vendor)

    def _sidecar(self, task: dict[str, Any]) -> TraceCollector | None:
        """The ADOT collector among a task's containers, with the configuration it reads from
        AOT_CONFIG_CONTENT (a plain value, or the SSM parameter the task takes it from)."""
        for container in task.get("ContainerDefinitions", [])[1:]:
            image = str(container.get("Image", ""))
            if "aws-otel-collector" not in image:
                continue
            values = [
                e.get("Value") for e in container.get("Environment", []) if e["Name"] == CONFIG_VARIABLE
            ]
            for secret in container.get("Secrets", []):
                if secret["Name"] == CONFIG_VARIABLE:
                    values += [
                        self.platform.props(key).get("Value")
                        for key in references(secret.get("ValueFrom"))
                        if self.platform.resources.get(key, {}).get("Type") == "AWS::SSM::Parameter"
                    ]
            config = None
            for value in values:
                try:
                    config = json.loads(str(value))
                except ValueError:
                    continue
            name = str(container.get("Name", "collector"))
            return TraceCollector(id=name, kind="sidecar", image=image, config=config)
        return None

    def _private_listener(self, listener: str, balancer: str, port: int, service_id: str) -> None:
        """ai on ECS is reached through its own listener on the internal load balancer."""
        if service_id.startswith("AiTasks"):
            self.model.private_ingress.append(PrivateIngress(listener, service_id, balancer, port))

    def _edge(self) -> None:
        m = self.model
        pattern_sets = {
            key: tuple(str(regex) for regex in resource["Properties"].get("RegularExpressionList", []))
            for key, resource in self.edge.of_type("AWS::WAFv2::RegexPatternSet").items()
        }
        for key, acl in self.edge.of_type("AWS::WAFv2::WebACL").items():
            m.web_acls[key] = WebAcl(
                key,
                frozenset(r["Name"] for r in acl["Properties"].get("Rules", [])),
                properties=acl["Properties"],
                regex_pattern_sets=pattern_sets,
            )
        m.origin_access_controls = sorted(self.platform.of_type("AWS::CloudFront::OriginAccessControl"))
        distributions = self.platform.of_type("AWS::CloudFront::Distribution")
        if len(distributions) != 1:
            return
        ((key, resource),) = distributions.items()
        config = resource["Properties"]["DistributionConfig"]
        origins = {}
        for origin in config.get("Origins", []):
            headers = {
                h["HeaderName"]: (
                    "secretsmanager" if "resolve:secretsmanager" in str(h.get("HeaderValue")) else "literal"
                )
                for h in origin.get("OriginCustomHeaders", [])
            }
            custom = origin.get("CustomOriginConfig")
            vpc_origin = ref_id(origin.get("VpcOriginConfig", {}).get("VpcOriginId"))
            if vpc_origin is not None:
                custom = self.platform.props(vpc_origin).get("VpcOriginEndpointConfig", {})
            origins[origin["Id"]] = Origin(
                id=origin["Id"],
                target=ref_id(origin.get("DomainName")) or str(origin.get("DomainName")),
                https_only=custom is None or custom.get("OriginProtocolPolicy") == "https-only",
                vpc_origin=vpc_origin is not None,
                headers=headers,
            )
        web_acl = config.get("WebACLId")
        m.distribution = Distribution(
            id=key,
            aliases=tuple(config.get("Aliases", [])),
            minimum_tls=config.get("ViewerCertificate", {}).get("MinimumProtocolVersion"),
            origins=origins,
            default_origin=config.get("DefaultCacheBehavior", {}).get("TargetOriginId"),
            behaviors={b["PathPattern"]: b["TargetOriginId"] for b in config.get("CacheBehaviors", [])},
            web_acl=None if web_acl is None else (self._edge_ref(web_acl) or str(web_acl)),
        )

    # -- data

    def _data(self) -> None:
        m = self.model
        databases = self.platform.of_type("AWS::RDS::DBInstance")
        if len(databases) == 1:
            ((key, resource),) = databases.items()
            props = resource["Properties"]
            m.database = Database(
                id=key,
                public=props.get("PubliclyAccessible"),
                encrypted=props.get("StorageEncrypted") is True,
                kms_key=ref_id(props.get("KmsKeyId")),
                backup_retention=int(props.get("BackupRetentionPeriod", 1)),
                multi_az=props.get("MultiAZ") is True,
                deletion_protection=props.get("DeletionProtection") is True,
                groups=tuple(filter(None, (ref_id(g) for g in props.get("VPCSecurityGroups", [])))),
            )
        m.database_proxy_groups = tuple(
            key
            for key in self.platform.of_type("AWS::EC2::SecurityGroup")
            if key.startswith("DatabaseProxySg")
        )
        for key, bucket in self.platform.of_type("AWS::S3::Bucket").items():
            props = bucket["Properties"]
            block = props.get("PublicAccessBlockConfiguration", {})
            m.buckets[key] = Bucket(
                id=key,
                blocks_public_access=all(
                    block.get(k) is True
                    for k in (
                        "BlockPublicAcls",
                        "BlockPublicPolicy",
                        "IgnorePublicAcls",
                        "RestrictPublicBuckets",
                    )
                ),
                cors=bool(props.get("CorsConfiguration")),
                versioned=props.get("VersioningConfiguration", {}).get("Status") == "Enabled",
            )
        for key, policy in self.platform.of_type("AWS::S3::BucketPolicy").items():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Effect") == "Allow":
                    m.bucket_grants.append(
                        BucketGrant(
                            policy=key,
                            public_principal=is_public_principal(statement.get("Principal")),
                            actions=tuple(as_list(statement.get("Action", []))),
                        )
                    )
        for key, secret in self.platform.of_type("AWS::SecretsManager::Secret").items():
            m.secrets[key] = Secret(key, customer_key="KmsKeyId" in secret["Properties"])

    # -- IAM and KMS

    def _iam_and_keys(self) -> None:
        m = self.model
        for template in (self.platform, self.edge):
            for key, policy in template.of_type("AWS::IAM::Policy").items():
                roles = tuple(filter(None, (ref_id(r) for r in policy["Properties"].get("Roles", []))))
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    if statement.get("Effect") == "Allow":
                        m.statements.append(
                            Statement(
                                owner=key,
                                roles=roles,
                                actions=tuple(as_list(statement.get("Action", []))),
                                resources=tuple(str(r) for r in as_list(statement.get("Resource", []))),
                                conditions="Condition" in statement,
                            )
                        )
            for key, resource in template.of_type("AWS::KMS::Key").items():
                props = resource["Properties"]
                m.keys[key] = Key(
                    id=key,
                    rotation=props.get("EnableKeyRotation"),
                    open_statements=sum(
                        s.get("Effect") == "Allow"
                        and is_public_principal(s.get("Principal"))
                        and "Condition" not in s
                        for s in props.get("KeyPolicy", {}).get("Statement", [])
                    ),
                )

    def _operations(self) -> None:
        m = self.model
        for key, resource in self.platform.of_type("AWS::XRay::SamplingRule").items():
            rule = resource["Properties"].get("SamplingRule", {})
            m.sampling_rules.append(
                SamplingRule(
                    id=key,
                    name=str(rule.get("RuleName", key)),
                    service_name=str(rule.get("ServiceName", "*")),
                    fixed_rate=float(rule.get("FixedRate", 0)),
                    priority=int(rule.get("Priority", 0)),
                )
            )
        for key, resource in self.platform.of_type("AWS::XRay::Group").items():
            props = resource["Properties"]
            m.trace_groups[str(props.get("GroupName", key))] = str(props.get("FilterExpression", ""))
        for template in (self.platform, self.edge):
            for key, alarm in template.of_type("AWS::CloudWatch::Alarm").items():
                m.alarms.append(Alarm(key, str(alarm["Properties"].get("AlarmName", key))))
        m.backup_plans = sorted(self.platform.of_type("AWS::Backup::BackupPlan"))


def _ingress(group: str, rule: dict[str, Any], evidence: str) -> Ingress:
    if rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0":
        source = INTERNET
    else:
        source = ref_id(rule.get("SourceSecurityGroupId")) or str(
            rule.get("CidrIp", rule.get("SourcePrefixListId", "?"))
        )
    from_port, to_port = rule.get("FromPort", -1), rule.get("ToPort", -1)
    # A port given as a Ref (the database's port attribute) is PostgreSQL's.
    return Ingress(
        group=group,
        source=source,
        from_port=from_port if isinstance(from_port, int) else 5432,
        to_port=to_port if isinstance(to_port, int) else 5432,
        evidence=evidence,
    )


def _egress(group: str, rule: dict[str, Any], evidence: str) -> list[Egress]:
    """An outbound rule; only TCP (or all traffic) can carry HTTPS. CDK's closed groups hold a dummy
    ICMP rule to 255.255.255.255/32, which this drops."""
    protocol = str(rule.get("IpProtocol", "-1"))
    if protocol not in ("-1", "tcp", "6"):
        return []
    if rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0":
        destination = INTERNET
    else:
        destination = ref_id(rule.get("DestinationSecurityGroupId")) or str(
            rule.get("CidrIp", rule.get("DestinationPrefixListId", "?"))
        )
    from_port, to_port = (-1, -1) if protocol == "-1" else (rule.get("FromPort", -1), rule.get("ToPort", -1))
    return [
        Egress(
            group=group,
            destination=destination,
            from_port=from_port if isinstance(from_port, int) else 5432,
            to_port=to_port if isinstance(to_port, int) else 5432,
            evidence=evidence,
        )
    ]
