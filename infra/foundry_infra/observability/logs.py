"""Service logs (spec §10: one log group per service, structured JSON).

App Runner writes each service's stdout to a log group it creates itself when the service starts:
/aws/apprunner/<service name>/<service id>/application (and .../service for its own events). The id
exists only once the service does, and App Runner creates the group before CloudFormation finishes
the service, so CloudFormation can neither pre-create these groups nor set their retention or key.
What the platform does instead:
- owns a customer-managed key whose policy lets CloudWatch Logs use it for exactly those groups
  (an encryption-context condition on /aws/apprunner/<prefix>*), and
- the deploy workflow applies the profile's retention and that key to the groups after each deploy
  (`aws logs put-retention-policy` / `associate-kms-key`, idempotent), with a deploy role scoped to
  the same prefix. `docs/runbooks.md` has the same commands for a manual run.
ai's EMF metrics (foundry_contract.metrics) are extracted by CloudWatch from the application group.
"""

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from foundry_infra.security.keys import logs_key

# The values `aws logs put-retention-policy` accepts.
CLOUDWATCH_RETENTIONS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
)


class ServiceLogs(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, alias_prefix: str, service_name_prefix: str, retention_days: int
    ) -> None:
        super().__init__(scope, id_)
        self.log_group_prefix = f"/aws/apprunner/{service_name_prefix}"
        # The CloudWatch retention the workflow applies: the shortest one that keeps the profile's days.
        self.retention_days = next((days for days in CLOUDWATCH_RETENTIONS if days >= retention_days), 3653)
        self.key: kms.Key = logs_key(
            self, "Key", alias=f"alias/{alias_prefix}/logs", log_group_arn_pattern=self.log_group_arn_pattern
        )

    @property
    def log_group_arn_pattern(self) -> str:
        stack = Stack.of(self)
        return f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{self.log_group_prefix}*"
