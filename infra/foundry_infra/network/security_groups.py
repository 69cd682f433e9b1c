"""The service security groups of spec §3: each one admits only what the spec's arrows allow.

Outbound is closed by default and opened rule by rule in the platform stack, so that every edge of
the diagram is one line of code and one template entry `foundry verify` can read.
"""

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


def closed_security_group(
    scope: Construct, id_: str, *, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    return ec2.SecurityGroup(scope, id_, vpc=vpc, description=description, allow_all_outbound=False)


class ServiceSecurityGroups(Construct):
    def __init__(self, scope: Construct, id_: str, *, vpc: ec2.IVpc, web: bool = False) -> None:
        super().__init__(scope, id_)
        # web needs a group only on ECS, where its tasks sit in the VPC; on App Runner it has no VPC side.
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
