"""Issue 18: the interface endpoints agree with the environment's choice by need.

The choice and its reasons are foundry_infra.network.endpoints' table. An endpoint the choice needs
and the environment lacks FAILs (its callers would go through the NAT, or, for apprunner.requests,
api could not reach ai at all); one that no caller justifies FAILs too (it bills hours for nothing).
Each endpoint of the spec's list that the environment leaves out is a DEVIATION carrying the table's
reason (no caller on these backends, or only occasional ones that take the NAT).
"""

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.network import endpoints
from foundry_templates.model import EnvironmentModel

from foundry_tools.verify.results import CheckResult


def expected(config: EnvironmentConfig) -> set[str]:
    chosen = set(endpoints.chosen(config))
    if endpoints.needs_apprunner_requests(config):
        chosen.add(endpoints.APPRUNNER_REQUESTS)
    return chosen


def interface_endpoints_by_need(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    present: dict[str, list[str]] = {}
    for endpoint in m.endpoints.values():
        if endpoint.kind == "Interface":
            present.setdefault(endpoint.service, []).append(endpoint.id)
    wanted = expected(config)
    for service in sorted(wanted - set(present)):
        r.fail(
            f"no {service} interface endpoint, which this environment needs: {endpoints.reason(config, service)}"
        )
    for service in sorted(set(present) - wanted):
        r.fail(
            f"{service} endpoint {present[service]} is not justified by a caller on these backends "
            f"({endpoints.reason(config, service)}); it bills its hours for nothing"
        )
    for service in sorted(wanted & set(present)):
        r.note(endpoints.reason(config, service))
    for line in endpoints.deviations(config):
        r.deviate(f"spec §2 lists it, this environment leaves it out: {line}")
