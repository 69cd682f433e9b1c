"""docs/cost-aware.md's endpoint table, generated from network/endpoints.py so it cannot go stale.

`python -m foundry_infra.network.endpoints_doc docs/cost-aware.md` rewrites it between its markers.
"""

import sys
from pathlib import Path

from foundry_contract.docs import replace_between

from foundry_infra.config.profiles import PROFILES
from foundry_infra.network import endpoints

START, END = "<!-- endpoint-table:start -->", "<!-- endpoint-table:end -->"


def endpoint_table() -> str:
    configs = {name: factory() for name, factory in PROFILES.items()}
    lines = [
        "| endpoint | caller | backend | calls it for | steady | source | " + " | ".join(configs) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(configs),
    ]
    for service, callers in endpoints.TABLE.items():
        created = []
        for config in configs.values():
            made = (
                endpoints.needs_apprunner_requests(config)
                if service == endpoints.APPRUNNER_REQUESTS
                else service in endpoints.chosen(config)
            )
            created.append("created" if made else "—")
        if not callers:
            why = endpoints.NO_CALLER[service].split(" (")[0]
            lines.append(f"| `{service}` | nobody | — | {why} | — | — | " + " | ".join(created) + " |")
        for caller in callers:
            lines.append(
                f"| `{service}` | {caller.who} | {caller.backend} | {caller.calls} | "
                f"{'yes' if caller.steady else 'no'} | [AWS]({caller.source}) | " + " | ".join(created) + " |"
            )
    for service, why in endpoints.THROUGH_NAT.items():
        lines.append(
            f"| `{service}` | {why} | ECS on EC2 | through the NAT, no endpoint | yes | — | "
            + " | ".join("—" for _ in configs)
            + " |"
        )
    return "\n".join(lines)


def render_into(text: str) -> str:
    return replace_between(text, start=START, end=END, body=endpoint_table())


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/cost-aware.md")
    path.write_text(render_into(path.read_text()))
