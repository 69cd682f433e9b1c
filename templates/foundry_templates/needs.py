"""Which AWS APIs a workload calls from its own network interface, derived from the resource itself.

Both readers (offline from templates, live from describe calls) normalize what they read and call
these functions, so a workload needs the same things whichever way it was read.

- A container image in ECR needs ecr.api (the authorization token), ecr.dkr (the manifest) and S3
  (the layers come from S3, through the gateway endpoint or the NAT).
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
- A secret in the task definition is fetched by the agent from Secrets Manager (or SSM Parameter
  Store); the awslogs driver writes to CloudWatch Logs. On Fargate (platform 1.4.0+) all of it goes
  through the task's own interface:
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html
  On EC2 with awsvpc, image pulls, secrets and logs go through the instance's primary interface, and
  the task's interface carries the application's traffic only:
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html
- The application's own SDK calls are bounded by its role: each action's service is a need, except
  KMS under a kms:ViaService condition (the named service calls KMS, not the workload) and
  rds-db:connect (a token signed locally, presented to PostgreSQL, not an API call).
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from foundry_templates.model import INTERNET, Need

# IAM action (lower case, "service:action" or "service:*") -> the endpoint service it is sent to, where
# that differs from the IAM prefix.
_ENDPOINT_OF_ACTION = {
    "ecr": "ecr.api",
    "cloudwatch": "monitoring",
    "ecs:poll": "ecs-agent",
    "ecs:starttelemetrysession": "ecs-telemetry",
}
# Not calls to an AWS API endpoint from the workload's interface.
_NOT_API_CALLS = {"rds-db", "iam"}


def image_needs(*, image: str, from_ecr: bool) -> list[Need]:
    if from_ecr:
        return [
            Need("ecr.api", f"image {image} from ECR (authorization token)"),
            Need("ecr.dkr", f"image {image} from ECR (manifest)"),
            Need("s3", f"image {image} from ECR (layers are served from S3)"),
        ]
    return [Need(INTERNET, f"image {image} from a registry outside AWS, through the NAT")]


def is_ecr_image(image: Any) -> bool:
    """A template's Image (a string, or a Fn::Join naming ACCOUNT.dkr.ecr.REGION...) or an API's."""
    return ".dkr.ecr." in str(image)


def container_needs(
    *, image: str, from_ecr: bool, secret_sources: Iterable[str], log_driver: str | None
) -> list[Need]:
    """What the agent fetches for one container: its image, its secrets, its log stream."""
    needs = image_needs(image=image, from_ecr=from_ecr)
    for source in sorted(set(secret_sources)):
        service = "ssm" if ":ssm:" in source or ":parameter/" in source else "secretsmanager"
        needs.append(Need(service, f"secret {source} injected at start"))
    if log_driver == "awslogs":
        needs.append(Need("logs", "awslogs log driver"))
    return needs


def secret_source(value_from: Any) -> str:
    """A readable name for a secret's ValueFrom (template: Ref/Join; API: ARN)."""
    if isinstance(value_from, dict) and "Ref" in value_from:
        return str(value_from["Ref"])
    return str(value_from)


def role_needs(
    *, role: str, statements: Iterable[tuple[Sequence[str], Mapping[str, Any] | None]]
) -> list[Need]:
    """The endpoints an application may call with its role: one need per service its Allow statements
    name. Statements are (actions, condition block)."""
    found: dict[str, list[str]] = {}
    for actions, conditions in statements:
        via_service = "kms:viaservice" in str(conditions or {}).lower()
        for action in actions:
            lowered = action.lower()
            prefix = lowered.split(":", 1)[0]
            if prefix in _NOT_API_CALLS or (prefix == "kms" and via_service):
                continue
            service = _ENDPOINT_OF_ACTION.get(lowered, _ENDPOINT_OF_ACTION.get(prefix, prefix))
            found.setdefault(service, []).append(action)
    return [
        Need(service, f"{role} may call {', '.join(sorted(set(actions)))}")
        for service, actions in sorted(found.items())
    ]


def merge(needs: Iterable[Need]) -> tuple[Need, ...]:
    """One need per (service, endpoint), reasons joined, in a stable order."""
    merged: dict[tuple[str, str | None], list[str]] = {}
    for need in needs:
        reasons = merged.setdefault((need.service, need.endpoint), [])
        if need.reason not in reasons:
            reasons.append(need.reason)
    return tuple(
        Need(service, "; ".join(reasons), endpoint)
        for (service, endpoint), reasons in sorted(
            merged.items(), key=lambda item: (item[0][0], str(item[0][1]))
        )
    )
