"""The monthly difference per resource between two estimates (a base and a head): pure functions.

A resource is its logical id and type; its monthly cost is the sum of its rows. Resources whose cost
did not move (within half a cent) are left out, so unchanged inputs give no rows and a $0.00 total.
"""

from dataclasses import dataclass
from typing import Any, Literal

from foundry_tools.cost.estimate import Estimate, Row

Change = Literal["added", "removed", "changed"]
# Below half a cent a month the difference is rounding noise (shares of usage split over resources).
EPSILON_USD = 0.005


@dataclass(frozen=True)
class ResourceDelta:
    resource: str
    resource_type: str
    change: Change
    base_usd_month: float
    head_usd_month: float
    items: tuple[str, ...]
    """The head's items (the base's for a removed resource): what the resource is billed for."""

    @property
    def delta_usd_month(self) -> float:
        return self.head_usd_month - self.base_usd_month

    def as_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "resource_type": self.resource_type,
            "change": self.change,
            "base_usd_month": round(self.base_usd_month, 2),
            "head_usd_month": round(self.head_usd_month, 2),
            "delta_usd_month": round(self.delta_usd_month, 2),
            "items": list(self.items),
        }


@dataclass(frozen=True)
class CostDiff:
    base: Estimate
    head: Estimate
    resources: list[ResourceDelta]

    @property
    def delta_usd_month(self) -> float:
        return self.head.total_usd_month - self.base.total_usd_month

    def delta(self, kind: Literal["fixed", "usage"]) -> float:
        return self.head.total(kind) - self.base.total(kind)

    @property
    def unpriced_added(self) -> list[str]:
        return sorted(set(self.head.unpriced) - set(self.base.unpriced))


def _by_resource(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    grouped: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.resource, row.resource_type), []).append(row)
    return grouped


def diff(*, base: Estimate, head: Estimate) -> CostDiff:
    """Per resource: added (only in head), removed (only in base) or changed; largest move first."""
    before, after = _by_resource(base.rows), _by_resource(head.rows)
    deltas = []
    for key in before.keys() | after.keys():
        base_usd = sum(row.usd_month for row in before.get(key, []))
        head_usd = sum(row.usd_month for row in after.get(key, []))
        if key not in before:
            change: Change = "added"
        elif key not in after:
            change = "removed"
        else:
            change = "changed"
        if abs(head_usd - base_usd) < EPSILON_USD:
            continue  # a free resource added or removed, or one whose cost did not move
        items = tuple(row.item for row in after.get(key) or before[key])
        deltas.append(ResourceDelta(key[0], key[1], change, base_usd, head_usd, items))
    deltas.sort(key=lambda d: (-abs(d.delta_usd_month), d.resource_type, d.resource))
    return CostDiff(base=base, head=head, resources=deltas)
