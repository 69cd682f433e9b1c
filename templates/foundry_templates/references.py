"""Reading CloudFormation values in synthesized templates: what a Ref or GetAtt names, every logical id
a property refers to, and the fields CloudFormation lets be one value or a list."""

from typing import Any


def ref_id(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, or None for a literal or an import."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
    return None


def references(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside a property value."""
    found: set[str] = set()
    target = ref_id(value)
    if target is not None:
        found.add(target)
    if isinstance(value, dict):
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
