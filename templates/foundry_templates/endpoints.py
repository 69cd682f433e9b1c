"""VPC endpoints in synthesized templates: the AWS service each one serves."""

from typing import Any


def endpoint_service(service_name: Any) -> str:
    """The short service of an endpoint's `ServiceName` (`secretsmanager`, `ecr.dkr`, `s3`, ...).

    The name is `com.amazonaws.REGION.SERVICE[.SUB]`, literal or joined with a Ref to the region (which
    is dropped: an unresolved region leaves `com.amazonaws..SERVICE`).
    """
    name = service_name
    if isinstance(name, dict) and "Fn::Join" in name:
        name = "".join(part for part in name["Fn::Join"][1] if isinstance(part, str))
    if not isinstance(name, str):
        return "unknown"
    parts = name.split(".")
    return ".".join(part for part in parts[3:] if part) if len(parts) > 3 else name
