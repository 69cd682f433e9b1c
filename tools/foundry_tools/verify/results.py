"""What a check reports and how it is declared: shared by checks.py and the check modules beside it
(hops, reachability, deploy_checks, edge_behaviour), which import it from here rather than from
checks.py, which imports them."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from foundry_infra.config.model import EnvironmentConfig
from foundry_templates.model import EnvironmentModel


def allows(actions: Iterable[str], action: str) -> bool:
    """Whether IAM actions (with their wildcards, case-insensitive like IAM) grant `action`."""
    return any(fnmatchcase(action.lower(), granted.lower()) for granted in actions)


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a check status, not a password
    FAIL = "FAIL"
    DEVIATION = "DEVIATION"


@dataclass
class CheckResult:
    name: str
    spec: str
    title: str
    status: Status = Status.PASS
    evidence: list[str] = field(default_factory=list)

    def fail(self, evidence: str) -> None:
        self.status = Status.FAIL
        self.evidence.append(f"FAIL: {evidence}")

    def deviate(self, evidence: str) -> None:
        if self.status is Status.PASS:
            self.status = Status.DEVIATION
        self.evidence.append(f"DEVIATION: {evidence}")

    def note(self, evidence: str) -> None:
        self.evidence.append(evidence)


CheckFunction = Callable[[EnvironmentModel, EnvironmentConfig, CheckResult], None]


@dataclass(frozen=True)
class Check:
    name: str
    spec: str
    title: str
    run: CheckFunction
