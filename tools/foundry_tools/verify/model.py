"""A model of one synthesized environment that the spec's checks can question.

Built from the platform and edge templates (the live reader will build the same shape from describe
calls). It answers the questions the checklist asks: who can reach a security group on a port, where
a subnet tier's traffic goes, which principal may do what on which resource.
"""

from dataclasses import dataclass, field
from typing import Any

from foundry_infra.synthesized import SynthesizedEnvironment, Template

INTERNET = "internet"


def ref_id(value: Any) -> str | None:
    """The logical id a Ref or GetAtt points at, or None for a literal or an import."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Ingress:
    group: str
    source: str  # a security-group logical id, or INTERNET
    from_port: int
    to_port: int
    evidence: str

    def admits(self, port: int) -> bool:
        return self.from_port <= port <= self.to_port or self.from_port == -1


@dataclass(frozen=True)
class Route:
    table: str
    destination: str
    target_kind: str  # nat, igw, other
    target: str


@dataclass(frozen=True)
class Statement:
    owner: str  # the policy's logical id
    roles: tuple[str, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: bool


@dataclass
class EnvironmentModel:
    platform: Template
    edge: Template
    ingress: list[Ingress] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    subnet_tiers: dict[str, str] = field(default_factory=dict)  # subnet -> public/app/data
    subnet_tables: dict[str, str] = field(default_factory=dict)  # subnet -> route table
    statements: list[Statement] = field(default_factory=list)

    # -- construction

    @classmethod
    def from_synth(cls, synth: SynthesizedEnvironment) -> "EnvironmentModel":
        return cls.from_templates(platform=synth.platform, edge=synth.edge)

    @classmethod
    def from_templates(cls, *, platform: Template, edge: Template) -> "EnvironmentModel":
        model = cls(platform=platform, edge=edge)
        model._read_security_groups()
        model._read_network()
        model._read_iam()
        return model

    def _read_security_groups(self) -> None:
        for key, group in self.platform.of_type("AWS::EC2::SecurityGroup").items():
            for rule in group.get("Properties", {}).get("SecurityGroupIngress", []):
                self.ingress.append(self._ingress(key, rule, f"{key}.SecurityGroupIngress"))
        for key, resource in self.platform.of_type("AWS::EC2::SecurityGroupIngress").items():
            rule = resource["Properties"]
            target = ref_id(rule["GroupId"])
            if target is not None:
                self.ingress.append(self._ingress(target, rule, key))

    @staticmethod
    def _ingress(group: str, rule: dict[str, Any], evidence: str) -> Ingress:
        if rule.get("CidrIp") in ("0.0.0.0/0",) or rule.get("CidrIpv6") == "::/0":
            source = INTERNET
        else:
            source = ref_id(rule.get("SourceSecurityGroupId")) or str(rule.get("CidrIp", "?"))
        from_port = rule.get("FromPort", -1)
        to_port = rule.get("ToPort", -1)
        return Ingress(
            group=group,
            source=source,
            from_port=from_port if isinstance(from_port, int) else 5432,
            to_port=to_port if isinstance(to_port, int) else 5432,
            evidence=evidence,
        )

    def _read_network(self) -> None:
        for key, subnet in self.platform.of_type("AWS::EC2::Subnet").items():
            tags = {tag["Key"]: tag["Value"] for tag in subnet["Properties"].get("Tags", [])}
            self.subnet_tiers[key] = tags.get("aws-cdk:subnet-name", "?")
        for association in self.platform.of_type("AWS::EC2::SubnetRouteTableAssociation").values():
            link = association["Properties"]
            subnet_id, table = ref_id(link["SubnetId"]), ref_id(link["RouteTableId"])
            if subnet_id and table:
                self.subnet_tables[subnet_id] = table
        for route in self.platform.of_type("AWS::EC2::Route").values():
            props = route["Properties"]
            if "NatGatewayId" in props:
                kind, target = "nat", ref_id(props["NatGatewayId"]) or "?"
            elif "GatewayId" in props:
                kind, target = "igw", ref_id(props["GatewayId"]) or "?"
            else:
                kind, target = "other", "?"
            self.routes.append(
                Route(
                    table=ref_id(props["RouteTableId"]) or "?",
                    destination=str(props.get("DestinationCidrBlock", props.get("DestinationIpv6CidrBlock"))),
                    target_kind=kind,
                    target=target,
                )
            )

    def _read_iam(self) -> None:
        for template in (self.platform, self.edge):
            for key, policy in template.of_type("AWS::IAM::Policy").items():
                roles = tuple(filter(None, (ref_id(r) for r in policy["Properties"].get("Roles", []))))
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    if statement.get("Effect") != "Allow":
                        continue
                    self.statements.append(
                        Statement(
                            owner=key,
                            roles=roles,
                            actions=tuple(as_list(statement.get("Action", []))),
                            resources=tuple(str(r) for r in as_list(statement.get("Resource", []))),
                            conditions="Condition" in statement,
                        )
                    )

    # -- questions

    def who_can_reach(self, group: str, port: int) -> list[Ingress]:
        return [rule for rule in self.ingress if rule.group == group and rule.admits(port)]

    def tier_tables(self, tier: str) -> set[str]:
        return {
            self.subnet_tables[s]
            for s, t in self.subnet_tiers.items()
            if t == tier and s in self.subnet_tables
        }

    def default_routes(self, table: str) -> list[Route]:
        return [route for route in self.routes if route.table == table and route.destination == "0.0.0.0/0"]

    def one(
        self, resource_type: str, prefix: str, *, edge: bool = False
    ) -> tuple[str, dict[str, Any]] | None:
        template = self.edge if edge else self.platform
        found = [
            (k, v.get("Properties", {}))
            for k, v in template.of_type(resource_type).items()
            if k.startswith(prefix)
        ]
        return found[0] if len(found) == 1 else None

    def app_runner(self, name: str) -> tuple[str, dict[str, Any]] | None:
        return self.one("AWS::AppRunner::Service", f"{name}Service")

    def distribution(self) -> tuple[str, dict[str, Any]] | None:
        found = list(self.platform.of_type("AWS::CloudFront::Distribution").items())
        return (found[0][0], found[0][1]["Properties"]["DistributionConfig"]) if len(found) == 1 else None
