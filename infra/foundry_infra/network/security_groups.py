"""The service security groups of spec §3: each one admits only what the spec's arrows allow.

Outbound is closed by default and opened rule by rule, here and by the constructs that add a path
(load balancers, the migration runner), so that every edge of the diagram is one line of code and one
template entry `foundry verify` can read.
"""

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from foundry_infra.config.model import ServicesConfig
from foundry_infra.data.database import DATABASE_PORT, Database
from foundry_infra.network.vpc import Network


def closed_security_group(
    scope: Construct, id_: str, *, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    return ec2.SecurityGroup(scope, id_, vpc=vpc, description=description, allow_all_outbound=False)


class ServiceSecurityGroups(Construct):
    def __init__(self, scope: Construct, id_: str, *, vpc: ec2.IVpc, services: ServicesConfig) -> None:
        super().__init__(scope, id_)
        # web needs a group only on ECS, where its tasks sit in the VPC; on App Runner it has no VPC side.
        web = services.web.compute == "ecs"
        self.web = (
            closed_security_group(
                self, "Web", vpc=vpc, description="sg-web - web tasks, from the origin ALB only"
            )
            if web
            else None
        )
        self.api = closed_security_group(
            self, "Api", vpc=vpc, description="sg-api - egress of the api service"
        )
        self.ai = closed_security_group(self, "Ai", vpc=vpc, description="sg-ai - egress of the ai service")
        self.database = closed_security_group(
            self, "Database", vpc=vpc, description="sg-rds - PostgreSQL from the api only"
        )

    @property
    def in_vpc(self) -> list[ec2.SecurityGroup]:
        """The groups of services with a side in the VPC: they reach AWS endpoints and the internet."""
        return [self.api, self.ai, *([self.web] if self.web is not None else [])]

    def allow_database_clients(self, *, database: Database, ai: bool) -> None:
        """Spec §3: sg-api (and sg-ai, if the profile admits it, spec §4) → PostgreSQL, on the group that
        fronts the database: RDS Proxy's when there is one, else the instance's."""
        port = ec2.Port.tcp(DATABASE_PORT)
        target = database.front_security_group
        for client in [self.api, self.ai] if ai else [self.api]:
            target.add_ingress_rule(client, port, "PostgreSQL from the service")
            client.add_egress_rule(target, port, "PostgreSQL")

    def allow_https_out(self, *, network: Network) -> None:
        """Spec §3: api, ai (and web on ECS) → AWS endpoints and, through the NAT, the internet.

        Fargate tasks pull their image and write their logs from their own network interfaces, so an
        ECS web needs the same way out; App Runner's web needs none (it has no VPC connector)."""
        for group in self.in_vpc:
            network.admit_to_endpoints(group, description="HTTPS to AWS interface endpoints")
            group.add_egress_rule(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(443),
                "HTTPS out: interface endpoints, S3 gateway endpoint, and external APIs through the NAT",
            )
