"""Reading CloudFormation values in synthesized templates: what a Ref or GetAtt names, and the fields
CloudFormation lets be one value or a list. Shared by the offline reader and the workload reader."""

from typing import Any


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
