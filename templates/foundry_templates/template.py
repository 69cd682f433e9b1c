"""One stack template as plain data, and its resources by type (alone or across several stacks)."""

from collections.abc import Iterable, Iterator
from typing import Any


class Template:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.resources: dict[str, dict[str, Any]] = body.get("Resources", {})

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id].get("Properties", {})
        return properties

    def one(self, resource_type: str, **match: Any) -> tuple[str, dict[str, Any]]:
        """The single resource of a type whose properties equal `match`; fails loudly otherwise."""
        found = [
            (key, value.get("Properties", {}))
            for key, value in self.of_type(resource_type).items()
            if all(value.get("Properties", {}).get(k) == v for k, v in match.items())
        ]
        if len(found) != 1:
            raise LookupError(f"expected one {resource_type} matching {match}, found {len(found)}")
        return found[0]

    def logical_id(self, prefix: str, resource_type: str) -> str:
        """The logical id of the one resource of a type whose id starts with a construct-path prefix."""
        found = [key for key in self.of_type(resource_type) if key.startswith(prefix)]
        if len(found) != 1:
            raise LookupError(f"expected one {resource_type} with id {prefix}*, found {found}")
        return found[0]


def resources_of_type(
    templates: Iterable[Template], resource_type: str
) -> Iterator[tuple[Template, str, dict[str, Any]]]:
    """(template, logical id, properties) of each resource of a type, stack after stack, in template order."""
    for template in templates:
        for logical_id, resource in template.of_type(resource_type).items():
            yield template, logical_id, resource.get("Properties", {})


def merged(templates: Iterable[Template]) -> Template:
    """One template holding the resources of every stack (where two stacks use a logical id, the later
    stack's resource is kept)."""
    resources: dict[str, dict[str, Any]] = {}
    for template in templates:
        resources.update(template.resources)
    return Template({"Resources": resources})
