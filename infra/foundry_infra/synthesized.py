"""Read-only access to what `foundry synth` wrote: one environment's templates as plain data.

Tests, `foundry verify`, `foundry cost` and `foundry diagram` read templates through this module, so
none of them needs the CDK (or Node) at run time.
"""

import json
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class SynthesizedEnvironment:
    out_dir: Path

    def template(self, stack_suffix: str) -> Template:
        matches = sorted(self.out_dir.glob(f"Foundry-*-{stack_suffix}.template.json"))
        if len(matches) != 1:
            raise FileNotFoundError(
                f"no Foundry-*-{stack_suffix}.template.json in {self.out_dir}; run `foundry synth` first"
            )
        return Template(json.loads(matches[0].read_text()))

    @property
    def platform(self) -> Template:
        return self.template("platform")

    @property
    def edge(self) -> Template:
        return self.template("edge")

    @property
    def registry(self) -> Template:
        return self.template("registry")

    @property
    def edge_alarms(self) -> Template | None:
        """The us-east-1 stack of CloudFront's alarms, synthesized when the platform runs elsewhere."""
        found = sorted(self.out_dir.glob("Foundry-*-edge-alarms.template.json"))
        return self.template("edge-alarms") if found else None
